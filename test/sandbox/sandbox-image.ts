// Test support for sandbox integration tests: the real sandbox image (built from sandbox/Dockerfile when missing) and small limits.
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { ensureImage } from '../../src/sandbox/image.js';
import { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
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

export async function makeSandbox(docker: Docker, limits: Partial<SandboxLimits> = {}): Promise<DockerSandbox> {
  const sandbox = new DockerSandbox(docker, { image: await sandboxImage(docker), limits: { ...TEST_LIMITS, ...limits }, labels: { [TEST_LABEL]: fileTag } });
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
  const result = await sandbox.run(code, { ...options, onEvent: (e) => {
    events.push(e);
    options.onEvent?.(e);
  } });
  const text = (type: 'stdout' | 'stderr'): string => events.map((e) => (e.type === type ? e.text : '')).join('');
  return { ...result, events, stdout: text('stdout'), stderr: text('stderr') };
}

/** Containers this test file's sandboxes created that still exist. */
export async function ourContainers(docker: Docker): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${fileTag}`] } });
  return list.map((c) => c.Id);
}
