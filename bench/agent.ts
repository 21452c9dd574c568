// Agent benchmark: what codecell adds to a turn beyond model and code time, and code-delta-to-screen delay.
import { PassThrough } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { connectEngine } from '../src/sandbox/engine.js';
import { ensureImage } from '../src/sandbox/image.js';
import { DockerSandbox } from '../src/sandbox/docker-sandbox.js';
import { createModelClient } from '../src/llm/client.js';
import type { ModelClient, ModelEvent } from '../src/llm/types.js';
import type { CellResult, RunOptions, Sandbox } from '../src/sandbox/types.js';
import { Session } from '../src/core/session.js';
import { OutputStore } from '../src/store/output-store.js';
import { PlainRenderer } from '../src/render/plain.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';

const TURNS = Number(process.env.BENCH_TURNS ?? 15);
const CODE = 'import matplotlib.pyplot as plt\nimport pandas as pd\ndf = pd.DataFrame({"x": range(100), "y": [i * i for i in range(100)]})\ndf.to_csv("squares.csv", index=False)\nplt.plot(df.x, df.y)\nplt.show()\nprint(df.y.sum())';

/** Times the model stream and the sandbox, so overhead = total − model − code. */
function timedClient(inner: ModelClient, spent: { model: number }): ModelClient {
  return {
    listModels: (s) => inner.listModels(s),
    async *stream(req) {
      const it = inner.stream(req);
      for (;;) {
        const t0 = performance.now();
        const step = await it.next();
        spent.model += performance.now() - t0;
        if (step.done) return;
        yield step.value as ModelEvent;
      }
    },
  };
}

function timedSandbox(inner: Sandbox, spent: { code: number }): Sandbox {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'run') {
        return async (code: string, opts?: RunOptions): Promise<CellResult> => {
          const t0 = performance.now();
          try {
            return await target.run(code, opts);
          } finally {
            spent.code += performance.now() - t0;
          }
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export async function benchAgent(): Promise<string> {
  const { docker } = await connectEngine();
  const { ref: image } = await ensureImage(docker);
  const fake = await startFakeOpenAI({
    script: (_req, i) => (i % 2 === 0 ? [{ toolCall: { code: CODE }, chunk: 4, delayMs: 2 }, { usage: { prompt: 500, completion: 80 } }] : [{ text: 'The sum is 328350; the chart and squares.csv are saved.', chunk: 6, delayMs: 2 }]),
  });
  // Arrival time of each HTTP body chunk, to measure how long a code delta takes to reach the screen.
  const arrivals: number[] = [];
  const timedFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (!res.body) return res;
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        arrivals.push(performance.now());
        controller.enqueue(value);
      },
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-bench-'));
  const spent = { model: 0, code: 0 };
  const client = timedClient(createModelClient({ apiKey: 'k', baseURL: fake.url, fetch: timedFetch }), spent);
  const real = new DockerSandbox(docker, { image });
  const sandbox = timedSandbox(real, spent);
  const session = new Session({ client, sandbox, files: new OutputStore(outDir, { session: 'bench' }), model: 'fake-model', systemPrompt: 'bench', maxTurns: 5, modelOutputChars: 8000 });
  const sink = new PassThrough();
  sink.resume();
  const renderer = new PlainRenderer({ stdout: sink, stderr: sink, stdoutIsTTY: false, stderrIsTTY: false, color: false, images: false, quiet: false, verbose: false, cellStdoutTo: 'stderr' });

  await real.start();
  const overheads: number[] = [];
  const totals: number[] = [];
  const deltaDelays: number[] = [];
  for (let t = 0; t < TURNS + 2; t++) {
    spent.model = 0;
    spent.code = 0;
    const t0 = performance.now();
    for await (const ev of session.send('chart the squares')) {
      await renderer.handle(ev);
      if (ev.type === 'code_delta' && t >= 2) {
        const now = performance.now();
        const last = arrivals[arrivals.length - 1];
        if (last !== undefined) deltaDelays.push(now - last);
      }
    }
    const total = performance.now() - t0;
    if (t >= 2) {
      totals.push(total);
      overheads.push(total - spent.model - spent.code);
    }
  }
  await real.close();
  await fake.close();
  fs.rmSync(outDir, { recursive: true, force: true });
  const rows: Row[] = [
    { measure: 'turn total (model stream + one cell with a figure and a CSV + answer)', p50: fmtMs(percentile(totals, 50)), p95: fmtMs(percentile(totals, 95)), n: String(totals.length) },
    { measure: 'codecell overhead per turn (total − model − code): parsing, events, file saves, rendering', p50: fmtMs(percentile(overheads, 50)), p95: fmtMs(percentile(overheads, 95)), n: String(overheads.length) },
    { measure: 'code delta: HTTP chunk arrival → written to the terminal stream', p50: fmtMs(percentile(deltaDelays, 50)), p95: fmtMs(percentile(deltaDelays, 95)), n: String(deltaDelays.length) },
  ];
  return printTable('Agent turn (fake OpenAI server over HTTP, real sandbox)', rows);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchAgent().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
