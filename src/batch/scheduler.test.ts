import { describe, expect, it } from 'vitest';
import { EngineFailure } from './run-task.js';
import type { TaskResult } from './results.js';
import { schedule, type Attempt, type SchedulerEngine } from './scheduler.js';
import type { Task } from './tasks.js';

const tasks = (n: number): Task[] => Array.from({ length: n }, (_, i) => ({ id: `t${i}`, prompt: `p${i}`, files: [], line: i + 1 }));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ok(attempt: Attempt, engine: string, fields: Partial<TaskResult> = {}): TaskResult {
  return {
    id: attempt.task.id,
    status: 'ok',
    answer: '',
    files: [],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    cost_usd: null,
    timings: { model_ms: 0, code_ms: 0, sandbox_ms: 0, total_ms: 0 },
    error: null,
    model: 'm',
    engine,
    attempts: attempt.attempt,
    started_at: '',
    finished_at: '',
    ...fields,
  };
}

describe('schedule', () => {
  it("never runs more than each engine's concurrency at once and runs every task once", async () => {
    const engines: SchedulerEngine[] = [
      { url: 'a', concurrency: 2 },
      { url: 'b', concurrency: 1 },
    ];
    const now = new Map<string, number>();
    const peak = new Map<string, number>();
    const recorded: string[] = [];
    const outcome = await schedule({
      tasks: tasks(9),
      engines,
      record: (r) => recorded.push(r.id),
      run: async (attempt, engine) => {
        now.set(engine.url, (now.get(engine.url) ?? 0) + 1);
        peak.set(engine.url, Math.max(peak.get(engine.url) ?? 0, now.get(engine.url)!));
        await sleep(15);
        now.set(engine.url, now.get(engine.url)! - 1);
        return ok(attempt, engine.url);
      },
    });
    expect(recorded.sort()).toEqual(
      tasks(9)
        .map((t) => t.id)
        .sort(),
    );
    expect(peak.get('a')).toBe(2);
    expect(peak.get('b')).toBe(1);
    expect(outcome.notRun).toEqual([]);
    expect(outcome.stopped).toBeUndefined();
  });

  it('retries a task whose engine failed on another engine and takes a failing engine out', async () => {
    const engines: SchedulerEngine[] = [
      { url: 'dead', concurrency: 1 },
      { url: 'good', concurrency: 1 },
    ];
    const down: string[] = [];
    const retried: string[] = [];
    const outcome = await schedule({
      tasks: tasks(4),
      engines,
      record: () => undefined,
      events: { engineDown: (url) => down.push(url), retrying: (task) => retried.push(task.id) },
      run: async (attempt, engine) => {
        await sleep(5);
        if (engine.url === 'dead') throw new EngineFailure('dead', 'connect ECONNREFUSED');
        return ok(attempt, engine.url);
      },
    });
    expect(outcome.results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(outcome.results.every((r) => r.engine === 'good')).toBe(true);
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(outcome.results.filter((r) => r.attempts === 2).length).toBe(retried.length);
    expect(down).toEqual(['dead']);
    expect(outcome.downEngines.map((d) => d.url)).toEqual(['dead']);
  });

  it('gives up with an error result when every engine fails', async () => {
    const outcome = await schedule({
      tasks: tasks(2),
      engines: [{ url: 'x', concurrency: 1 }],
      record: () => undefined,
      run: async () => {
        throw new EngineFailure('x', 'gone');
      },
    });
    expect(outcome.results[0]).toMatchObject({ status: 'error', error: expect.stringMatching(/no engine could run the task: gone/) });
    expect(outcome.stopped).toBe('no_engine');
    expect(outcome.notRun.map((t) => t.id)).toEqual(['t1']);
  });

  it('--fail-fast starts nothing after the first failure', async () => {
    const started: string[] = [];
    const outcome = await schedule({
      tasks: tasks(6),
      engines: [{ url: 'a', concurrency: 1 }],
      failFast: true,
      record: () => undefined,
      run: async (attempt, engine) => {
        started.push(attempt.task.id);
        return ok(attempt, engine.url, attempt.task.id === 't1' ? { status: 'error', error: 'boom' } : {});
      },
    });
    expect(started).toEqual(['t0', 't1']);
    expect(outcome.stopped).toBe('fail_fast');
    expect(outcome.notRun).toHaveLength(4);
  });

  it('stops at the global budget and tells each task what is left', async () => {
    const left: (number | undefined)[] = [];
    const outcome = await schedule({
      tasks: tasks(5),
      engines: [{ url: 'a', concurrency: 1 }],
      budgetUsd: 0.25,
      record: () => undefined,
      run: async (attempt, engine) => {
        left.push(attempt.budgetLeft);
        return ok(attempt, engine.url, { cost_usd: 0.1 });
      },
    });
    expect(left.map((v) => Number(v!.toFixed(2)))).toEqual([0.25, 0.15, 0.05]);
    expect(outcome.stopped).toBe('budget');
    expect(outcome.notRun).toHaveLength(2);
    expect(outcome.spentUsd).toBeCloseTo(0.3);
  });

  it('an abort stops scheduling', async () => {
    const controller = new AbortController();
    const outcome = await schedule({
      tasks: tasks(5),
      engines: [{ url: 'a', concurrency: 1 }],
      signal: controller.signal,
      record: () => undefined,
      run: async (attempt, engine) => {
        if (attempt.task.id === 't1') controller.abort();
        return ok(attempt, engine.url);
      },
    });
    expect(outcome.results).toHaveLength(2);
    expect(outcome.stopped).toBe('interrupted');
  });

  it('tells the pools how many tasks are left, and 0 at the end', async () => {
    const seen: number[] = [];
    await schedule({
      tasks: tasks(3),
      engines: [{ url: 'a', concurrency: 1, expect: (n) => seen.push(n) }],
      record: () => undefined,
      run: async (attempt, engine) => ok(attempt, engine.url),
    });
    expect(seen[0]).toBe(3);
    expect(seen).toContain(0);
    expect(Math.min(...seen)).toBe(0);
    // Each task, once taken, still counts until its sandbox is acquired: the last one's too.
    expect(seen.slice(1, 4)).toEqual([3, 2, 1]);
  });
});
