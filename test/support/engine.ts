// Test gate for sandbox integration tests: skip loudly without a backend locally, fail under CI=true.
// CODECELL_TEST_BACKEND=docker (default) | podman | bubblewrap | firejail picks the backend the suites run against.
import { connectEngine, PODMAN_ROOTFUL_SOCKET } from '../../src/sandbox/engine.js';
import { installed, processBackendProblem } from '../../src/sandbox/backend.js';
import { firejailProblem } from '../../src/sandbox/firejail.js';
import { ensureRootfs } from '../../src/sandbox/rootfs.js';
import type Docker from 'dockerode';
import { skipOrFail } from './gate.js';

export type TestBackendName = 'docker' | 'podman' | 'bubblewrap' | 'firejail';

export const TEST_BACKEND: TestBackendName = ((): TestBackendName => {
  const value = (process.env.CODECELL_TEST_BACKEND ?? 'docker').trim().toLowerCase();
  if (value === 'docker' || value === 'podman' || value === 'bubblewrap' || value === 'firejail') return value;
  throw new Error(`CODECELL_TEST_BACKEND must be docker, podman, bubblewrap or firejail, not ${JSON.stringify(value)}`);
})();

// Podman: every client in the tests, and every codecell the tests spawn, talks to Podman's socket.
if (TEST_BACKEND === 'podman' && !process.env.DOCKER_HOST?.trim()) {
  const rootless = process.env.XDG_RUNTIME_DIR ? `${process.env.XDG_RUNTIME_DIR}/podman/podman.sock` : '';
  process.env.DOCKER_HOST = `unix://${rootless && process.getuid?.() !== 0 ? rootless : PODMAN_ROOTFUL_SOCKET}`;
}

/** The process sandbox under test: its root filesystem (built into the cache when missing). */
export class ProcessTestEngine {
  readonly kind = 'process';
  constructor(
    readonly rootfs: string,
    readonly backend: 'bubblewrap' | 'firejail' = 'bubblewrap',
  ) {}
}

/** What sandbox suites run against: a Docker-API engine, or the process sandbox. */
export type TestEngine = Docker | ProcessTestEngine;

export function isProcessEngine(engine: TestEngine | null | undefined): engine is ProcessTestEngine {
  return engine instanceof ProcessTestEngine;
}

let cached: Promise<Docker | null> | undefined;

function unavailable<T>(what: string, why: string): T | null {
  skipOrFail(`${what} integration tests`, why);
  return null;
}

/** Resolves the engine once per test file; null means "skip" (never under CI, where it throws). */
export function engineOrSkip(): Promise<Docker | null> {
  cached ??= connectEngine(process.env, 3000).then(
    ({ docker }) => docker,
    (err: unknown) => unavailable<Docker>(TEST_BACKEND === 'podman' ? 'Podman' : 'the Docker engine', `no engine reachable (${(err as Error).message})`),
  );
  return cached;
}

let sandboxCached: Promise<TestEngine | null> | undefined;

/** The backend the sandbox, red-team and fault suites run against (CODECELL_TEST_BACKEND). */
export function sandboxEngineOrSkip(): Promise<TestEngine | null> {
  sandboxCached ??= (async (): Promise<TestEngine | null> => {
    if (TEST_BACKEND !== 'bubblewrap' && TEST_BACKEND !== 'firejail') return engineOrSkip();
    const problem = TEST_BACKEND === 'firejail' ? firejailProblem((c) => installed(c)) : processBackendProblem();
    if (problem) return unavailable<TestEngine>(TEST_BACKEND, problem);
    const rootfs = await ensureRootfs();
    return new ProcessTestEngine(rootfs.path, TEST_BACKEND);
  })();
  return sandboxCached;
}

/** Top-level await helper: `const docker = await engineOrSkip(); describe.skipIf(!docker)(...)`. */
export const hasEngine = async (): Promise<boolean> => (await engineOrSkip()) !== null;
