// DIR/results.jsonl: one line per finished task, appended and fsynced before the next, so a kill loses nothing finished.
import fs from 'node:fs';
import path from 'node:path';
import type { ManifestEntry } from '../store/types.js';

export const RESULTS_NAME = 'results.jsonl';

export type TaskStatus = 'ok' | 'error' | 'timeout' | 'budget';

/** One line of results.jsonl (snake_case, like the other JSON codecell writes). */
export interface TaskResult {
  id: string;
  status: TaskStatus;
  /** The model's final answer (possibly partial when the task did not finish ok). */
  answer: string;
  /** Manifest rows of the files the task produced; `path` is under DIR/<id>/. */
  files: ManifestEntry[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** USD; null when the model's price is unknown. */
  cost_usd: number | null;
  timings: {
    /** Time spent waiting on the model's streams. */
    model_ms: number;
    /** Time cells ran in the sandbox. */
    code_ms: number;
    /** Time to get a started sandbox (near 0 from a warm pool). */
    sandbox_ms: number;
    /** Wall clock from the task's start to its result. */
    total_ms: number;
  };
  /** What went wrong, in words; null for ok. */
  error: string | null;
  model: string;
  /** The engine URL that ran the final attempt. */
  engine: string;
  /** 1 unless an engine failed and the task was retried on another. */
  attempts: number;
  started_at: string;
  finished_at: string;
}

/** Appends result lines durably: a single write per line, then fsync, before the caller moves on. */
export class ResultsFile {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
  ) {}

  static open(dir: string): ResultsFile {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, RESULTS_NAME);
    const fd = fs.openSync(file, 'a+');
    // A kill in the middle of a write (or a foreign editor) can leave a last line without its newline:
    // start on a fresh line so the next result is whole.
    const size = fs.fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) fs.writeSync(fd, '\n');
    }
    fs.fsyncSync(fd);
    syncDir(dir);
    return new ResultsFile(file, fd);
  }

  append(result: TaskResult): void {
    if (this.fd === undefined) throw new Error('results file is closed');
    fs.writeSync(this.fd, JSON.stringify(result) + '\n');
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The newer directory entry must survive a crash too (the first time the file is created). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Not every file system lets a directory be fsynced; the file's own fsync still holds.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Every readable line, in order; a torn or foreign line is skipped, not fatal. */
export function readResults(dir: string): TaskResult[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, RESULTS_NAME), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: TaskResult[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value = JSON.parse(line) as Partial<TaskResult>;
      if (typeof value.id === 'string' && typeof value.status === 'string') out.push(value as TaskResult);
    } catch {
      // torn last line from a kill -9 mid-write
    }
  }
  return out;
}

/** Ids whose latest result is ok: what --resume skips. */
export function finishedIds(results: TaskResult[]): Set<string> {
  const latest = new Map<string, TaskStatus>();
  for (const r of results) latest.set(r.id, r.status);
  return new Set([...latest].filter(([, status]) => status === 'ok').map(([id]) => id));
}
