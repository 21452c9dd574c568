// A scripted OpenAI-compatible HTTP server for tests: real SSE chat completions, /v1/models, error modes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';

export interface TextReply {
  text: string;
  /** Characters per delta (default 8). */
  chunk?: number;
  delayMs?: number;
}

export interface ReasoningReply {
  reasoning: string;
  /** The delta field it travels in (default reasoning_content, as vLLM and DeepSeek send it). */
  field?: 'reasoning_content' | 'reasoning';
  chunk?: number;
  delayMs?: number;
}

export interface ToolCallReply {
  toolCall: {
    /** Sent as the JSON arguments `{"code": ...}`. */
    code?: string;
    /** Raw argument text instead of `code` (invalid JSON, raw code, other arguments). */
    arguments?: string;
    /** Default `python`. */
    name?: string;
    /** Default `call_<n>`; null sends no id. */
    id?: string | null;
    /** Default: 0, 1, ... within the reply; null sends no index. */
    index?: number | null;
  };
  /**
   * Argument characters per delta (default 16); the first delta carries id and name with empty
   * arguments. 'whole': the entire call in one delta without an index field, as some local servers send.
   */
  chunk?: number | 'whole';
  delayMs?: number;
  /** Destroy the connection after this many argument characters were sent. */
  dropAfterChars?: number;
}

export interface UsageReply {
  /** Sent as a final usage-only chunk with empty choices (whether or not the request asked for usage). */
  usage: { prompt: number; completion: number };
}

export interface ErrorReply {
  /** Answer with this HTTP status instead of a stream (must be the turn's first reply). */
  status: number;
  /** JSON body; defaults to an OpenAI-style `{error: {...}}` for the status. */
  body?: unknown;
  /** Defaults to `retry-after-ms: 10`, so the SDK's retries are quick. */
  headers?: Record<string, string>;
}

export type ControlReply =
  /** Destroy the connection here (mid-stream). */
  | { drop: true }
  /** Stop answering here: as the first reply, never send headers; later, stall the open stream. */
  | { hang: true }
  /** Wait this many milliseconds before the next chunk. */
  | { pause: number }
  /** Override the finish_reason (default tool_calls when the reply has tool calls, else stop); null sends none. */
  | { finish: string | null }
  /** End the body without `data: [DONE]`. */
  | { done: false }
  /** Send `data: {"error": {"message": ...}}` and end the response, as servers report failures mid-stream. */
  | { streamError: string };

export type Reply = TextReply | ReasoningReply | ToolCallReply | UsageReply | ErrorReply | ControlReply;
/** What the server answers to one chat completions request. */
export type Turn = Reply[];
export type ChatRequest = ChatCompletionCreateParamsStreaming;
/** Answers from the request itself; callIndex counts the requests the script has answered (0-based). */
export type ScriptFn = (request: ChatRequest, callIndex: number) => Turn | Promise<Turn>;

/**
 * A script for one-task prompts (as batch sends them): while the last message is the user's, one cell made
 * from the prompt; after the cell's result, a text answer.
 */
export function cellThenText(code: (user: string) => string, text: (user: string, last: ChatRequest['messages'][number]) => string): ScriptFn {
  return (request) => {
    const user = request.messages.find((m) => m.role === 'user')!.content as string;
    const last = request.messages[request.messages.length - 1]!;
    if (last.role === 'user') return [{ toolCall: { code: code(user) } }];
    return [{ text: text(user, last) }];
  };
}

/** How a model server behaves: tool calling, or one of the ways models without it (or with quirks) answer. */
export type Dialect =
  /** Calls python through the tool-calling API. */
  | 'native'
  /** Refuses requests with tools (as Ollama does: 400 "... does not support tools"); writes ```python blocks. */
  | 'no-tools'
  /** Writes `<tool_call>{"name": "python", "arguments": {...}}</tool_call>` in its content (Hermes, Qwen). */
  | 'tool-call-tag'
  /** The whole content is a JSON object naming python with its arguments. */
  | 'bare-json'
  /** Native tool calls, with `<think>…</think>` at the start of every content (DeepSeek-R1, Qwen3). */
  | 'think'
  /** Native tool calls, with reasoning in the reasoning_content field (vLLM, DeepSeek). */
  | 'reasoning-content';

export const DIALECTS: Dialect[] = ['native', 'no-tools', 'tool-call-tag', 'bare-json', 'think', 'reasoning-content'];

