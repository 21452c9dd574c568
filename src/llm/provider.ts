// Which server a base URL points at and whether it needs a key: small, so callers that only ask this
// (the chat's first-run check) do not load the model SDK with ./client.js.

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export type Provider = 'openai' | 'ollama' | 'vllm' | 'lmstudio' | 'openrouter' | 'other';

/** Which kind of server a base URL points at, for messages and fixes (a guess from host and port). */
export function detectProvider(baseURL: string = DEFAULT_BASE_URL): Provider {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    return 'other';
  }
  const host = url.hostname.toLowerCase();
  if (host === 'api.openai.com' || host.endsWith('.openai.azure.com')) return 'openai';
  if (host === 'openrouter.ai' || host.endsWith('.openrouter.ai')) return 'openrouter';
  if (url.port === '11434' || host.includes('ollama')) return 'ollama';
  if (url.port === '1234' || host.includes('lmstudio')) return 'lmstudio';
  if (url.port === '8000' || host.includes('vllm')) return 'vllm';
  return 'other';
}

/** Hosted APIs refuse requests without a key; local servers accept any. */
export function needsApiKey(baseURL: string = DEFAULT_BASE_URL): boolean {
  const provider = detectProvider(baseURL);
  return provider === 'openai' || provider === 'openrouter';
}
