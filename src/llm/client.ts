// The model client: OpenAI-compatible streaming chat completions with the python tool, as ModelEvents.
import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { ModelError, type ModelClient, type ModelEvent, type StreamRequest, type ToolCall, type ToolMode, type ToolProtocol, type Usage } from './types.js';
import { pythonTool } from './tool.js';
import { ToolCallStream, type ToolCallFragment } from './tool-calls.js';
import { mayBeUnknownModel, noAnswer, refusesTools, rejectsStreamOptions, stalled, streamDropped, toModelError, type ErrorContext } from './errors.js';
import { splitLateThink, ThinkFilter } from './think-filter.js';
import { TextToolCalls } from './text-tool-calls.js';
import { TextProtocolStream, toTextMessages } from './text-protocol.js';

import { DEFAULT_BASE_URL, detectProvider, needsApiKey, noApiKey } from './provider.js';

// Re-exported: callers that only need these import ./provider.js, which does not load the model SDK.
export { DEFAULT_BASE_URL, detectProvider, needsApiKey, type Provider } from './provider.js';
/** Per attempt, until the response starts; also the longest silence allowed inside a reply. */
export const DEFAULT_TIMEOUT_MS = 300_000;
export const DEFAULT_MAX_RETRIES = 3;
/** Sent to servers that take no key (Ollama, vLLM, LM Studio): the SDK insists on one. */
export const PLACEHOLDER_API_KEY = 'codecell-no-key';

export interface ModelClientOptions {
  /** Required for api.openai.com and OpenRouter; local servers get a placeholder when it is empty. */
  apiKey?: string;
  /** Defaults to the OpenAI API. */
  baseURL?: string;
  timeoutMs?: number;
  /** Retries (with backoff, honouring retry-after) on 429, 5xx, timeouts and connection failures. */
  maxRetries?: number;
  /** For tests and proxies. */
  fetch?: typeof fetch;
  /** How the python tool is offered (default auto: native, then text when the server refuses tools). */
  tools?: ToolMode;
  /** Remembers, per model at this base URL, that the server refused tools (so auto starts in text mode). */
  memory?: ProtocolMemory;
}

/** What auto mode learned about a model at one base URL, kept across runs. */
export interface ProtocolMemory {
  get(model: string): ToolProtocol | undefined;
  set(model: string, protocol: ToolProtocol, reason: string): void;
}

/** About four characters a token: the estimate for a reply cut short at a code block (the server sends no usage then). */
function estimateUsage(request: StreamRequest, completionChars: number): Usage {
  const promptTokens = Math.ceil(JSON.stringify(request.messages).length / 4);
  const completionTokens = Math.ceil(completionChars / 4);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

/** Streams whose body carried `data: [DONE]`: the SDK swallows the sentinel, so it is watched here. */
const sawDone = new WeakMap<Response, { done: boolean }>();

function watchingFetch(inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (!response.body || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) return response;
    const state = { done: false };
    const decoder = new TextDecoder();
    let tail = '';
    const watch = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (!state.done) {
          const text = tail + decoder.decode(chunk, { stream: true });
          if (/(^|\n)data: ?\[DONE\]/.test(text)) state.done = true;
          tail = text.slice(-16);
        }
        controller.enqueue(chunk);
      },
    });
    const watched = new Response(response.body.pipeThrough(watch), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    sawDone.set(watched, state);
    return watched;
  };
}

function toUsage(u: ChatCompletionChunk['usage']): Usage | undefined {
  if (!u) return undefined;
  const prompt = u.prompt_tokens ?? 0;
  const completion = u.completion_tokens ?? 0;
  return { promptTokens: prompt, completionTokens: completion, totalTokens: u.total_tokens ?? prompt + completion };
}

/** Reasoning text under the names reasoning servers use (vLLM/DeepSeek: reasoning_content; OpenRouter, Ollama: reasoning). */
function reasoningOf(delta: object): string {
  const d = delta as { reasoning_content?: unknown; reasoning?: unknown };
  if (typeof d.reasoning_content === 'string') return d.reasoning_content;
  if (typeof d.reasoning === 'string') return d.reasoning;
  return '';
}

