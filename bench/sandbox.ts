// Sandbox benchmark: ready time, warm round trips (codecell vs docker exec vs jupyter_client), first PNG, throughput, and the wire-speed goals side by side with their baselines; then every backend side by side.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectEngine } from '../src/sandbox/engine.js';
import { ensureBenchImage, ensureImage } from '../src/sandbox/image.js';
import { DockerSandbox } from '../src/sandbox/docker-sandbox.js';
import type Docker from 'dockerode';
import { fmtMs, percentile, printTable, type Row } from './stats.js';
import { benchBackends } from './backends.js';

const N_READY = Number(process.env.BENCH_READY ?? 10);
const N_WARM = Number(process.env.BENCH_WARM ?? 300);
const N_EXEC = Number(process.env.BENCH_EXEC ?? 20);
const N_PNG = Number(process.env.BENCH_PNG ?? 5);
const THROUGHPUT_MB = Number(process.env.BENCH_MB ?? 50);
const N_FILE = Number(process.env.BENCH_FILE ?? 3);
const FILE_MB = 100;
const N_FIG = Number(process.env.BENCH_FIG ?? 10);
/** The CSV both sides move: ~100 MB of a typical row. */
const CSV_CELL = (name: string): string =>
  `row = b'1234567,2.5,hello world,abcdefghij\\n'\nwith open('${name}', 'wb') as f:\n    f.write(row * (${FILE_MB} * 1024 * 1024 // len(row)))`;

const CSV_ROW = '1234567,2.5,hello world,abcdefghij\n';
const CSV_SHA256 = createHash('sha256')
  .update(CSV_ROW.repeat(Math.floor((FILE_MB * 1024 * 1024) / CSV_ROW.length)))
  .digest('hex');

/** `docker run --rm IMAGE true` through the API (no CLI start-up counted): create, start, wait until removed. */
async function dockerRunTrue(docker: Docker, image: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const c = await docker.createContainer({
      Image: image,
      Cmd: ['true'],
      Entrypoint: [],
      NetworkDisabled: true,
      Labels: { 'codecell.bench': 'run-true' },
      HostConfig: { AutoRemove: true },
    });
    const removed = c.wait({ condition: 'removed' });
    await c.start();
    await removed;
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * A cell writes a 100 MB CSV to /mnt/data; timed from run() to the file written on the host disk (what
 * `run` and the chat do with a file event), the cell's own writing included.
 */
async function fileOut(sb: DockerSandbox, dir: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    let saved = '';
    const r = await sb.run(CSV_CELL(`out${i}.csv`), {
      onEvent: (e) => {
        if (e.type !== 'file') return;
        saved = path.join(dir, e.file.name);
        fs.writeFileSync(saved, e.file.data);
      },
    });
    // The host checked the bytes against the sha256 the kernel signed before the event; the bench's
    // own check below is a test of that, outside the timing (docker cp's side checks nothing).
    times.push(performance.now() - t0);
    if (r.status !== 'ok' || !saved) throw new Error(`file cell ended ${r.status} without a file`);
    const digest = createHash('sha256').update(fs.readFileSync(saved)).digest('hex');
    if (digest !== CSV_SHA256) throw new Error('file arrived damaged');
    fs.rmSync(saved);
  }
  return times;
}

/**
 * `docker cp` of the same 100 MB CSV out of a plain container of the same image (docker cp cannot read
 * the sandbox's tmpfs), written by a cell-like command first; only the copy is timed.
 */
