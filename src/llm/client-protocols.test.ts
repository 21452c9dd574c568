// The model client's protocols against the fake server: text mode, auto's fallback, calls written as text, <think>.
import { describe, expect, it } from 'vitest';
import type { ProtocolMemory } from './client.js';
import { ModelError, type ChatMessage, type ModelClient, type ModelEvent, type ToolProtocol } from './types.js';
import { bareJsonCall, fenced, thinking, toolCallTag } from '../../test/support/fake-openai.js';
import { ofType, fakeServerPerTest } from '../../test/support/model-client.js';

const setup = fakeServerPerTest({ maxRetries: 2, timeoutMs: 5000 });

const USER: ChatMessage[] = [
  { role: 'system', content: 'You are codecell.' },
  { role: 'user', content: 'hi' },
];

async function collect(client: ModelClient, messages: ChatMessage[] = USER): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  for await (const event of client.stream({ model: 'fake-model', messages })) events.push(event);
  return events;
}

const textOf = (events: ModelEvent[]): string =>
  ofType(events, 'text_delta')
    .map((e) => e.text)
    .join('');
const codeOf = (events: ModelEvent[]): string =>
  ofType(events, 'code_delta')
    .map((e) => e.text)
    .join('');
const reasoningOf = (events: ModelEvent[]): string =>
  ofType(events, 'reasoning_delta')
    .map((e) => e.text)
    .join('');
const finishOf = (events: ModelEvent[]) => ofType(events, 'finish')[0]!;

function memory(): ProtocolMemory & { saved: Map<string, ToolProtocol> } {
  const saved = new Map<string, ToolProtocol>();
  return { saved, get: (m) => saved.get(m), set: (m, p) => void saved.set(m, p) };
}

describe('text protocol', () => {
  it('sends no tools, streams the python block as a tool call, and ends the reply at its closing fence', async () => {
    const { server, client } = await setup(
      { script: [[{ text: fenced('print(6 * 7)') + 'It prints 41, I guess.\n', chunk: 3, delayMs: 2 }]] },
      { tools: 'text' },
    );
    const events = await collect(client);
    const request = server.requests[0]!;
    expect(request.tools).toBeUndefined();
    expect(request.messages[0]!.content).toContain('```python');
    expect(textOf(events)).toBe('Let me compute that.\n\n');
    expect(ofType(events, 'code_delta').length).toBeGreaterThan(1);
    expect(codeOf(events)).toBe('print(6 * 7)');
    const finish = finishOf(events);
    expect(finish.protocol).toBe('text');
    expect(finish.reason).toBe('tool_calls');
    expect(finish.toolCalls).toHaveLength(1);
    expect(finish.toolCalls[0]!.code).toBe('print(6 * 7)');
    // The invented result after the block is never read.
    expect(JSON.stringify(events)).not.toContain('41');
    // A reply cut at a block has no usage from the server: it is estimated.
    expect(ofType(events, 'usage')[0]!.usage.completionTokens).toBeGreaterThan(0);
  });

  it('does not run other languages or examples, and a reply without a python block is the answer', async () => {
    const text = 'In bash:\n```bash\nls\n```\nFor example:\n```python example\nprint(1)\n```\nDone.';
    const { client } = await setup({ script: [[{ text, chunk: 4 }]] }, { tools: 'text' });
    const events = await collect(client);
    expect(textOf(events)).toBe(text);
    expect(finishOf(events).toolCalls).toEqual([]);
    expect(ofType(events, 'tool_call_start')).toEqual([]);
  });

  it('sends earlier tool calls and results as python blocks and a delimited output message', async () => {
    const { server, client } = await setup({ script: [[{ text: 'Forty-two.' }]] }, { tools: 'text' });
    const history: ChatMessage[] = [
      ...USER,
      {
        role: 'assistant',
        content: 'Computing.',
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'python', arguments: JSON.stringify({ code: 'print(6*7)' }) } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: '42' },
    ];
    await collect(client, history);
    const sent = server.requests[0]!.messages;
    expect(sent.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(sent[2]!.content).toBe('Computing.\n\n```python\nprint(6*7)\n```');
    expect(sent[3]!.content).toContain('<python-output>\n42\n</python-output>');
    expect(JSON.stringify(sent)).not.toContain('tool_call');
  });

  it('runs a block left open by a normal end, but not one cut by the token limit', async () => {
    const { client } = await setup({ script: [[{ text: '```python\nprint(1)' }], [{ text: '```python\nprint(2)' }, { finish: 'length' }]] }, { tools: 'text' });
    const open = finishOf(await collect(client));
    expect(open.toolCalls[0]!.code).toBe('print(1)');
    const cut = finishOf(await collect(client));
    expect(cut.toolCalls[0]!.code).toBeUndefined();
    expect(cut.toolCalls[0]!.problem).toMatch(/token limit/);
  });
});

