import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { BIN } from '../support/cli.js';
import { Terminal, tmuxOrSkip } from '../support/tmux.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../support/fake-openai.js';
import { childPids, childrenGone, leftoverContainers, makeHome, pinImage, pinnedImage, toolMessages, type Home } from './harness.js';

const docker = await engineOrSkip();
const tmux = tmuxOrSkip('the codecell run terminal tests');

describe.skipIf(!docker || !tmux)('codecell run in a terminal (tmux, real sandbox)', () => {
  let server: FakeOpenAI | undefined;
  let term: Terminal | undefined;
  let home: Home;
  const serve = async (options: FakeOpenAIOptions): Promise<FakeOpenAI> => (server = await startFakeOpenAI(options));

  /** Starts `codecell run <args>` on a terminal of its own; the shell's stdin is the terminal, so no data is piped. */
  const start = (s: FakeOpenAI, args: string[]): Terminal => {
    const quoted = [process.execPath, BIN, 'run', ...args, '--out-dir', home.outDir, '--model', 'fake-model'].map((a) => `'${a.replace(/'/g, `'\\''`)}'`);
    term = Terminal.start(quoted.join(' '), {
      env: { ...home.env, OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: s.url, CODECELL_IMAGE: pinnedImage(), TERM: 'xterm-256color' },
    });
    return term;
  };

  /** Remembers the pid of the codecell process in the terminal (its container carries it as a label). */
  const trackPid = async (t: Terminal): Promise<void> => {
    for (let i = 0; i < 250 && t.exitStatus() === undefined; i++) {
      const pids = t.programPids();
      if (pids.length > 0) {
        for (const pid of pids) childPids.add(pid);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the codecell process was not seen running');
  };

  beforeAll(async () => {
    await pinImage(docker!);
  });
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(async () => {
    term?.close(); // SIGHUP to a codecell still running (a failed test): it removes its sandbox and exits
    term = undefined;
    await childrenGone();
    await server?.close();
    server = undefined;
    home.cleanup();
    expect(await leftoverContainers(docker!), 'containers left behind').toEqual([]);
  });

  it('--confirm asks before each cell: "n" skips it (the model is told), "y" runs it', async () => {
    const s = await serve({
      script: [[{ toolCall: { code: "print('first cell ran')" } }], [{ toolCall: { code: "print('second cell ran')" } }], [{ text: 'Finished.' }]],
    });
    const t = start(s, ['go', '--confirm']);
    await trackPid(t);
    await t.waitFor(/Run this cell\? \[y\]es \/ \[n\]o \(skip\) 1 line\(s\):/, 30_000, 'the first question');
    t.type('n');
    t.keys('Enter');
    await t.waitFor(/Run this cell\?[^\n]*\n(.*\n)*.*Run this cell\?/, 30_000, 'the second question');
    t.type('y');
    t.keys('Enter');
    expect(await t.waitForExit(30_000)).toBe(0);
    const screen = t.all();
    expect(screen).toContain('second cell ran');
    expect(screen).not.toMatch(/^first cell ran$/m);
    expect(screen).toContain('Finished.');
    expect(toolMessages(s.requests[1])[0]).toBe('The user chose not to run this code.');
    expect(toolMessages(s.requests[2])[1]).toBe('second cell ran\n');
  });

  it('--confirm in text mode: a ```python block is asked about like a tool call; the skip reaches the model in an output message', async () => {
    const s = await serve({
      refuseTools: 'ollama',
      script: [
        [{ text: 'First:\n```python\nprint("first block ran")\n```\n', chunk: 4 }],
        [{ text: 'Then:\n```python\nprint("second block ran")\n```\n', chunk: 4 }],
        [{ text: 'Finished.' }],
      ],
    });
    const t = start(s, ['go', '--confirm']);
    await trackPid(t);
    await t.waitFor(/Run this cell\? \[y\]es \/ \[n\]o \(skip\) 1 line\(s\):/, 30_000, 'the first question');
    t.type('n');
    t.keys('Enter');
    await t.waitFor(/Run this cell\?[^\n]*\n(.*\n)*.*Run this cell\?/, 30_000, 'the second question');
    t.type('y');
    t.keys('Enter');
    expect(await t.waitForExit(30_000)).toBe(0);
    const screen = t.all();
    expect(screen).toContain('switched to the text protocol');
    expect(screen).toMatch(/^second block ran$/m);
    expect(screen).not.toMatch(/^first block ran$/m);
    expect(screen).toContain('Finished.');
    const sent = s.requests.filter((r) => !r.tools);
    expect(String(sent[1]!.messages.at(-1)!.content)).toContain('<python-output>\nThe user chose not to run this code.\n</python-output>');
    expect(String(sent[2]!.messages.at(-1)!.content)).toContain('<python-output>\nsecond block ran\n');
  });

  it('renders the markdown answer for a person on a terminal', async () => {
    const s = await serve({ script: [[{ text: '# Result\n\nThe total is **42** and `x` holds it.\n\n- north: 10\n- south: 32\n' }]] });
    const t = start(s, ['go']);
    await trackPid(t);
    expect(await t.waitForExit(30_000)).toBe(0);
    const screen = t.all();
    expect(screen).toContain('The total is 42 and');
    expect(screen).not.toContain('**42**');
    expect(screen).toMatch(/north: 10/);
    expect(screen).not.toMatch(/^- north/m); // a rendered list, not the raw markdown
  });
});
