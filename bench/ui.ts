// Chat benchmark (launch to prompt is in launch.ts): frame cost and RSS with a 500-item transcript, typing-effect latency, figures.
import { FakeSession } from '../src/ui/testing/fake-session.js';
import { ApprovalBridge } from '../src/ui/approval.js';
import { PromptHistory } from '../src/ui/history.js';
import { benchHost as host, fakeTerminal, quit, sleep } from './chat-harness.js';
import type { NewItem } from '../src/ui/transcript.js';
import type { SessionEvent } from '../src/core/events.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';
import { benchChatImages } from './ui-images.js';

process.env.NODE_ENV ??= 'production';
const { startChat } = await import('../src/ui/start.js');

function transcript(n: number): NewItem[] {
  const items: NewItem[] = [];
  for (let i = 0; items.length < n; i++) {
    items.push({ kind: 'user', text: `question ${i}: plot the data and summarise it` });
    items.push({ kind: 'code', code: `import pandas as pd\ndf = pd.read_csv('/mnt/data/f${i}.csv')\nprint(df.describe())\n` });
    items.push({ kind: 'output', lines: Array.from({ length: 8 }, (_, k) => `row ${k}   ${(k * 1.5).toFixed(2)}   ${(k * 7) % 13}`) });
    items.push({ kind: 'cell_end', status: 'ok', durationMs: 120, stateLost: false, hiddenLines: 0 });
    items.push({ kind: 'assistant', text: `The mean is **${i}.5**; see \`f${i}.csv\`.\n\n- one\n- two` });
  }
  return items.slice(0, n);
}

async function frameCost(): Promise<Row[]> {
  const rssBefore = process.memoryUsage().rss;
  const term = fakeTerminal();
  const renders: number[] = [];
  const session = new FakeSession({});
  const done = startChat({
    session,
    host,
    approvals: new ApprovalBridge(),
    history: new PromptHistory(),
    color: true,
    images: true,
    initialItems: transcript(500),
    stdin: term.stdin,
    stdout: term.stdout,
    interactive: true,
    onRender: (ms) => renders.push(ms),
  });
  await sleep(1500);
  const mountRender = renders.slice();
  renders.length = 0;
  const keyToFrame: number[] = [];
  for (let i = 0; i < 60; i++) {
    const before = term.writes.length;
    const t0 = performance.now();
    term.stdin.write('x');
    while (term.writes.length === before && performance.now() - t0 < 1000) await sleep(1);
    keyToFrame.push((term.writes[before]?.at ?? performance.now()) - t0);
    await sleep(40);
  }
  const rss = process.memoryUsage().rss;
  await quit(term.stdin, done);
  return [
    // <Static> takes a long backlog a batch per frame (src/ui/App.tsx): the transcript's cost is all those frames.
    {
      measure: 'drawing a 500-item transcript (render time, all its frames)',
      p50: fmtMs(mountRender.reduce((a, b) => a + b, 0)),
      p95: '',
      n: String(mountRender.length),
    },
    {
      measure: 'frame render time while typing, 500 items in <Static>',
      p50: fmtMs(percentile(renders, 50)),
      p95: fmtMs(percentile(renders, 95)),
      n: String(renders.length),
    },
    {
      measure: 'keypress → frame written to the terminal',
      p50: fmtMs(percentile(keyToFrame, 50)),
      p95: fmtMs(percentile(keyToFrame, 95)),
      n: String(keyToFrame.length),
    },
    {
      measure: 'RSS with the 500-item transcript mounted (growth)',
      p50: `${(rss / 1048576).toFixed(0)} MB (+${((rss - rssBefore) / 1048576).toFixed(0)} MB)`,
      p95: '',
      n: '1',
    },
  ];
}

/** Emits code in deltas with markers, recording when each delta was handed to the UI. */
class DeltaSession extends FakeSession {
  readonly sentAt = new Map<string, number>();
  constructor(private readonly pattern: 'steady' | 'burst') {
    super({});
  }
  override async *send(): AsyncGenerator<SessionEvent> {
    const empty: SessionEvent = { type: 'done', status: 'ok', answer: '', usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, files: [] };
    // Only the first turn is measured; a repeated "go" must not overwrite its send times.
    if (this.sentAt.size > 0) return yield empty;
    yield { type: 'turn_start', turn: 1 };
    yield { type: 'code_start', turn: 1, callId: 'c' };
    let code = '';
    for (let i = 0; i < 40; i++) {
      const line = `v${String(i).padStart(3, '0')}q = ${i}\n`;
      code += line;
      this.sentAt.set(`v${String(i).padStart(3, '0')}q`, performance.now());
      yield { type: 'code_delta', turn: 1, callId: 'c', text: line };
      // steady: a model writing ~40 lines/s; burst: everything at once (local servers)
      if (this.pattern === 'steady') await sleep(25);
    }
    yield { type: 'code_end', turn: 1, callId: 'c', code };
    await sleep(1500);
    yield { type: 'done', status: 'ok', answer: '', usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, files: [] };
  }
}

async function typingLatency(pattern: 'steady' | 'burst'): Promise<Row> {
  const term = fakeTerminal(100, 60);
  const session = new DeltaSession(pattern);
  const done = startChat({
    session,
    host,
    approvals: new ApprovalBridge(),
    history: new PromptHistory(),
    color: false,
    images: false,
    stdin: term.stdin,
    stdout: term.stdout,
    interactive: true,
  });
  // Wait for the prompt, then send until the session sees the turn (the first keys can beat Ink's input hook).
  for (let i = 0; i < 50 && !term.writes.some((w) => w.text.includes('Type a request')); i++) await sleep(20);
  for (let i = 0; i < 10 && session.sentAt.size === 0; i++) {
    term.stdin.write('go\r');
    await sleep(500);
  }
  await sleep(4000);
  const lat: number[] = [];
  for (const [marker, at] of session.sentAt) {
    const seen = term.writes.find((w) => w.at >= at && w.text.includes(marker));
    lat.push(seen ? seen.at - at : NaN);
  }
  await quit(term.stdin, done);
  const ok = lat.filter(Number.isFinite);
  return {
    measure: `typing effect: code delta → on screen (${pattern === 'steady' ? '40 lines at 40 lines/s' : '40 lines in one burst'})`,
    p50: fmtMs(percentile(ok, 50)),
    p95: fmtMs(percentile(ok, 95)),
    n: `${ok.length}/${lat.length}`,
  };
}

export async function benchUi(): Promise<string> {
  const step = <T>(what: string, run: () => Promise<T>): Promise<T> => {
    process.stderr.write(`ui bench: ${what}\n`);
    return run();
  };
  const rows: Row[] = [
    ...(await step('frame cost', frameCost)),
    await step('typing (steady)', () => typingLatency('steady')),
    await step('typing (burst)', () => typingLatency('burst')),
    ...(await step('figures (kitty, sixel, half-blocks)', benchChatImages)),
  ];
  return printTable('Interactive chat', rows);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchUi().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
