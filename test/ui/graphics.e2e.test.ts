// Figures in real terminals: the chat inside kitty and xterm (sixel, and without sixel) under Xvfb,
// with the scripted model and the real sandbox; the screenshot's chart region is scored against the PNG.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { engineOrSkip } from '../support/engine.js';
import { cellThenText, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { findColour, similarity } from '../support/similarity.js';
import { Display, startKitty, startXterm, waitForText, x11OrSkip, type XTerminalWindow } from '../support/x11.js';

const bin = resolve('bin/codecell.js');
const docker = await engineOrSkip();
const x11 = x11OrSkip();

/** The figure's background: a colour found nowhere else on screen, so the test can find the chart. */
const FACE: [number, number, number] = [255, 236, 179];
const CHART = [
  'import matplotlib.pyplot as plt',
  "fig, ax = plt.subplots(figsize=(5.6, 4.3), dpi=100, facecolor='#ffecb3')",
  "ax.set_facecolor('#ffecb3')",
  "ax.bar(['north', 'south', 'east', 'west'], [12, 30, 21, 8], color='#1f4e9c')",
  "ax.set_title('Revenue by region')",
  "ax.set_ylabel('revenue (k$)')",
  'plt.show()',
  '',
].join('\n');

/** Where to keep the screenshots (for the README), when asked. */
const SHOTS = process.env.CODECELL_SCREENSHOTS;

interface Drawn {
  score: number;
  region: { x: number; y: number; width: number; height: number };
  source: PNG;
  text: string;
}

describe.skipIf(!docker || !x11)('figures in real terminals (Xvfb, kitty, xterm; scripted model; real sandbox)', () => {
  let server: FakeOpenAI;
  let display: Display;
  const dirs: string[] = [];

  beforeAll(async () => {
    server = await startFakeOpenAI({ script: cellThenText(() => CHART, () => 'All done.') });
    display = await Display.start();
  });
  afterAll(async () => {
    await server?.close();
    display?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** Opens the chat in a terminal, asks for the chart, and scores what the screen shows. */
  async function chartIn(open: (command: string[], env: Record<string, string | undefined>, cwd: string) => XTerminalWindow, name: string): Promise<Drawn> {
    const work = mkdtempSync(join(tmpdir(), 'cc-gfx-'));
    dirs.push(work);
    const env = {
      CODECELL_HOME: join(work, 'home'),
      CODECELL_CONFIG_DIR: join(work, 'config'),
      OPENAI_BASE_URL: server.url,
      OPENAI_API_KEY: 'test-key',
      OPENAI_MODEL: 'fake-model',
      CODECELL_FAKE_SESSION: undefined,
      NO_COLOR: undefined,
    };
    const w = open(['node', bin], env, work);
    try {
      await waitForText(w, /sandbox (ready|starting)/, 60_000, 'the chat header');
      await w.type('draw the revenue chart\r');
      await waitForText(w, 'All done.', 120_000, 'the answer after the chart');
      await new Promise((r) => setTimeout(r, 1000));
      const shotFile = SHOTS ? join(SHOTS, `chat-${name}.png`) : undefined;
      const shot = display.screenshot(shotFile);
      const figure = readdirSync(join(work, 'codecell-output')).find((f) => f.endsWith('.png'));
      expect(figure, 'the figure was saved').toBeDefined();
      const source = PNG.sync.read(readFileSync(join(work, 'codecell-output', figure!)));
      const region = findColour(shot, FACE);
      if (!region) {
        writeFileSync(join(work, 'screen.png'), PNG.sync.write(shot));
        throw new Error(`the chart is not on screen (screenshot kept at ${join(work, 'screen.png')})`);
      }
      const text = w.text();
      await w.type('/exit\r');
      await new Promise((r) => setTimeout(r, 2000));
      return { score: similarity(shot, region, source), region, source, text };
    } finally {
      w.close();
    }
  }

  const scores: Record<string, number> = {};

  it('kitty: the chart is the real picture, at its own size, and no marker or query answer is left on screen', async () => {
    const d = await chartIn((cmd, env, cwd) => startKitty(display, cmd, { env, cwd }), 'kitty');
    scores.kitty = d.score;
    expect(d.score).toBeGreaterThan(0.8);
    expect(Math.abs(d.region.width - d.source.width)).toBeLessThanOrEqual(4);
    expect(Math.abs(d.region.height - d.source.height)).toBeLessThanOrEqual(4);
    expect(d.text).toContain(`image ${d.source.width}×${d.source.height}`);
    expect(d.text).not.toMatch(/#IMG-|Gi=31|\[\?6\dc/);
  });

  it('xterm in VT340 mode: sixel detected by the terminal query, the chart is the real picture', async () => {
    const d = await chartIn((cmd, env, cwd) => startXterm(display, cmd, { env, cwd, vt340: true }), 'xterm-sixel');
    scores.sixel = d.score;
    expect(d.score).toBeGreaterThan(0.8);
    expect(d.text).toContain(`image ${d.source.width}×${d.source.height}`);
    expect(d.text).not.toMatch(/#IMG-/);
  });

  it('xterm that answers no graphics query: half-blocks, which score far below the real picture', async () => {
    const d = await chartIn((cmd, env, cwd) => startXterm(display, cmd, { env, cwd, vt340: false }), 'xterm-blocks');
    scores.blocks = d.score;
    expect(d.text).toContain('▄');
    expect(d.score).toBeLessThan(0.5);
    for (const real of [scores.kitty, scores.sixel]) if (real !== undefined) expect(real - d.score).toBeGreaterThan(0.3);
    console.log(`similarity to the source PNG: ${JSON.stringify(scores)}`);
  });
});
