// A batch with a recycling pool: a task's sandbox goes to the next task reset, only when the task ended normally; real engine, real HTTP model.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { cellThenText, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { recyclingPool, sandboxGone, sandboxImage } from '../sandbox/sandbox-image.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { createModelClient } from '../../src/llm/client.js';
import { runTask } from '../../src/batch/run-task.js';
import { openSession } from '../../src/cli/open-session.js';
import { schedule } from '../../src/batch/scheduler.js';
import { parseTasks } from '../../src/batch/tasks.js';

const docker = await engineOrSkip();

/** The cell each prompt makes the model run; the answer repeats the cell's output. */
const CELLS: Record<string, string> = {
  write: 'secret = 1\nopen("/mnt/data/task-one.txt", "w").write("mine")\nprint("wrote")',
  look: 'import os\nprint("secret" in globals(), os.listdir("/mnt/data"))',
  hang: 'import time\ntime.sleep(60)',
};

describe.skipIf(!docker)('batch with recycling', () => {
  let fake: FakeOpenAI;
  let dir: string;
  beforeAll(async () => {
    fake = await startFakeOpenAI({
      script: cellThenText(
        (user) => CELLS[user.trim()] ?? 'print(0)',
        (_user, last) => `answer: ${String(last.content)}`,
      ),
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-recycle-'));
  });
  afterAll(async () => {
    await fake?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("hands a finished task its predecessor's container, reset, and removes one whose task timed out", async () => {
    const image = await sandboxImage(docker!);
    const { settings } = resolveConfig({ flags: { baseUrl: fake.url, apiKey: 'sk-test', outDir: dir }, env: {}, file: {} });
    const client = createModelClient({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0 });
    const { pool, made } = recyclingPool(docker!, image);
    const lines = [
      { id: 'write', prompt: 'write' },
      { id: 'look', prompt: 'look' },
      { id: 'hang', prompt: 'hang', timeout: 2 },
      { id: 'after', prompt: 'look' },
    ];
    const handedOut: string[] = [];
    const tasks = parseTasks(lines.map((l) => JSON.stringify(l)).join('\n'), { baseDir: dir, format: 'jsonl' });
    try {
      const outcome = await schedule({
        tasks,
        engines: [{ url: 'local', concurrency: 1, expect: (n) => pool.expect(n) }],
        record: () => undefined,
        run: (attempt) =>
          runTask({
            task: attempt.task,
            outDir: dir,
            settings,
            engine: { url: 'local', docker: docker!, image },
            acquire: async () => {
              const got = await pool.acquire();
              handedOut.push(got.sandbox.id);
              return got;
            },
            client,
            open: openSession,
            ...(attempt.task.timeout ? { timeoutMs: attempt.task.timeout * 1000 } : {}),
            signal: new AbortController().signal,
            attempt: attempt.attempt,
          }),
      });
      const byId = Object.fromEntries(outcome.results.map((r) => [r.id, r]));
      expect(byId.write?.status).toBe('ok');
      expect(byId.write?.files.map((f) => path.basename(f.path))).toEqual(['task-one.txt']);
      // The same container, but nothing of the task before: no variable, no file, nothing to save.
      expect(byId.look?.status).toBe('ok');
      expect(byId.look?.answer).toContain('False []');
      expect(byId.look?.files).toEqual([]);
      expect(byId.hang?.status).toBe('timeout');
      expect(byId.after?.answer).toContain('False []');
      // write → look → hang reused the first container; the timed-out task's was removed, not reset.
      expect(pool.recycled).toEqual({ ok: 2, failed: 0 });
      expect(made).toHaveLength(2);
      const [first] = handedOut;
      expect(handedOut).toEqual([first, first, first, expect.not.stringMatching(first!)]);
      expect(await sandboxGone(docker!, first!)).toBe(true);
    } finally {
      await pool.close();
    }
    expect(made.every((b) => b.state === 'stopped')).toBe(true);
  }, 90_000);
});
