// Finds model servers running on this machine (Ollama, LM Studio, llama.cpp, vLLM) and picks a model that fits.

export type LocalServerKind = 'ollama' | 'lmstudio' | 'llamacpp' | 'vllm';

export interface LocalEndpoint {
  kind: LocalServerKind;
  port: number;
}

export interface LocalModel {
  id: string;
  /** True or false when the server says whether the model calls tools (Ollama's capabilities); undefined when unknown. */
  tools?: boolean;
}

export interface LocalServer extends LocalEndpoint {
  /** The server's name for people: "Ollama", "LM Studio". */
  label: string;
  /** OpenAI-compatible base URL, ending in /v1. */
  baseURL: string;
  models: LocalModel[];
}

export const SERVER_LABELS: Record<LocalServerKind, string> = {
  ollama: 'Ollama',
  lmstudio: 'LM Studio',
  llamacpp: 'llama.cpp',
  vllm: 'vLLM',
};

/** Where each server listens by default, probed in this order of preference. */
export const DEFAULT_LOCAL_ENDPOINTS: readonly LocalEndpoint[] = [
  { kind: 'ollama', port: 11434 },
  { kind: 'lmstudio', port: 1234 },
  { kind: 'llamacpp', port: 8080 },
  { kind: 'vllm', port: 8000 },
];

/** The whole probe, every server at once, is cut off after this long: a refused port answers at once. */
export const PROBE_TIMEOUT_MS = 400;

export const LOCAL_SERVERS_ENV = 'CODECELL_LOCAL_SERVERS';

/**
 * The endpoints to probe: the defaults, or CODECELL_LOCAL_SERVERS as `kind:port` items separated by commas
 * (`ollama:11434,vllm:8001`; a bare port is treated as a plain OpenAI-compatible server), or `off`/`none`.
 * Throws on an item it cannot read, so a typo does not silently probe nothing.
 */
export function localEndpoints(env: Record<string, string | undefined> = process.env): LocalEndpoint[] {
  const raw = env[LOCAL_SERVERS_ENV]?.trim();
  if (raw === undefined || raw === '') return [...DEFAULT_LOCAL_ENDPOINTS];
  if (/^(off|none|0|false|no)$/i.test(raw)) return [];
  return raw.split(',').map((item) => {
    const m = /^\s*(?:(ollama|lmstudio|llamacpp|vllm):)?(\d{1,5})\s*$/i.exec(item);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) {
      throw new Error(`${LOCAL_SERVERS_ENV} has "${item.trim()}", which is not kind:port (kinds: ollama, lmstudio, llamacpp, vllm) or a port`);
    }
    return { kind: (m[1]?.toLowerCase() as LocalServerKind | undefined) ?? 'llamacpp', port };
  });
}

