// The model client against a real HTTP server speaking SSE, through the real openai SDK.
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { createModelClient, detectProvider } from './client.js';
import { ModelError, type ModelClient, type ModelEvent } from './types.js';
import { codeOf, ofType, fakeServerPerTest } from '../../test/support/model-client.js';

const setup = fakeServerPerTest({ maxRetries: 3, timeoutMs: 5000 });

async function collect(client: ModelClient, signal?: AbortSignal, onEvent?: (e: ModelEvent) => void): Promise<{ events: ModelEvent[]; error?: unknown }> {
  const events: ModelEvent[] = [];
  try {
    for await (const event of client.stream({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }], ...(signal ? { signal } : {}) })) {
      events.push(event);
      onEvent?.(event);
    }
  } catch (error) {
    return { events, error };
  }
  return { events };
}

const finishOf = (events: ModelEvent[]) => {
  const finish = ofType(events, 'finish');
  expect(finish).toHaveLength(1);
  return finish[0]!;
};
function expectModelError(error: unknown, kind: string): ModelError {
  expect(error).toBeInstanceOf(ModelError);
  expect((error as ModelError).kind).toBe(kind);
  return error as ModelError;
}

/** JSON with every non-ASCII character escaped as \uXXXX (emoji become surrogate-pair escapes). */
const asciiJson = (value: unknown): string => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const TRICKY = 'import os\nprint("caf\u00e9 \\"quoted\\"")\npath = "C:\\\\tmp\\\\x"\n\tx = {"a": [1, 2]}  # \u{1F600} done\n';

