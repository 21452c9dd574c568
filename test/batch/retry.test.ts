// A task whose engine fails is retried on another: real pools on a closed port and on the real engine, real HTTP model.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { cellThenText, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { TEST_LIMITS, ourContainers, sandboxImage } from '../sandbox/sandbox-image.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { createModelClient } from '../../src/llm/client.js';
import { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import { dockerFor } from '../../src/sandbox/engines.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import { runTask } from '../../src/batch/run-task.js';
import { openSession } from '../../src/cli/open-session.js';
import { schedule, type SchedulerEngine } from '../../src/batch/scheduler.js';
import { ResultsFile, readResults } from '../../src/batch/results.js';
import { parseTasks } from '../../src/batch/tasks.js';
import type Docker from 'dockerode';

const docker = await engineOrSkip();

describe.skipIf(!docker)('retry on another engine', () => {
  let fake: FakeOpenAI;
  let dir: string;
  beforeAll(async () => {
    fake = await startFakeOpenAI({
      script: cellThenText(
        () => 'print(6 * 7)',
        (_user, last) => `answer: ${String(last.content)}`,
      ),
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-retry-'));
  });
  afterAll(async () => {
    await fake?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('moves tasks from an engine on a closed port to the live one, and records attempt 2', async () => {
    const image = await sandboxImage(docker!);
    const { settings } = resolveConfig({ flags: { baseUrl: fake.url, apiKey: 'sk-test', outDir: dir }, env: {}, file: {} });
    const client = createModelClient({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0 });
    const make = (url: string, d: Docker, slots: number) => {
      const pool = new SandboxPool({ create: () => new DockerSandbox(d, { image, limits: TEST_LIMITS }), size: slots });
      return { url, docker: d, concurrency: slots, pool, expect: (n: number) => pool.expect(n) } satisfies SchedulerEngine & Record<string, unknown>;
    };
    // The closed port comes first, so the first tasks go there and must move.
    const engines = [make('tcp://127.0.0.1:1', dockerFor('tcp://127.0.0.1:1'), 1), make('unix:///var/run/docker.sock', docker!, 1)];
    const tasks = parseTasks('a\nb\nc\n', { baseDir: dir, format: 'text' });
    const file = ResultsFile.open(dir);
    const retried: string[] = [];
    const down: string[] = [];
    try {
      const outcome = await schedule({
        tasks,
        engines,
        record: (r) => file.append(r),
        events: { retrying: (t) => retried.push(t.id), engineDown: (url) => down.push(url) },
        run: (attempt, engine) =>
          runTask({
            task: attempt.task,
            outDir: dir,
            settings,
            engine: { url: engine.url, docker: engine.docker, image },
            acquire: () => engine.pool.acquire(),
            client,
            open: openSession,
            signal: new AbortController().signal,
            attempt: attempt.attempt,
          }),
      });
      expect(outcome.results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
      expect(outcome.results.every((r) => r.engine === 'unix:///var/run/docker.sock')).toBe(true);
      expect(outcome.results.every((r) => r.answer.includes('42'))).toBe(true);
      expect(retried.length).toBeGreaterThanOrEqual(1);
      expect(
        outcome.results
          .filter((r) => r.attempts === 2)
          .map((r) => r.id)
          .sort(),
      ).toEqual([...retried].sort());
      expect(down).toEqual(['tcp://127.0.0.1:1']);
    } finally {
      file.close();
      await Promise.all(engines.map((e) => e.pool.close()));
    }
    expect(readResults(dir)).toHaveLength(3);
    expect(await ourContainers(docker!)).toEqual([]);
  });
});