/** The error bodies real servers send when they cannot offer tools. */
export const TOOLS_REFUSED: Record<'ollama' | 'llamacpp' | 'vllm', ErrorReply> = {
  ollama: {
    status: 400,
    body: { error: { message: 'registry.ollama.ai/library/fake-model:latest does not support tools', type: 'api_error', param: null, code: null } },
  },
  llamacpp: {
    status: 500,
    body: { error: { code: 500, message: 'tools param requires --jinja flag', type: 'server_error' } },
    headers: { 'retry-after-ms': '1' },
  },
  vllm: {
    status: 400,
    body: {
      object: 'error',
      message: '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
      type: 'BadRequestError',
      param: null,
      code: 400,
    },
  },
};

export const fenced = (code: string, before = 'Let me compute that.'): string => `${before}\n\n\`\`\`python\n${code}\n\`\`\`\n`;
export const toolCallTag = (code: string): string => `<tool_call>\n${JSON.stringify({ name: 'python', arguments: { code } })}\n</tool_call>`;
export const bareJsonCall = (code: string): string => JSON.stringify({ name: 'python', arguments: { code } });
export const thinking = (reasoning: string, answer: string): string => `<think>\n${reasoning}\n</think>\n\n${answer}`;

/** True once the model has seen a cell's result (a tool message, or the text protocol's output message). */
function sawResult(request: ChatRequest): boolean {
  const last = request.messages[request.messages.length - 1]!;
  if (last.role === 'tool') return true;
  return last.role === 'user' && typeof last.content === 'string' && last.content.includes('<python-output>');
}

/**
 * One cell, then an answer, in a dialect: the script a model of that kind would follow for a one-task prompt.
 * The answer may use the cell's output (`last` is the message carrying it).
 */
export function dialectScript(
  dialect: Dialect,
  code: (user: string) => string,
  answer: (user: string, result: string) => string,
  reasoning = 'The user wants a computation; I will run code, then answer.',
): ScriptFn {
  return (request) => {
    const user = request.messages.find((m) => m.role === 'user')!.content as string;
    const last = request.messages[request.messages.length - 1]!;
    if (dialect === 'no-tools' && request.tools) return [TOOLS_REFUSED.ollama];
    if (sawResult(request)) {
      const text = answer(user, typeof last.content === 'string' ? last.content : '');
      if (dialect === 'think') return [{ text: thinking('I have the result.', text) }];
      if (dialect === 'reasoning-content') return [{ reasoning: 'I have the result.' }, { text }];
      return [{ text }];
    }
    const c = code(user);
    switch (dialect) {
      case 'native':
        return [{ toolCall: { code: c } }];
      case 'no-tools':
        // What models without tool calling do: prose, the block, and (if not stopped) an invented result.
        return [{ text: fenced(c) + '\nThis prints the result, which is 42.\n', chunk: 5 }];
      case 'tool-call-tag':
        return [{ text: toolCallTag(c), chunk: 5 }];
      case 'bare-json':
        return [{ text: bareJsonCall(c), chunk: 5 }];
      case 'think':
        return [{ text: `<think>\n${reasoning}\n</think>\n\n`, chunk: 6 }, { toolCall: { code: c } }];
      case 'reasoning-content':
        return [{ reasoning }, { toolCall: { code: c } }];
    }
  };
}