export function createModelClient(options: ModelClientOptions = {}): ModelClient {
  const baseURL = (options.baseURL || DEFAULT_BASE_URL).replace(/\/+$/, '');
  const provider = detectProvider(baseURL);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const missingKey = !options.apiKey && needsApiKey(baseURL);
  const sdk = new OpenAI({
    apiKey: options.apiKey || PLACEHOLDER_API_KEY,
    baseURL,
    // A backstop only; the stream's own timer fires first.
    timeout: timeoutMs + 5_000,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    fetch: watchingFetch(options.fetch ?? globalThis.fetch),
    // The SDK logs to the console, which would tear through the terminal UI.
    logLevel: process.env.CODECELL_DEBUG ? 'debug' : 'off',
  });
  // Learned once per client: some local servers reject stream_options with a 400.
  let streamOptions = true;
  const mode: ToolMode = options.tools ?? 'auto';
  /** Models this client found cannot take tools (auto mode). */
  const learned = new Map<string, ToolProtocol>();

  function protocolFor(model: string): ToolProtocol {
    if (mode !== 'auto') return mode;
    return learned.get(model) ?? options.memory?.get(model) ?? 'native';
  }

  const context = (model: string, offeredModels?: string[]): ErrorContext => ({
    baseURL,
    model,
    provider,
    timeoutMs,
    ...(offeredModels ? { offeredModels } : {}),
  });

  async function listModels(signal?: AbortSignal): Promise<string[]> {
    try {
      const ids: string[] = [];
      for await (const model of sdk.models.list({ signal, maxRetries: 0, timeout: Math.min(timeoutMs, 10_000) })) ids.push(model.id);
      return ids;
    } catch {
      return [];
    }
  }

  async function open(request: StreamRequest, signal: AbortSignal, protocol: ToolProtocol) {
    const body = (withOptions: boolean): ChatCompletionCreateParamsStreaming => ({
      model: request.model,
      ...(protocol === 'native'
        ? { messages: request.messages, tools: [pythonTool], tool_choice: 'auto' as const }
        : { messages: toTextMessages(request.messages) }),
      stream: true,
      ...(withOptions ? { stream_options: { include_usage: true } } : {}),
    });
    try {
      try {
        return await sdk.chat.completions.create(body(streamOptions), { signal }).withResponse();
      } catch (err) {
        if (!streamOptions || !rejectsStreamOptions(err)) throw err;
        streamOptions = false;
        return await sdk.chat.completions.create(body(false), { signal }).withResponse();
      }
    } catch (err) {
      if (signal.aborted) throw err; // The caller knows why: its own cancel or its timer.
      const offered = mayBeUnknownModel(err) ? await listModels(signal) : undefined;
      throw toModelError(err, context(request.model, offered));
    }
  }

  async function* stream(request: StreamRequest): AsyncGenerator<ModelEvent> {
    const ctx = context(request.model);
    if (missingKey) throw noApiKey(ctx);
    const userSignal = request.signal;
    const aborted = (): ModelError => toModelError(new OpenAI.APIUserAbortError(), ctx);
    if (userSignal?.aborted) throw aborted();

    // Our own timer, not the SDK's: the SDK's covers only the wait for headers and retries it (four
    // waits of timeoutMs for a server that hangs), and says nothing of a stall inside the reply.
    const stop = new AbortController();
    const signal = userSignal ? AbortSignal.any([userSignal, stop.signal]) : stop.signal;
    let idle = false;
    let timer: NodeJS.Timeout | undefined = setTimeout(() => {
      idle = true;
      stop.abort();
    }, timeoutMs);
    let opened: Awaited<ReturnType<typeof open>>;
    let protocol = protocolFor(request.model);
    let switched: string | undefined;
    try {
      try {
        opened = await open(request, signal, protocol);
      } catch (err) {
        if (protocol !== 'native' || mode !== 'auto' || signal.aborted || !refusesTools(err)) throw err;
        // The server cannot offer tools to this model: carry on with code in ```python blocks, and remember.
        switched = err instanceof ModelError ? (err.serverMessage ?? err.message) : String(err);
        protocol = 'text';
        learned.set(request.model, 'text');
        try {
          options.memory?.set(request.model, 'text', switched);
        } catch {
          // Only the next run's first request is slower when this cannot be saved.
        }
        opened = await open(request, signal, protocol);
      }
    } catch (err) {
      if (userSignal?.aborted) throw aborted();
      if (idle) throw noAnswer(ctx);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (switched !== undefined) yield { type: 'protocol_switch', protocol, reason: switched };
    const { data: chunks, response } = opened;
    const done = sawDone.get(response) ?? { done: false };

    const calls = new ToolCallStream();
    const think = new ThinkFilter();
    const blocks = protocol === 'text' ? new TextProtocolStream() : undefined;
    const written = protocol === 'native' ? new TextToolCalls() : undefined;
    let text = '';
    let contentChars = 0;
    let finishReason: string | undefined;
    let usage: Usage | undefined;
    /** The reply was ended by us at a closed ```python block. */
    let stoppedAtBlock = false;
    const iterator = chunks[Symbol.asyncIterator]();
    let ended = false;

    /** Content after reasoning goes to the protocol's parser: ```python blocks (text) or calls written as text (native). */
    const content = (piece: { text: string; reasoning: string }, events: ModelEvent[]): void => {
      if (piece.reasoning) events.push({ type: 'reasoning_delta', text: piece.reasoning });
      if (!piece.text) return;
      events.push(...(blocks ? blocks.push(piece.text) : written!.push(piece.text)));
    };
    const emit = function* (events: ModelEvent[]): Generator<ModelEvent> {
      for (const event of events) {
        if (event.type === 'text_delta') text += event.text;
        yield event;
      }
    };

    try {
      for (;;) {
        // The timer runs only while waiting for the server, never while the consumer is busy.
        timer = setTimeout(() => {
          idle = true;
          stop.abort();
        }, timeoutMs);
        let next: IteratorResult<ChatCompletionChunk>;
        try {
          next = await iterator.next();
        } catch (err) {
          ended = true;
          if (userSignal?.aborted) throw aborted();
          if (idle) throw stalled(ctx);
          if (finishReason !== undefined) break; // Lost only the tail (usage) after a complete reply.
          // An error event in the stream (a status-less APIError) carries the server's message.
          if (err instanceof OpenAI.APIError && !(err instanceof OpenAI.APIConnectionError)) throw toModelError(err, ctx);
          throw streamDropped(ctx, err);
        } finally {
          clearTimeout(timer);
        }
        if (next.done) {
          ended = true;
          break;
        }
        const chunk = next.value;
        usage = toUsage(chunk.usage) ?? usage;
        const events: ModelEvent[] = [];
        for (const choice of chunk.choices ?? []) {
          if (choice.index !== undefined && choice.index !== 0) continue;
          const delta = choice.delta ?? {};
          const reasoning = reasoningOf(delta);
          if (reasoning) events.push({ type: 'reasoning_delta', text: reasoning });
          if (typeof delta.content === 'string' && delta.content) {
            contentChars += delta.content.length;
            content(think.push(delta.content), events);
          }
          if (Array.isArray(delta.tool_calls)) events.push(...calls.add(delta.tool_calls as ToolCallFragment[]));
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
        yield* emit(events);
        if (blocks?.stopped) {
          // The block runs now; whatever the model would write after it could only guess at the output.
          stoppedAtBlock = true;
          break;
        }
      }
    } finally {
      clearTimeout(timer);
      // The consumer stopped early (or we threw): end the request rather than leave it streaming.
      if (!ended) await iterator.return?.();
    }

    // The SDK ends the iteration quietly on an abort, so ask why it ended.
    if (userSignal?.aborted) throw aborted();
    if (stoppedAtBlock) {
      finishReason = 'tool_calls';
      usage ??= estimateUsage(request, contentChars);
    } else {
      if (idle) throw stalled(ctx);
      if (finishReason === undefined && !done.done) throw streamDropped(ctx);
      const rest: ModelEvent[] = [];
      content(think.end(), rest);
      yield* emit(rest);
    }

    const truncated = finishReason === 'length';
    const finished = calls.finish({ truncated });
    yield* emit(finished.events);
    const fromContent = blocks ? blocks.end({ truncated }) : written!.end({ truncated });
    yield* emit(fromContent.events);
    if (usage) yield { type: 'usage', usage };
    const late = think.opened ? undefined : splitLateThink(text);
    if (late) {
      // Shown as text while it streamed; the answer and what the model gets back are without it.
      if (late.reasoning) yield { type: 'reasoning_delta', text: late.reasoning };
      text = late.text;
    }
    const toolCalls: ToolCall[] = [...finished.calls, ...fromContent.calls];
    const reason =
      fromContent.calls.length > 0 && (finishReason === undefined || finishReason === 'stop')
        ? 'tool_calls'
        : (finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'));
    yield { type: 'finish', reason, text, toolCalls, protocol };
  }

  return { stream, listModels, protocolFor };
}
