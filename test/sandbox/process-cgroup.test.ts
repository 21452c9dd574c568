// Integration (process sandboxes): CPU, memory and pids limits through a cgroup of the sandbox's own where the host allows, and the fallback without one.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupProblem } from '../../src/sandbox/cgroup.js';
import type { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import { liveProcessKernels, processTree, type ProcessKernel } from '../../src/sandbox/process-kernel.js';
import { isProcessEngine, sandboxEngineOrSkip, TEST_BACKEND } from '../support/engine.js';
import { makeSandbox, runCollect } from './sandbox-image.js';

const engine = TEST_BACKEND === 'bubblewrap' || TEST_BACKEND === 'firejail' ? await sandboxEngineOrSkip() : null;
const problem = cgroupProblem();
if (isProcessEngine(engine) && problem) console.warn(`\n!!! SKIPPING the cgroup tests of the process sandbox: ${problem}\n`);

const MiB = 1024 * 1024;
const kernelOf = (sandbox: DockerSandbox): ProcessKernel => [...liveProcessKernels].find((k) => k.id === sandbox.id)!;
/** The cgroup lines of the sandbox's kernel process, as the host sees them. */
const kernelCgroups = (kernel: ProcessKernel): string => {
  const pid = processTree(kernel.pid!).find((p) => p.depth === 1)!.pid;
  return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
};
// Busy for 1.5 s of wall time; the share of one core the kernel got.
const BUSY = 'import time\nt, w = time.process_time(), time.time()\nwhile time.time() - w < 1.5: pass\nround((time.process_time() - t) / (time.time() - w), 2)';
const share = (out: Awaited<ReturnType<typeof runCollect>>): number => {
  const found = out.events.find((e) => e.type === 'result');
  return Number(found?.type === 'result' ? found.text : 'NaN');
};

describe.skipIf(!isProcessEngine(engine) || problem !== null)(`process sandbox (${TEST_BACKEND}) in a cgroup`, () => {
  let sandbox: DockerSandbox;
  let kernel: ProcessKernel;
  beforeAll(async () => {
    sandbox = await makeSandbox(engine!, { cpus: 0.2, memoryBytes: 256 * MiB, pids: 48 });
    kernel = kernelOf(sandbox);
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it("puts the whole process tree in the sandbox's own cpu, memory and pids cgroups", () => {
    expect(kernel.cgroup).not.toBeNull();
    const lines = kernelCgroups(kernel);
    for (const c of ['cpu', 'memory', 'pids']) expect(lines).toMatch(new RegExp(`:${c}(,[a-z]+)?:/.*codecell-\\d+-${kernel.id}$`, 'm'));
  });

  it('holds the CPU limit (0.2 cores)', async () => {
    // The limit is a ceiling: a loaded machine can only lower the share.
    expect(share(await runCollect(sandbox, BUSY))).toBeLessThan(0.35);
  });

  it('holds the pids limit at the cgroup: fork fails with EAGAIN', async () => {
    const out = await runCollect(
      sandbox,
      'import subprocess\nps = []\nerr = None\ntry:\n    for _ in range(200):\n        ps.append(subprocess.Popen(["sleep", "30"]))\nexcept OSError as e:\n    err = e.errno\nn = len(ps)\nfor p in ps:\n    p.kill()\n(n < 48, err)',
    );
    expect(out.events.find((e) => e.type === 'result')).toMatchObject({ text: '(True, 11)' });
  });

  it("a child's memory bomb is killed by the cgroup's OOM killer with a notice; the kernel and its variables stay", async () => {
    await runCollect(sandbox, 'kept = 41');
    const out = await runCollect(sandbox, 'import subprocess\nsubprocess.run(["python3", "-c", "b = bytearray(600 * 2**20)"]).returncode');
    expect(out.events.find((e) => e.type === 'result')).toMatchObject({ text: '-9' });
    expect(kernel.cgroup!.oomKills()).toBeGreaterThan(0);
    expect((await runCollect(sandbox, 'kept + 1')).events.find((e) => e.type === 'result')).toMatchObject({ text: '42' });
  });

  it('removes its cgroups at close', async () => {
    const dirs = Object.values(kernel.cgroup!.dirs);
    await sandbox.close();
    for (const dir of dirs) expect(fs.existsSync(dir)).toBe(false);
  });
});

describe.skipIf(!isProcessEngine(engine))(`process sandbox (${TEST_BACKEND}) without a cgroup (CODECELL_PROCESS_CGROUP=off)`, () => {
  let sandbox: DockerSandbox;
  beforeAll(async () => {
    process.env.CODECELL_PROCESS_CGROUP = 'off';
    try {
      sandbox = await makeSandbox(engine!, { memoryBytes: 256 * MiB });
    } finally {
      delete process.env.CODECELL_PROCESS_CGROUP;
    }
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it("runs in codecell's own cgroups, and the memory watchdog kills a kernel past the limit (status oom)", async () => {
    const kernel = kernelOf(sandbox);
    expect(kernel.cgroup).toBeNull();
    expect(kernelCgroups(kernel)).not.toMatch(/codecell-/);
    const out = await runCollect(sandbox, 'b = bytearray(600 * 2**20)\nlen(b)');
    expect(out.status).toBe('oom');
  });
});
