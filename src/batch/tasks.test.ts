import { describe, expect, it } from 'vitest';
import { TaskFileError, derivedId, detectFormat, parseTasks } from './tasks.js';

describe('parseTasks', () => {
  it('reads JSONL with every field and resolves files against the base folder', () => {
    const tasks = parseTasks('{"id":"a","prompt":"p1","files":["data.csv"],"model":"m","timeout":30,"max_turns":3,"budget":0.5}\n\n{"prompt":"p2"}\n', {
      baseDir: '/base',
      name: 't.jsonl',
    });
    expect(tasks).toHaveLength(2);
    expect(tasks[0]).toEqual({ id: 'a', prompt: 'p1', files: ['/base/data.csv'], model: 'm', timeout: 30, maxTurns: 3, budget: 0.5, line: 1 });
    expect(tasks[1]!.line).toBe(3);
    expect(tasks[1]!.id).toBe(derivedId('p2', [], undefined));
  });

  it('derives ids that do not move when lines are reordered, and numbers repeats', () => {
    const a = parseTasks('first\nsecond\nfirst\n', { baseDir: '/', format: 'text' });
    const b = parseTasks('second\nfirst\nfirst\n', { baseDir: '/', format: 'text' });
    expect(a.map((t) => t.id).sort()).toEqual(b.map((t) => t.id).sort());
    expect(a[0]!.id).toMatch(/^t-[0-9a-f]{10}$/);
    expect(a[2]!.id).toBe(`${a[0]!.id}-2`);
    expect(new Set(a.map((t) => t.id)).size).toBe(3);
  });

  it('gives the same derived id to the same prompt with different files a different id', () => {
    const [x] = parseTasks('{"prompt":"p","files":["a.csv"]}', { baseDir: '/' });
    const [y] = parseTasks('{"prompt":"p","files":["b.csv"]}', { baseDir: '/' });
    expect(x!.id).not.toBe(y!.id);
  });

  it('sniffs the format from the first line when the name does not say', () => {
    expect(detectFormat('{"prompt":"x"}\n')).toBe('jsonl');
    expect(detectFormat('what is 2+2?\n')).toBe('text');
    expect(detectFormat('{"prompt":"x"}', 'tasks.txt')).toBe('text');
  });

  it('lists every bad line with its number', () => {
    let error: TaskFileError | undefined;
    try {
      parseTasks('{"prompt":"ok"}\nnot json\n{"prompt":""}\n{"id":"../x","prompt":"p"}\n{"prompt":"p","max_turns":0}\n', { baseDir: '/', format: 'jsonl' });
    } catch (err) {
      error = err as TaskFileError;
    }
    expect(error).toBeInstanceOf(TaskFileError);
    expect(error!.problems.map((p) => p.split(':')[0])).toEqual(['line 2', 'line 3', 'line 4', 'line 5']);
    expect(error!.problems[2]).toMatch(/names a folder/);
  });

  it('refuses duplicate explicit ids and empty input', () => {
    expect(() => parseTasks('{"id":"a","prompt":"x"}\n{"id":"a","prompt":"y"}', { baseDir: '/' })).toThrow(/already used on line 1/);
    expect(() => parseTasks('\n  \n', { baseDir: '/' })).toThrow(/no tasks/);
  });

  it('keeps numeric ids as strings and ignores extra fields', () => {
    const [t] = parseTasks('{"id":7,"prompt":"x","expected":"42"}', { baseDir: '/' });
    expect(t!.id).toBe('7');
  });
});
