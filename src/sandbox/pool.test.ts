// The warm pool against the real engine: started sandboxes, background refill, no leftovers.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { engineOrSkip } from '../../test/support/engine.js';
import { TEST_LIMITS, ourContainers, recyclingPool, sandboxGone, sandboxImage } from '../../test/sandbox/sandbox-image.js';
import { DockerSandbox } from './docker-sandbox.js';
import { dockerFor } from './engines.js';
import { SandboxPool, poolPlan } from './pool.js';

import type { SandboxState } from './types.js';

const docker = await engineOrSkip();

/** Resolves when the sandbox reaches `state` (at once if it is there): its own state event, not a timer. */
function reaches(sandbox: DockerSandbox, state: SandboxState): Promise<void> {
  return new Promise((resolve) => {
    if (sandbox.state === state) return resolve();
    const off = sandbox.onStateChange((now) => {
      if (now !== state) return;
      off();
      resolve();
    });
  });
}

/** Polls until the kernel reported its warm-up (there is no event for it), failing with a message after 15 s. */
const warmedUp = (box: DockerSandbox) =>
  vi.waitFor(
    () => {
      if (!box.warmed) throw new Error(`kernel ${box.id} has not reported its warm-up within 15 s`);
    },
    { timeout: 15_000, interval: 50 },
  );

describe('poolPlan', () => {
  it('keeps one sandbox more than the slots and pre-imports only with a core to spare', () => {
    expect(poolPlan(1, 2)).toEqual({ size: 2, warmOnAcquire: true });
    expect(poolPlan(2, 2)).toEqual({ size: 2, warmOnAcquire: false });
    expect(poolPlan(4, 2)).toEqual({ size: 4, warmOnAcquire: false });
    expect(poolPlan(4, 8)).toEqual({ size: 5, warmOnAcquire: true });
  });
});