export interface FakeOpenAIOptions {
  /** A queue of turns, one per chat completions request (retries included), or a function. */
  script?: Turn[] | ScriptFn;
  /** GET /v1/models answers these ids (default fake-model, gpt-4o-mini); null answers 500. */
  models?: string[] | null;
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401. */
  apiKey?: string;
  /** Answer a 400 naming stream_options to requests that carry it (some local servers do). */
  rejectStreamOptions?: boolean;
  /** Answer every request that offers tools with this server's "no tools" error (Ollama, llama.cpp, vLLM). */
  refuseTools?: keyof typeof TOOLS_REFUSED;
  /** Default delay between chunks. */
  delayMs?: number;
  /**
   * Also speak Ollama's own API: GET /api/tags lists the models (Ollama's shape) and POST /api/show gives
   * each model's capabilities from this map (a model not in it gets ["completion"]).
   */
  ollama?: { capabilities?: Record<string, string[]> };
  /** Listen on this port instead of a free one (fails when it is taken). */
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FakeOpenAI {
  /** Base URL including /v1, for OPENAI_BASE_URL / baseURL. */
  readonly url: string;
  /** Every chat completions request body, in arrival order (rejected ones and retries included). */
  readonly requests: ChatRequest[];
  /** Every HTTP request, any path. */
  readonly log: RecordedRequest[];
  /** Appends turns to a queue script. */
  push(...turns: Turn[]): void;
  /** Turns left in a queue script. */
  pending(): number;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function pieces(text: string, size: number): string[] {
  if (text.length === 0) return [''];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += Math.max(1, size)) out.push(text.slice(i, i + Math.max(1, size)));
  return out;
}

function defaultErrorBody(status: number, model: string): unknown {
  const errors: Record<number, { message: string; type: string; code: string | null }> = {
    400: { message: 'Bad request', type: 'invalid_request_error', code: null },
    401: { message: 'Incorrect API key provided: sk-fake.', type: 'invalid_request_error', code: 'invalid_api_key' },
    403: { message: 'You are not allowed to use this model.', type: 'invalid_request_error', code: null },
    404: { message: `The model \`${model}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', code: 'model_not_found' },
    429: { message: 'Rate limit reached for requests.', type: 'requests', code: 'rate_limit_exceeded' },
  };
  return { error: errors[status] ?? { message: 'The server had an error while processing your request.', type: 'server_error', code: null } };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const isError = (r: Reply): r is ErrorReply => 'status' in r;

/** Streams one turn as SSE. Returns when the response ended, was dropped, or hangs for good. */
async function streamTurn(res: ServerResponse, request: ChatRequest, turn: Turn, callIndex: number, defaultDelay: number): Promise<void> {
  const id = `chatcmpl-fake-${callIndex}`;
  const created = Math.floor(Date.now() / 1000);
  let sentChars = 0;
  const write = (payload: object): void => {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, ...payload })}\n\n`);
  };
  const delta = (d: object): void => write({ choices: [{ index: 0, delta: d, logprobs: null, finish_reason: null }] });
  const drop = (): void => {
    res.socket?.destroy();
  };

  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  delta({ role: 'assistant', content: '' });

  let toolCalls = 0;
  let finish: string | null | undefined;
  let done = true;
  let usage: UsageReply['usage'] | undefined;
  for (const reply of turn) {
    if ('text' in reply) {
      for (const piece of pieces(reply.text, reply.chunk ?? 8)) {
        await sleep(reply.delayMs ?? defaultDelay);
        delta({ content: piece });
        sentChars += piece.length;
      }
    } else if ('reasoning' in reply) {
      for (const piece of pieces(reply.reasoning, reply.chunk ?? 8)) {
        await sleep(reply.delayMs ?? defaultDelay);
        delta({ [reply.field ?? 'reasoning_content']: piece });
        sentChars += piece.length;
      }
    } else if ('toolCall' in reply) {
      const call = reply.toolCall;
      const position = toolCalls++;
      const callId = call.id === undefined ? `call_${callIndex}_${position}` : call.id;
      const index = call.index === undefined ? position : call.index;
      const args = call.arguments ?? JSON.stringify({ code: call.code ?? '' });
      const limit = reply.dropAfterChars ?? Infinity;
      const sent = args.slice(0, Math.min(args.length, limit));
      const head = { ...(callId !== null ? { id: callId } : {}), type: 'function' };
      if (reply.chunk === 'whole') {
        // As some local servers send it: one delta, no index field.
        await sleep(reply.delayMs ?? defaultDelay);
        delta({ tool_calls: [{ ...head, function: { name: call.name ?? 'python', arguments: sent } }] });
      } else {
        const withIndex = index !== null ? { index } : {};
        delta({ tool_calls: [{ ...withIndex, ...head, function: { name: call.name ?? 'python', arguments: '' } }] });
        for (const piece of pieces(sent, reply.chunk ?? 16)) {
          if (!piece) continue;
          await sleep(reply.delayMs ?? defaultDelay);
          delta({ tool_calls: [{ ...withIndex, function: { arguments: piece } }] });
        }
      }
      sentChars += sent.length;
      if (sent.length < args.length) return drop();
    } else if ('usage' in reply) {
      usage = reply.usage;
    } else if ('drop' in reply) {
      return drop();
    } else if ('hang' in reply) {
      return; // The socket stays open until the test closes the server.
    } else if ('pause' in reply) {
      await sleep(reply.pause);
    } else if ('finish' in reply) {
      finish = reply.finish;
    } else if ('done' in reply) {
      done = reply.done;
    } else if ('streamError' in reply) {
      res.write(`data: ${JSON.stringify({ error: { message: reply.streamError, type: 'server_error', code: null } })}\n\n`);
      res.end();
      return;
    } else if (isError(reply)) {
      throw new Error('fake-openai: an error reply must come first in its turn');
    }
  }
  const reason = finish === undefined ? (toolCalls > 0 ? 'tool_calls' : 'stop') : finish;
  if (reason !== null) write({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: reason }] });
  if (!usage && request.stream_options?.include_usage) {
    // A plausible count when the test did not script one: about four characters a token.
    usage = { prompt: Math.ceil(JSON.stringify(request.messages).length / 4), completion: Math.ceil(sentChars / 4) };
  }
  if (usage) {
    write({ choices: [], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } });
  }
  if (done) res.write('data: [DONE]\n\n');
  res.end();
}

