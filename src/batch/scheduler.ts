// Spreads tasks over engines, each with its own number of slots; a task whose engine fails moves to another.
import { EngineFailure } from './run-task.js';
import type { TaskResult } from './results.js';
import type { Task } from './tasks.js';

export interface SchedulerEngine {
  url: string;
  concurrency: number;
  /**
   * Told how many more sandboxes its tasks may still ask for (a task it has just taken counts, its
   * sandbox is not acquired yet), so it warms no more than needed.
   */
  expect?: (remaining: number) => void;
}

export interface Attempt {
  task: Task;
  attempt: number;
  /** USD left of the global budget when the task starts (undefined: no global budget). */
  budgetLeft?: number;
}

export interface SchedulerEvents {
  started?: (task: Task, engine: string, attempt: number) => void;
  finished?: (result: TaskResult) => void;
  /** The task's engine failed; it goes back in the queue for another engine. */
  retrying?: (task: Task, engine: string, reason: string) => void;
  engineDown?: (engine: string, reason: string) => void;
}

export interface ScheduleOptions<E extends SchedulerEngine> {
  tasks: Task[];
  engines: E[];
  /** Runs one attempt; throws EngineFailure when the engine (not the task) failed. */
  run: (attempt: Attempt, engine: E) => Promise<TaskResult>;
  /** Called for every final result, before the next task is scheduled on that slot (append it durably here). */
  record: (result: TaskResult) => void;
  failFast?: boolean;
  /** Global USD limit: once spent, nothing new starts. */
  budgetUsd?: number;
  /** Stops scheduling (Ctrl-C); running tasks see the same signal through `run`. */
  signal?: AbortSignal;
  /** Consecutive engine failures that take an engine out of the batch (default 2). */
  maxEngineFailures?: number;
  events?: SchedulerEvents;
}

export type StopReason = 'fail_fast' | 'budget' | 'no_engine' | 'interrupted';

export interface ScheduleOutcome {
  results: TaskResult[];
  /** Tasks never finished: not started, or out of engines to try. */
  notRun: Task[];
  stopped?: StopReason;
  spentUsd: number;
  downEngines: { url: string; reason: string }[];
}

interface Item {
  task: Task;
  attempt: number;
  tried: Set<string>;
}

export async function schedule<E extends SchedulerEngine>(options: ScheduleOptions<E>): Promise<ScheduleOutcome> {
  const { engines, events = {} } = options;
  const maxAttempts = Math.min(4, engines.length + 1);
  const maxFailures = options.maxEngineFailures ?? 2;
  const queue: Item[] = options.tasks.map((task) => ({ task, attempt: 0, tried: new Set<string>() }));
  const results: TaskResult[] = [];
  const down = new Map<string, string>();
  const failures = new Map<string, number>();
  let spent = 0;
  let running = 0;
  let stopped: StopReason | undefined;
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const notify = (): void => {
    const w = wake;
    changed = new Promise<void>((resolve) => (wake = resolve));
    w();
  };
  options.signal?.addEventListener('abort', () => {
    stopped ??= 'interrupted';
    notify();
  });
  if (options.signal?.aborted) stopped = 'interrupted';

  const healthy = (): E[] => engines.filter((e) => !down.has(e.url));
  /** `taker` has just taken a task whose sandbox it is about to acquire. */
  const tellPools = (taker?: E): void => {
    for (const e of engines) e.expect?.(down.has(e.url) || stopped ? 0 : queue.length + (e === taker ? 1 : 0));
  };

  /** The first queued task this engine may take: one it has not failed on, unless every healthy engine has. */
  const take = (engine: E): Item | undefined => {
    const alive = healthy().map((e) => e.url);
    const index = queue.findIndex((item) => !item.tried.has(engine.url) || alive.every((url) => item.tried.has(url)));
    if (index < 0) return undefined;
    return queue.splice(index, 1)[0];
  };

  const worker = async (engine: E): Promise<void> => {
    for (;;) {
      if (stopped || down.has(engine.url)) return;
      const item = take(engine);
      if (!item) {
        // Nothing for this engine now; a running task elsewhere may still come back for a retry.
        if (queue.length === 0 && running === 0) return;
        await changed;
        continue;
      }
      tellPools(engine);
      item.attempt += 1;
      running += 1;
      events.started?.(item.task, engine.url, item.attempt);
      try {
        const budgetLeft = options.budgetUsd !== undefined ? Math.max(0, options.budgetUsd - spent) : undefined;
        const result = await options.run({ task: item.task, attempt: item.attempt, ...(budgetLeft !== undefined ? { budgetLeft } : {}) }, engine);
        failures.set(engine.url, 0);
        finish(result);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        if (!(err instanceof EngineFailure)) {
          // A bug or a local problem (disk full): the task fails, the engine is not blamed.
          finish(errorResult(item, engine.url, reason));
        } else {
          const count = (failures.get(engine.url) ?? 0) + 1;
          failures.set(engine.url, count);
          if (count >= maxFailures && !down.has(engine.url)) {
            down.set(engine.url, reason);
            events.engineDown?.(engine.url, reason);
            tellPools();
          }
          item.tried.add(engine.url);
          if (item.attempt < maxAttempts && healthy().length > 0) {
            events.retrying?.(item.task, engine.url, reason);
            queue.unshift(item);
          } else {
            finish(errorResult(item, engine.url, `no engine could run the task: ${reason}`));
          }
        }
      } finally {
        running -= 1;
        notify();
      }
    }
  };

  const finish = (result: TaskResult): void => {
    options.record(result);
    results.push(result);
    spent += result.cost_usd ?? 0;
    events.finished?.(result);
    if (options.failFast && result.status !== 'ok') stopped ??= 'fail_fast';
    if (options.budgetUsd !== undefined && spent >= options.budgetUsd) stopped ??= 'budget';
  };

  tellPools();
  await Promise.all(engines.flatMap((engine) => Array.from({ length: Math.max(1, engine.concurrency) }, () => worker(engine))));
  if (!stopped && queue.length > 0 && healthy().length === 0) stopped = 'no_engine';
  tellPools();
  return {
    results,
    notRun: queue.map((i) => i.task),
    ...(stopped ? { stopped } : {}),
    spentUsd: spent,
    downEngines: [...down].map(([url, reason]) => ({ url, reason })),
  };
}

function errorResult(item: Item, engine: string, error: string): TaskResult {
  const now = new Date().toISOString();
  return {
    id: item.task.id,
    status: 'error',
    answer: '',
    files: [],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    cost_usd: null,
    timings: { model_ms: 0, code_ms: 0, sandbox_ms: 0, total_ms: 0 },
    error,
    model: item.task.model ?? '',
    engine,
    attempts: item.attempt,
    started_at: now,
    finished_at: now,
  };
}
