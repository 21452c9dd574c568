// Error mapping details the HTTP tests do not reach: provider-specific fixes, wrong base URLs, context length.
import { describe, expect, it } from 'vitest';
import { APIConnectionError, APIError } from 'openai';
import { networkCode, refusesTools, toModelError, type ErrorContext } from './errors.js';

const ctx = (over: Partial<ErrorContext> = {}): ErrorContext => ({
  baseURL: 'http://localhost:11434/v1',
  model: 'llama3.2',
  provider: 'ollama',
  timeoutMs: 60_000,
  ...over,
});
const status = (code: number, message: string, extra: object = {}) => APIError.generate(code, { error: { message, ...extra } }, undefined, new Headers());

describe('toModelError', () => {
  it('tells Ollama users to run ollama serve, and everyone to check the base URL', () => {
    const refused = Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    const e = toModelError(new APIConnectionError({ message: 'Connection error.', cause: refused }), ctx());
    expect(e.kind).toBe('connection');
    expect(e.message).toContain('http://localhost:11434/v1');
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.fix).toContain('ollama serve');
    expect(e.fix).toContain('--base-url');
  });

  it('suggests ollama pull for an unknown Ollama model', () => {
    const e = toModelError(status(404, 'model "llama3.2" not found, try pulling it first'), ctx({ offeredModels: ['qwen2.5'] }));
    expect(e.kind).toBe('unknown_model');
    expect(e.message).toContain('qwen2.5');
    expect(e.fix).toContain('ollama pull llama3.2');
  });

  it('calls a bare 404 a wrong base URL when the model is not the problem', () => {
    const e = toModelError(status(404, '404 page not found'), ctx({ offeredModels: [] }));
    expect(e.kind).toBe('bad_request');
    expect(e.fix).toContain('/v1');
  });

  it('calls a bare 404 an unknown model when the server lists models without it', () => {
    expect(toModelError(status(404, 'not found'), ctx({ offeredModels: ['other'] })).kind).toBe('unknown_model');
  });

  it('explains a context that is too long', () => {
    const e = toModelError(status(400, "This model's maximum context length is 8192 tokens.", { code: 'context_length_exceeded' }), ctx());
    expect(e.kind).toBe('bad_request');
    expect(e.fix).toMatch(/new session/);
  });

  it('says when a model or server cannot call tools', () => {
    const ollama = toModelError(status(400, 'registry.ollama.ai/library/gemma:2b does not support tools'), ctx({ model: 'gemma:2b' }));
    expect(ollama.kind).toBe('bad_request');
    expect(ollama.message).toContain('"gemma:2b" cannot call tools');
    expect(ollama.fix).toContain('--model');
    expect(ollama.fix).toContain('--tools text');
    const vllm = toModelError(status(400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'), ctx({ provider: 'vllm' }));
    expect(vllm.fix).toContain('--enable-auto-tool-choice');
  });

  it('finds errno codes deep in a cause chain', () => {
    const deep = new Error('a', { cause: new Error('b', { cause: Object.assign(new Error('c'), { code: 'ENOTFOUND' }) }) });
    expect(networkCode(deep)).toBe('ENOTFOUND');
    expect(networkCode(new Error('plain'))).toBeUndefined();
  });

  it('recognises every server’s way of refusing tools, and nothing else', () => {
    expect(refusesTools(status(400, 'registry.ollama.ai/library/gemma3:4b does not support tools'))).toBe(true);
    expect(refusesTools(status(500, 'tools param requires --jinja flag'))).toBe(true);
    expect(refusesTools(status(500, 'Cannot use tools with stream'))).toBe(true);
    expect(refusesTools(status(400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'))).toBe(true);
    expect(refusesTools(toModelError(status(400, 'llama3 does not support tools'), ctx()))).toBe(true);
    expect(refusesTools(status(400, 'Bad request'))).toBe(false);
    expect(refusesTools(status(401, 'does not support tools'))).toBe(false);
    expect(refusesTools(new Error('does not support tools'))).toBe(false);
  });
});
