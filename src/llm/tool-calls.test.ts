// Tool-call assembly from the fragment shapes real servers send, and partial decoding of the code.
import { describe, expect, it } from 'vitest';
import { finalCode, partialCode, ToolCallStream, type ToolCallFragment } from './tool-calls.js';
import type { ModelEvent } from './types.js';

function run(fragments: ToolCallFragment[][]): { events: ModelEvent[]; calls: ReturnType<ToolCallStream['finish']>['calls'] } {
  const stream = new ToolCallStream();
  const events: ModelEvent[] = [];
  for (const group of fragments) events.push(...stream.add(group));
  const finished = stream.finish();
  return { events: [...events, ...finished.events], calls: finished.calls };
}

const codeOf = (events: ModelEvent[], index = 0): string => events.map((e) => (e.type === 'code_delta' && e.index === index ? e.text : '')).join('');

describe('ToolCallStream', () => {
  it('separates calls that a server numbers 0 but gives new ids', () => {
    const { calls, events } = run([
      [{ index: 0, id: 'a', function: { name: 'python', arguments: '{"code":"x=1"}' } }],
      [{ index: 0, id: 'b', function: { name: 'python', arguments: '' } }],
      [{ index: 0, function: { arguments: '{"code":"x"}' } }],
    ]);
    expect(calls.map((c) => [c.id, c.code])).toEqual([
      ['a', 'x=1'],
      ['b', 'x'],
    ]);
    expect(codeOf(events, 1)).toBe('x');
  });

  it('makes up one stable id when the server sends none', () => {
    const { calls, events } = run([[{ index: 0, function: { name: 'python', arguments: '{"co' } }], [{ index: 0, function: { arguments: 'de":"1+1"}' } }]]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.id).toMatch(/^call_/);
    const ids = new Set(
      events.flatMap((e) => (e.type === 'tool_call_start' || e.type === 'code_delta' ? [e.id] : e.type === 'tool_call_end' ? [e.call.id] : [])),
    );
    expect([...ids]).toEqual([calls[0]!.id]);
  });

  it('takes an id that arrives after the first fragment, before the call was announced', () => {
    const { calls } = run([[{ index: 0, function: { arguments: '{"code":' } }], [{ index: 0, id: 'late', function: { name: 'python', arguments: '"2"}' } }]]);
    expect(calls).toEqual([{ id: 'late', name: 'python', arguments: '{"code":"2"}', code: '2' }]);
  });

  it('does not double a name repeated in every fragment', () => {
    const { calls } = run([
      [{ index: 0, id: 'a', function: { name: 'python', arguments: '{"code":' } }],
      [{ index: 0, id: 'a', function: { name: 'python', arguments: '"y"}' } }],
    ]);
    expect(calls[0]!.name).toBe('python');
    expect(calls[0]!.code).toBe('y');
  });

  it('treats a call without a name as python and announces it at the end', () => {
    const { calls, events } = run([[{ function: { arguments: '{"code":"z"}' } }]]);
    expect(calls[0]).toMatchObject({ name: 'python', code: 'z' });
    expect(events.map((e) => e.type)).toEqual(['tool_call_start', 'code_delta', 'tool_call_end']);
  });

  it('accepts arguments sent as an object', () => {
    const { calls } = run([[{ id: 'o', function: { name: 'python', arguments: { code: 'print(3)' } } }]]);
    expect(calls[0]).toMatchObject({ code: 'print(3)', arguments: '{"code":"print(3)"}' });
  });

  it('emits no code and no deltas for another tool', () => {
    const { calls, events } = run([[{ id: 'w', function: { name: 'web', arguments: '{"code":"q"}' } }]]);
    expect(codeOf(events)).toBe('');
    expect(calls[0]!.code).toBeUndefined();
  });

  it('adds up exactly for a large cell, where partial parses are rate-limited', () => {
    const code = 'values = [i * 2 for i in range(100)]  # caf\u00e9 "x"\n'.repeat(400);
    const args = JSON.stringify({ code });
    const { events, calls } = run([...args].map((c) => [{ index: 0, id: 'big', function: { name: 'python', arguments: c } }]));
    expect(codeOf(events)).toBe(code);
    expect(calls[0]!.code).toBe(code);
  });

  it('keeps trailing spaces that partial parsing trims until the end', () => {
    const args = JSON.stringify({ code: 'x = 1   \n   ' });
    const { events } = run([...args].map((c) => [{ index: 0, id: 's', function: { name: 'python', arguments: c } }]));
    expect(codeOf(events)).toBe('x = 1   \n   ');
  });
});

describe('partialCode and finalCode', () => {
  it('never shows half an escape', () => {
    expect(partialCode('{"code": "a\\')).toBe('a');
    expect(partialCode('{"code": "a\\u00')).toBe('a');
    expect(partialCode('{"code": "a\\u00e9')).toBe('aé');
    expect(partialCode('{"code": "a\\\\')).toBe('a\\');
    expect(partialCode('{"code": "a\\n')).toBe('a\n');
    expect(partialCode('{"co')).toBeUndefined();
    expect(partialCode('   ')).toBeUndefined();
  });

  it('streams raw code as it is', () => {
    expect(partialCode('print(1')).toBe('print(1');
    expect(finalCode('print(1)')).toBe('print(1)');
  });

  it('reads double-encoded and bare-string arguments', () => {
    expect(finalCode(JSON.stringify(JSON.stringify({ code: 'a = 2' })))).toBe('a = 2');
    expect(finalCode(JSON.stringify('b = 3'))).toBe('b = 3');
  });

  it('refuses broken or code-less JSON', () => {
    expect(finalCode('{"code": "print(1)"')).toBeUndefined();
    expect(finalCode('{"script": "print(1)"}')).toBeUndefined();
    expect(finalCode('')).toBeUndefined();
  });
});
