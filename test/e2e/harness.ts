// Shared set-up for the `codecell run` end-to-end tests: the built CLI, a fake model server, a private home, leak checks.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { runCli, tempHome, type CliResult } from '../support/cli.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../support/fake-openai.js';
import { sandboxImage } from '../sandbox/sandbox-image.js';
import { LABEL_APP, LABEL_PID } from '../../src/sandbox/labels.js';
import type { ManifestEntry } from '../../src/store/types.js';
export { closedPort } from '../support/ports.js';

export interface Home {
  dir: string;
  /** --out-dir for the run. */
  outDir: string;
  env: Record<string, string>;
  cleanup: () => void;
}

export function makeHome(): Home {
  const home = tempHome();
  return { ...home, outDir: path.join(home.dir, 'out') };
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  /** Leave out `--model fake-model` (to test the default model or pass another). */
  noModel?: boolean;
  timeoutMs?: number;
  /** Start the child in its own session, so it has no controlling terminal (like cron or CI). */
  detached?: boolean;
  /** Called with the running child (to send signals, watch its output). */
  onSpawn?: (child: ChildProcessWithoutNullStreams) => void;
}

/**
 * Pinned once per file so a colleague editing sandbox/ mid-run cannot trigger a rebuild inside a test;
 * the image is the one `ensureImage` builds from this tree.
 */
let image: string | undefined;
export async function pinImage(docker: Docker): Promise<void> {
  image = await sandboxImage(docker);
}

/** The image pinned by pinImage (call that in beforeAll first). */
export function pinnedImage(): string {
  if (!image) throw new Error('pinImage() first');
  return image;
}

/** What a describe block that runs the CLI gets from useCliFixture: set afresh for every test. */
export interface CliFixture {
  /** A new private home for each test, removed after it. */
  home: Home;
  /** The fake model server this test started with serve(), closed after the test. */
  server: FakeOpenAI | undefined;
  /** Starts the fake model server for this test (closed after it). */
  serve: (options: FakeOpenAIOptions) => Promise<FakeOpenAI>;
}

export interface CliFixtureOptions {
  /** Runs after the server is closed and before the home is removed (to unmount what the test mounted there). */
  beforeCleanup?: (home: Home) => void;
}

/**
 * Registers the hooks every CLI describe block needs (pin the image once, a fresh home per test, then close
 * the server, remove the home and fail the test if one of its containers is left) and returns what they set.
 */
export function useCliFixture(docker: Docker, options: CliFixtureOptions = {}): CliFixture {
  const fixture: CliFixture = {
    home: undefined as unknown as Home, // set by beforeEach before any test reads it
    server: undefined,
    serve: async (serverOptions) => (fixture.server = await startFakeOpenAI(serverOptions)),
  };
  beforeAll(async () => {
    await pinImage(docker);
  });
  beforeEach(() => {
    fixture.home = makeHome();
  });
  afterEach(async () => {
    await fixture.server?.close();
    fixture.server = undefined;
    options.beforeCleanup?.(fixture.home);
    fixture.home.cleanup();
    expect(await leftoverContainers(docker), 'containers left behind').toEqual([]);
  });
  return fixture;
}

/** Pids of every CLI child started by this test file, to find the containers they left (see leftoverContainers). */
export const childPids = new Set<number>();

/**
 * runCli from test/support/cli.ts, but keeping the child's pid: the sandbox container carries its
 * owner's pid as a label, which is the only exact way to tell our containers from colleagues'.
 */
export function runChild(args: string[], env: Record<string, string | undefined>, options: RunOptions = {}): Promise<CliResult> {
  return runCli(args, {
    // Prices and the image come only from the test, never from the shell that started it; no probing for
    // local model servers unless the test asks (a server someone runs on this machine must not change results).
    env: { CODECELL_PRICES: undefined, CODECELL_IMAGE: undefined, CODECELL_LOCAL_SERVERS: 'off', ...env },
    input: options.input,
    timeoutMs: options.timeoutMs ?? 90_000,
    detached: options.detached,
    onSpawn: (child) => {
      if (child.pid) childPids.add(child.pid);
      options.onSpawn?.(child);
    },
  });
}

/** `codecell run <args> --out-dir <home>/out --model fake-model` against the fake server. */
export function codecellRun(server: Pick<FakeOpenAI, 'url'>, home: Home, args: string[], options: RunOptions = {}): Promise<CliResult> {
  const env = {
    ...home.env,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: server.url,
    ...(image ? { CODECELL_IMAGE: image } : {}),
    ...options.env,
  };
  return runChild(['run', ...args, '--out-dir', home.outDir, ...(options.noModel ? [] : ['--model', 'fake-model'])], env, options);
}

/** Rows of <outDir>/manifest.jsonl (none when it does not exist). */
export function manifest(outDir: string): ManifestEntry[] {
  const file = path.join(outDir, 'manifest.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ManifestEntry);
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Files (not folders) in the output folder, manifest excluded. */
export function savedFiles(outDir: string): string[] {
  if (!fs.existsSync(outDir)) return [];
  return fs.readdirSync(outDir).filter((n) => n !== 'manifest.jsonl' && fs.statSync(path.join(outDir, n)).isFile());
}

/** Waits (up to `ms`) until none of the tracked CLI processes is alive; a process may still be cleaning up after a signal. */
export async function childrenGone(ms = 10_000): Promise<void> {
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const end = Date.now() + ms;
  while ([...childPids].some(alive) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

/**
 * codecell containers (in any state) owned by a CLI child this file started (or by the processes in
 * `pids`): after the child exited, none may remain. Waits up to `waitMs` for removals the engine is still
 * carrying out (on a loaded machine a force-remove the CLI asked for can finish a moment after the CLI
 * exited). Each is "<short id> <state> pid <pid>".
 */
export async function leftoverContainers(docker: Docker, waitMs = 10_000, pids: ReadonlySet<number> = childPids): Promise<string[]> {
  const end = Date.now() + waitMs;
  for (;;) {
    const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_APP}=codecell`] } });
    const ours = list.filter((c) => pids.has(Number(c.Labels?.[LABEL_PID]))).map((c) => `${c.Id.slice(0, 12)} ${c.State} pid ${c.Labels?.[LABEL_PID]}`);
    if (ours.length === 0 || Date.now() >= end) return ours;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The content of the tool messages in a request, in order. */
export function toolMessages(request: { messages: unknown[] } | undefined): string[] {
  return (request?.messages ?? [])
    .filter((m): m is { role: 'tool'; content: string } => (m as { role?: string }).role === 'tool')
    .map((m) => String(m.content));
}
