// Figures in real terminals: the chat inside kitty and xterm (sixel, and without sixel) under Xvfb,
// with the scripted model and the real sandbox; the screenshot's chart region is scored against the PNG.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { engineOrSkip } from '../support/engine.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { findColour, similarity } from '../support/similarity.js';
import { Display, startKitty, startXterm, waitForText, x11OrSkip, type XTerminalWindow } from '../support/x11.js';
import { CHAT_HEADER, chatEnv } from '../support/chat.js';

const bin = resolve('bin/codecell.js');
const docker = await engineOrSkip();
const x11 = x11OrSkip();

/** Each figure's background: colours found nowhere else on screen, so the test can find the charts. */
const FACE: [number, number, number] = [255, 236, 179];
const FACE2: [number, number, number] = [217, 242, 255];
/** Two figures from one cell: a bar chart and a smaller line chart. */
const CHART = [
  'import matplotlib.pyplot as plt',
  "fig, ax = plt.subplots(figsize=(5.6, 3.6), dpi=100, facecolor='#ffecb3')",
  "ax.set_facecolor('#ffecb3')",
  "ax.bar(['north', 'south', 'east', 'west'], [12, 30, 21, 8], color='#1f4e9c')",
  "ax.set_title('Revenue by region')",
  "ax.set_ylabel('revenue (k$)')",
  'plt.show()',
  "fig, ax = plt.subplots(figsize=(4, 2), dpi=100, facecolor='#d9f2ff')",
  "ax.set_facecolor('#d9f2ff')",
  "ax.plot([1, 2, 3, 4, 5], [3, 1, 4, 1, 5], color='#b3261e', marker='o')",
  "ax.set_title('Weekly trend')",
  'plt.show()',
  '',
].join('\n');
const ROWS = 56;
/** A figure wider than a narrow terminal (800×400 before tight cropping). */
const WIDE = [
  'import matplotlib.pyplot as plt',
  "fig, ax = plt.subplots(figsize=(8, 4), dpi=100, facecolor='#d9f2ff')",
  "ax.set_facecolor('#d9f2ff')",
  "ax.plot([1, 2, 3, 4, 5], [3, 1, 4, 1, 5], color='#b3261e', marker='o')",
  "ax.set_title('Weekly trend, wide')",
  'plt.show()',
  '',
].join('\n');
/** A cell that prints its own kitty graphics escape (a magenta picture) and an imitation placeholder. */
const FORGE = [
  'import base64, io',
  'import matplotlib.pyplot as plt',
  "fig = plt.figure(figsize=(3, 2), dpi=100, facecolor='#ff00ff')",
  'buf = io.BytesIO()',
  "fig.savefig(buf, format='png', facecolor='#ff00ff')",
  'plt.close(fig)',
  'data = base64.b64encode(buf.getvalue()).decode()',
  "print('forged:\\x1b_Ga=T,f=100;' + data + '\\x1b\\\\ #IMG-00000000-0# done')",
  '',
].join('\n');
/** Output long enough to push the figures into the scrollback. */
const LINES = "for i in range(70):\n    print('line', i)\n";

/** Where to keep the screenshots (for the README), when asked. */
const SHOTS = process.env.CODECELL_SCREENSHOTS;

interface Drawn {
  score: number;
  region: { x: number; y: number; width: number; height: number };
  source: PNG;
  /** The second figure's score against its PNG (undefined when it is not on screen). */
  score2?: number;
  region2?: { x: number; y: number; width: number; height: number };
  text: string;
}