describe.skipIf(!docker)('SandboxPool (real engine)', () => {
  const pools: SandboxPool[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('hands out started sandboxes, refills in the background, and close() removes the idle ones', async () => {
    const image = await sandboxImage(docker!);
    const made: DockerSandbox[] = [];
    const create = () => {
      const box = new DockerSandbox(docker!, { image, limits: TEST_LIMITS });
      made.push(box);
      return box;
    };
    const pool = new SandboxPool({ create, size: 2 });
    pools.push(pool);
    pool.warm();
    expect(pool.idle).toBe(2);
    const first = await pool.acquire();
    expect(first.warm).toBe(true);
    expect(first.sandbox).toBe(made[0]);
    expect(first.sandbox.state).toBe('ready');
    expect(pool.idle).toBe(2); // refilled at once
    // The second was starting while the first was handed out: once it is ready, acquire hands it over at once.
    await reaches(made[1]!, 'ready');
    const second = await pool.acquire();
    expect(second.sandbox).toBe(made[1]);
    expect(second.sandbox.state).toBe('ready');
    expect(second.waitMs).toBeLessThan(200);
    const result = await first.sandbox.run('x = 5\nprint(x)');
    expect(result.status).toBe('ok');
    const other = await second.sandbox.run('print(x)');
    expect(other.status).toBe('error'); // separate kernels
    await first.sandbox.close();
    await second.sandbox.close();
    await pool.close();
    expect(await ourContainers(docker!)).toEqual([]);
  });

  it('pooled kernels import nothing while they wait, and start warming when handed out', async () => {
    const image = await sandboxImage(docker!);
    const made: { deferWarm: boolean }[] = [];
    const boxes: DockerSandbox[] = [];
    const pool = new SandboxPool({
      create: (options) => {
        made.push(options);
        boxes.push(new DockerSandbox(docker!, { image, limits: TEST_LIMITS, deferWarm: options.deferWarm }));
        return boxes[boxes.length - 1]!;
      },
      size: 1,
    });
    pools.push(pool);
    pool.warm();
    await reaches(boxes[0]!, 'ready');
    // A kernel that warms at ready, started only now: once it has warmed, a pooled kernel that warmed at
    // ready would have too (it had a whole container start more time).
    const control = new DockerSandbox(docker!, { image, limits: TEST_LIMITS });
    await control.start();
    await warmedUp(control);
    await control.close();
    const got = await pool.acquire();
    const box = got.sandbox as DockerSandbox;
    expect(made[0]).toEqual({ deferWarm: true });
    expect(box.warmed).toBeUndefined();
    await warmedUp(box);
    expect(box.warmed?.modules).toContain('IPython');
    expect((await box.run('%pwd')).status).toBe('ok');
    await box.close();
    await pool.close();
  }, 30_000);

  it('without warmOnAcquire, pooled and cold kernels import only what their cells ask for', async () => {
    const image = await sandboxImage(docker!);
    const made: { deferWarm: boolean }[] = [];
    const pool = new SandboxPool({
      create: (options) => {
        made.push(options);
        return new DockerSandbox(docker!, { image, limits: TEST_LIMITS, deferWarm: options.deferWarm });
      },
      size: 1,
      warmOnAcquire: false,
    });
    pools.push(pool);
    pool.expect(1); // the second acquire finds the pool empty: a cold start
    const pooled = (await pool.acquire()).sandbox as DockerSandbox;
    const cold = await pool.acquire();
    expect(cold.warm).toBe(false);
    expect(made).toEqual([{ deferWarm: true }, { deferWarm: true }]);
    expect((await pooled.run('%pwd')).status).toBe('ok'); // builds the shell on demand
    await new Promise((r) => setTimeout(r, 2000)); // a warming kernel would have sent `warm` by now
    expect(pooled.warmed).toBeUndefined();
    expect((cold.sandbox as DockerSandbox).warmed).toBeUndefined();
    await pooled.close();
    await cold.sandbox.close();
    await pool.close();
  }, 30_000);

  it('release() frees the caller at once and close() waits for the removal', async () => {
    const image = await sandboxImage(docker!);
    const pool = new SandboxPool({ create: () => new DockerSandbox(docker!, { image, limits: TEST_LIMITS }), size: 0 });
    pools.push(pool);
    const got = await pool.acquire();
    await got.release(); // resolves before the engine has removed the container
    expect(got.sandbox.state).toBe('stopped');
    await pool.close();
    expect(await ourContainers(docker!)).toEqual([]);
  });

  it('warms no more than the callers still need', async () => {
    const image = await sandboxImage(docker!);
    const pool = new SandboxPool({ create: () => new DockerSandbox(docker!, { image, limits: TEST_LIMITS }), size: 3 });
    pools.push(pool);
    pool.expect(1);
    expect(pool.idle).toBe(1);
    const only = await pool.acquire();
    expect(pool.idle).toBe(0);
    await only.sandbox.close();
    await pool.close();
    expect(await ourContainers(docker!)).toEqual([]);
  });

  it('with size 0 every acquire is a cold start', async () => {
    const image = await sandboxImage(docker!);
    const pool = new SandboxPool({ create: () => new DockerSandbox(docker!, { image, limits: TEST_LIMITS }), size: 0 });
    pools.push(pool);
    const got = await pool.acquire();
    expect(got.warm).toBe(false);
    expect(got.sandbox.state).toBe('ready');
    expect(pool.idle).toBe(0);
    await got.sandbox.close();
  });

  it('a recycling pool hands a released sandbox to the next task, reset, instead of starting another', async () => {
    const image = await sandboxImage(docker!);
    const { pool, made } = recyclingPool(docker!, image);
    pools.push(pool);
    pool.expect(3);
    const first = await pool.acquire();
    expect(pool.idle).toBe(0); // the one out comes back: no replacement starts
    const id = first.sandbox.id;
    expect((await first.sandbox.run('secret = 1\nopen("/mnt/data/mine.txt", "w").write("x")')).status).toBe('ok');
    await first.release({ reuse: true });
    const second = await pool.acquire();
    expect(second.sandbox).toBe(first.sandbox);
    expect(second.sandbox.id).toBe(id);
    const events: string[] = [];
    const look = await second.sandbox.run('import os\nprint("secret" in globals(), os.listdir("/mnt/data"))', {
      onEvent: (e) => void (e.type === 'stdout' && events.push(e.text)),
    });
    expect(look.status).toBe('ok');
    expect(events.join('').trim()).toBe('False []');
    expect(pool.recycled).toEqual({ ok: 1, failed: 0 });
    // Released without reuse (its task did not end normally): removed, and the next acquire gets a new one.
    await second.release();
    const third = await pool.acquire();
    expect(third.sandbox).not.toBe(first.sandbox);
    expect(made).toHaveLength(2);
    const thirdId = third.sandbox.id;
    await third.release({ reuse: true }); // nobody else will ask: closed, not kept
    await pool.close();
    expect(third.sandbox.state).toBe('stopped');
    expect(await sandboxGone(docker!, id)).toBe(true);
    expect(await sandboxGone(docker!, thirdId)).toBe(true);
  }, 60_000);

  it('removes a sandbox whose reset fails and hands out a new one in its place', async () => {
    const image = await sandboxImage(docker!);
    const pool = new SandboxPool({ create: () => new DockerSandbox(docker!, { image, limits: TEST_LIMITS }), size: 1, recycle: true });
    pools.push(pool);
    pool.expect(2);
    const first = await pool.acquire();
    const id = first.sandbox.id;
    expect((await first.sandbox.run('import os; os.nice(5)')).status).toBe('ok'); // cannot be undone without privileges
    await first.release({ reuse: true });
    const second = await pool.acquire();
    expect(second.sandbox).not.toBe(first.sandbox);
    expect(second.sandbox.state).toBe('ready');
    expect(pool.recycled).toEqual({ ok: 0, failed: 1 });
    expect(first.sandbox.state).toBe('stopped');
    expect(await sandboxGone(docker!, id)).toBe(true);
    const secondId = second.sandbox.id;
    await second.release({ reuse: true });
    await pool.close();
    expect(await sandboxGone(docker!, secondId)).toBe(true);
  }, 60_000);

  it('without recycling, a sandbox released for reuse is removed as before', async () => {
    const image = await sandboxImage(docker!);
    const pool = new SandboxPool({ create: () => new DockerSandbox(docker!, { image, limits: TEST_LIMITS }), size: 1 });
    pools.push(pool);
    pool.expect(2);
    const first = await pool.acquire();
    const id = first.sandbox.id;
    await first.release({ reuse: true });
    const second = await pool.acquire();
    expect(second.sandbox).not.toBe(first.sandbox);
    expect(first.sandbox.state).toBe('stopped');
    expect(pool.recycled).toEqual({ ok: 0, failed: 0 });
    await second.sandbox.close();
    await pool.close();
    expect(await sandboxGone(docker!, id)).toBe(true);
  }, 60_000);

  it('rejects acquire with the engine error when the engine is not there', async () => {
    const dead = dockerFor('tcp://127.0.0.1:1');
    const pool = new SandboxPool({ create: () => new DockerSandbox(dead, { image: 'codecell-sandbox:latest', limits: TEST_LIMITS }), size: 1 });
    pools.push(pool);
    await expect(pool.acquire()).rejects.toThrow(/ECONNREFUSED|cannot reach/);
    await pool.close();
  });
});
