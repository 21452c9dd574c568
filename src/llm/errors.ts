// Turns openai SDK and network failures into ModelError, each with a fix written for the user.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from 'openai';
import { ModelError } from './types.js';
import type { Provider } from './client.js';
import { KEY_FIX } from './provider.js';

export interface ErrorContext {
  baseURL: string;
  model: string;
  provider: Provider;
  timeoutMs: number;
  /** Models the server offers, fetched after a "model not found" (empty when it cannot tell). */
  offeredModels?: string[];
}

const AUTH_FIX = 'Check OPENAI_API_KEY or `codecell config set apiKey ...` (and that the key belongs to this server).';

/** The SDK's error message without the status prefix it adds ("404 The model..."). */
function serverMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string' && body.message) return body.message;
  return err.message.replace(/^\d{3}\s+/, '');
}

/** The first errno-style code (ECONNREFUSED, ENOTFOUND, ...) in an error's cause chain. */
export function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
  }
  return undefined;
}

const MODEL_MISSING = /model.*(not found|does not exist|not exist|unknown|invalid)|unknown model|try pulling/i;

/** True when an error may mean "no such model" (a 404, or a 400 that says so): worth asking which exist. */
export function mayBeUnknownModel(err: unknown): boolean {
  if (!(err instanceof APIError) || err.status === undefined) return false;
  if (err.status === 404) return true;
  const code = (err.error as { code?: unknown } | undefined)?.code;
  return (err.status === 400 || err.status === 422) && (code === 'model_not_found' || MODEL_MISSING.test(serverMessage(err)));
}

/** Decides "unknown model" from the error and, for a bare 404, from the list the server offers. */
function isUnknownModel(err: APIError, ctx: ErrorContext): boolean {
  if (!mayBeUnknownModel(err)) return false;
  const code = (err.error as { code?: unknown } | undefined)?.code;
  if (code === 'model_not_found' || /model/i.test(serverMessage(err))) return true;
  // "404 page not found" is a wrong base URL unless the server lists models without ours.
  const offered = ctx.offeredModels ?? [];
  return offered.length > 0 && !offered.includes(ctx.model);
}

// Ollama: 400 "<model> does not support tools"; llama.cpp: 500 "tools param requires --jinja flag" and (older
// builds) 500 "Cannot use tools with stream"; vLLM: 400 "\"auto\" tool choice requires --enable-auto-tool-choice ...".
const TOOLS_REFUSED =
  /does not support tools|tools? (is|are) not supported|not support(ed)? (for )?tool|tools param requires|cannot use tools|enable-auto-tool-choice/i;

/** True when the server refused the request because it cannot offer tools to this model (the text protocol can). */
export function refusesTools(err: unknown): boolean {
  if (err instanceof ModelError) return err.status !== undefined && TOOLS_REFUSED.test(err.serverMessage ?? err.message);
  return err instanceof APIError && err.status !== undefined && [400, 404, 422, 500, 501].includes(err.status) && TOOLS_REFUSED.test(serverMessage(err));
}

/** True when a 400 complains about stream_options (servers that do not know include_usage). */
export function rejectsStreamOptions(err: unknown): boolean {
  return err instanceof APIError && (err.status === 400 || err.status === 422) && /stream_options/i.test(err.message);
}

function connectionFix(ctx: ErrorContext): string {
  const serve = ctx.provider === 'ollama' ? ' For Ollama: `ollama serve`.' : ctx.provider === 'lmstudio' ? ' For LM Studio: start its local server.' : '';
  return `Is the server running?${serve} Check --base-url / OPENAI_BASE_URL (now ${ctx.baseURL}).`;
}

function unknownModel(err: APIError, ctx: ErrorContext): ModelError {
  const offered = ctx.offeredModels ?? [];
  const list = offered.length > 0 ? ` The server offers: ${offered.slice(0, 30).join(', ')}${offered.length > 30 ? ', ...' : ''}.` : '';
  const pull = ctx.provider === 'ollama' ? ` or fetch it with \`ollama pull ${ctx.model}\`` : '';
  return new ModelError(
    'unknown_model',
    `the model "${ctx.model}" is not available at ${ctx.baseURL} (${serverMessage(err)}).${list}`,
    `Choose another with --model or \`codecell config set model <name>\`${pull}.`,
    err.status,
  );
}

/** Maps any failure of a model request to a ModelError. */
export function toModelError(err: unknown, ctx: ErrorContext): ModelError {
  const e = mapError(err, ctx);
  if (err instanceof APIError && err.status !== undefined) e.serverMessage ??= serverMessage(err);
  return e;
}