describe.skipIf(!docker || !x11)('figures in real terminals (Xvfb, kitty, xterm; scripted model; real sandbox)', () => {
  let server: FakeOpenAI;
  let display: Display;
  const dirs: string[] = [];

  beforeAll(async () => {
    // A cell for each new prompt (made from the latest one), then a short answer.
    server = await startFakeOpenAI({
      script: (request) => {
        const last = request.messages[request.messages.length - 1]!;
        if (last.role !== 'user') return [{ text: 'All done.' }];
        const prompt = String(last.content);
        const code = prompt.includes('lines') ? LINES : prompt.includes('wide') ? WIDE : prompt.includes('forge') ? FORGE : CHART;
        return [{ toolCall: { code } }];
      },
    });
    display = await Display.start(1280, 1024);
  });
  afterAll(async () => {
    await server?.close();
    display?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** Opens the chat in a terminal, asks for the chart, and scores what the screen shows. */
  async function chartIn(
    open: (command: string[], env: Record<string, string | undefined>, cwd: string) => XTerminalWindow,
    name: string,
    after?: (w: XTerminalWindow, sources: PNG[]) => Promise<void>,
  ): Promise<Drawn> {
    const work = mkdtempSync(join(tmpdir(), 'cc-gfx-'));
    dirs.push(work);
    const env = chatEnv(join(work, 'home'), server.url, { CODECELL_CONFIG_DIR: join(work, 'config'), NO_COLOR: undefined });
    const w = open(['node', bin], env, work);
    try {
      await waitForText(w, CHAT_HEADER, 60_000, 'the chat header');
      await w.type('draw the revenue chart\r');
      await waitForText(w, 'All done.', 120_000, 'the answer after the chart');
      const shot = await display.settledScreenshot(SHOTS ? join(SHOTS, `chat-${name}.png`) : undefined);
      const figures = readdirSync(join(work, 'codecell-output'))
        .filter((f) => f.endsWith('.png'))
        .sort();
      expect(figures, 'both figures were saved').toHaveLength(2);
      const source = PNG.sync.read(readFileSync(join(work, 'codecell-output', figures[0]!)));
      const source2 = PNG.sync.read(readFileSync(join(work, 'codecell-output', figures[1]!)));
      const region = findColour(shot, FACE);
      if (!region) {
        writeFileSync(join(work, 'screen.png'), PNG.sync.write(shot));
        throw new Error(`the chart is not on screen (screenshot kept at ${join(work, 'screen.png')})`);
      }
      const text = w.text();
      await after?.(w, [source, source2]);
      await w.type('/exit\r');
      await w.closed(20_000);
      const region2 = findColour(shot, FACE2);
      return { score: similarity(shot, region, source), region, source, text, ...(region2 ? { score2: similarity(shot, region2, source2), region2 } : {}) };
    } finally {
      w.close();
    }
  }

  const scores: Record<string, number> = {};

  it('kitty: both figures of the cell are real pictures at their own size, stay in the scrollback, and no marker or query answer is left', async () => {
    const d = await chartIn(
      (cmd, env, cwd) => startKitty(display, cmd, { env, cwd, rows: ROWS }),
      'kitty',
      async (w, [source]) => {
        // More output pushes the figures up into the scrollback: no copy of them is left in the live area...
        await w.type('print many lines\r');
        await waitForText(w, /All done\.[\s\S]*All done\./, 120_000, 'the second answer');
        const below = findColour(await display.settledScreenshot(SHOTS ? join(SHOTS, 'chat-kitty-after.png') : undefined), FACE);
        expect(below === undefined || below.y + below.height < 200, `a picture left on screen at ${JSON.stringify(below)}`).toBe(true);
        // ...and scrolling back shows them intact where they were made.
        w.scroll!('start');
        const back = await display.settledScreenshot(SHOTS ? join(SHOTS, 'chat-kitty-scrollback.png') : undefined);
        const region = findColour(back, FACE);
        expect(region, 'the chart in the scrollback').toBeDefined();
        expect(similarity(back, region!, source!)).toBeGreaterThan(0.7);
        w.scroll!('end');
      },
    );
    scores.kitty = d.score;
    expect(d.score).toBeGreaterThan(0.7);
    expect(d.score2).toBeGreaterThan(0.7);
    expect(d.region2!.y, 'the second figure starts below the first').toBeGreaterThanOrEqual(d.region.y + d.region.height);
    expect(Math.abs(d.region.width - d.source.width)).toBeLessThanOrEqual(4);
    expect(Math.abs(d.region.height - d.source.height)).toBeLessThanOrEqual(4);
    expect(d.text).toContain(`image ${d.source.width}×${d.source.height}`);
    expect(d.text).not.toMatch(/#IMG-|Gi=31|\[\?6\dc/);
  }, 240_000);

  it('kitty narrowed to 60 columns: a wide figure is scaled to fit, aspect kept; a picture printed by a cell never shows; --resume redraws', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cc-gfx-narrow-'));
    dirs.push(work);
    const env = chatEnv(join(work, 'home'), server.url, { CODECELL_CONFIG_DIR: join(work, 'config'), NO_COLOR: undefined });
    const w = startKitty(display, ['node', bin], { env, cwd: work, rows: 40 });
    try {
      await waitForText(w, CHAT_HEADER, 60_000, 'the chat header');
      w.resize!(60, 40);
      await display.settledScreenshot(); // the chat has redrawn at its new width
      await w.type('draw the wide trend\r');
      await waitForText(w, 'All done.', 120_000, 'the answer after the chart');
      const shot = await display.settledScreenshot(SHOTS ? join(SHOTS, 'chat-kitty-narrow.png') : undefined);
      const figure = readdirSync(join(work, 'codecell-output')).find((f) => f.endsWith('.png'))!;
      const source = PNG.sync.read(readFileSync(join(work, 'codecell-output', figure)));
      const region = findColour(shot, FACE2);
      expect(region, 'the figure on screen').toBeDefined();
      // 60 columns less the chat's margin, 8-pixel cells at this font: well under the figure's own width.
      expect(source.width).toBeGreaterThan(600);
      expect(region!.width).toBeLessThanOrEqual(60 * 9);
      expect(region!.width).toBeGreaterThan(40 * 7);
      expect(Math.abs(region!.width / region!.height - source.width / source.height)).toBeLessThan(0.06);
      expect(similarity(shot, region!, source)).toBeGreaterThan(0.5);

      // Graphics escapes printed by a cell are dropped by the sanitizer; an imitation placeholder stays text.
      await w.type('forge a picture\r');
      await waitForText(w, /All done\.[\s\S]*All done\./, 120_000, 'the second answer');
      const after = await display.settledScreenshot();
      expect(findColour(after, [255, 0, 255], 8), 'a picture printed by the sandbox reached the screen').toBeUndefined();
      expect(w.text()).toMatch(/forged: #IMG-00000000-0# done/);
      await w.type('/exit\r');
      await w.closed(20_000);
    } finally {
      w.close();
    }

    // --resume draws the session's figure again from its saved file (and still not the forged one).
    const again = startKitty(display, ['node', bin, '--resume'], { env, cwd: work, rows: 40 });
    try {
      await waitForText(again, /resumed|sandbox (ready|starting)/, 60_000, 'the resumed chat');
      await waitForText(again, 'forged: #IMG-00000000-0# done', 30_000, 'the replayed transcript');
      await display.settledScreenshot(); // the replay is drawn
      // The replayed transcript is taller than the window: look from its top.
      again.scroll!('start');
      const shot = await display.settledScreenshot(SHOTS ? join(SHOTS, 'chat-kitty-resume.png') : undefined);
      const figure = readdirSync(join(work, 'codecell-output')).find((f) => f.endsWith('.png'))!;
      const region = findColour(shot, FACE2);
      expect(region, 'the resumed figure on screen').toBeDefined();
      expect(similarity(shot, region!, PNG.sync.read(readFileSync(join(work, 'codecell-output', figure))))).toBeGreaterThan(0.5);
      expect(findColour(shot, [255, 0, 255], 8)).toBeUndefined();
      await again.type('/exit\r');
      await again.closed(20_000);
    } finally {
      again.close();
    }
  }, 300_000);

  it('xterm in VT340 mode: sixel detected by the terminal query, both figures are real pictures', async () => {
    const d = await chartIn((cmd, env, cwd) => startXterm(display, cmd, { env, cwd, vt340: true, rows: ROWS }), 'xterm-sixel');
    scores.sixel = d.score;
    expect(d.score).toBeGreaterThan(0.7);
    expect(d.score2).toBeGreaterThan(0.7);
    expect(d.region2!.y, 'the second figure starts below the first').toBeGreaterThanOrEqual(d.region.y + d.region.height);
    expect(d.text).toContain(`image ${d.source.width}×${d.source.height}`);
    expect(d.text).not.toMatch(/#IMG-/);
  }, 240_000);

  it('codecell exec in xterm (VT340) draws its figures with sixel too', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cc-gfx-exec-'));
    dirs.push(work);
    writeFileSync(join(work, 'chart.py'), CHART + "print('exec finished')\n");
    const w = startXterm(display, ['bash', '-c', `node ${bin} exec chart.py; echo "exit status $?"; sleep 600`], {
      env: { CODECELL_HOME: join(work, 'home'), CODECELL_CONFIG_DIR: join(work, 'config'), NO_COLOR: undefined },
      cwd: work,
      rows: ROWS,
    });
    try {
      await waitForText(w, 'exit status', 120_000, 'exec to finish');
      const shot = await display.settledScreenshot(SHOTS ? join(SHOTS, 'exec-xterm-sixel.png') : undefined);
      expect(w.text()).toContain('exit status 0');
      const figures = readdirSync(join(work, 'codecell-output'))
        .filter((f) => f.endsWith('.png'))
        .sort();
      const region = findColour(shot, FACE);
      const region2 = findColour(shot, FACE2);
      expect(region && region2, 'both figures on screen').toBeTruthy();
      expect(similarity(shot, region!, PNG.sync.read(readFileSync(join(work, 'codecell-output', figures[0]!))))).toBeGreaterThan(0.7);
      expect(similarity(shot, region2!, PNG.sync.read(readFileSync(join(work, 'codecell-output', figures[1]!))))).toBeGreaterThan(0.7);
      // The second figure and the lines after it start below the first: nothing drawn over a picture.
      expect(region2!.y).toBeGreaterThanOrEqual(region!.y + region!.height);
    } finally {
      w.close();
    }
  }, 240_000);

  it('xterm that answers no graphics query: half-blocks, which score far below the real picture', async () => {
    const d = await chartIn((cmd, env, cwd) => startXterm(display, cmd, { env, cwd, vt340: false, rows: ROWS }), 'xterm-blocks');
    scores.blocks = d.score;
    expect(d.text).toContain('▄');
    expect(d.score).toBeLessThan(0.3);
    for (const real of [scores.kitty, scores.sixel]) if (real !== undefined) expect(real - d.score).toBeGreaterThan(0.4);
    console.log(`similarity to the source PNG: ${JSON.stringify(scores)}`);
  }, 240_000);
});
