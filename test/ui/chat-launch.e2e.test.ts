// The chat draws its prompt before the session opens: the sandbox becomes ready behind it, and a failure
// to open (no key, no Docker) still ends the chat with the same message and exit status as `run`.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { engineOrSkip } from '../support/engine.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { Terminal, tmuxOrSkip } from '../support/tmux.js';
import { LABEL_APP, LABEL_PID } from '../../src/sandbox/labels.js';

const bin = resolve('bin/codecell.js');
const docker = await engineOrSkip();
const tmux = tmuxOrSkip();

describe.skipIf(!docker || !tmux)('chat launch: prompt first, session behind it (real sandbox, pseudo-terminal)', () => {
  let server: FakeOpenAI;
  let home: string;
  const open: Terminal[] = [];

  beforeAll(async () => {
    server = await startFakeOpenAI({ script: () => [{ text: 'hello from the model' }] });
    home = mkdtempSync(join(tmpdir(), 'cc-chat-launch-'));
  });
  afterEach(() => {
    for (const t of open.splice(0)) t.close();
  });
  afterAll(async () => {
    await server?.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** Runs the chat under `exec`, so the pid written to `pidFile` is the chat's own (its containers carry it). */
  function chat(env: Record<string, string | undefined>, pidFile: string): Terminal {
    const t = Terminal.start(`sh -c 'echo $$ > ${pidFile}; exec node ${bin}'`, {
      cwd: home,
      columns: 100,
      rows: 30,
      env: { CODECELL_HOME: home, CODECELL_CONFIG_DIR: join(home, 'config'), OPENAI_MODEL: 'fake-model', CODECELL_FAKE_SESSION: undefined, ...env },
    });
    open.push(t);
    return t;
  }

  const containersOf = async (pid: string): Promise<string[]> =>
    (await docker!.listContainers({ all: true, filters: { label: [`${LABEL_APP}=codecell`, `${LABEL_PID}=${pid}`] } })).map((c) => c.Id);

  it('draws the prompt with the sandbox still starting, then shows it ready and answers', async () => {
    const t = chat({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'test-key' }, join(home, 'a.pid'));
    // The first frame has the header and the prompt; the container is usually still starting (on a fast
    // machine it can be ready first, so either state is accepted; the launch bench times the order).
    const first = await t.waitFor('codecell · fake-model', 30_000, 'the header');
    expect(first).toMatch(/sandbox (starting|ready)/);
    expect(first).toContain('Type a request');
    // The chat replaced itself with a node that keeps its young generation small (bin/codecell.js): same pid.
    const pid = readFileSync(join(home, 'a.pid'), 'utf8').trim();
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=2');
    await t.waitFor('sandbox ready', 60_000, 'the sandbox to be ready');
    t.submit('hi');
    await t.waitFor('hello from the model', 30_000, 'the answer');
    t.keys('C-d');
    expect(await t.waitForExit(30_000)).toBe(0);
  });

  it('no API key: the first-run screen comes before any container starts; quitting it leaves with exit 2 and nothing behind', async () => {
    const pidFile = join(home, 'b.pid');
    const t = chat({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, CODECELL_LOCAL_SERVERS: 'off' }, pidFile);
    await t.waitFor('No model is set up yet', 30_000);
    const pid = readFileSync(pidFile, 'utf8').trim();
    expect(await containersOf(pid)).toEqual([]);
    t.keys('q');
    expect(await t.waitForExit(20_000)).toBe(2);
    expect(t.all()).toContain('codecell: no model is set up. To do it by hand, either:');
    expect(await containersOf(pid)).toEqual([]);
  });

  it('no Docker engine: the chat leaves with exit 1 and says how to start Docker', async () => {
    const t = chat({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'test-key', DOCKER_HOST: 'tcp://127.0.0.1:9' }, join(home, 'c.pid'));
    expect(await t.waitForExit(60_000)).toBe(1);
    const screen = t.all();
    expect(screen).toContain('cannot reach a Docker engine at tcp://127.0.0.1:9');
    expect(screen).toContain('fix: Start Docker');
  });
});
