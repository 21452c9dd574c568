// The live state of a batch (counts, rate, ETA, each running task's last line) that the progress views draw.
import type { TaskResult } from './results.js';

export interface RunningTask {
  id: string;
  engine: string;
  attempt: number;
  startedAt: number;
  lastLine: string;
}

export interface ProgressSnapshot {
  total: number;
  /** Skipped because an earlier run finished them ok (--resume). */
  skipped: number;
  done: number;
  failed: number;
  running: RunningTask[];
  /** Finished tasks per minute since the batch started. */
  ratePerMin: number;
  /** Milliseconds until every task is done at the current rate; undefined before the first finishes. */
  etaMs?: number;
  elapsedMs: number;
  /** The clock reading the snapshot was taken at (running tasks' ages are measured against it). */
  now: number;
  spentUsd: number;
  notes: string[];
}

type Listener = () => void;

/** Collects scheduler events; views read snapshot() when told something changed. */
export class BatchProgress {
  private readonly started: number;
  private readonly running = new Map<string, RunningTask>();
  private readonly listeners = new Set<Listener>();
  private readonly notes: string[] = [];
  private done = 0;
  private failed = 0;
  private spent = 0;

  constructor(
    private readonly total: number,
    private readonly skipped = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(id: string, engine: string, attempt: number): void {
    this.running.set(id, { id, engine, attempt, startedAt: this.now(), lastLine: '' });
    this.emit();
  }

  line(id: string, text: string): void {
    const task = this.running.get(id);
    if (!task) return;
    task.lastLine = text;
    this.emit();
  }

  finished(result: TaskResult): void {
    this.running.delete(result.id);
    this.done += 1;
    if (result.status !== 'ok') this.failed += 1;
    this.spent += result.cost_usd ?? 0;
    this.emit();
  }

  retrying(id: string): void {
    this.running.delete(id);
    this.emit();
  }

  note(text: string): void {
    this.notes.push(text);
    this.emit();
  }

  snapshot(): ProgressSnapshot {
    const now = this.now();
    const elapsedMs = Math.max(1, now - this.started);
    const ratePerMin = (this.done / elapsedMs) * 60_000;
    const left = this.total - this.skipped - this.done;
    return {
      total: this.total,
      skipped: this.skipped,
      done: this.done,
      failed: this.failed,
      running: [...this.running.values()],
      ratePerMin,
      ...(this.done > 0 ? { etaMs: (left / this.done) * elapsedMs } : {}),
      elapsedMs,
      now,
      spentUsd: this.spent,
      notes: [...this.notes],
    };
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
