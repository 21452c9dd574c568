// Which server a base URL points at and whether it needs a key: small, so callers that only ask this
// (the chat's first-run check) do not load the model SDK with ./client.js.

import { ModelError } from './types.js';

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** How to give codecell a key, for every "no API key" error. */
export const KEY_FIX = 'Set OPENAI_API_KEY, or run `codecell config set apiKey <key>`.';

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

/** A hosted API needs a key and none is set. */
export function noApiKey(ctx: { baseURL: string }): ModelError {
  return new ModelError('no_api_key', `no API key is set for ${ctx.baseURL}`, KEY_FIX);
}
