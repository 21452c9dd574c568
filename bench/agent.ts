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
const CODE =
  'import matplotlib.pyplot as plt\nimport pandas as pd\ndf = pd.DataFrame({"x": range(100), "y": [i * i for i in range(100)]})\ndf.to_csv("squares.csv", index=False)\nplt.plot(df.x, df.y)\nplt.show()\nprint(df.y.sum())';

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

/** The prose and code of a turn, the same for both protocols, so only the protocol differs. */
const PROSE = 'I will build the table and chart it.';
const ANSWER = 'The sum is 328350; the chart and squares.csv are saved.';

interface Measured {
  totals: number[];
  overheads: number[];
  deltaDelays: number[];
  /** Bytes of the request body that carries the cell's result back. */
  resultRequestBytes: number[];
}

export async function benchAgent(): Promise<string> {
  const { docker } = await connectEngine();
  const { ref: image } = await ensureImage(docker);
  const fake = await startFakeOpenAI({
    script: (req) => {
      const last = req.messages[req.messages.length - 1]!;
      const sawResult = last.role === 'tool' || (last.role === 'user' && String(last.content).includes('<python-output>'));
      if (sawResult) return [{ text: ANSWER, chunk: 6, delayMs: 2 }];
      // Native: a tool call; text: the same code in a ```python block, streamed in the same 4-character pieces.
      if (req.tools)
        return [{ text: PROSE, chunk: 6, delayMs: 2 }, { toolCall: { code: CODE }, chunk: 4, delayMs: 2 }, { usage: { prompt: 500, completion: 80 } }];
      return [{ text: `${PROSE}\n\n\`\`\`python\n${CODE}\n\`\`\`\n`, chunk: 4, delayMs: 2 }];
    },
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
  const sink = new PassThrough();
  sink.resume();
  const renderer = new PlainRenderer({
    stdout: sink,
    stderr: sink,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    color: false,
    images: false,
    quiet: false,
    verbose: false,
    cellStdoutTo: 'stderr',
  });

  const protocols = ['native', 'text'] as const;
  const runs = protocols.map((tools) => {
    const spent = { model: 0, code: 0 };
    const client = timedClient(createModelClient({ apiKey: 'k', baseURL: fake.url, fetch: timedFetch, tools }), spent);
    const real = new DockerSandbox(docker, { image });
    const sandbox = timedSandbox(real, spent);
    const session = new Session({
      client,
      sandbox,
      files: new OutputStore(path.join(outDir, tools), { session: 'bench' }),
      model: 'fake-model',
      systemPrompt: 'bench',
      maxModelCalls: 5,
      modelOutputChars: 8000,
    });
    const measured: Measured = { totals: [], overheads: [], deltaDelays: [], resultRequestBytes: [] };
    return { tools, spent, real, session, measured };
  });
  for (const r of runs) await r.real.start();
  // The protocols take turns, so both see the same machine load.
  for (let t = 0; t < TURNS + 2; t++) {
    for (const run of runs) {
      const { spent, session, measured } = run;
      spent.model = 0;
      spent.code = 0;
      const before = fake.requests.length;
      const t0 = performance.now();
      for await (const ev of session.send('chart the squares')) {
        await renderer.handle(ev);
        if (ev.type === 'code_delta' && t >= 2) {
          const last = arrivals[arrivals.length - 1];
          if (last !== undefined) measured.deltaDelays.push(performance.now() - last);
        }
      }
      const total = performance.now() - t0;
      if (t >= 2) {
        measured.totals.push(total);
        measured.overheads.push(total - spent.model - spent.code);
        const second = fake.requests[before + 1];
        if (second) measured.resultRequestBytes.push(JSON.stringify(second).length);
      }
    }
  }
  for (const r of runs) await r.real.close();
  await fake.close();
  fs.rmSync(outDir, { recursive: true, force: true });
  const rows: Row[] = [];
  for (const { tools, measured: m } of runs) {
    rows.push(
      {
        measure: `${tools}: turn total (model stream + one cell with a figure and a CSV + answer)`,
        p50: fmtMs(percentile(m.totals, 50)),
        p95: fmtMs(percentile(m.totals, 95)),
        n: String(m.totals.length),
      },
      {
        measure: `${tools}: codecell overhead per turn (total − model − code): parsing, events, file saves, rendering`,
        p50: fmtMs(percentile(m.overheads, 50)),
        p95: fmtMs(percentile(m.overheads, 95)),
        n: String(m.overheads.length),
      },
      {
        measure: `${tools}: code delta: HTTP chunk arrival → written to the terminal stream`,
        p50: fmtMs(percentile(m.deltaDelays, 50)),
        p95: fmtMs(percentile(m.deltaDelays, 95)),
        n: String(m.deltaDelays.length),
      },
      {
        measure: `${tools}: bytes of the request that returns the cell's output (the conversation grows each turn)`,
        p50: String(percentile(m.resultRequestBytes, 50)),
        p95: String(percentile(m.resultRequestBytes, 95)),
        n: String(m.resultRequestBytes.length),
      },
    );
  }
  return printTable('Agent turn, native tool calls vs the text protocol (fake OpenAI server over HTTP, real sandbox, turns alternate)', rows);
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
