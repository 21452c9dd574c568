// Batch throughput: 20 one-cell tasks at concurrency 1, 2 and 4, cold, pooled and pooled with recycling, against an in-process fake model server.
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

/** cold: a container started per task; pooled: started ahead, removed after its task; recycled: pooled, and reset for the next task. */
type Mode = 'cold' | 'pooled' | 'recycled';
const MODES: Mode[] = ['cold', 'pooled', 'recycled'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Measured {
  wallMs: number;
  results: TaskResult[];
  recycled: { ok: number; failed: number };
}

async function run(concurrency: number, mode: Mode): Promise<Measured> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-bench-batch-'));
  const tasks = parseTasks(Array.from({ length: TASKS }, (_, i) => `bench task ${i}`).join('\n'), { baseDir: dir, format: 'text' });
  // The same plan as `codecell batch` (cold starts follow its warming choice too, so the modes differ only in the pool).
  const plan = poolPlan(concurrency, os.availableParallelism());
  const pool = new SandboxPool({
    create: ({ deferWarm }) => new DockerSandbox(docker, { image, limits, deferWarm, labels: { 'dev.codecell.bench': 'batch' } }),
    size: mode === 'cold' ? 0 : plan.size,
    warmOnAcquire: plan.warmOnAcquire,
    recycle: mode === 'recycled',
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
    return { wallMs: performance.now() - t0, results: outcome.results, recycled: { ...pool.recycled } };
  } finally {
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const faster = (ms: number, coldMs: number): string => {
  const gain = Math.round(100 * (1 - ms / coldMs));
  return gain >= 0 ? `${gain} % faster` : `${-gain} % slower`;
};
// One throwaway task first, so image layers and Python's caches are warm for every measured row.
await run(1, 'cold').catch(() => undefined);
const measured = new Map<string, Measured[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const concurrency of LEVELS) {
    // The modes take turns, in a rotating order, so a burst of load from elsewhere hits each alike.
    for (let k = 0; k < MODES.length; k++) {
      const mode = MODES[(k + round) % MODES.length]!;
      const got = await run(concurrency, mode);
      const key = `${mode} ${concurrency}`;
      measured.set(key, [...(measured.get(key) ?? []), got]);
      process.stderr.write(`round ${round + 1}: ${mode} x${concurrency} ${fmtMs(got.wallMs)}\n`);
    }
  }
}
const rows: Row[] = [];
for (const mode of MODES) {
  for (const concurrency of LEVELS) {
    const runs = measured.get(`${mode} ${concurrency}`)!;
    const wallMs = median(runs.map((r) => r.wallMs));
    const coldMs = median(measured.get(`cold ${concurrency}`)!.map((r) => r.wallMs));
    const results = runs.flatMap((r) => r.results);
    const t = (pick: (r: TaskResult) => number): number => mean(results.map(pick));
    const resets = runs.reduce((sum, r) => sum + r.recycled.ok, 0);
    const failed = runs.reduce((sum, r) => sum + r.recycled.failed, 0);
    rows.push({
      start: mode,
      concurrency: String(concurrency),
      'wall (median)': fmtMs(wallMs),
      'vs cold': mode === 'cold' ? '—' : faster(wallMs, coldMs),
      'tasks/min': ((TASKS / wallMs) * 60_000).toFixed(0),
      // Wall time each slot spent per task: includes removing (or resetting) the container after the result is written.
      'slot time/task': fmtMs((wallMs * concurrency) / TASKS),
      model: fmtMs(t((r) => r.timings.model_ms)),
      code: fmtMs(t((r) => r.timings.code_ms)),
      'sandbox wait': fmtMs(t((r) => r.timings.sandbox_ms)),
      'overhead − wait': fmtMs(t((r) => r.timings.total_ms - r.timings.model_ms - r.timings.code_ms - r.timings.sandbox_ms)),
      'resets/run': mode === 'recycled' ? `${(resets / runs.length).toFixed(0)}${failed ? ` (${failed} failed)` : ''}` : '—',
    });
  }
}
printTable(`codecell batch: ${TASKS} one-cell tasks, fake model in-process, ${os.availableParallelism()} cores, median of ${ROUNDS} alternated rounds`, rows);
await fake.close();