describe('auto mode', () => {
  for (const server of ['ollama', 'llamacpp', 'vllm'] as const) {
    it(`switches to the text protocol when the server refuses tools (${server}), says so once, and remembers`, async () => {
      const mem = memory();
      const { server: fakeServer, client } = await setup(
        { refuseTools: server, script: [[{ text: fenced('print(1)') }], [{ text: 'The answer.' }]] },
        { tools: 'auto', memory: mem },
      );
      expect(client.protocolFor?.('fake-model')).toBe('native');
      const first = await collect(client);
      expect(ofType(first, 'protocol_switch')).toHaveLength(1);
      expect(ofType(first, 'protocol_switch')[0]!.reason).toMatch(/tool/);
      expect(finishOf(first).toolCalls[0]!.code).toBe('print(1)');
      expect(mem.saved.get('fake-model')).toBe('text');
      const second = await collect(client);
      expect(ofType(second, 'protocol_switch')).toEqual([]);
      expect(textOf(second)).toBe('The answer.');
      const withTools = fakeServer.requests.filter((r) => r.tools).length;
      expect(fakeServer.requests.at(-1)!.tools).toBeUndefined();
      // Only the first request (and the SDK's retries of a 500) offered tools.
      expect(withTools).toBeGreaterThanOrEqual(1);
      expect(fakeServer.requests.length - withTools).toBe(2);
    });
  }

  it('starts in text mode for a model it remembers', async () => {
    const mem = memory();
    mem.saved.set('fake-model', 'text');
    const { server, client } = await setup({ script: [[{ text: 'Hi.' }]] }, { tools: 'auto', memory: mem });
    expect(client.protocolFor?.('fake-model')).toBe('text');
    await collect(client);
    expect(server.requests[0]!.tools).toBeUndefined();
  });

  it('--tools native does not switch: the error names the fix', async () => {
    const { client } = await setup({ refuseTools: 'ollama' }, { tools: 'native' });
    const error = await collect(client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).message).toMatch(/cannot call tools/);
    expect((error as ModelError).fix).toMatch(/--tools text/);
  });
});

describe('native mode: tool calls written as text', () => {
  const code = 'x = {"a": 1}\nprint(x["a"] + 41)';
  for (const [name, text] of [
    ['<tool_call> tags', `I will run it.\n${toolCallTag(code)}`],
    ['a bare JSON object', bareJsonCall(code)],
  ] as const) {
    it(`runs ${name} as a python call and keeps it out of the answer`, async () => {
      const { client } = await setup({ script: [[{ text, chunk: 3 }]] });
      const events = await collect(client);
      expect(textOf(events)).not.toMatch(/tool_call|"name"|\{|<tool/);
      expect(codeOf(events)).toBe(code);
      expect(ofType(events, 'code_delta').length).toBeGreaterThan(1);
      const finish = finishOf(events);
      expect(finish.toolCalls.map((c) => c.code)).toEqual([code]);
      expect(finish.reason).toBe('tool_calls');
    });
  }

  it('never shows part of a tag before it is recognised', async () => {
    const { client } = await setup({ script: [[{ text: `Sure.\n${toolCallTag('print(1)')}`, chunk: 1 }]] });
    const events = await collect(client);
    for (const e of ofType(events, 'text_delta')) expect(e.text).not.toContain('<');
  });

  it('leaves JSON that is not a call, and fenced python, as the answer (never run)', async () => {
    const answer = '{"total": 42, "unit": "items"}';
    const { client } = await setup({ script: [[{ text: answer, chunk: 4 }], [{ text: fenced('print(1)'), chunk: 4 }]] });
    const first = await collect(client);
    expect(textOf(first)).toBe(answer);
    expect(finishOf(first).toolCalls).toEqual([]);
    const second = await collect(client);
    expect(textOf(second)).toBe(fenced('print(1)'));
    expect(finishOf(second).toolCalls).toEqual([]);
  });
});

describe('reasoning', () => {
  it('takes <think> out of the content as reasoning, in both protocols', async () => {
    const { client } = await setup({ script: [[{ text: thinking('6*7 is 42.', 'It is 42.'), chunk: 3 }]] });
    const events = await collect(client);
    expect(reasoningOf(events)).toBe('6*7 is 42.\n');
    expect(textOf(events)).toBe('It is 42.');
    expect(finishOf(events).text).toBe('It is 42.');
  });

  it('takes the reasoning out of the answer when only </think> is in the content (the template opened it)', async () => {
    const { client } = await setup({ script: [[{ text: 'Okay, 6*7 is 42.\n</think>\n\nIt is 42.', chunk: 5 }]] });
    const events = await collect(client);
    expect(finishOf(events).text).toBe('It is 42.');
    expect(reasoningOf(events)).toBe('Okay, 6*7 is 42.');
  });

  it('keeps <think> out of a text-mode block and answer', async () => {
    const { client } = await setup({ script: [[{ text: thinking('Need code.', fenced('print(1)')), chunk: 2 }]] }, { tools: 'text' });
    const events = await collect(client);
    expect(reasoningOf(events)).toContain('Need code.');
    expect(textOf(events)).toBe('Let me compute that.\n\n');
    expect(finishOf(events).toolCalls[0]!.code).toBe('print(1)');
  });
});
