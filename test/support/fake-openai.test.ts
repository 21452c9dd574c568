// The fake server's wire format, read with plain fetch: what the model client tests rely on.
import { afterEach, describe, expect, it } from 'vitest';
import { dialectScript, startFakeOpenAI, type ChatRequest, type FakeOpenAI, type FakeOpenAIOptions } from './fake-openai.js';

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: FakeOpenAIOptions): Promise<FakeOpenAI> {
  fake = await startFakeOpenAI(options);
  return fake;
}

const post = (server: FakeOpenAI, body: object, init: RequestInit = {}) =>
  fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [], stream: true, ...body }),
    ...init,
  });

// Wire JSON, asserted field by field.
// biome-ignore lint/suspicious/noExplicitAny: the wire JSON is checked field by field below
const json = (response: Response): Promise<any> => response.json();

/** The SSE events of a response: the JSON payloads, and whether [DONE] ended it. */
// biome-ignore lint/suspicious/noExplicitAny: the wire JSON is checked field by field
async function events(response: Response): Promise<{ payloads: any[]; done: boolean; raw: string }> {
  const raw = await response.text();
  expect(raw.endsWith('\n\n')).toBe(true);
  const blocks = raw.split('\n\n').filter(Boolean);
  for (const block of blocks) expect(block).toMatch(/^data: /);
  const data = blocks.map((b) => b.slice('data: '.length));
  const done = data.at(-1) === '[DONE]';
  return { payloads: data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d)), done, raw };
}

