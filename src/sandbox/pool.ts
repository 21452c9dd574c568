// A pool of pre-started sandboxes on one engine, so a batch task does not wait for a cold container start.
import type { Sandbox } from './types.js';

export interface PoolOptions {
  /**
   * Makes a new (not yet started) sandbox; each one is started by the pool. `deferWarm` is true for
   * sandboxes that wait in the pool: pass it on (SandboxOptions.deferWarm) so they import nothing
   * until handed out, when the pool calls warm().
   */
  create: (options: { deferWarm: boolean }) => Sandbox;
  /** How many started sandboxes to keep waiting; 0 turns the pool into plain cold starts. */
  size: number;
  /**
   * Whether a handed-out sandbox (pooled or cold) pre-imports the heavy modules while its task talks to
   * the model (default true). Off, its kernel imports only what its cells ask for (see poolPlan).
   */
  warmOnAcquire?: boolean;
}

/**
 * The pool for `slots` concurrent tasks on `cores` cores. With a core to spare, one sandbox more than
 * the slots keeps starting, so a task that finishes faster than a container starts still finds one
 * ready, and handed-out kernels pre-import numpy, IPython, pyplot and pandas while the model answers.
 * With as many slots as cores or more, the CPU is the limit: a deeper pool only moves start-up work
 * earlier, and pre-imports (about a second of CPU each) that the task's cells may never use take the
 * CPU from other tasks' cells, so the pool keeps one per slot and kernels import on demand.
 */
export function poolPlan(slots: number, cores: number): { size: number; warmOnAcquire: boolean } {
  const spare = slots < cores;
  return { size: spare ? slots + 1 : slots, warmOnAcquire: spare };
}

export interface Acquired {
  sandbox: Sandbox;
  /** How long acquire() waited, ms. */
  waitMs: number;
  /** True when a sandbox was ready (or already starting) in the pool. */
  warm: boolean;
  /**
   * Closes the sandbox in the background, so the caller's slot is free while the engine removes the
   * container; close() waits for it. Once the pool is closed it is an ordinary close to await.
   */
  release: () => Promise<void>;
}

/**
 * Keeps up to `size` sandboxes starting or started. acquire() hands out the oldest (most likely ready)
 * and starts a replacement in the background, but never more than the callers said they still need
 * (`expect`), so the end of a batch does not leave idle containers behind. Every sandbox it hands out
 * belongs to the caller, who closes it.
 */
export class SandboxPool {
  private readonly waiting: Promise<Sandbox>[] = [];
  private readonly releasing = new Set<Promise<void>>();
  private wanted = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  /** Tells the pool how many more acquire() calls may come; it will not warm more than that. */
  expect(remaining: number): void {
    this.wanted = Math.max(0, remaining);
    this.trim();
    this.fill();
  }

  /** Starts filling the pool now (before the first acquire). */
  warm(): void {
    this.fill();
  }

  get idle(): number {
    return this.waiting.length;
  }

  /** A started sandbox. Rejects with the start failure (engine gone, image missing). */
  async acquire(): Promise<Acquired> {
    if (this.closed) throw new Error('the sandbox pool is closed');
    const t0 = performance.now();
    this.wanted = Math.max(0, this.wanted - 1);
    const next = this.waiting.shift();
    this.fill();
    if (next) {
      const sandbox = await next;
      // Its heavy imports start now, while the task talks to the model, instead of competing with
      // running tasks for the CPU while it waited (profiled on 2 cores: pooled no faster than cold).
      if (this.options.warmOnAcquire !== false) sandbox.warm?.();
      return { sandbox, waitMs: performance.now() - t0, warm: true, release: () => this.release(sandbox) };
    }
    const sandbox = await this.start(this.options.warmOnAcquire === false);
    return { sandbox, waitMs: performance.now() - t0, warm: false, release: () => this.release(sandbox) };
  }

  private release(sandbox: Sandbox): Promise<void> {
    const closing = sandbox.close().catch(() => undefined);
    if (this.closed) return closing;
    this.releasing.add(closing);
    void closing.then(() => this.releasing.delete(closing));
    return Promise.resolve();
  }

  /** Removes every sandbox still in the pool (handed-out ones are the caller's to close). */
  async close(): Promise<void> {
    this.closed = true;
    const left = this.waiting.splice(0);
    await Promise.all([...left.map((p) => p.then((s) => s.close()).catch(() => undefined)), ...this.releasing]);
  }

  private start(deferWarm: boolean): Promise<Sandbox> {
    const sandbox = this.options.create({ deferWarm });
    return sandbox.start().then(
      () => sandbox,
      async (err: unknown) => {
        await sandbox.close().catch(() => undefined);
        throw err;
      },
    );
  }

  private fill(): void {
    if (this.closed) return;
    while (this.waiting.length < Math.min(this.options.size, this.wanted)) {
      const starting = this.start(true);
      starting.catch(() => undefined); // reported to whoever acquires it
      this.waiting.push(starting);
    }
  }

  /** Closes warm sandboxes nobody will ask for any more. */
  private trim(): void {
    while (this.waiting.length > Math.min(this.options.size, this.wanted)) {
      const extra = this.waiting.pop();
      void extra?.then((s) => s.close()).catch(() => undefined);
    }
  }
}