async function dockerCp(docker: Docker, image: string, dir: string, n: number): Promise<number[] | string> {
  if (spawnSync('docker', ['version', '--format', '{{.Client.Version}}']).status !== 0) return 'docker CLI not found';
  const c = await docker.createContainer({
    Image: image,
    Entrypoint: ['python3', '-c', CSV_CELL('/tmp/big.csv') + '\nimport time\ntime.sleep(600)'],
    NetworkDisabled: true,
    Labels: { 'codecell.bench': 'docker-cp' },
  });
  try {
    await c.start();
    for (let i = 0; i < 100; i++) {
      const size = await c.exec({ Cmd: ['stat', '-c', '%s', '/tmp/big.csv'], AttachStdout: true }).then(async (e) => {
        const s = await e.start({ hijack: true, stdin: false });
        let out = '';
        s.on('data', (d: Buffer) => (out += d.toString('latin1')));
        await new Promise((r) => s.on('end', r));
        return Number(/(\d{6,})/.exec(out)?.[1] ?? 0);
      });
      if (size >= FILE_MB * 1024 * 1024 - 64) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const dest = path.join(dir, `cp${i}.csv`);
      const t0 = performance.now();
      const r = spawnSync('docker', ['cp', `${c.id}:/tmp/big.csv`, dest]);
      times.push(performance.now() - t0);
      if (r.status !== 0) return `docker cp failed: ${r.stderr.toString().trim()}`;
      fs.rmSync(dest);
    }
    return times;
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * plt.show() → image event on the host, against the kernel's own savefig of the same figure (png,
 * bbox_inches='tight', as the kernel renders it) timed inside. A figure left open is flushed at the
 * end of its cell, so show() cannot have a cell of its own: its cost is the time to the image event
 * of `draw; plt.show()` minus the round trip of `draw; plt.close(fig)` (same cell without the figure),
 * alternated so load hits all three alike.
 */
async function figureVsSavefig(sb: DockerSandbox, n: number): Promise<{ show: number[]; savefig: number[] }> {
  const draw = 'fig = plt.figure()\nplt.plot([1, 3, 2, 4, 3]); plt.title("typical chart"); plt.xlabel("x"); plt.ylabel("y")';
  await sb.run('import matplotlib.pyplot as plt, io, time');
  const withShow: number[] = [];
  const without: number[] = [];
  const savefig: number[] = [];
  for (let i = 0; i < n + 2; i++) {
    let at = 0;
    let t0 = performance.now();
    await sb.run(`${draw}\nplt.show()`, {
      onEvent: (e) => {
        if (e.type === 'image' && !at) at = performance.now();
      },
    });
    if (!at) throw new Error('no figure arrived');
    const shown = at - t0;
    t0 = performance.now();
    await sb.run(`${draw}\nplt.close(fig)`);
    const closed = performance.now() - t0;
    let out = '';
    await sb.run(
      `${draw}\nb = io.BytesIO(); t = time.perf_counter(); fig.savefig(b, format="png", bbox_inches="tight"); print((time.perf_counter() - t) * 1000); plt.close(fig)`,
      {
        onEvent: (e) => {
          if (e.type === 'stdout') out += e.text;
        },
      },
    );
    if (i < 2) continue;
    withShow.push(shown);
    without.push(closed);
    savefig.push(Number(out));
  }
  const show = withShow.map((v, i) => Math.max(0, v - without[i]!));
  return { show, savefig };
}

async function readyTimes(docker: Docker, image: string, n = N_READY): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const sb = new DockerSandbox(docker, { image });
    const t0 = performance.now();
    await sb.start();
    times.push(performance.now() - t0);
    await sb.close();
  }
  return times;
}

/**
 * Waits until the kernel has finished its background imports (its `warm` message): a warm round trip
 * is one with nothing else running in the kernel, as jupyter_client's is, and the throughput and file
 * rows measure the channel, not the channel against a second of imports on the same two cores. Timing
 * while numpy, pandas and pyplot still imported measured that contention instead (about 0.3 ms of every
 * print(1), half the stdout rate). The first-cell rows are where start-up and warming show. Kernels that
 * never say warm (a baseline image before warming existed) are timed after 10 s.
 */
async function settled(sb: DockerSandbox): Promise<void> {
  for (let waited = 0; !sb.warmed && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
}

/** Starts a sandbox whose kernel speaks over the engine's attach stream (what remote engines use). */
async function startOnAttach(sb: DockerSandbox): Promise<DockerSandbox> {
  const before = process.env.CODECELL_KERNEL_CHANNEL;
  process.env.CODECELL_KERNEL_CHANNEL = 'attach';
  try {
    await sb.start();
  } finally {
    if (before === undefined) delete process.env.CODECELL_KERNEL_CHANNEL;
    else process.env.CODECELL_KERNEL_CHANNEL = before;
  }
  return sb;
}

async function warmRoundTrips(sb: DockerSandbox, n: number, code = 'print(1)'): Promise<number[]> {
  await settled(sb);
  for (let i = 0; i < 20; i++) await sb.run(code);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await sb.run(code);
    times.push(performance.now() - t0);
    if (r.status !== 'ok') throw new Error(`${code} failed: ${r.status}`);
  }
  return times;
}

