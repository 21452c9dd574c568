import { afterEach, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { stripVTControlCharacters } from 'node:util';
import { App } from './App.js';
import { ApprovalBridge } from './approval.js';
import { PromptHistory } from './history.js';
import { DisplayContext, type DisplaySettings } from './settings.js';
import { imageWriter } from './image-writer.js';
import { FakeSession } from './testing/fake-session.js';
import type { ChatHost } from './commands.js';
import { createBuildFeed, type BuildFeed } from './build-state.js';
import { keyboard, until } from './testing/keyboard.js';
import type { NewItem } from './transcript.js';

/** Only where a test checks that nothing happens: there is no event to wait for. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => cleanup());

function mount(options: { delayMs?: number; host?: Partial<ChatHost>; build?: BuildFeed; display?: DisplaySettings; initialItems?: NewItem[] } = {}) {
  const approvals = new ApprovalBridge();
  const session = new FakeSession({ approve: approvals.handler, delayMs: options.delayMs ?? 0 });
  let exits = 0;
  const host: ChatHost = {
    listSessions: async () => ['abc123  2 turns  plot sales'],
    resume: async (id) => ({ session: new FakeSession({ id, model: 'resumed-model' }), items: [{ kind: 'user', text: 'earlier prompt' }], notice: 'resumed' }),
    save: async (_s, format) => `/tmp/out/session.${format}`,
    rerun: async () => ['re-ran 2 cells in 0.1 s: 2 ok'],
    ...options.host,
  };
  const app = render(
    <DisplayContext.Provider value={options.display ?? { color: false, images: true }}>
      <App
        session={session}
        host={host}
        approvals={approvals}
        history={new PromptHistory()}
        cwd="/"
        onExit={() => exits++}
        build={options.build}
        initialItems={options.initialItems}
        initialNotice={options.initialItems ? 'resumed' : undefined}
      />
    </DisplayContext.Provider>,
  );
  // All frames so far, since <Static> output scrolls out of lastFrame().
  const screen = () => stripVTControlCharacters(app.frames.join('\n'));
  const last = () => stripVTControlCharacters(app.lastFrame() ?? '');
  return { app, session, screen, last, ...keyboard(app), exits: () => exits };
}

describe('App with a FakeSession', () => {
  it('hands a long resumed transcript to <Static> a batch per frame, all of it and in order, and later items at once', async () => {
    const items: NewItem[] = Array.from({ length: 120 }, (_, i) => ({ kind: 'user', text: `question ${i}` }));
    const t = mount({ initialItems: items });
    const first = stripVTControlCharacters(t.app.frames[0] ?? '');
    expect(first).toContain('question 0');
    expect(first).not.toContain('question 119');
    await until(() => t.last().includes('resumed'), 'the whole transcript');
    const shown = [...t.last().matchAll(/question (\d+)/g)].map((m) => Number(m[1]));
    expect(shown).toEqual(items.map((_, i) => i));
    expect(t.app.frames.length).toBeGreaterThan(2);
    await t.type('next');
    await t.press('\r');
    await until(() => t.screen().includes('› next'), 'the new prompt in the transcript');
  });

  it('sends a prompt and shows code, output, status and the markdown answer', async () => {
    const t = mount();
    await t.ready();
    expect(t.last()).toContain('fake-model');
    await t.type('what is 6*7');
    await t.press('\r');
    await until(() => t.screen().includes('The answer is 42'), 'the answer');
    const s = t.screen();
    expect(s).toContain('› what is 6*7');
    expect(s).toContain('x = 6 * 7');
    expect(s).toMatch(/✓ ran in \d+ ms/);
    expect(s).toContain('Let me compute that.');
    expect(t.session.calls).toContain('send:what is 6*7');
  });

  it('draws an image inline and lists the saved file', async () => {
    const t = mount();
    await t.ready();
    await t.type('plot it');
    await t.press('\r');
    await until(() => t.screen().includes('saved /tmp/codecell-fake-out/figure-1.png'), 'saved file');
    // Colour is off in this test, so the image is described instead of drawn.
    expect(t.screen()).toContain('image 60×40 → /tmp/codecell-fake-out/figure-1.png');
  });

  it('lays out a graphic as a marker the image writer expands, and says a graphics note once', async () => {
    const note = 'inside tmux without passthrough figures are drawn with half-blocks';
    const t = mount({ display: { color: true, images: true, graphics: { protocol: 'kitty', cell: { width: 8, height: 16 }, note } } });
    await t.ready();
    for (const prompt of ['plot it', 'plot again']) {
      await t.type(prompt);
      await t.press('\r');
      await until(() => t.screen().split('saved /tmp/codecell-fake-out/figure-1.png').length > (prompt === 'plot it' ? 1 : 2), 'saved file');
      await until(() => t.last().includes('›') && !t.last().includes('Ctrl-C'), 'the turn to end');
    }
    // Each frame of ink-testing-library repeats the <Static> output so far: the last one holds all of it.
    const s = t.last();
    expect(s.split('image 60×40').length - 1).toBe(2);
    expect(s.split(note).length - 1).toBe(1);
    const markers = s.match(/#IMG-[0-9a-f]{8}-\d+#/g) ?? [];
    expect(markers.length).toBeGreaterThanOrEqual(2);
    expect(imageWriter.expand(markers[0]!)).toContain('\x1b_Ga=T,f=100');
  });

  it('keeps newlines from Ctrl+J and Alt+Enter and sends the whole text', async () => {
    const t = mount();
    await t.ready();
    await t.type('line one');
    await t.press('\n');
    await t.type('line two');
    await t.press('\x1b\r');
    await t.type('three');
    await until(() => t.last().includes('line one') && t.last().includes('line two') && t.last().includes('three'), 'all three lines in the draft');
    await t.press('\r');
    await until(() => t.session.calls.includes('send:line one\nline two\nthree'), 'multi-line send');
  });

  it('interrupts a running cell on Ctrl-C and restarts the kernel on a second Ctrl-C only for the same cell', async () => {
    const t = mount();
    await t.ready();
    await t.type('loop forever');
    await t.press('\r');
    await until(() => t.last().includes('running'), 'the running spinner');
    await t.press('\x03');
    await until(() => t.session.calls.includes('interrupt'), 'interrupt');
    await until(() => t.screen().includes('■ interrupted'), 'interrupted status');
    expect(t.session.calls).not.toContain('restartKernel');
    await until(() => t.screen().includes('The answer is 42'), 'turn end');
    await t.type('loop again');
    await t.press('\r');
    await until(() => t.last().includes('running'), 'second spinner');
    expect(t.session.calls.filter((c) => c === 'interrupt')).toHaveLength(1);
  });

  it('restarts the kernel when a second Ctrl-C hits a cell that ignored the first', async () => {
    const t = mount();
    await t.ready();
    await t.type('stubborn loop');
    await t.press('\r');
    await until(() => t.last().includes('running'), 'the running spinner');
    await t.press('\x03');
    await until(() => t.last().includes('Ctrl-C again restarts the kernel'), 'interrupting hint');
    await t.press('\x03');
    await until(() => t.session.calls.includes('restartKernel'), 'restart');
    await until(() => t.screen().includes('The answer is 42'), 'turn end');
  });

  it('cancels a streaming turn on Ctrl-C', async () => {
    const t = mount({ delayMs: 150 });
    await t.ready();
    await t.type('slow');
    await t.press('\r');
    await until(() => t.last().includes('Let me'), 'streaming text');
    await t.press('\x03');
    await until(() => t.screen().includes('turn cancelled'), 'cancel notice');
    expect(t.screen()).not.toContain('The answer is');
  });

  it('exits on a second Ctrl-C at an empty prompt, or Ctrl-D', async () => {
    const t = mount();
    await t.ready();
    await t.press('\x03');
    expect(t.last()).toContain('press Ctrl-C again to exit');
    expect(t.exits()).toBe(0);
    t.send('\x03');
    await until(() => t.exits() === 1, 'the exit on the second Ctrl-C');
    const u = mount();
    await u.ready();
    await u.type('x');
    u.send('\x04'); // ignored: the draft is not empty
    await u.press('\x7f'); // drawn after the Ctrl-D before it was handled
    expect(u.exits()).toBe(0);
    u.send('\x04');
    await until(() => u.exits() === 1, 'the exit on Ctrl-D at an empty prompt');
  });

  it('runs slash commands: help, confirm, tokens, undo, save, sessions, resume, unknown', async () => {
    const t = mount();
    await t.ready();
    await t.type('/help');
    await t.press('\r');
    await until(() => t.screen().includes('/upload <path>'), 'help');
    await t.type('/confirm on');
    await t.press('\r');
    await until(() => t.session.calls.includes('setConfirm:true'), 'confirm');
    await t.type('/undo');
    await t.press('\r');
    await until(() => t.screen().includes('nothing to undo'), 'undo');
    await t.type('/save ipynb');
    await t.press('\r');
    await until(() => t.screen().includes('saved /tmp/out/session.ipynb'), 'save');
    await t.type('/tokens');
    await t.press('\r');
    await until(() => t.screen().includes('this session: 0 in · 0 out'), 'tokens');
    await t.type('/sessions');
    await t.press('\r');
    await until(() => t.screen().includes('abc123  2 turns  plot sales'), 'sessions');
    await t.type('/bogus');
    await t.press('\r');
    await until(() => t.screen().includes('unknown command /bogus'), 'unknown');
    await t.type('/resume abc123');
    await t.press('\r');
    await until(() => t.last().includes('resumed-model'), 'resumed header');
    expect(t.screen()).toContain('earlier prompt');
    expect(t.session.calls).toContain('close');
  });

  it('asks before running in confirm mode: skip, edit and run', async () => {
    const t = mount();
    await t.ready();
    await t.type('/confirm on');
    await t.press('\r');
    await t.type('first');
    await t.press('\r');
    await until(() => t.last().includes('Run this cell?'), 'approval prompt');
    await t.press('n');
    await until(() => t.screen().includes('○ skipped'), 'skipped');
    await t.type('second');
    await t.press('\r');
    await until(() => t.last().includes('Run this cell?'), 'approval prompt 2');
    await t.press('e');
    await until(() => t.last().includes('Enter runs it'), 'edit mode');
    await t.press('\r');
    await until(() => t.screen().includes('The answer is 42'), 'edited cell ran');
  });

  it('completes slash commands with Tab and walks history with the arrows', async () => {
    const t = mount();
    await t.ready();
    await t.type('/tok');
    await t.press('\t');
    await until(() => t.last().includes('/tokens'), 'the completed command');
    await t.press('\r');
    await until(() => t.screen().includes('this session'), 'tokens');
    await t.press('\x1b[A');
    await until(() => t.last().includes('› /tokens'), 'the previous prompt from history');
  });
});

describe('App input chunks', () => {
  it('queues a prompt typed while a turn runs and sends it when the turn ends', async () => {
    const t = mount({ delayMs: 60 });
    await t.ready();
    await t.press('first\r');
    await until(() => t.last().includes('Let me'), 'streaming');
    await t.press('second\r');
    await until(() => t.last().includes('queued: second'), 'the queued prompt');
    await until(() => t.session.calls.includes('send:second'), 'the queued send', 8000);
    expect(t.session.calls.filter((c) => c.startsWith('send:'))).toEqual(['send:first', 'send:second']);
  });

  it('submits text and Enter that arrive in one chunk', async () => {
    const t = mount();
    await t.ready();
    await t.press('typed fast\r');
    await until(() => t.session.calls.includes('send:typed fast'), 'the send');
  });
});

describe('App long drafts', () => {
  it('shows a window of a long paste around the cursor', async () => {
    const t = mount();
    await t.ready();
    t.app.stdin.write('\x1b[200~' + Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n') + '\x1b[201~');
    await until(() => t.last().includes('line 39'), 'the pasted end');
    expect(t.last()).toMatch(/… \d+ more lines above/);
    expect(t.last()).not.toContain('line 0\n');
    expect(t.last()).toMatch(/› line \d+\n {2}line \d+/);
  });
});

describe('App while the sandbox image builds', () => {
  it('shows the step, a bar and the elapsed time, lets the user type, and says when the image is built', async () => {
    const feed = createBuildFeed();
    const t = mount({ build: feed });
    feed.push({ type: 'step', step: 4, total: 8, text: 'RUN apt-get install python3' });
    feed.push({ type: 'output', text: 'Unpacking python3-numpy' });
    await until(() => t.last().includes('Unpacking python3-numpy'), 'the build output');
    expect(t.last()).toContain('building the sandbox image · RUN apt-get install python3');
    expect(t.last()).toContain('first use: type your first prompt meanwhile');
    expect(t.last()).toContain('Unpacking python3-numpy');
    expect(t.last()).toMatch(/█{9}░{15} step 4\/8 · \ds/);
    await t.ready();
    await t.type('hello');
    await until(() => t.last().includes('› hello'), 'the typed draft');
    feed.push({ type: 'done', ref: 'codecell-sandbox:abc', id: 'sha256:1', built: true, ms: 42_000 });
    await until(() => !t.last().includes('building the sandbox image'), 'the build line to go');
    await until(() => t.screen().includes('sandbox image codecell-sandbox:abc built in 42 s'), 'the image-built notice');
  });

  it('shows a failed build as an error with its fix', async () => {
    const feed = createBuildFeed();
    const t = mount({ build: feed });
    feed.push({ type: 'failed', message: 'no base image for the sandbox', fix: 'Run guest/build-base.sh.' });
    await until(() => t.screen().includes('the sandbox image could not be built: no base image for the sandbox'), 'the build failure');
    expect(t.screen()).toContain('Run guest/build-base.sh.');
  });
});

describe('App header and the sandbox state', () => {
  it('follows state changes between turns as they happen, and stops listening when unmounted', async () => {
    const t = mount();
    await until(() => t.last().includes('sandbox ready'), 'the first frame');
    expect(t.session.stateSubscribers).toBe(1); // subscribed, not polling
    t.session.sandboxState = 'restarting';
    await until(() => t.last().includes('sandbox restarting'), 'the restart in the header');
    t.session.sandboxState = 'stopped';
    await until(() => t.last().includes('sandbox stopped'), 'the dead sandbox in the header');
    t.session.sandboxState = 'ready';
    await until(() => t.last().includes('sandbox ready'), 'ready again');
    t.app.unmount();
    expect(t.session.stateSubscribers).toBe(0);
    const frames = t.app.frames.length;
    t.session.sandboxState = 'restarting';
    await sleep(30);
    expect(t.app.frames.length).toBe(frames);
  });
});