/** Starts the server on 127.0.0.1 with a free port. */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const queue: Turn[] = Array.isArray(options.script) ? [...options.script] : [];
  const scriptFn = typeof options.script === 'function' ? options.script : undefined;
  const models = options.models === undefined ? ['fake-model', 'gpt-4o-mini'] : options.models;
  const requests: ChatRequest[] = [];
  const log: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let answered = 0;

  const nextTurn = async (request: ChatRequest): Promise<Turn | string> => {
    try {
      if (scriptFn) return await scriptFn(request, answered++);
      const turn = queue.shift();
      if (!turn) return 'fake-openai: the script has no turn left for this request';
      answered++;
      return turn;
    } catch (err) {
      return `fake-openai: the script function threw: ${(err as Error).message}`;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    log.push({ method: req.method ?? 'GET', path, headers: req.headers, body });

    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(res, 401, defaultErrorBody(401, ''));
    }
    if (options.ollama && req.method === 'GET' && path === '/api/tags') {
      if (models === null) return sendJson(res, 500, { error: 'fake-openai: no models' });
      return sendJson(res, 200, {
        models: models.map((m) => ({
          name: m,
          model: m,
          modified_at: '2026-01-01T00:00:00Z',
          size: 4_000_000_000,
          digest: 'f'.repeat(64),
          details: { format: 'gguf', family: m.split(/[:-]/)[0], families: [m.split(/[:-]/)[0]], parameter_size: '7B', quantization_level: 'Q4_K_M' },
        })),
      });
    }
    if (options.ollama && req.method === 'POST' && path === '/api/show') {
      const name = (body as { model?: unknown } | undefined)?.model;
      if (typeof name !== 'string' || !(models ?? []).includes(name)) return sendJson(res, 404, { error: `model '${String(name)}' not found` });
      return sendJson(res, 200, { details: { format: 'gguf' }, capabilities: options.ollama.capabilities?.[name] ?? ['completion'] });
    }
    if (req.method === 'GET' && path.endsWith('/models')) {
      if (models === null) return sendJson(res, 500, defaultErrorBody(500, ''), { 'x-should-retry': 'false' });
      return sendJson(res, 200, { object: 'list', data: models.map((m) => ({ id: m, object: 'model', created: 0, owned_by: 'fake-openai' })) });
    }
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      return sendJson(res, 404, { error: { message: `fake-openai: no route ${req.method} ${path}`, type: 'invalid_request_error', code: null } });
    }
    const request = body as ChatRequest;
    requests.push(request);
    if (options.rejectStreamOptions && request.stream_options) {
      return sendJson(res, 400, { error: { message: 'Unrecognized request argument supplied: stream_options', type: 'invalid_request_error', code: null } });
    }
    if (options.refuseTools && request.tools) {
      const refusal = TOOLS_REFUSED[options.refuseTools];
      return sendJson(res, refusal.status, refusal.body, refusal.headers ?? {});
    }
    if (request.stream !== true) {
      return sendJson(res, 400, { error: { message: 'fake-openai answers only stream: true', type: 'invalid_request_error', code: null } });
    }
    const turn = await nextTurn(request);
    if (typeof turn === 'string') {
      return sendJson(res, 400, { error: { message: turn, type: 'invalid_request_error', code: null } });
    }
    const first = turn[0];
    if (first && isError(first)) {
      return sendJson(res, first.status, first.body ?? defaultErrorBody(first.status, request.model), first.headers ?? { 'retry-after-ms': '10' });
    }
    if (first && 'hang' in first) return; // Never answer.
    await streamTurn(res, request, turn, answered - 1, options.delayMs ?? 0);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `fake-openai crashed: ${(err as Error).message}` } });
      else res.socket?.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    log,
    push: (...turns) => void queue.push(...turns),
    pending: () => queue.length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