/** Warm round trips of two cells with the same kind of output (a result), alternated so load hits both alike. */
async function pairedRoundTrips(sb: DockerSandbox, a: string, b: string, n: number): Promise<[number[], number[]]> {
  await settled(sb);
  for (let i = 0; i < 20; i++) {
    await sb.run(a);
    await sb.run(b);
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const [code, into] of [
      [a, ta],
      [b, tb],
    ] as const) {
      const t0 = performance.now();
      const r = await sb.run(code);
      into.push(performance.now() - t0);
      if (r.status !== 'ok') throw new Error(`${code} failed: ${r.status}`);
    }
  }
  return [ta, tb];
}

/**
 * Create → ready, then the first cell's round trip (sent the moment the kernel is ready, as `exec` does),
 * for each image in turn, alternating per round so load on the machine hits all alike.
 */
async function firstCell(docker: Docker, images: string[], code: string, rounds = N_READY): Promise<{ ready: number[]; first: number[] }[]> {
  const out = images.map(() => ({ ready: [] as number[], first: [] as number[] }));
  for (let i = 0; i < rounds; i++) {
    for (const [k, image] of images.entries()) {
      const sb = new DockerSandbox(docker, { image });
      const t0 = performance.now();
      await sb.start();
      const t1 = performance.now();
      const r = await sb.run(code);
      out[k]!.first.push(performance.now() - t1);
      out[k]!.ready.push(t1 - t0);
      if (r.status !== 'ok') throw new Error(`first cell ${code} failed: ${r.status}`);
      await sb.close();
    }
  }
  return out;
}

async function dockerExecRoundTrips(docker: Docker, containerId: string, n: number): Promise<number[]> {
  const container = docker.getContainer(containerId);
  const times: number[] = [];
  for (let i = 0; i < n + 2; i++) {
    const t0 = performance.now();
    const exec = await container.exec({ Cmd: ['python3', '-c', 'print(1)'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
      stream.resume();
    });
    if (i >= 2) times.push(performance.now() - t0);
  }
  return times;
}

/** (c) jupyter_client driving ipykernel inside the same kind of container (timed inside, so no attach transport is counted for it). */
const JUPYTER_CODE = (n: number) => `
import os, time, statistics, json
os.environ.setdefault('JUPYTER_RUNTIME_DIR', '/tmp/jupyter-runtime')
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name='python3')
def once():
    t0 = time.perf_counter()
    msg_id = kc.execute('print(1)')
    while True:
        msg = kc.get_iopub_msg(timeout=10)
        if msg['parent_header'].get('msg_id') == msg_id and msg['msg_type'] == 'status' and msg['content']['execution_state'] == 'idle':
            break
    return (time.perf_counter() - t0) * 1000
for _ in range(20): once()
times = [once() for _ in range(${n})]
kc.stop_channels(); km.shutdown_kernel(now=True)
print('JUPYTER' + json.dumps(times))
`;

async function jupyterRoundTrips(docker: Docker, n: number): Promise<number[] | string> {
  let image: string;
  try {
    image = await ensureBenchImage(docker);
  } catch (err) {
    return `bench image unavailable: ${(err as Error).message}`;
  }
  const sb = new DockerSandbox(docker, { image, limits: { timeoutMs: 300_000 } });
  try {
    await sb.start();
    let out = '';
    const r = await sb.run(JUPYTER_CODE(n), {
      onEvent: (e) => {
        if (e.type === 'stdout' || e.type === 'stderr') out += e.text;
      },
    });
    const line = out.split('\n').find((l) => l.startsWith('JUPYTER'));
    if (r.status !== 'ok' || !line) return `jupyter run failed: ${r.status} ${out.slice(-300)}`;
    return JSON.parse(line.slice('JUPYTER'.length)) as number[];
  } finally {
    await sb.close();
  }
}

const PLOT = 'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()';

async function firstPng(docker: Docker, image: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < N_PNG; i++) {
    const sb = new DockerSandbox(docker, { image });
    const t0 = performance.now();
    await sb.start();
    let at = 0;
    await sb.run('import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()', {
      onEvent: (e) => {
        if (e.type === 'image' && !at) at = performance.now();
      },
    });
    if (!at) throw new Error('no figure arrived');
    times.push(at - t0);
    await sb.close();
  }
  return times;
}