describe('streaming replies', () => {
  it('streams text, reports usage once and finishes with stop', async () => {
    const { client } = await setup({ script: [[{ text: 'Hello there, world', chunk: 3 }, { usage: { prompt: 12, completion: 5 } }]] });
    const { events, error } = await collect(client);
    expect(error).toBeUndefined();
    expect(
      ofType(events, 'text_delta')
        .map((e) => e.text)
        .join(''),
    ).toBe('Hello there, world');
    expect(ofType(events, 'text_delta').length).toBeGreaterThan(1);
    expect(ofType(events, 'usage')).toEqual([{ type: 'usage', usage: { promptTokens: 12, completionTokens: 5, totalTokens: 17 } }]);
    const finish = finishOf(events);
    expect(finish).toMatchObject({ reason: 'stop', text: 'Hello there, world', toolCalls: [] });
    expect(events.at(-1)).toBe(finish);
  });

  it('sends the python tool, tool_choice auto and include_usage, and the messages as given', async () => {
    const { server, client } = await setup({ script: [[{ text: 'ok' }]] });
    await collect(client);
    const request = server.requests[0]!;
    expect(request.model).toBe('fake-model');
    expect(request.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(request.stream).toBe(true);
    expect(request.stream_options).toEqual({ include_usage: true });
    expect(request.tool_choice).toBe('auto');
    expect(request).not.toHaveProperty('parallel_tool_calls');
    expect(request.tools).toHaveLength(1);
    const tool = request.tools![0]!;
    expect(tool.type === 'function' && tool.function.name).toBe('python');
    expect(tool.type === 'function' && tool.function.parameters).toMatchObject({ required: ['code'], properties: { code: { type: 'string' } } });
    expect(tool.type === 'function' && tool.function.description).toMatch(/stateful/i);
  });

  it('decodes code split into 1-character argument chunks, escapes included, into deltas that add up exactly', async () => {
    const args = asciiJson({ code: TRICKY });
    expect(args).toContain('\\u00e9');
    expect(args).toContain('\\ud83d\\ude00');
    const { client } = await setup({ script: [[{ toolCall: { arguments: args }, chunk: 1 }]] });
    const { events, error } = await collect(client);
    expect(error).toBeUndefined();
    const deltas = ofType(events, 'code_delta');
    expect(deltas.length).toBeGreaterThan(40);
    for (const d of deltas) {
      expect(d.text.length).toBeGreaterThan(0);
      // No delta starts or ends inside a surrogate pair or shows a raw escape.
      expect(d.text).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
    }
    expect(codeOf(events)).toBe(TRICKY);
    const end = ofType(events, 'tool_call_end');
    expect(end).toHaveLength(1);
    expect(end[0]!.call).toMatchObject({ name: 'python', code: TRICKY, arguments: args });
    const order = events.map((e) => e.type);
    expect(order.indexOf('tool_call_start')).toBeLessThan(order.indexOf('code_delta'));
    expect(order.lastIndexOf('code_delta')).toBeLessThan(order.indexOf('tool_call_end'));
    expect(finishOf(events)).toMatchObject({ reason: 'tool_calls', toolCalls: [{ code: TRICKY }] });
  });

  it('handles the whole tool call in one chunk without an index', async () => {
    const { client } = await setup({ script: [[{ toolCall: { code: TRICKY }, chunk: 'whole' }]] });
    const { events, error } = await collect(client);
    expect(error).toBeUndefined();
    expect(codeOf(events)).toBe(TRICKY);
    expect(ofType(events, 'tool_call_start')).toEqual([{ type: 'tool_call_start', index: 0, id: 'call_0_0', name: 'python' }]);
    expect(finishOf(events).toolCalls).toEqual([{ id: 'call_0_0', name: 'python', arguments: JSON.stringify({ code: TRICKY }), code: TRICKY }]);
  });

  it('handles text before a tool call', async () => {
    const { client } = await setup({ script: [[{ text: 'Let me compute that.' }, { toolCall: { code: 'print(6 * 7)' }, chunk: 4 }]] });
    const { events } = await collect(client);
    const order = events.map((e) => e.type);
    expect(order.lastIndexOf('text_delta')).toBeLessThan(order.indexOf('tool_call_start'));
    expect(finishOf(events)).toMatchObject({ text: 'Let me compute that.', toolCalls: [{ code: 'print(6 * 7)' }] });
  });

  it('handles several tool calls in one reply, in order', async () => {
    const { client } = await setup({
      script: [
        [
          { toolCall: { code: 'a = 1' }, chunk: 2 },
          { toolCall: { code: 'print(a + 1)' }, chunk: 3 },
        ],
      ],
    });
    const { events } = await collect(client);
    expect(codeOf(events, 0)).toBe('a = 1');
    expect(codeOf(events, 1)).toBe('print(a + 1)');
    const ends = ofType(events, 'tool_call_end');
    expect(ends.map((e) => [e.index, e.call.code])).toEqual([
      [0, 'a = 1'],
      [1, 'print(a + 1)'],
    ]);
    expect(new Set(ends.map((e) => e.call.id)).size).toBe(2);
    expect(finishOf(events).toolCalls.map((c) => c.code)).toEqual(['a = 1', 'print(a + 1)']);
  });

  it('handles several whole tool calls without index (a new id is a new call)', async () => {
    const { client } = await setup({
      script: [
        [
          { toolCall: { code: 'x = 1', id: 'c1' }, chunk: 'whole' },
          { toolCall: { code: 'x', id: 'c2' }, chunk: 'whole' },
        ],
      ],
    });
    const { events } = await collect(client);
    expect(finishOf(events).toolCalls.map((c) => [c.id, c.code])).toEqual([
      ['c1', 'x = 1'],
      ['c2', 'x'],
    ]);
  });

  it('turns reasoning_content and reasoning deltas into reasoning events', async () => {
    const { client } = await setup({
      script: [
        [{ reasoning: 'First, think.', chunk: 4 }, { text: 'Answer.' }],
        [{ reasoning: 'Other field.', field: 'reasoning' }, { text: 'Done.' }],
      ],
    });
    const first = await collect(client);
    expect(
      ofType(first.events, 'reasoning_delta')
        .map((e) => e.text)
        .join(''),
    ).toBe('First, think.');
    expect(finishOf(first.events).text).toBe('Answer.');
    const second = await collect(client);
    expect(
      ofType(second.events, 'reasoning_delta')
        .map((e) => e.text)
        .join(''),
    ).toBe('Other field.');
  });

  it('treats arguments that are raw code (not JSON) as the code', async () => {
    const { client } = await setup({ script: [[{ toolCall: { arguments: 'print("raw")\n' }, chunk: 3 }]] });
    const { events } = await collect(client);
    expect(codeOf(events)).toBe('print("raw")\n');
    expect(finishOf(events).toolCalls[0]).toMatchObject({ code: 'print("raw")\n' });
  });

  it('gives no code for broken JSON arguments, but still ends the call', async () => {
    const { client } = await setup({ script: [[{ toolCall: { arguments: '{"code": "print(1)", oops' }, chunk: 5 }]] });
    const { events } = await collect(client);
    const end = ofType(events, 'tool_call_end');
    expect(end).toHaveLength(1);
    expect(end[0]!.call.code).toBeUndefined();
    expect(end[0]!.call.arguments).toBe('{"code": "print(1)", oops');
  });

  it('gives a call to another tool without code', async () => {
    const { client } = await setup({ script: [[{ toolCall: { name: 'browser', arguments: '{"code": "x", "url": "http://x"}' } }]] });
    const { events } = await collect(client);
    expect(ofType(events, 'code_delta')).toEqual([]);
    expect(finishOf(events).toolCalls).toEqual([{ id: 'call_0_0', name: 'browser', arguments: '{"code": "x", "url": "http://x"}' }]);
  });

  it('accepts a reply that ends with [DONE] but no finish_reason, and one with finish_reason but no [DONE]', async () => {
    const { client } = await setup({
      script: [
        [{ text: 'a' }, { finish: null }],
        [{ toolCall: { code: 'print(2)' } }, { done: false }],
      ],
    });
    const first = await collect(client);
    expect(first.error).toBeUndefined();
    expect(finishOf(first.events)).toMatchObject({ reason: 'stop', text: 'a' });
    const second = await collect(client);
    expect(second.error).toBeUndefined();
    expect(finishOf(second.events).toolCalls[0]!.code).toBe('print(2)');
  });

  it('retries without stream_options when the server rejects them, and remembers', async () => {
    const { server, client } = await setup({ rejectStreamOptions: true, script: [[{ text: 'one' }], [{ text: 'two' }]] });
    const first = await collect(client);
    expect(first.error).toBeUndefined();
    expect(finishOf(first.events).text).toBe('one');
    const second = await collect(client);
    expect(finishOf(second.events).text).toBe('two');
    expect(server.requests.map((r) => r.stream_options !== undefined)).toEqual([true, false, false]);
  });

  it('sends a placeholder key to a local server when none is set', async () => {
    const { server, client } = await setup({ script: [[{ text: 'ok' }]] }, { apiKey: '' });
    const { error } = await collect(client);
    expect(error).toBeUndefined();
    expect(server.log[0]!.headers.authorization).toBe('Bearer codecell-no-key');
  });
});

describe('failures', () => {
  it('says no API key for the OpenAI API without a key, before any request', async () => {
    const client = createModelClient({ apiKey: '', baseURL: 'https://api.openai.com/v1' });
    const { error } = await collect(client);
    const e = expectModelError(error, 'no_api_key');
    expect(e.fix).toContain('OPENAI_API_KEY');
    expect(e.fix).toContain('codecell config set apiKey');
  });

  it('maps 401 to auth with the fix', async () => {
    const { client } = await setup({ apiKey: 'sk-right' }, { apiKey: 'sk-wrong' });
    const { events, error } = await collect(client);
    const e = expectModelError(error, 'auth');
    expect(e.status).toBe(401);
    expect(e.message).toContain('Incorrect API key');
    expect(e.fix).toContain('OPENAI_API_KEY');
    expect(e.fix).toContain('codecell config set apiKey');
    expect(events).toEqual([]);
  });

  it('maps 404 to unknown_model and lists the models the server offers', async () => {
    const { client } = await setup({ script: [[{ status: 404 }]], models: ['llama3.2', 'qwen2.5-coder'] });
    const { error } = await collect(client);
    const e = expectModelError(error, 'unknown_model');
    expect(e.message).toContain('fake-model');
    expect(e.message).toContain('llama3.2, qwen2.5-coder');
    expect(e.fix).toContain('--model');
  });

  it('retries a 429 and succeeds', async () => {
    const { server, client } = await setup({ script: [[{ status: 429 }], [{ status: 503 }], [{ text: 'finally' }]] });
    const { events, error } = await collect(client);
    expect(error).toBeUndefined();
    expect(finishOf(events).text).toBe('finally');
    expect(server.requests).toHaveLength(3);
  });

  it('gives up on 429 after the retries with rate_limit', async () => {
    const { server, client } = await setup({ script: Array.from({ length: 4 }, () => [{ status: 429 }]) });
    const { error } = await collect(client);
    const e = expectModelError(error, 'rate_limit');
    expect(e.fix).toMatch(/wait and retry/i);
    expect(server.requests).toHaveLength(4);
  });

  it('gives up on 500 after the retries with server', async () => {
    const { server, client } = await setup({ script: Array.from({ length: 4 }, () => [{ status: 500 }]) });
    const { error } = await collect(client);
    expect(expectModelError(error, 'server').status).toBe(500);
    expect(server.requests).toHaveLength(4);
  });

  it('throws stream_dropped when the connection dies mid tool call, with no tool_call_end', async () => {
    const { client } = await setup({
      script: [[{ text: 'Running it.' }, { toolCall: { code: 'import shutil\nshutil.rmtree("/mnt/data/old")' }, chunk: 2, dropAfterChars: 24 }]],
    });
    const { events, error } = await collect(client);
    expectModelError(error, 'stream_dropped');
    expect(ofType(events, 'code_delta').length).toBeGreaterThan(0);
    expect(ofType(events, 'tool_call_end')).toEqual([]);
    expect(ofType(events, 'finish')).toEqual([]);
  });

  it('throws stream_dropped when the server ends the body with neither finish_reason nor [DONE]', async () => {
    const { client } = await setup({ script: [[{ toolCall: { code: 'print(1)' } }, { finish: null }, { done: false }]] });
    const { events, error } = await collect(client);
    expectModelError(error, 'stream_dropped');
    expect(ofType(events, 'tool_call_end')).toEqual([]);
  });

  it('reports an error event sent inside the stream, with the server message', async () => {
    const { client } = await setup({ script: [[{ text: 'partial' }, { streamError: 'upstream provider overloaded' }]] });
    const { events, error } = await collect(client);
    expect(expectModelError(error, 'server').message).toContain('upstream provider overloaded');
    expect(ofType(events, 'finish')).toEqual([]);
  });

  it('does not trust raw code cut off by the token limit', async () => {
    const { client } = await setup({ script: [[{ toolCall: { arguments: 'for i in range(10):\n    print(' } }, { finish: 'length' }]] });
    const { events, error } = await collect(client);
    expect(error).toBeUndefined();
    expect(finishOf(events)).toMatchObject({ reason: 'length' });
    expect(ofType(events, 'tool_call_end')[0]!.call.code).toBeUndefined();
  });

  it('times out once (no retry storm) when the server never answers', async () => {
    const { server, client } = await setup({ script: [[{ hang: true }]] }, { timeoutMs: 300, maxRetries: 3 });
    const started = Date.now();
    const { error } = await collect(client);
    expect(expectModelError(error, 'timeout').message).toContain('did not answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(server.requests).toHaveLength(1);
  });

  it('times out when the reply stalls mid tool call, with no tool_call_end', async () => {
    const { client } = await setup({ script: [[{ toolCall: { code: 'x = 1\ny = 2' }, chunk: 3 }, { hang: true }]] }, { timeoutMs: 300, maxRetries: 0 });
    const { events, error } = await collect(client);
    expect(expectModelError(error, 'timeout').message).toMatch(/stopped sending/);
    expect(codeOf(events)).toBe('x = 1\ny = 2');
    expect(ofType(events, 'tool_call_end')).toEqual([]);
  });

  it('is cancelled by the abort signal mid-stream', async () => {
    const { client } = await setup({ script: [[{ text: 'a long answer that keeps going', chunk: 2, delayMs: 30 }]] });
    const controller = new AbortController();
    const { events, error } = await collect(client, controller.signal, (e) => {
      if (e.type === 'text_delta') controller.abort();
    });
    expectModelError(error, 'aborted');
    expect(ofType(events, 'finish')).toEqual([]);
  });

  it('is cancelled by the abort signal while waiting for the server', async () => {
    const { client } = await setup({ script: [[{ hang: true }]] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const { error } = await collect(client, controller.signal);
    expectModelError(error, 'aborted');
  });

  it('names the base URL when the connection is refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const baseURL = `http://127.0.0.1:${port}/v1`;
    const client = createModelClient({ baseURL, apiKey: 'sk-test', maxRetries: 1 });
    const { error } = await collect(client);
    const e = expectModelError(error, 'connection');
    expect(e.message).toContain(baseURL);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.fix).toContain('OPENAI_BASE_URL');
  });
});

describe('listModels and detectProvider', () => {
  it('lists the ids the server offers, and [] when it cannot', async () => {
    const { client } = await setup({ models: ['m1', 'm2'] });
    expect(await client.listModels()).toEqual(['m1', 'm2']);
    const none = await setup({ models: null }, { maxRetries: 2 });
    expect(await none.client.listModels()).toEqual([]);
  });

  it('guesses the provider from the base URL', () => {
    expect(detectProvider()).toBe('openai');
    expect(detectProvider('https://api.openai.com/v1')).toBe('openai');
    expect(detectProvider('http://localhost:11434/v1')).toBe('ollama');
    expect(detectProvider('http://127.0.0.1:1234/v1')).toBe('lmstudio');
    expect(detectProvider('http://gpu-box:8000/v1')).toBe('vllm');
    expect(detectProvider('https://openrouter.ai/api/v1')).toBe('openrouter');
    expect(detectProvider('http://127.0.0.1:9999/v1')).toBe('other');
    expect(detectProvider('not a url')).toBe('other');
  });
});
