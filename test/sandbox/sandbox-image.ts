// Test support for sandbox integration tests: the real sandbox image (built from guest/Dockerfile when missing) and small limits.
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { ensureImage } from '../../src/sandbox/image.js';
import { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import { createProcessSandbox } from '../../src/sandbox/process-sandbox.js';
import { liveProcessKernels } from '../../src/sandbox/process-kernel.js';
import { isProcessEngine, TEST_BACKEND, type TestEngine } from '../support/engine.js';
import type { CellEvent, CellResult, RunOptions, SandboxLimits } from '../../src/sandbox/types.js';

const MiB = 1024 * 1024;

/** Limits small enough that no test can hurt the host. */
export const TEST_LIMITS: Partial<SandboxLimits> = {
  memoryBytes: 512 * MiB,
  pids: 128,
  cpus: 1,
  diskBytes: 128 * MiB,
  timeoutMs: 30_000,
  interruptGraceMs: 2_000,
};

/** Marks the containers of this test file (files may share a process, so the pid label is not enough). */
const TEST_LABEL = 'dev.codecell.test';
const fileTag = randomUUID();

let image: Promise<string> | undefined;

export function sandboxImage(docker: Docker): Promise<string> {
  image ??= ensureImage(docker).then((ensured) => ensured.ref);
  return image;
}

/** A recycling pool of real sandboxes (size 1) that keeps each sandbox it made, to tell a reused one from a new one. */
export function recyclingPool(docker: Docker, image: string): { pool: SandboxPool; made: DockerSandbox[] } {
  const made: DockerSandbox[] = [];
  const pool = new SandboxPool({
    create: ({ deferWarm }) => {
      made.push(new DockerSandbox(docker, { image, limits: TEST_LIMITS, deferWarm }));
      return made[made.length - 1]!;
    },
    size: 1,
    recycle: true,
  });
  return { pool, made };
}

export async function makeSandbox(docker: TestEngine, limits: Partial<SandboxLimits> = {}): Promise<DockerSandbox> {
  const sandbox = isProcessEngine(docker)
    ? createProcessSandbox(docker.rootfs, { limits: { ...TEST_LIMITS, ...limits }, labels: { [TEST_LABEL]: fileTag } }, docker.backend)
    : new DockerSandbox(docker, { image: await sandboxImage(docker), limits: { ...TEST_LIMITS, ...limits }, labels: { [TEST_LABEL]: fileTag } });
  await sandbox.start();
  return sandbox;
}

export interface Collected extends CellResult {
  events: CellEvent[];
  stdout: string;
  stderr: string;
}

/** Runs a cell and keeps every event, with the text streams joined. */
export async function runCollect(sandbox: DockerSandbox, code: string, options: RunOptions = {}): Promise<Collected> {
  const events: CellEvent[] = [];
  const result = await sandbox.run(code, {
    ...options,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  const text = (type: 'stdout' | 'stderr'): string => events.map((e) => (e.type === type ? e.text : '')).join('');
  return { ...result, events, stdout: text('stdout'), stderr: text('stderr') };
}

/**
 * Starts a cell and resolves `printed` when its stdout first holds `marker`: the cell has surely reached that
 * line (an interrupt sent now cannot land before the code it is meant for). Rejects, naming the marker, when
 * the cell ends without printing it.
 */
export function runUntilPrinted(
  sandbox: DockerSandbox,
  code: string,
  marker: string,
  options: RunOptions = {},
): { printed: Promise<void>; done: Promise<Collected> } {
  let stdout = '';
  let seen: () => void = () => undefined;
  const printed = new Promise<void>((resolve) => {
    seen = resolve;
  });
  const done = runCollect(sandbox, code, {
    ...options,
    onEvent: (e) => {
      if (e.type === 'stdout' && !stdout.includes(marker)) {
        stdout += e.text;
        if (stdout.includes(marker)) seen();
      }
      options.onEvent?.(e);
    },
  });
  const ended = done.then(
    (out) => {
      throw new Error(`the cell ended (${out.status}) without printing ${JSON.stringify(marker)}; its stdout: ${JSON.stringify(out.stdout)}`);
    },
    (err: unknown) => {
      throw err;
    },
  );
  ended.catch(() => undefined); // only `printed` reports it, and only when the marker never came
  return { printed: Promise.race([printed, ended]), done };
}

/** Containers (or process sandboxes) this test file's sandboxes created that still exist. */
export async function ourContainers(docker: TestEngine): Promise<string[]> {
  if (isProcessEngine(docker)) {
    // A process sandbox is gone when its bwrap has exited (its pid namespace, and every process in it, with it).
    return [...liveProcessKernels].filter((k) => k.labels[TEST_LABEL] === fileTag && k.pid !== undefined && alive(k.pid)).map((k) => k.id);
  }
  const list = async (): Promise<string[]> => (await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${fileTag}`] } })).map((c) => c.Id);
  let ids = await list();
  // Podman 4.3 can still list a killed kernel's container for a moment after its removal call returned
  // (seen in the full suites, never alone): look again for up to 5 s before calling it left behind.
  for (let i = 0; ids.length > 0 && TEST_BACKEND === 'podman' && i < 25; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    ids = await list();
  }
  return ids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when the container (or process sandbox) `id` no longer exists. */
export async function sandboxGone(docker: TestEngine, id: string): Promise<boolean> {
  if (isProcessEngine(docker)) return ![...liveProcessKernels].some((k) => k.id === id && k.pid !== undefined && alive(k.pid));
  try {
    await docker.getContainer(id).inspect();
    return false;
  } catch (err) {
    return (err as { statusCode?: number }).statusCode === 404;
  }
}

/** Kills the sandbox from outside, as `docker kill` (or `kill -9` of bwrap) would. */
export async function killFromOutside(docker: TestEngine, id: string): Promise<void> {
  if (isProcessEngine(docker)) {
    const kernel = [...liveProcessKernels].find((k) => k.id === id);
    if (kernel?.pid) process.kill(kernel.pid, 'SIGKILL');
    return;
  }
  await docker.getContainer(id).kill();
}
