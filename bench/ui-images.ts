// Chat figures benchmark: figure event → picture written to the terminal (kitty, sixel, half-blocks) and frame cost with 20 pictures.
import { readFileSync } from 'node:fs';
import { FakeSession } from '../src/ui/testing/fake-session.js';
import { ApprovalBridge } from '../src/ui/approval.js';
import { PromptHistory } from '../src/ui/history.js';
import { drawChatImage } from '../src/ui/images.js';
import { benchHost as host, fakeTerminal, quit, sleep } from './chat-harness.js';
import type { GraphicsTarget } from '../src/ui/settings.js';
import type { NewItem } from '../src/ui/transcript.js';
import type { SessionEvent } from '../src/core/events.js';
import { fmtMs, percentile, type Row } from './stats.js';

const { startChat } = await import('../src/ui/start.js');

/** A real matplotlib bar chart (501×395), as the sandbox makes them. */
const CHART = readFileSync(new URL('./fixtures/chart.png', import.meta.url));
const COLUMNS = 120;
const ROWS = 40;
const CELL = { width: 8, height: 17 };

const MODES: Array<{ name: string; graphics?: GraphicsTarget; seen: (text: string) => boolean }> = [
  { name: 'kitty', graphics: { protocol: 'kitty', cell: CELL }, seen: (t) => t.includes('\x1b_Ga=T') },
  { name: 'sixel', graphics: { protocol: 'sixel', cell: CELL }, seen: (t) => t.includes('\x1bP0;1;q') },
  { name: 'half-blocks', seen: (t) => t.includes('▄') },
];

/** One turn that shows the chart `count` times, a pause between, recording when each event left the session. */
class FigureSession extends FakeSession {
  readonly sentAt: number[] = [];
  constructor(private readonly count: number) {
    super({});
  }
  override async *send(): AsyncGenerator<SessionEvent> {
    const usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    if (this.sentAt.length > 0) return yield { type: 'done', status: 'ok', answer: '', usage, files: [] };
    yield { type: 'turn_start', turn: 1 };
    for (let i = 0; i < this.count; i++) {
      await sleep(250);
      this.sentAt.push(performance.now());
      yield { type: 'cell_image', turn: 1, callId: 'c', mime: 'image/png', data: CHART, width: 501, height: 395 };
    }
    await sleep(500);
    yield { type: 'done', status: 'ok', answer: '', usage, files: [] };
  }
}

async function figureToScreen(mode: (typeof MODES)[number]): Promise<Row> {
  const term = fakeTerminal(COLUMNS, ROWS);
  const session = new FigureSession(15);
  const done = startChat({
    session,
    host,
    approvals: new ApprovalBridge(),
    history: new PromptHistory(),
    color: true,
    images: true,
    ...(mode.graphics ? { graphics: mode.graphics } : {}),
    stdin: term.stdin,
    stdout: term.stdout,
    interactive: true,
  });
  for (let i = 0; i < 50 && !term.writes.some((w) => w.text.includes('Type a request')); i++) await sleep(20);
  for (let i = 0; i < 10 && session.sentAt.length === 0; i++) {
    term.stdin.write('go\r');
    await sleep(300);
  }
  await sleep(15 * 250 + 1500);
  const lat = session.sentAt.map((at, i) => {
    // The i-th write that carries a picture belongs to the i-th figure.
    const seen = term.writes.filter((w) => w.at >= session.sentAt[0]! && mode.seen(w.text))[i];
    return seen ? seen.at - at : NaN;
  });
  await quit(term.stdin, done);
  const ok = lat.filter(Number.isFinite);
  return {
    measure: `figure event → picture written to the terminal, ${mode.name} (501×395 chart, ${COLUMNS} columns)`,
    p50: fmtMs(percentile(ok, 50)),
    p95: fmtMs(percentile(ok, 95)),
    n: `${ok.length}/${lat.length}`,
  };
}

async function frameWithPictures(mode: (typeof MODES)[number]): Promise<Row> {
  const display = { color: true, images: true, ...(mode.graphics ? { graphics: mode.graphics } : {}) };
  const items: NewItem[] = [];
  for (let i = 0; i < 20; i++) {
    items.push({ kind: 'user', text: `chart ${i}` });
    items.push({
      kind: 'image',
      render: await drawChatImage(CHART, display, { columns: COLUMNS, rows: ROWS }),
      width: 501,
      height: 395,
      path: `/out/figure-${i}.png`,
    });
  }
  const term = fakeTerminal(COLUMNS, ROWS);
  const renders: number[] = [];
  const done = startChat({
    session: new FakeSession({}),
    host,
    approvals: new ApprovalBridge(),
    history: new PromptHistory(),
    color: true,
    images: true,
    ...(mode.graphics ? { graphics: mode.graphics } : {}),
    initialItems: items,
    stdin: term.stdin,
    stdout: term.stdout,
    interactive: true,
    onRender: (ms) => renders.push(ms),
  });
  await sleep(1500);
  renders.length = 0;
  for (let i = 0; i < 40; i++) {
    term.stdin.write('x');
    await sleep(40);
  }
  await quit(term.stdin, done);
  return {
    measure: `frame render time while typing, 20 pictures in the transcript, ${mode.name}`,
    p50: fmtMs(percentile(renders, 50)),
    p95: fmtMs(percentile(renders, 95)),
    n: String(renders.length),
  };
}

export async function benchChatImages(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const mode of MODES) rows.push(await figureToScreen(mode));
  for (const mode of MODES) rows.push(await frameWithPictures(mode));
  return rows;
}