async function throughput(docker: Docker, image: string, attach = false): Promise<{ mbps: number; bytes: number; peakRssMb: number; baseRssMb: number }> {
  const bytes = THROUGHPUT_MB * 1024 * 1024;
  const sb = new DockerSandbox(docker, { image, limits: { maxOutputBytes: bytes * 2, timeoutMs: 300_000 } });
  if (attach) await startOnAttach(sb);
  else await sb.start();
  await settled(sb);
  await sb.run('print(1)');
  global.gc?.();
  const baseRss = process.memoryUsage().rss;
  let peak = baseRss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  let received = 0;
  const t0 = performance.now();
  const r = await sb.run(`import sys\nline = 'x' * 1023 + '\\n'\nw = sys.stdout.write\nfor _ in range(${bytes / 1024}): w(line)\nsys.stdout.flush()`, {
    onEvent: (e) => {
      if (e.type === 'stdout') received += e.text.length;
    },
  });
  const ms = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await sb.close();
  if (r.status !== 'ok') throw new Error(`throughput cell ended ${r.status}: ${r.message ?? ''}`);
  return { mbps: received / 1024 / 1024 / (ms / 1000), bytes: received, peakRssMb: peak / 1024 / 1024, baseRssMb: baseRss / 1024 / 1024 };
}

