// Runs one batch task in its own sandbox: uploads, the agent loop, DIR/<id>/events.jsonl, and a result line.
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/keys.js';
import { unreachable, type SessionEvent } from '../core/events.js';
import { fileUploads } from '../core/uploads.js';
import type { ModelClient, ModelEvent, StreamRequest } from '../llm/types.js';
import { JsonWriter } from '../render/json-writer.js';
import type { Acquired } from '../sandbox/pool.js';
import type { Sandbox } from '../sandbox/types.js';
import type { Session } from '../core/session.js';
import type { Task } from './tasks.js';
import type { TaskResult, TaskStatus } from './results.js';
import type Docker from 'dockerode';

export const EVENTS_NAME = 'events.jsonl';
/** Put on every container a batch starts (value: the --out folder's name), to tell them apart in `docker ps`. */
export const LABEL_BATCH = 'dev.codecell.batch';

/** The task never got a working sandbox on this engine: the scheduler retries it on another. */
export class EngineFailure extends Error {
  constructor(
    readonly engine: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineFailure';
  }
}

export interface TaskRun {
  task: Task;
  /** The batch folder (--out); the task writes under <outDir>/<id>/. */
  outDir: string;
  settings: Settings;
  engine: { url: string; docker: Docker; image: string; packages?: { apt: string[]; pip: string[] } };
  acquire: () => Promise<Acquired>;
  client: ModelClient;
  /** Opens the task's session on the runtime (cli/open-session's openSession; batch builds none itself). */
  open: (options: {
    settings: Settings;
    engine: { docker: Docker; image: string; packages?: { apt: string[]; pip: string[] } };
    uploads: Awaited<ReturnType<typeof fileUploads>>;
    record: false;
    client: ModelClient;
    sandbox: Sandbox;
  }) => Promise<{ session: Session }>;
  /** Effective USD limit for this task (its own, or what is left of the global budget). */
  budgetUsd?: number;
  /** Wall-clock limit for the whole task. */
  timeoutMs?: number;
  /** Aborted when the whole batch stops (Ctrl-C). */
  signal: AbortSignal;
  attempt: number;
  /** The latest line of output or text, for the progress view. */
  onLine?: (text: string) => void;
}

/** Accumulates time spent awaiting the model's stream (not the time the loop spends on each event). */
function timedClient(client: ModelClient, add: (ms: number) => void): ModelClient {
  return {
    listModels: (signal) => client.listModels(signal),
    async *stream(request: StreamRequest): AsyncGenerator<ModelEvent> {
      const it = client.stream(request);
      for (;;) {
        const t0 = performance.now();
        let next: IteratorResult<ModelEvent>;
        try {
          next = await it.next();
        } finally {
          add(performance.now() - t0);
        }
        if (next.done) return;
        yield next.value;
      }
    },
  };
}

function lastLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1);
}

/** Engine trouble (not the task's fault) shows up as these error kinds from the session. */
const ENGINE_KINDS = new Set(['sandbox_no_engine', 'sandbox_engine_error']);