describe('fake OpenAI server', () => {
  it('streams text and a tool call as SSE chunks, then finish, usage and [DONE]', async () => {
    const server = await start({
      script: [[{ text: 'hey', chunk: 1 }, { toolCall: { code: 'print(1)' }, chunk: 4 }, { usage: { prompt: 3, completion: 4 } }]],
    });
    const response = await post(server, {});
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const { payloads, done } = await events(response);
    expect(done).toBe(true);
    const deltas = payloads.filter((p) => p.choices.length > 0).map((p) => p.choices[0].delta);
    expect(deltas[0]).toEqual({ role: 'assistant', content: '' });
    expect(deltas.filter((d) => d.content).map((d) => d.content)).toEqual(['h', 'e', 'y']);
    const calls = deltas.filter((d) => d.tool_calls).map((d) => d.tool_calls[0]);
    expect(calls[0]).toEqual({ index: 0, id: 'call_0_0', type: 'function', function: { name: 'python', arguments: '' } });
    expect(
      calls
        .slice(1)
        .map((c) => c.function.arguments)
        .join(''),
    ).toBe('{"code":"print(1)"}');
    expect(calls.slice(1).every((c) => c.index === 0 && c.id === undefined)).toBe(true);
    const finish = payloads.find((p) => p.choices[0]?.finish_reason);
    expect(finish.choices[0].finish_reason).toBe('tool_calls');
    expect(payloads.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
  });

  it("sends a 'whole' tool call in one delta without an index", async () => {
    const server = await start({ script: [[{ toolCall: { code: 'x', id: 'c' }, chunk: 'whole' }]] });
    const { payloads } = await events(await post(server, {}));
    const calls = payloads.flatMap((p) => p.choices[0]?.delta?.tool_calls ?? []);
    expect(calls).toEqual([{ id: 'c', type: 'function', function: { name: 'python', arguments: '{"code":"x"}' } }]);
  });

  it('counts usage itself when the request asks for it and the script does not say', async () => {
    const server = await start({ script: [[{ text: 'abcdefgh' }], [{ text: 'abc' }]] });
    const asked = await events(await post(server, { stream_options: { include_usage: true } }));
    expect(asked.payloads.at(-1).usage.completion_tokens).toBe(2);
    const notAsked = await events(await post(server, {}));
    expect(notAsked.payloads.some((p) => p.usage)).toBe(false);
  });

  it('ends without finish_reason or [DONE] when told', async () => {
    const server = await start({ script: [[{ text: 'a' }, { finish: null }, { done: false }]] });
    const { payloads, done } = await events(await post(server, {}));
    expect(done).toBe(false);
    expect(payloads.some((p) => p.choices[0]?.finish_reason)).toBe(false);
  });

  it('answers error statuses with an OpenAI-style body and a short retry-after-ms', async () => {
    const server = await start({ script: [[{ status: 429 }], [{ status: 418, body: { error: { message: 'teapot' } }, headers: { 'x-test': '1' } }]] });
    const first = await post(server, {});
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after-ms')).toBe('10');
    expect((await json(first)).error.code).toBe('rate_limit_exceeded');
    const second = await post(server, {});
    expect(second.status).toBe(418);
    expect(second.headers.get('x-test')).toBe('1');
    expect(await json(second)).toEqual({ error: { message: 'teapot' } });
  });

  it('drops the connection mid tool call', async () => {
    const server = await start({ script: [[{ toolCall: { code: 'print("a long line")' }, chunk: 1, dropAfterChars: 5 }]] });
    const response = await post(server, {});
    await expect(response.text()).rejects.toThrow();
  });

  it('never answers a hanging turn', async () => {
    const server = await start({ script: [[{ hang: true }]] });
    const result = await Promise.race([
      post(server, {}, { signal: AbortSignal.timeout(200) }).then(
        () => 'answered',
        () => 'no answer',
      ),
      new Promise((r) => setTimeout(() => r('no answer'), 400)),
    ]);
    expect(result).toBe('no answer');
  });

  it('records requests, answers from a function, and refuses when the script is exhausted', async () => {
    const seen: number[] = [];
    const server = await start({
      script: (request, callIndex) => {
        seen.push(callIndex);
        const last = request.messages.at(-1);
        return [{ text: `echo ${callIndex}: ${typeof last?.content === 'string' ? last.content : ''}` }];
      },
    });
    const { payloads } = await events(await post(server, { messages: [{ role: 'tool', tool_call_id: 'c', content: 'out' }] }));
    expect(payloads.map((p) => p.choices[0]?.delta?.content ?? '').join('')).toBe('echo 0: out');
    await (await post(server, {})).text();
    expect(seen).toEqual([0, 1]);
    expect(server.requests.map((r) => r.messages.length)).toEqual([1, 0]);

    const queue = await startFakeOpenAI({ script: [] });
    try {
      queue.push([{ text: 'pushed' }]);
      expect(queue.pending()).toBe(1);
      expect((await post(queue, {})).status).toBe(200);
      const exhausted = await post(queue, {});
      expect(exhausted.status).toBe(400);
      expect((await json(exhausted)).error.message).toContain('no turn left');
    } finally {
      await queue.close();
    }
  });

  it('lists models, checks the API key when given one, and rejects stream_options when asked to', async () => {
    const server = await start({ models: ['a', 'b'], apiKey: 'sk-1', rejectStreamOptions: true, script: [[{ text: 'x' }]] });
    const models = await fetch(`${server.url}/models`, { headers: { authorization: 'Bearer sk-1' } });
    expect((await json(models)).data.map((m: { id: string }) => m.id)).toEqual(['a', 'b']);
    expect((await post(server, {})).status).toBe(401);
    const rejected = await post(server, { stream_options: { include_usage: true } }, { headers: { authorization: 'Bearer sk-1' } });
    expect(rejected.status).toBe(400);
    expect((await json(rejected)).error.message).toContain('stream_options');
    expect(server.pending()).toBe(1);
  });

  it('refuses requests with tools as Ollama and llama.cpp do, and serves the same script without them', async () => {
    const server = await start({ refuseTools: 'ollama', script: [[{ text: 'ok' }]] });
    const refused = await post(server, { tools: [{ type: 'function', function: { name: 'python' } }] });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.message).toMatch(/does not support tools$/);
    expect((await post(server, {})).status).toBe(200);
    const llama = await start({ refuseTools: 'llamacpp' });
    const r = await post(llama, { tools: [] });
    expect(r.status).toBe(500);
    expect((await json(r)).error.message).toBe('tools param requires --jinja flag');
  });

  it('dialect scripts write the cell each way, then answer once they saw a result', () => {
    const request = (last: ChatRequest['messages'][number], tools = true): ChatRequest =>
      ({ model: 'm', stream: true, messages: [{ role: 'user', content: 'go' }, last], ...(tools ? { tools: [] } : {}) }) as ChatRequest;
    const first = { role: 'user', content: 'go' } as const;
    const text = (turn: unknown): string => JSON.stringify(turn);
    expect(
      text(
        dialectScript(
          'tool-call-tag',
          () => 'x=1',
          () => 'done',
        )(request(first), 0),
      ),
    ).toContain('<tool_call>');
    expect(
      text(
        dialectScript(
          'no-tools',
          () => 'x=1',
          () => 'done',
        )(request(first), 0),
      ),
    ).toContain('does not support tools');
    expect(
      text(
        dialectScript(
          'no-tools',
          () => 'x=1',
          () => 'done',
        )(request(first, false), 0),
      ),
    ).toContain('```python');
    expect(
      dialectScript(
        'bare-json',
        () => 'x=1',
        (_u, r) => `saw ${r}`,
      )(request({ role: 'tool', tool_call_id: 'c', content: '42' }), 1),
    ).toEqual([{ text: 'saw 42' }]);
  });
});