export async function benchSandbox(): Promise<string> {
  const { docker, info } = await connectEngine();
  const { ref: image } = await ensureImage(docker);
  console.log(`engine ${info.version} at ${info.endpoint}; image ${image}`);

  // The image of the kernel before IPython (BENCH_BASELINE_IMAGE), measured in the same run for ratios.
  const baseline = process.env.BENCH_BASELINE_IMAGE;
  // Ready and `docker run --rm IMAGE true` alternated, so load on the machine hits both alike.
  const ready: number[] = [];
  const runTrue: number[] = [];
  for (let i = 0; i < N_READY; i++) {
    ready.push(...(await readyTimes(docker, image, 1)));
    runTrue.push(...(await dockerRunTrue(docker, image, 1)));
  }
  const images = baseline ? [image, baseline] : [image];
  const [firstPrint, basePrint] = await firstCell(docker, images, 'print(1)');
  const [firstNumpy, baseNumpy] = await firstCell(docker, images, 'import numpy as np\nprint(np.arange(3).sum())');
  const [firstMagic] = await firstCell(docker, [image], '%time x = sum(range(10))');
  const [firstPlot, basePlot] = await firstCell(docker, images, PLOT, N_PNG);
  const sb = new DockerSandbox(docker, { image });
  await sb.start();
  const warm = await warmRoundTrips(sb, N_WARM);
  const channel = sb.channel;
  const [plainCell, magicCell] = await pairedRoundTrips(sb, 'import os\nos.getcwd()', '%pwd', N_WARM);
  const execTimes = await dockerExecRoundTrips(docker, sb.id, N_EXEC);
  const fig = await figureVsSavefig(sb, N_FIG);
  await sb.close();
  const onAttach = await startOnAttach(new DockerSandbox(docker, { image }));
  const warmAttach = await warmRoundTrips(onAttach, N_WARM);
  await onAttach.close();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-bench-files-'));
  const fileLimits = { maxFileBytes: 2 * FILE_MB * 1024 * 1024, timeoutMs: 300_000 };
  const fileSb = new DockerSandbox(docker, { image, limits: fileLimits });
  const fileAttach = new DockerSandbox(docker, { image, limits: fileLimits });
  let files: number[];
  const filesAttach: number[] = [];
  let cp: number[] | string;
  try {
    await fileSb.start();
    await startOnAttach(fileAttach);
    await Promise.all([settled(fileSb), settled(fileAttach)]);
    // alternated one by one with docker cp, so load hits both alike
    files = [];
    const cps: number[] = [];
    let cpProblem = '';
    for (let i = 0; i < N_FILE; i++) {
      files.push(...(await fileOut(fileSb, dir, 1)));
      filesAttach.push(...(await fileOut(fileAttach, dir, 1)));
      const c = await dockerCp(docker, image, dir, 1);
      if (typeof c === 'string') cpProblem = c;
      else cps.push(...c);
    }
    cp = cpProblem || cps;
  } finally {
    await fileSb.close();
    await fileAttach.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  let baseWarm: number[] | undefined;
  if (baseline) {
    const base = new DockerSandbox(docker, { image: baseline });
    await base.start();
    baseWarm = await warmRoundTrips(base, N_WARM);
    await base.close();
  }
  const jupyter = await jupyterRoundTrips(docker, N_WARM);
  const png = await firstPng(docker, image);
  const tp = await throughput(docker, image);
  const tpAttach = await throughput(docker, image, true);

  const p50 = (v: number[]) => fmtMs(percentile(v, 50));
  const ratio = (a: number[], b: number[]) => `${(percentile(a, 50) / percentile(b, 50)).toFixed(2)}×`;
  const p95 = (v: number[]) => fmtMs(percentile(v, 95));
  const w50 = percentile(warm, 50);
  const x = (a: number, b: number, digits = 1): string => `${(a / b).toFixed(digits)}×`;
  const jup50 = typeof jupyter === 'string' ? NaN : percentile(jupyter, 50);
  const growth = tp.peakRssMb - tp.baseRssMb;
  const goals: Row[] = [
    {
      goal: 'warm print(1) vs docker exec python3 -c',
      target: '≥ 100× faster',
      measured: `${p50(warm)} vs ${p50(execTimes)}`,
      ratio: x(percentile(execTimes, 50), w50, 0),
      met: percentile(execTimes, 50) / w50 >= 100 ? 'yes' : 'no',
    },
    {
      goal: 'warm print(1) vs jupyter_client + ipykernel (inside)',
      target: '≥ 5× faster',
      measured: `${p50(warm)} vs ${fmtMs(jup50)}`,
      ratio: x(jup50, w50),
      met: jup50 / w50 >= 5 ? 'yes' : 'no',
    },
    {
      goal: `stdout throughput, ${THROUGHPUT_MB} MB`,
      target: '≥ 150 MB/s',
      measured: `${tp.mbps.toFixed(0)} MB/s`,
      ratio: x(tp.mbps, 150, 2) + ' of target',
      met: tp.mbps >= 150 ? 'yes' : 'no',
    },
    {
      goal: `host peak RSS growth for ${THROUGHPUT_MB} MB`,
      target: '≤ 32 MB',
      measured: `${growth.toFixed(0)} MB`,
      ratio: x(growth, 32, 2) + ' of cap',
      met: growth <= 32 ? 'yes' : 'no',
    },
    typeof cp === 'string'
      ? { goal: `${FILE_MB} MB CSV on the host vs docker cp`, target: '≤ 1.5×', measured: `${p50(files)}; ${cp}`, ratio: '—', met: '—' }
      : {
          goal: `${FILE_MB} MB CSV on the host vs docker cp`,
          target: '≤ 1.5×',
          measured: `${p50(files)} vs ${p50(cp)}`,
          ratio: x(percentile(files, 50), percentile(cp, 50), 2),
          met: percentile(files, 50) / percentile(cp, 50) <= 1.5 ? 'yes' : 'no',
        },
    {
      goal: 'plt.show() → PNG event vs savefig alone',
      target: '≤ 1.2×',
      measured: `${p50(fig.show)} vs ${p50(fig.savefig)}`,
      ratio: x(percentile(fig.show, 50), percentile(fig.savefig, 50), 2),
      met: percentile(fig.show, 50) / percentile(fig.savefig, 50) <= 1.2 ? 'yes' : 'no',
    },
    {
      goal: 'sandbox ready vs docker run --rm IMAGE true',
      target: '≤ 1.5×',
      measured: `${p50(ready)} vs ${p50(runTrue)}`,
      ratio: x(percentile(ready, 50), percentile(runTrue, 50), 2),
      met: percentile(ready, 50) / percentile(runTrue, 50) <= 1.5 ? 'yes' : 'no',
    },
  ];
  const rows: Row[] = [
    { measure: 'sandbox ready (create → kernel ready)', p50: p50(ready), p95: p95(ready), n: String(N_READY), note: 'target ≤ 400 ms' },
    { measure: 'warm print(1): codecell kernel', p50: p50(warm), p95: p95(warm), n: String(N_WARM), note: `target ≤ 5 ms; kernel on its ${channel}` },
    {
      measure: 'warm print(1): codecell kernel on the attach stream',
      p50: p50(warmAttach),
      p95: p95(warmAttach),
      n: String(N_WARM),
      note: `what remote engines use; ${ratio(warmAttach, warm)} of the socket's`,
    },
    ...(baseWarm
      ? [
          {
            measure: 'warm print(1): kernel before IPython',
            p50: p50(baseWarm),
            p95: p95(baseWarm),
            n: String(N_WARM),
            note: `with IPython ${ratio(warm, baseWarm)} of this`,
          },
        ]
      : []),
    {
      measure: 'warm print(1): docker exec python3 -c',
      p50: p50(execTimes),
      p95: p95(execTimes),
      n: String(N_EXEC),
      note: `codecell is ${(percentile(execTimes, 50) / w50).toFixed(0)}× faster (target ≥ 10×)`,
    },
    typeof jupyter === 'string'
      ? { measure: 'warm print(1): jupyter_client + ipykernel', p50: '—', p95: '—', n: '0', note: jupyter }
      : {
          measure: 'warm print(1): jupyter_client + ipykernel',
          p50: p50(jupyter),
          p95: p95(jupyter),
          n: String(jupyter.length),
          note: `timed inside the container (no attach hop); codecell ${w50 <= percentile(jupyter, 50) ? 'is not slower' : 'is slower'} (${(percentile(jupyter, 50) / w50).toFixed(1)}×)`,
        },
    {
      measure: 'a magic cell (%pwd) vs the same in Python (os.getcwd())',
      p50: p50(magicCell),
      p95: p95(magicCell),
      n: String(magicCell.length),
      note: `Python ${p50(plainCell)}; the magic adds ${fmtMs(percentile(magicCell, 50) - percentile(plainCell, 50))} (target < 1 ms)`,
    },
    {
      measure: 'first cell print(1), sent at ready',
      p50: p50(firstPrint!.first),
      p95: p95(firstPrint!.first),
      n: String(N_READY),
      note: basePrint ? `kernel before IPython: ${p50(basePrint.first)} (${ratio(firstPrint!.first, basePrint.first)})` : 'set BENCH_BASELINE_IMAGE to compare',
    },
    {
      measure: 'first cell importing numpy, sent at ready',
      p50: p50(firstNumpy!.first),
      p95: p95(firstNumpy!.first),
      n: String(N_READY),
      note: baseNumpy ? `kernel before IPython: ${p50(baseNumpy.first)} (${ratio(firstNumpy!.first, baseNumpy.first)})` : 'set BENCH_BASELINE_IMAGE to compare',
    },
    {
      measure: 'first cell with a magic (%time), sent at ready',
      p50: p50(firstMagic!.first),
      p95: p95(firstMagic!.first),
      n: String(N_READY),
      note: 'waits for the IPython shell (built in the background after ready); before IPython this cell failed',
    },
    {
      measure: 'first cell plotting (pyplot + show), sent at ready',
      p50: p50(firstPlot!.first),
      p95: p95(firstPlot!.first),
      n: String(N_PNG),
      note: basePlot ? `kernel before IPython: ${p50(basePlot.first)} (${ratio(firstPlot!.first, basePlot.first)})` : 'set BENCH_BASELINE_IMAGE to compare',
    },
    ...(basePrint
      ? [
          {
            measure: 'sandbox ready: kernel before IPython',
            p50: p50([...basePrint.ready, ...baseNumpy!.ready]),
            p95: p95([...basePrint.ready, ...baseNumpy!.ready]),
            n: String(N_READY * 2),
            note: `with IPython ${p50([...firstPrint!.ready, ...firstNumpy!.ready])} (${ratio([...firstPrint!.ready, ...firstNumpy!.ready], [...basePrint.ready, ...baseNumpy!.ready])}; target ≤ 1.2×)`,
          },
        ]
      : []),
    {
      measure: 'first matplotlib PNG on the host, cold start',
      p50: p50(png),
      p95: p95(png),
      n: String(N_PNG),
      note: 'create → start → plot → PNG event; target ≤ 1.5 s',
    },
    {
      measure: `stdout throughput, ${THROUGHPUT_MB} MB printed`,
      p50: `${tp.mbps.toFixed(0)} MB/s`,
      p95: '',
      n: '1',
      note: `host RSS ${tp.baseRssMb.toFixed(0)} → peak ${tp.peakRssMb.toFixed(0)} MB; target ≥ 50 MB/s`,
    },
    {
      measure: `stdout throughput on the attach stream`,
      p50: `${tpAttach.mbps.toFixed(0)} MB/s`,
      p95: '',
      n: '1',
      note: `what remote engines use; host RSS ${tpAttach.baseRssMb.toFixed(0)} → peak ${tpAttach.peakRssMb.toFixed(0)} MB`,
    },
    {
      measure: `${FILE_MB} MB CSV written by a cell → on the host disk`,
      p50: p50(files),
      p95: p95(files),
      n: String(files.length),
      note: `kernel on its ${channel}; on the attach stream (pulled with docker exec cat) ${p50(filesAttach)}`,
    },
  ];
  return printTable('Sandbox', rows) + printTable('Wire-speed goals (ratios from this run; p50)', goals);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchSandbox()
    .then(benchBackends)
    .then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
}