export async function runTask(run: TaskRun): Promise<TaskResult> {
  const { task, engine } = run;
  const startedAt = new Date();
  const t0 = performance.now();
  const dir = path.join(run.outDir, task.id);
  // A folder from an earlier attempt that did not end ok is replaced: results must match their files.
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const model = task.model ?? run.settings.model;
  let modelMs = 0;
  let codeMs = 0;
  let sandboxMs = 0;

  const result = (status: TaskStatus, fields: Partial<TaskResult> = {}): TaskResult => ({
    id: task.id,
    status,
    answer: '',
    files: [],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    cost_usd: null,
    error: null,
    ...fields,
    timings: { model_ms: Math.round(modelMs), code_ms: Math.round(codeMs), sandbox_ms: Math.round(sandboxMs), total_ms: Math.round(performance.now() - t0) },
    model,
    engine: engine.url,
    attempts: run.attempt,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
  });

  let uploads: Awaited<ReturnType<typeof fileUploads>>;
  try {
    uploads = await fileUploads(task.files);
  } catch (err) {
    return result('error', { error: (err as Error).message });
  }

  let sandbox: Sandbox;
  let release: Acquired['release'] | undefined;
  try {
    const acquired = await run.acquire();
    sandbox = acquired.sandbox;
    sandboxMs = acquired.waitMs;
    release = acquired.release;
  } catch (err) {
    throw new EngineFailure(engine.url, (err as Error).message);
  }

  const settings: Settings = { ...run.settings, outDir: dir, model, maxTurns: task.maxTurns ?? run.settings.maxTurns, confirm: false };
  delete settings.budget;
  if (run.budgetUsd !== undefined) settings.budget = run.budgetUsd;

  const log = fs.createWriteStream(path.join(dir, EVENTS_NAME));
  const writer = new JsonWriter(log);
  const timeout = new AbortController();
  const timer = run.timeoutMs ? setTimeout(() => timeout.abort(new Error('task timeout')), run.timeoutMs) : undefined;
  const signal = AbortSignal.any([run.signal, timeout.signal]);
  let session: Session | undefined;
  // The sandbox may go to the next task (a recycling pool resets it) only when this one ended normally.
  let reuse = false;
  try {
    const opened = await run.open({
      settings,
      engine: { docker: engine.docker, image: engine.image, ...(engine.packages ? { packages: engine.packages } : {}) },
      uploads,
      record: false,
      client: timedClient(run.client, (ms) => (modelMs += ms)),
      sandbox,
    });
    session = opened.session;
    let done: Extract<SessionEvent, { type: 'done' }> | undefined;
    const errors: { kind: string; message: string }[] = [];
    for await (const event of session.send(task.prompt, signal)) {
      writer.write(event);
      if (event.type === 'cell_end') codeMs += event.durationMs;
      else if (event.type === 'cell_output' || event.type === 'cell_result') {
        const line = lastLine(event.text);
        if (line) run.onLine?.(line);
      } else if (event.type === 'text') {
        const line = lastLine(event.text);
        if (line) run.onLine?.(line);
      } else if (event.type === 'code_end') {
        const line = lastLine(event.code);
        if (line) run.onLine?.(`>>> ${line}`);
      } else if (event.type === 'error') errors.push({ kind: event.kind, message: event.message });
      else if (event.type === 'done') done = event;
    }
    const engineError = errors.find((e) => ENGINE_KINDS.has(e.kind));
    if (done?.status === 'error' && engineError) throw new EngineFailure(engine.url, engineError.message);
    reuse = done !== undefined && done.status !== 'cancelled' && !errors.some((e) => e.kind.startsWith('sandbox_'));
    const common: Partial<TaskResult> = done
      ? {
          answer: done.answer,
          files: done.files,
          usage: { prompt_tokens: done.usage.promptTokens, completion_tokens: done.usage.completionTokens, total_tokens: done.usage.totalTokens },
          cost_usd: done.usage.costUsd ?? null,
        }
      : {};
    const status = done?.status;
    switch (status) {
      case 'ok':
        return result('ok', common);
      case 'budget':
        return result('budget', { ...common, error: `the budget of $${(run.budgetUsd ?? 0).toFixed(4)} was used up` });
      case 'max_turns':
        return result('error', { ...common, error: `stopped after ${settings.maxTurns} model calls (max_turns)` });
      case 'cancelled':
        if (timeout.signal.aborted) return result('timeout', { ...common, error: `the task ran longer than ${((run.timeoutMs ?? 0) / 1000).toFixed(0)} s` });
        return result('error', { ...common, error: 'cancelled: the batch was stopped' });
      case 'error':
        return result('error', { ...common, error: errors.map((e) => e.message).join('; ') || 'the task failed' });
      case undefined:
        return result('error', { error: errors.map((e) => e.message).join('; ') || 'the session ended without a result' });
      default:
        return unreachable(status);
    }
  } finally {
    clearTimeout(timer);
    // The pool resets the sandbox for the next task, or removes the container in the background (the
    // slot is free for the next task meanwhile) and waits for it when it closes.
    await (release ? release({ reuse }) : session ? session.close() : sandbox.close()).catch(() => undefined);
    await new Promise<void>((resolve) => log.end(resolve));
  }
}
