// Red-team support: a sandbox with small limits (no hostile payload may hurt the host) and the "next cell works" check.
import { afterAll, beforeAll, expect } from 'vitest';
import type { TestEngine } from '../support/engine.js';
import type { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import type { SandboxLimits } from '../../src/sandbox/types.js';
import { makeSandbox, ourContainers, runCollect, type Collected } from '../sandbox/sandbox-image.js';

export const MiB = 1024 * 1024;

/** Small on purpose: 256 MiB, 128 pids, 64 MiB disk, one CPU, 8 s per cell. */
export const HOSTILE_LIMITS: Partial<SandboxLimits> = {
  memoryBytes: 256 * MiB,
  pids: 128,
  cpus: 1,
  diskBytes: 64 * MiB,
  timeoutMs: 8_000,
  interruptGraceMs: 2_000,
  maxOutputBytes: 1 * MiB,
  maxFiles: 20,
  maxFileBytes: 8 * MiB,
};

export function hostileSandbox(docker: TestEngine, limits: Partial<SandboxLimits> = {}): Promise<DockerSandbox> {
  return makeSandbox(docker, { ...HOSTILE_LIMITS, ...limits });
}

/**
 * One hostile sandbox shared by a describe block's tests: started before them, closed after them, and then
 * no container of ours may be left. Read `.sandbox` inside tests (it is set by the time they run).
 */
export function useHostileSandbox(docker: TestEngine): { sandbox: DockerSandbox } {
  const shared = { sandbox: undefined as unknown as DockerSandbox };
  beforeAll(async () => {
    shared.sandbox = await hostileSandbox(docker);
  });
  afterAll(async () => {
    await shared.sandbox?.close();
    expect(await ourContainers(docker)).toEqual([]);
  });
  return shared;
}

export { runCollect, type Collected };

/** The value of the cell's last expression, or undefined. */
export function result(out: Collected): string | undefined {
  const found = out.events.find((e) => e.type === 'result');
  return found?.type === 'result' ? found.text : undefined;
}

export function notices(out: Collected): string[] {
  return out.events.flatMap((e) => (e.type === 'notice' ? [e.text] : []));
}

/** The sandbox answers a plain cell; returns it so callers can check the count or state. */
export async function expectNextCellWorks(sandbox: DockerSandbox): Promise<Collected> {
  const next = await runCollect(sandbox, 'print(6 * 7)', { timeoutMs: 20_000 });
  expect(next.status).toBe('ok');
  expect(next.stdout).toBe('42\n');
  return next;
}

/** Python: pids other than the init and the kernel, as the cell's result. */
export const OTHER_PROCESSES = 'sorted(int(p) for p in __import__("os").listdir("/proc") if p.isdigit() and int(p) not in (1, __import__("os").getpid()))';