async function getJson(url: string, signal: AbortSignal, fetchFn: typeof fetch, body?: unknown): Promise<unknown> {
  const response = await fetchFn(url, {
    signal,
    ...(body !== undefined ? { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  if (!response.ok) throw new Error(`${response.status}`);
  return response.json();
}

/** Ids from an OpenAI-style `{object: "list", data: [{id, object: "model", ...}]}`. */
export function openAiModelIds(body: unknown): string[] | undefined {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  return data.map((m) => (m as { id?: unknown })?.id).filter((id): id is string => typeof id === 'string' && id.length > 0);
}

/** Names from Ollama's `/api/tags`: `{models: [{name, model, size, details: {...}}]}`. */
export function ollamaModelNames(body: unknown): string[] | undefined {
  const models = (body as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return undefined;
  return models
    .map((m) => {
      const e = m as { name?: unknown; model?: unknown };
      return typeof e?.name === 'string' ? e.name : typeof e?.model === 'string' ? e.model : undefined;
    })
    .filter((n): n is string => typeof n === 'string' && n.length > 0);
}

/** Ollama says per model what it can do (`/api/show` → `capabilities: ["completion", "tools", ...]`). */
async function ollamaTools(origin: string, model: string, signal: AbortSignal, fetchFn: typeof fetch): Promise<boolean | undefined> {
  try {
    const body = (await getJson(`${origin}/api/show`, signal, fetchFn, { model })) as { capabilities?: unknown };
    return Array.isArray(body?.capabilities) ? body.capabilities.includes('tools') : undefined;
  } catch {
    return undefined;
  }
}

async function probeOne(endpoint: LocalEndpoint, host: string, signal: AbortSignal, fetchFn: typeof fetch): Promise<LocalServer | undefined> {
  const origin = `http://${host}:${endpoint.port}`;
  const server = (models: LocalModel[]): LocalServer => ({ ...endpoint, label: SERVER_LABELS[endpoint.kind], baseURL: `${origin}/v1`, models });
  if (endpoint.kind === 'ollama') {
    // Ollama's own list, then its per-model capabilities; an older or look-alike server may only speak /v1.
    try {
      const names = ollamaModelNames(await getJson(`${origin}/api/tags`, signal, fetchFn));
      if (names) {
        const tools = await Promise.all(names.slice(0, 12).map((name) => ollamaTools(origin, name, signal, fetchFn)));
        return server(names.map((id, i) => ({ id, ...(tools[i] !== undefined ? { tools: tools[i] } : {}) })));
      }
    } catch (err) {
      if (signal.aborted) return undefined;
      if (isRefused(err)) return undefined;
    }
  }
  try {
    const ids = openAiModelIds(await getJson(`${origin}/v1/models`, signal, fetchFn));
    return ids ? server(ids.map((id) => ({ id }))) : undefined;
  } catch {
    return undefined;
  }
}

function isRefused(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 'ECONNREFUSED') return true;
  }
  return false;
}

export interface ProbeOptions {
  endpoints?: readonly LocalEndpoint[];
  /** Default 127.0.0.1: the servers' own default, and never a name lookup. */
  host?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Probes every endpoint in parallel; resolves within the timeout with the servers that answered, in endpoint order. */
export async function probeLocalServers(options: ProbeOptions = {}): Promise<LocalServer[]> {
  const endpoints = options.endpoints ?? DEFAULT_LOCAL_ENDPOINTS;
  if (endpoints.length === 0) return [];
  const controller = new AbortController();
  const host = options.host ?? '127.0.0.1';
  const fetchFn = options.fetch ?? globalThis.fetch;
  const found: (LocalServer | undefined)[] = endpoints.map(() => undefined);
  const probes = endpoints.map(async (endpoint, i) => {
    found[i] = await probeOne(endpoint, host, controller.signal, fetchFn);
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.timeoutMs ?? PROBE_TIMEOUT_MS);
  });
  await Promise.race([Promise.allSettled(probes), deadline]);
  clearTimeout(timer);
  controller.abort();
  return found.filter((s): s is LocalServer => s !== undefined);
}

export interface ModelChoice {
  model: string;
  /** Why this one, in a few words ("a coder model that can call tools"). */
  reason: string;
}

const CODER = /coder|code|devstral|starcoder|codestral|deepseek-?coder|codegemma|codellama/i;
/** Families known to call tools well through OpenAI-compatible servers, for servers that do not say. */
const TOOL_FAMILIES =
  /qwen2\.5|qwen3|qwen-?2\.5|llama-?3\.[1-9]|llama-?4|mistral|mixtral|devstral|hermes|command-?r|granite3|firefunction|gpt-oss|phi-?4|functionary|watt-tool|nemotron|glm-?4|kimi|deepseek-?v3/i;
/** Not chat models at all. */
const NOT_CHAT = /embed|nomic|bge-|e5-|minilm|rerank|whisper|tts|clip|llava-?phi|moondream|vision-?only/i;

/** False for embedding, reranking and speech models, which cannot hold a chat. */
export function isChatModel(id: string): boolean {
  return !NOT_CHAT.test(id);
}

function size(id: string): number {
  const m = /(\d+(?:\.\d+)?)\s*b\b/i.exec(id.replace(/[-_:]/g, ' '));
  return m ? Number(m[1]) : 0;
}

/**
 * The model codecell should use from what a server offers: tool calling is what matters most (codecell
 * works through a tool), then a coder model, then the larger one. Undefined when it offers nothing usable.
 */
export function pickModel(models: readonly LocalModel[]): ModelChoice | undefined {
  const usable = models.filter((m) => isChatModel(m.id));
  if (usable.length === 0) return undefined;
  const score = (m: LocalModel): number => {
    const tools = m.tools === true ? 4 : m.tools === false ? -4 : TOOL_FAMILIES.test(m.id) ? 2 : 0;
    return tools + (CODER.test(m.id) ? 2 : 0);
  };
  const best = [...usable].sort((a, b) => score(b) - score(a) || size(b.id) - size(a.id) || a.id.localeCompare(b.id))[0]!;
  const traits: string[] = [];
  if (CODER.test(best.id)) traits.push('a coder model');
  if (best.tools === true) traits.push('the server says it calls tools');
  else if (best.tools === false) traits.push('the server says it cannot call tools, and none offered can');
  else if (TOOL_FAMILIES.test(best.id)) traits.push('from a family that calls tools');
  if (usable.length === 1) traits.unshift('the only model it offers');
  const reason = traits.length > 0 ? traits.join('; ') : 'the first it offers; none is known to call tools';
  return { model: best.id, reason };
}
