// Launch benchmark: time and memory of the real binary from launch to --version, help, the chat prompt,
// the sandbox ready in the header and run's first model request, against floors measured in the same run.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { hasTmux, Terminal } from '../test/support/tmux.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';

const ROUNDS = Number(process.env.BENCH_LAUNCH_ROUNDS ?? 7);
const BIN = resolve('bin/codecell.js');
const FLOOR = resolve('bench/floor-prompt.mjs');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => percentile(xs, 50);
const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '—');
const mb = (kb: number): string => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MB` : '—');

// codecell runs as a user's shell runs it: the executable itself (its shebang picks node and its flags).
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;

/** Wall time of one process run to its exit, ms: `node <args>`, or the codecell binary when args[0] is BIN. */
function timeProcess(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const [file, rest] = args[0] === BIN ? [BIN, args.slice(1)] : [process.execPath, args];
  const t0 = performance.now();
  const r = spawnSync(file, rest, { env: { ...env, PATH }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${file} ${rest.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** Resident memory of the program running in a terminal, KB (from /proc). */
function rssOf(t: Terminal): number {
  for (const pid of t.programPids()) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) return Number(m[1]);
    } catch {
      // exited meanwhile
    }
  }
  return NaN;
}

interface ScreenTimes {
  prompt: number;
  ready?: number;
  rss?: number;
}

/** Starts a program in tmux; times when `prompt` and then `ready` (if given) are on screen; leaves with Ctrl-D. */
async function timeScreen(command: string, env: Record<string, string>, prompt: string, ready?: string, cwd?: string): Promise<ScreenTimes> {
  const t0 = performance.now();
  const t = Terminal.start(command, { env, columns: 120, rows: 40, ...(cwd ? { cwd } : {}) });
  const out: ScreenTimes = { prompt: NaN };
  try {
    while (performance.now() - t0 < 120_000) {
      const screen = t.screen();
      if (Number.isNaN(out.prompt) && screen.includes(prompt)) {
        out.prompt = performance.now() - t0;
        if (!ready) break;
      }
      if (ready && screen.includes(ready)) {
        out.ready = performance.now() - t0;
        break;
      }
      await sleep(5);
    }
    // Idle: the container is up and nothing is happening.
    await sleep(300);
    out.rss = rssOf(t);
    t.keys('C-d');
    await t.waitForExit(30_000).catch(() => undefined);
  } finally {
    t.close();
  }
  return out;
}

/** Time from spawning `codecell run` until the model server receives the first request. */
async function timeRunFirstRequest(
  url: string,
  home: string,
  firstRequest: () => number | undefined,
  reset: () => void,
): Promise<{ first: number; total: number }> {
  reset();
  const t0 = performance.now();
  const child = spawn(BIN, ['run', '--quiet', 'say ok'], {
    cwd: home,
    env: {
      ...process.env,
      PATH,
      CI: '',
      CODECELL_HOME: home,
      CODECELL_CONFIG_DIR: join(home, 'config'),
      OPENAI_BASE_URL: url,
      OPENAI_API_KEY: 'x',
      OPENAI_MODEL: 'fake-model',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  const total = performance.now() - t0;
  if (code !== 0) throw new Error(`codecell run exited ${code}: ${err}`);
  const at = firstRequest();
  return { first: at === undefined ? NaN : at - t0, total };
}

/** A recorded session with `items` transcript items (user, code, output, cell end, answer), for --resume. */
async function recordSession(home: string, items: number): Promise<string> {
  process.env.CODECELL_HOME = home;
  const { SessionLog } = await import('../src/store/session-log.js');
  const log = SessionLog.create({ model: 'fake-model', cwd: home, outDir: join(home, 'out') });
  for (let i = 0; i * 5 < items; i++) {
    const callId = `c${i}`;
    log.append('message', { role: 'user', content: `question ${i}: plot the data and summarise it` });
    log.append('event', { type: 'code_start', turn: 1, callId });
    const code = `import pandas as pd\ndf = pd.read_csv('/mnt/data/f${i}.csv')\nprint(df.describe())\n`;
    log.append('event', { type: 'code_end', turn: 1, callId, code });
    log.append('event', { type: 'cell_start', turn: 1, callId });
    log.append('event', {
      type: 'cell_output',
      turn: 1,
      callId,
      stream: 'stdout',
      text: Array.from({ length: 8 }, (_, k) => `row ${k}   ${(k * 1.5).toFixed(2)}   ${(k * 7) % 13}`).join('\n') + '\n',
    });
    log.append('event', { type: 'cell_end', turn: 1, callId, status: 'ok', durationMs: 120, stateLost: false, modelView: '' });
    log.append('event', { type: 'text', turn: 1, text: `The mean is **${i}.5**; see \`f${i}.csv\`.\n\n- one\n- two` });
  }
  log.close();
  return log.id;
}

/**
 * The sandbox's own start time, as the first start in a new process does it: the orphan sweep (once per
 * process, so timed explicitly each round), container created and started, kernel ready.
 */
async function timeSandboxStart(): Promise<number[]> {
  const [{ prepareEngine }, { createSandbox }] = await Promise.all([import('../src/cli/sandbox-setup.js'), import('../src/cli/runtime.js')]);
  const { reapOrphans } = await import('../src/sandbox/reaper.js');
  const engine = await prepareEngine({ quiet: true, backend: 'docker' });
  const times: number[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 5); i++) {
    const box = createSandbox(engine, { limits: {}, labels: { 'codecell.bench': 'launch' } });
    const t0 = performance.now();
    if (engine.docker) await reapOrphans(engine.docker).catch(() => 0);
    await box.start();
    times.push(performance.now() - t0);
    await box.close();
  }
  return times;
}

