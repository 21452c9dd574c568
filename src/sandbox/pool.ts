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
  /**
   * A sandbox released with `reuse` gets a fresh kernel in the same container (Sandbox.reset) and waits
   * in the pool for the next task, instead of being removed while another container starts. One whose
   * reset fails is removed and a new one started in its place.
   */
  recycle?: boolean;
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
   * Gives the sandbox back. With `reuse` (its task ended normally) and a recycling pool, it is reset for
   * the next task; otherwise it is closed in the background, so the caller's slot is free while the
   * engine removes the container (close() waits for it). Once the pool is closed it is an ordinary close
   * to await.
   */
  release: (options?: { reuse?: boolean }) => Promise<void>;
}

/**
 * Keeps up to `size` sandboxes starting or started. acquire() hands out the oldest (most likely ready)
 * and starts a replacement in the background, but never more than the callers said they still need
 * (`expect`), so the end of a batch does not leave idle containers behind. A recycling pool starts no
 * replacement for a sandbox that is out with a task: it comes back, reset, when the task releases it.
 * Every sandbox it hands out belongs to the caller until released (or closed).
 */
export class SandboxPool {
  private readonly waiting: Promise<Sandbox>[] = [];
  private readonly releasing = new Set<Promise<void>>();
  private wanted = Number.POSITIVE_INFINITY;
  private closed = false;
  /** Handed out and not yet released: a recycling pool counts on them coming back. */
  private out = 0;
  /** Sandboxes reset for another task, and resets that failed (the container was replaced). */
  readonly recycled = { ok: 0, failed: 0 };

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
    this.out += 1;
    let released = false;
    const release =
      (sandbox: Sandbox) =>
      (options: { reuse?: boolean } = {}) => {
        if (released) return sandbox.close().catch(() => undefined);
        released = true;
        this.out -= 1;
        return this.release(sandbox, options.reuse === true);
      };
    this.fill();
    try {
      if (next) {
        const sandbox = await next;
        // Its heavy imports start now, while the task talks to the model, instead of competing with
        // running tasks for the CPU while it waited (profiled on 2 cores: pooled no faster than cold).
        if (this.options.warmOnAcquire !== false) sandbox.warm?.();
        return { sandbox, waitMs: performance.now() - t0, warm: true, release: release(sandbox) };
      }
      const sandbox = await this.start(this.options.warmOnAcquire === false);
      return { sandbox, waitMs: performance.now() - t0, warm: false, release: release(sandbox) };
    } catch (err) {
      this.out -= 1;
      this.fill();
      throw err;
    }
  }

  private release(sandbox: Sandbox, reuse: boolean): Promise<void> {
    if (reuse && this.options.recycle && sandbox.reset && !this.closed && this.waiting.length < this.target()) {
      const back = this.recycle(sandbox);
      back.catch(() => undefined); // reported to whoever acquires it
      this.waiting.push(back);
      return Promise.resolve();
    }
    const closing = sandbox.close().catch(() => undefined);
    if (this.closed) return closing;
    this.releasing.add(closing);
    void closing.then(() => this.releasing.delete(closing));
    this.fill(); // a recycling pool counted on this one coming back
    return Promise.resolve();
  }

  /** The sandbox with a fresh kernel, or, when its reset fails, a new one started in its place. */
  private async recycle(sandbox: Sandbox): Promise<Sandbox> {
    if (await sandbox.reset!().catch(() => false)) {
      this.recycled.ok += 1;
      return sandbox;
    }
    this.recycled.failed += 1;
    const closing = sandbox.close().catch(() => undefined);
    if (this.closed) {
      await closing; // close() waits for this entry, not for removals that begin after it
      throw new Error('the sandbox pool is closed');
    }
    this.releasing.add(closing);
    void closing.then(() => this.releasing.delete(closing));
    return this.start(true);
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

  /** How many sandboxes should wait in the pool now. */
  private target(): number {
    return Math.min(this.options.size, this.wanted);
  }

  private fill(): void {
    if (this.closed) return;
    // Handed-out sandboxes of a recycling pool come back when their tasks end.
    const returning = this.options.recycle ? this.out : 0;
    while (this.waiting.length + returning < this.target()) {
      const starting = this.start(true);
      starting.catch(() => undefined); // reported to whoever acquires it
      this.waiting.push(starting);
    }
  }

  /** Closes warm sandboxes nobody will ask for any more. */
  private trim(): void {
    while (this.waiting.length > this.target()) {
      const extra = this.waiting.pop();
      void extra?.then((s) => s.close()).catch(() => undefined);
    }
  }
}