function mapError(err: unknown, ctx: ErrorContext): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof APIUserAbortError || (err instanceof Error && err.name === 'AbortError')) {
    return new ModelError('aborted', 'the model request was cancelled', 'Nothing to fix: it was cancelled on request.');
  }
  if (err instanceof APIConnectionTimeoutError) return noAnswer(ctx);
  if (err instanceof APIConnectionError) {
    const code = networkCode(err);
    const what =
      code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'could not find the host of' : code === 'ECONNREFUSED' ? 'could not connect to' : 'lost the connection to';
    return new ModelError('connection', `${what} the model server at ${ctx.baseURL}${code ? ` (${code})` : ''}`, connectionFix(ctx));
  }
  if (err instanceof APIError && err.status !== undefined) {
    const status = err.status;
    const message = serverMessage(err);
    if (status === 401 || status === 403) {
      return new ModelError('auth', `the model server refused the API key (${status}: ${message})`, AUTH_FIX, status);
    }
    if (isUnknownModel(err, ctx)) return unknownModel(err, ctx);
    if (status === 404) {
      return new ModelError(
        'bad_request',
        `the model server at ${ctx.baseURL} has no chat completions endpoint (404: ${message})`,
        'Check the base URL; it usually ends in /v1.',
        status,
      );
    }
    if (status === 429) {
      return new ModelError(
        'rate_limit',
        `the model server is rate limiting requests (429: ${message}), even after retrying`,
        'Wait and retry, or lower concurrency (fewer batch tasks at once).',
        status,
      );
    }
    if (status >= 500) {
      return new ModelError(
        'server',
        `the model server failed (${status}: ${message}), even after retrying`,
        'Try again later; if it is a local server, look at its log.',
        status,
      );
    }
    if (/enable-auto-tool-choice/i.test(message)) {
      return new ModelError(
        'bad_request',
        `the vLLM server does not accept tool calls (${message})`,
        'Run with --tools text (or auto) to send code in ```python blocks instead, or start vLLM with --enable-auto-tool-choice and a --tool-call-parser that fits the model.',
        status,
      );
    }
    if (TOOLS_REFUSED.test(message)) {
      return new ModelError(
        'bad_request',
        `the model "${ctx.model}" cannot call tools at ${ctx.baseURL} (${message})`,
        'Run with --tools text (or auto, the default) to send code in ```python blocks instead, or choose a model with tool calling with --model.',
        status,
      );
    }
    const code = (err.error as { code?: unknown } | undefined)?.code;
    if (code === 'context_length_exceeded' || /context length|maximum context|too many tokens/i.test(message)) {
      return new ModelError(
        'bad_request',
        `the conversation is too long for ${ctx.model} (${message})`,
        'Start a new session (or /reset in chat), or use a model with a longer context.',
        status,
      );
    }
    return new ModelError(
      'bad_request',
      `the model server rejected the request (${status}: ${message})`,
      'Check the model name and the server; run with CODECELL_DEBUG=1 for details.',
      status,
    );
  }
  if (err instanceof APIError) {
    // An error event inside the stream: no status, the server's own message.
    return new ModelError('server', `the model server reported an error mid-reply: ${serverMessage(err)}`, 'Try again; if it persists, look at the server.');
  }
  if (err instanceof OpenAIError && /credentials|api key/i.test(err.message)) {
    return new ModelError('no_api_key', 'no API key is set', KEY_FIX);
  }
  const code = networkCode(err);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ModelError('connection', `could not connect to the model server at ${ctx.baseURL} (${code})`, connectionFix(ctx));
  }
  return new ModelError(
    'server',
    `the model request failed: ${err instanceof Error ? err.message : String(err)}`,
    'Try again; run with CODECELL_DEBUG=1 for details.',
  );
}

/** A reply cut off before the server said it was finished. */
export function streamDropped(ctx: ErrorContext, cause?: unknown): ModelError {
  const why = cause instanceof Error ? ` (${networkCode(cause) ?? cause.message})` : '';
  return new ModelError(
    'stream_dropped',
    `the connection to the model server at ${ctx.baseURL} closed before the reply finished${why}; a partial tool call was not run`,
    'Try again; if it keeps happening, check the server or any proxy in between (proxy timeouts cut long replies).',
  );
}

/** No key for a server that needs one. */
const duration = (ms: number): string => (ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

/** The server did not start answering within the timeout. */
export function noAnswer(ctx: ErrorContext): ModelError {
  return new ModelError(
    'timeout',
    `the model server at ${ctx.baseURL} did not answer within ${duration(ctx.timeoutMs)}`,
    'Try again: a local model may still be loading, or the server is overloaded. For slow models raise the wait: `codecell config set requestTimeout 900` (or CODECELL_REQUEST_TIMEOUT).',
  );
}

/** The reply stalled: no chunk within the timeout. */
export function stalled(ctx: ErrorContext): ModelError {
  return new ModelError(
    'timeout',
    `the model server at ${ctx.baseURL} stopped sending for ${duration(ctx.timeoutMs)} in the middle of a reply; a partial tool call was not run`,
    'Try again; if it keeps happening, the server is overloaded or stuck: look at its log, or allow longer pauses with `codecell config set requestTimeout 900`.',
  );
}
