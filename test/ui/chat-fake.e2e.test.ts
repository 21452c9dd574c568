// The built binary in a real pseudo-terminal with the scripted session (CODECELL_FAKE_SESSION=1): keys, screen, exit.
// An intermediate check of the terminal side only; chat.e2e.test.ts drives the real session.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Terminal, tmuxOrSkip } from '../support/tmux.js';

const bin = resolve('bin/codecell.js');
const open: Terminal[] = [];
afterEach(() => {
  for (const t of open.splice(0)) t.close();
});

function chat(options: { columns?: number; rows?: number; env?: Record<string, string | undefined> } = {}): Terminal {
  const home = mkdtempSync(join(tmpdir(), 'cc-e2e-home-'));
  const t = Terminal.start(`node ${bin}`, {
    columns: options.columns,
    rows: options.rows,
    env: { CODECELL_FAKE_SESSION: '1', CODECELL_HOME: home, OPENAI_API_KEY: 'x', ...options.env },
  });
  open.push(t);
  return t;
}

describe.skipIf(!tmuxOrSkip())('chat in a pseudo-terminal (scripted session)', () => {
  it('runs a prompt, draws code, output and saved file, then exits on Ctrl-D with the terminal restored', async () => {
    const t = chat();
    await t.waitFor('sandbox ready', 15_000, 'the header');
    t.submit('plot something');
    await t.waitFor('saved /', 15_000, 'the saved-file line');
    await t.waitFor('The answer is 42', 15_000, 'the answer');
    const all = t.all();
    expect(all).toContain('import matplotlib.pyplot as plt');
    expect(all).toMatch(/✓ ran in \d+/);
    t.keys('C-d');
    expect(await t.waitForExit()).toBe(0);
    // The shell after us sees a cooked terminal: typed text echoes.
  });

  it('keeps pasted newlines and submits the whole paste as one prompt', async () => {
    const t = chat();
    await t.waitFor('sandbox ready', 15_000);
    t.paste('first line\nsecond line');
    await t.waitFor('second line', 5000);
    expect(t.screen()).not.toContain('Let me');
    t.keys('Enter');
    await t.waitFor('The answer is 42', 15_000);
    expect(t.all()).toMatch(/› first line\n\s+second line/);
  });

  it('interrupts a running loop with Ctrl-C, then exits with two Ctrl-C at the prompt', async () => {
    const t = chat();
    await t.waitFor('sandbox ready', 15_000);
    t.submit('loop forever');
    await t.waitFor('Ctrl-C interrupts', 15_000, 'the running spinner');
    t.keys('C-c');
    await t.waitFor('■ interrupted', 10_000);
    await t.waitFor('The answer is 42', 10_000);
    t.keys('C-c');
    await t.waitFor('press Ctrl-C again to exit', 5000);
    t.keys('C-c');
    expect(await t.waitForExit()).toBe(0);
  });

  it('fits a 60-column terminal and survives a resize', async () => {
    const t = chat({ columns: 60, rows: 20 });
    await t.waitFor('sandbox ready', 15_000);
    t.submit('long output please');
    await t.waitFor('… 60 more lines', 15_000);
    t.resize(80, 24);
    t.submit('/help');
    await t.waitFor('/upload <path>', 5000);
    for (const line of t.screen().split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
  });

  it('draws no colour with NO_COLOR, and colour without it', async () => {
    const plain = chat({ env: { NO_COLOR: '1' } });
    await plain.waitFor('sandbox ready', 15_000);
    plain.submit('plot it');
    await plain.waitFor('The answer is 42', 15_000);
    // Colour SGRs are 3x/4x/9x/10x and 38;5 / 48;5; bold, dim and inverse are still allowed.
    expect(plain.styledScreen()).not.toMatch(/\x1b\[[0-9;]*(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])m/);
    expect(plain.all()).toContain('[image 60×40');
    const coloured = chat();
    await coloured.waitFor('sandbox ready', 15_000);
    expect(coloured.styledScreen()).toMatch(/\x1b\[[0-9;]*3[0-9]m/);
  });

  it('refuses to start without a terminal on stdin', async () => {
    const t = Terminal.start(`echo hi | node ${bin}`, { env: { CODECELL_FAKE_SESSION: '1' } });
    open.push(t);
    expect(await t.waitForExit()).toBe(2);
    expect(t.screen()).toContain('the chat needs a terminal; for scripts use `codecell run`');
  });
});
