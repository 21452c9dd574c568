// Batch throughput: 20 one-cell tasks at concurrency 1, 2 and 4, pooled and cold, against an in-process fake model server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { resolveConfig } from '../src/config/resolve.js';
import { createModelClient } from '../src/llm/client.js';
import { connectEngine } from '../src/sandbox/engine.js';
import { ensureImage } from '../src/sandbox/image.js';
import { DockerSandbox } from '../src/sandbox/docker-sandbox.js';
import { SandboxPool, poolPlan } from '../src/sandbox/pool.js';
import { runTask } from '../src/batch/run-task.js';
import { openSession } from '../src/cli/open-session.js';
import { schedule } from '../src/batch/scheduler.js';
import { parseTasks } from '../src/batch/tasks.js';
import type { TaskResult } from '../src/batch/results.js';
import { fmtMs, printTable, type Row } from './stats.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 20);
const LEVELS = [1, 2, 4];

const fake = await startFakeOpenAI({
  script: (request) => {
    const last = request.messages[request.messages.length - 1]!;
    if (last.role === 'user') return [{ toolCall: { code: 'print(sum(range(1000)))' } }];
    return [{ text: `done: ${String(last.content).slice(0, 20)}` }];
  },
});
const { docker } = await connectEngine();
const image = (await ensureImage(docker)).ref;
const { settings } = resolveConfig({ flags: { baseUrl: fake.url, apiKey: 'sk-bench', memory: '512m' }, env: {}, file: {} });
const client = createModelClient({ apiKey: 'sk-bench', baseURL: fake.url });
const limits = { memoryBytes: 512 * 1024 * 1024, pids: 128, cpus: 1 };

async function run(concurrency: number, pooled: boolean): Promise<{ wallMs: number; results: TaskResult[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-bench-batch-'));
  const tasks = parseTasks(Array.from({ length: TASKS }, (_, i) => `bench task ${i}`).join('\n'), { baseDir: dir, format: 'text' });
  // The same plan as `codecell batch` (cold starts follow its warming choice too, so the two differ only in the pool).
  const plan = poolPlan(concurrency, os.availableParallelism());
  const pool = new SandboxPool({
    create: ({ deferWarm }) => new DockerSandbox(docker, { image, limits, deferWarm }),
    size: pooled ? plan.size : 0,
    warmOnAcquire: plan.warmOnAcquire,
  });
  const engine = { url: 'local', concurrency, expect: (n: number) => pool.expect(n) };
  const t0 = performance.now();
  try {
    const outcome = await schedule({
      tasks,
      engines: [engine],
      record: () => undefined,
      run: (attempt) =>
        runTask({
          task: attempt.task,
          outDir: dir,
          settings: { ...settings, outDir: dir },
          engine: { url: 'local', docker, image },
          acquire: () => pool.acquire(),
          client,
          open: openSession,
          signal: new AbortController().signal,
          attempt: attempt.attempt,
        }),
    });
    const bad = outcome.results.filter((r) => r.status !== 'ok');
    if (bad.length) throw new Error(`${bad.length} task(s) failed: ${bad[0]!.error}`);
    return { wallMs: performance.now() - t0, results: outcome.results };
  } finally {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const rows: Row[] = [];
// One throwaway task first, so image layers and Python's caches are warm for every measured row.
await run(1, false).catch(() => undefined);
for (const pooled of [false, true]) {
  for (const concurrency of LEVELS) {
    const { wallMs, results } = await run(concurrency, pooled);
    const t = (pick: (r: TaskResult) => number): number => mean(results.map(pick));
    rows.push({
      start: pooled ? 'pooled' : 'cold',
      concurrency: String(concurrency),
      wall: fmtMs(wallMs),
      'tasks/min': ((TASKS / wallMs) * 60_000).toFixed(0),
      // Wall time each slot spent per task: includes removing the container after the result is written.
      'slot time/task': fmtMs((wallMs * concurrency) / TASKS),
      'total/task': fmtMs(t((r) => r.timings.total_ms)),
      model: fmtMs(t((r) => r.timings.model_ms)),
      code: fmtMs(t((r) => r.timings.code_ms)),
      'sandbox wait': fmtMs(t((r) => r.timings.sandbox_ms)),
      'overhead/task': fmtMs(t((r) => r.timings.total_ms - r.timings.model_ms - r.timings.code_ms)),
      'overhead − wait': fmtMs(t((r) => r.timings.total_ms - r.timings.model_ms - r.timings.code_ms - r.timings.sandbox_ms)),
    });
    process.stderr.write(`done: ${pooled ? 'pooled' : 'cold'} x${concurrency}\n`);
  }
}
printTable(`codecell batch: ${TASKS} one-cell tasks, fake model in-process, ${os.availableParallelism()} cores`, rows);
await fake.close();
