import { describe, expect, it } from 'vitest';
import { outputMessage, TextProtocolStream, TEXT_PROTOCOL_PROMPT, toTextMessages } from './text-protocol.js';
import type { ChatMessage, ModelEvent } from './types.js';

const call = (id: string, code: string) => ({ id, type: 'function' as const, function: { name: 'python', arguments: JSON.stringify({ code }) } });

describe('toTextMessages', () => {
  it('adds the protocol to the system prompt, turns calls into blocks and results into one output message', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are codecell.' },
      { role: 'user', content: 'two cells' },
      { role: 'assistant', content: null, tool_calls: [call('a', 'x = 1'), call('b', 'print(x)')] },
      { role: 'tool', tool_call_id: 'a', content: '[no output]' },
      { role: 'tool', tool_call_id: 'b', content: '1' },
      { role: 'user', content: 'and now?' },
    ];
    const out = toTextMessages(messages);
    expect(out.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(out[0]!.content).toBe(`You are codecell.\n\n${TEXT_PROTOCOL_PROMPT}`);
    expect(out[2]!.content).toBe('```python\nx = 1\n```\n\n```python\nprint(x)\n```');
    // The results and the next prompt merge into one user message: strict templates want turns to alternate.
    expect(out[3]!.content).toBe(`${outputMessage(['[no output]', '1'])}\n\nand now?`);
    expect(String(out[3]!.content)).toMatch(/^<python-output>\n\[no output\]\n<\/python-output>\n<python-output>\n1\n<\/python-output>\n/);
  });

  it('leaves the original conversation untouched', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'a' },
      { role: 'user', content: 'b' },
    ];
    const copy = structuredClone(messages);
    toTextMessages(messages);
    expect(messages).toEqual(copy);
  });
});

describe('TextProtocolStream', () => {
  it('ignores everything after the first closed block in the same piece', () => {
    const s = new TextProtocolStream();
    const events: ModelEvent[] = s.push('Hi\n```python\nprint(1)\n```\nIt printed 2.\n```python\nprint(3)\n```\n');
    expect(s.stopped).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['text_delta', 'tool_call_start', 'code_delta', 'tool_call_end']);
    expect(s.push('more')).toEqual([]);
    expect(s.end().calls.map((c) => c.code)).toEqual(['print(1)']);
  });
});