export async function benchLaunch(): Promise<string> {
  const log = (what: string): void => void process.stderr.write(`launch bench: ${what}\n`);
  const home = mkdtempSync(join(tmpdir(), 'cc-bench-launch-'));
  let firstAt: number | undefined;
  const server = await startFakeOpenAI({
    script: () => {
      firstAt ??= performance.now();
      return [{ text: 'ok' }];
    },
  });
  const env = {
    PATH,
    CODECELL_HOME: home,
    CODECELL_CONFIG_DIR: join(home, 'config'),
    OPENAI_BASE_URL: server.url,
    OPENAI_API_KEY: 'x',
    OPENAI_MODEL: 'fake-model',
  };
  const cliEnv = { ...process.env, ...env };
  const helps = ['run', 'chat', 'batch', 'exec', 'sandbox', 'config', 'sessions'];
  const t: Record<string, number[]> = {};
  const add = (k: string, v: number | undefined): void => void (v !== undefined && Number.isFinite(v) && (t[k] ??= []).push(v));
  const rss: Record<string, number[]> = {};
  try {
    // Warm the compile cache and the file cache once; then every round measures each case in turn.
    timeProcess([BIN, '--help'], cliEnv);
    log('sandbox start on its own');
    const sandbox = await timeSandboxStart();
    const tmux = hasTmux();
    const resumeId = await recordSession(home, 500);
    for (let round = 0; round < ROUNDS; round++) {
      log(`round ${round + 1}/${ROUNDS}`);
      add('node -e 0', timeProcess(['-e', '0']));
      add('--version', timeProcess([BIN, '--version'], cliEnv));
      add('--help', timeProcess([BIN, '--help'], cliEnv));
      for (const c of helps) add(`${c} --help`, timeProcess([BIN, c, '--help'], cliEnv));
      if (tmux) {
        const floor = await timeScreen(`node ${FLOOR}`, { NODE_ENV: 'production' }, 'floor › type here');
        add('floor', floor.prompt);
        const chat = await timeScreen(BIN, env, 'codecell · fake-model', 'sandbox ready', home);
        add('prompt', chat.prompt);
        add('ready', chat.ready);
        (rss.idle ??= []).push(chat.rss ?? NaN);
        if (round < 3) {
          const resumed = await timeScreen(`${BIN} --resume ${resumeId}`, env, 'codecell · fake-model', 'sandbox ready', home);
          (rss.transcript ??= []).push(resumed.rss ?? NaN);
        }
      }
      const run = await timeRunFirstRequest(
        server.url,
        home,
        () => firstAt,
        () => (firstAt = undefined),
      );
      add('run first request', run.first);
      add('run total', run.total);
    }
    const node0 = median(t['node -e 0'] ?? []);
    const floor = median(t.floor ?? []);
    const prompt = median(t.prompt ?? []);
    const sandboxOwn = median(sandbox);
    const rows: Row[] = [];
    const row = (measure: string, values: number[] | undefined, vs: string, goal: string): void => {
      const v = median(values ?? []);
      rows.push({ measure, p50: fmtMs(v), p95: fmtMs(percentile(values ?? [], 95)), n: String(values?.length ?? 0), ratio: vs, goal });
    };
    row('floor: `node -e 0`', t['node -e 0'], '1.00×', '');
    row('floor: minimal Ink program, one-line prompt on screen', t.floor, '1.00×', '');
    row('`codecell --version`', t['--version'], ratio(median(t['--version'] ?? []), node0) + ' node', '≤ 1.5× node');
    row('`codecell --help`', t['--help'], ratio(median(t['--help'] ?? []), node0) + ' node', '≤ 2× node');
    for (const c of helps) row(`\`codecell ${c} --help\``, t[`${c} --help`], ratio(median(t[`${c} --help`] ?? []), node0) + ' node', '≤ 2× node');
    row('chat: launch → prompt on screen', t.prompt, ratio(prompt, floor) + ' floor', '≤ 1.3× floor, ≤ 400 ms');
    row('sandbox on its own: orphan sweep, container started, kernel ready', sandbox, '', '');
    const readyBound = prompt + sandboxOwn + 50;
    row('chat: launch → header says "sandbox ready"', t.ready, `bound ${fmtMs(readyBound)}`, '≤ prompt + sandbox + 50 ms');
    row('run: launch → first model request', t['run first request'], '', '≤ 250 ms');
    row('run: launch → exit (trivial prompt, scripted model)', t['run total'], '', '');
    const memRow = (measure: string, kb: number[] | undefined, goal: string): void => {
      const ok = (kb ?? []).filter(Number.isFinite);
      rows.push({ measure, p50: mb(median(ok)), p95: mb(percentile(ok, 95)), n: String(ok.length), ratio: '', goal });
    };
    memRow('chat idle RSS (sandbox ready)', rss.idle, '≤ 110 MB');
    memRow('chat RSS with a 500-item transcript (--resume)', rss.transcript, '≤ 150 MB');
    return printTable(`Launch (median of ${ROUNDS} rounds, cases alternated within each round)`, rows);
  } finally {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchLaunch().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
