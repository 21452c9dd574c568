import { describe, expect, it } from 'vitest';
import { jsonObjectEnd, TextToolCalls } from './text-tool-calls.js';
import type { ModelEvent } from './types.js';

function run(
  text: string,
  size: number,
  truncated = false,
): { events: ModelEvent[]; text: string; code: string; calls: ReturnType<TextToolCalls['end']>['calls'] } {
  const t = new TextToolCalls();
  const events: ModelEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push(...t.push(text.slice(i, i + size)));
  const end = t.end({ truncated });
  events.push(...end.events);
  return {
    events,
    text: events.map((e) => (e.type === 'text_delta' ? e.text : '')).join(''),
    code: events.map((e) => (e.type === 'code_delta' ? e.text : '')).join(''),
    calls: end.calls,
  };
}

const call = (code: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ name: 'python', arguments: { code }, ...extra });

describe('TextToolCalls', () => {
  for (const size of [1, 5, 1000]) {
    it(`cuts a <tool_call> out of the text and streams its code (pieces of ${size})`, () => {
      const r = run(`Running it.\n<tool_call>\n${call('print("</tool")')}\n</tool_call>\nThen more.`, size);
      expect(r.text).toBe('Running it.\nThen more.');
      expect(r.code).toBe('print("</tool")');
      expect(r.calls.map((c) => [c.name, c.code])).toEqual([['python', 'print("</tool")']]);
    });
  }

  it('reads Llama-style parameters and JSON-string arguments', () => {
    expect(run(JSON.stringify({ name: 'python', parameters: { code: 'a = 1' } }), 3).calls[0]!.code).toBe('a = 1');
    expect(run(JSON.stringify({ name: 'python', arguments: JSON.stringify({ code: 'b = 2' }) }), 3).calls[0]!.code).toBe('b = 2');
  });

  it('finds a call object on its own line after prose', () => {
    const r = run(`First I load the data.\n${call('import pandas')}`, 4);
    expect(r.text).toBe('First I load the data.\n');
    expect(r.calls[0]!.code).toBe('import pandas');
  });

  it('leaves JSON that names another tool, or no tool, as text, unless it is in a tag', () => {
    const other = JSON.stringify({ name: 'search', arguments: { q: 'x' } });
    expect(run(other, 3)).toMatchObject({ text: other, calls: [] });
    expect(run('Result: {"a": 1}', 2)).toMatchObject({ text: 'Result: {"a": 1}', calls: [] });
    const tagged = run(`<tool_call>${other}</tool_call>`, 3);
    expect(tagged.calls.map((c) => c.name)).toEqual(['search']);
  });

  it('does not run broken JSON or a call cut by the token limit, and says why', () => {
    const broken = run('<tool_call>{"name": "python", "arguments": {"code": "print(1)"</tool_call>', 4);
    expect(broken.calls[0]!.code).toBeUndefined();
    expect(broken.calls[0]!.problem).toMatch(/not valid JSON/);
    const cut = run('<tool_call>{"name": "python", "arguments": {"code": "print(', 4, true);
    expect(cut.calls[0]!.code).toBeUndefined();
    expect(cut.calls[0]!.problem).toMatch(/cut off/);
  });

  it('never runs a call shown inside a fenced block of the answer', () => {
    const text = `The format is:\n\`\`\`json\n${call('print(1)')}\n\`\`\`\nThat is all.`;
    for (const size of [1, 7, 1000]) expect(run(text, size)).toMatchObject({ text, calls: [] });
  });

  it('releases a held prefix that was not a tag', () => {
    expect(run('a < b and <tool', 1)).toMatchObject({ text: 'a < b and <tool', calls: [] });
  });

  it('finds where a JSON object ends, ignoring braces in strings', () => {
    expect(jsonObjectEnd('{"a": "}{", "b": {"c": [1, {}]}} tail')).toBe(32);
    expect(jsonObjectEnd('{"a": "\\"}"')).toBe(-1);
  });
});
