// End to end: the chat's first-run screen in a real terminal (tmux): paste a key, pick a local server, or quit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { Terminal, tmuxOrSkip } from '../support/tmux.js';
import { exitWithCtrlD } from '../support/chat.js';
import { BIN, runCli } from '../support/cli.js';
import { sandboxImage } from '../sandbox/sandbox-image.js';
import { leftoverContainers } from '../e2e/harness.js';

const docker = await engineOrSkip();
const tmux = tmuxOrSkip();

const mode = (p: string): string => `0${(fs.statSync(p).mode & 0o777).toString(8)}`;

describe.skipIf(!docker || !tmux)('first-run screen (real binary in tmux)', () => {
  let image: string;
  const open: Terminal[] = [];
  const servers: FakeOpenAI[] = [];
  const homes: string[] = [];
  const pids = new Set<number>();

  beforeAll(async () => {
    image = await sandboxImage(docker!);
  });
  afterEach(async () => {
    for (const t of open) for (const pid of t.programPids()) pids.add(pid);
    for (const t of open.splice(0)) t.close();
    await Promise.all(servers.splice(0).map((s) => s.close()));
    for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
    // The chat removes its container on exit; nothing it started may be left.
    expect(await leftoverContainers(docker!, 10_000, pids)).toEqual([]);
  });

  /** The chat with no key, no base URL and no model set, in a private config folder. */
  function startChat(localServers: string, existingConfig?: string): { t: Terminal; configDir: string } {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-firstrun-'));
    homes.push(home);
    const configDir = existingConfig ?? path.join(home, 'config');
    const t = Terminal.start(`node ${BIN} --out-dir ${home}/out`, {
      columns: 110,
      rows: 32,
      env: {
        CODECELL_CONFIG_DIR: configDir,
        CODECELL_HOME: path.join(home, 'data'),
        CODECELL_LOCAL_SERVERS: localServers,
        CODECELL_IMAGE: image,
        OPENAI_API_KEY: undefined,
        OPENAI_BASE_URL: undefined,
        OPENAI_MODEL: undefined,
        CODECELL_API_KEY: undefined,
        CODECELL_BASE_URL: undefined,
        CODECELL_MODEL: undefined,
        NO_COLOR: '1',
      },
    });
    open.push(t);
    return { t, configDir };
  }

  it('paste an API key: hidden on screen, saved 0600 in a 0700 folder, then the chat opens', async () => {
    const { t, configDir } = startChat('off');
    await t.waitFor('No model is set up yet', 30_000);
    expect(t.screen()).toContain('1  Paste an OpenAI API key');
    expect(t.screen()).toContain('2  Quit');
    expect(t.screen()).toContain('no model server with a model answered on this machine; probed none: CODECELL_LOCAL_SERVERS=off');
    t.keys('Enter');
    await t.waitFor('Paste your OpenAI API key');
    const key = 'sk-test-0123456789abcdefSECRET';
    t.paste(`${key}\n`);
    await t.waitFor(`(${key.length} characters)`);
    expect(t.all()).not.toContain('SECRET');
    t.keys('Enter');
    await t.waitFor(/codecell · gpt-4o-mini · sandbox/, 30_000, 'the chat header');
    expect(t.all()).not.toContain('SECRET');
    expect(t.all()).toContain(`saved the API key to ${configDir}/config.json (readable only by you)`);
    expect(await exitWithCtrlD(t)).toBe(0);

    const file = path.join(configDir, 'config.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ apiKey: key });
    expect(mode(file)).toBe('0600');
    expect(mode(configDir)).toBe('0700');
    // The next start goes straight to the chat.
    const again = startChat('off', configDir);
    await again.t.waitFor(/codecell · gpt-4o-mini · sandbox/, 30_000, 'the chat header');
    expect(again.t.all()).not.toContain('No model is set up yet');
    expect(await exitWithCtrlD(again.t)).toBe(0);
  });

  it('pick the local server found on an Ollama-style port and its suggested model; the chat then talks to it', async () => {
    const server = await startFakeOpenAI({
      models: ['gemma3:4b', 'qwen2.5-coder:7b', 'nomic-embed-text'],
      ollama: { capabilities: { 'qwen2.5-coder:7b': ['completion', 'tools'], 'gemma3:4b': ['completion'] } },
      script: (req) => [{ text: `local model ${req.model} says hi` }],
    });
    servers.push(server);
    const port = new URL(server.url).port;
    const { t, configDir } = startChat(`ollama:${port}`);
    await t.waitFor('No model is set up yet', 30_000);
    expect(t.screen()).toContain(`2  Use Ollama at http://127.0.0.1:${port}/v1  2 models; qwen2.5-coder:7b suggested`);
    t.keys('Down');
    await t.waitFor(`› 2  Use Ollama`);
    t.keys('Enter');
    await t.waitFor('choose a model');
    expect(t.screen()).toMatch(/› qwen2\.5-coder:7b +suggested: a coder model; the server says it calls tools/);
    expect(t.screen()).not.toContain('nomic-embed-text'); // not a chat model
    t.keys('Enter');
    await t.waitFor(/codecell · qwen2\.5-coder:7b · sandbox/, 30_000, 'the chat header with the chosen model');
    t.submit('hello');
    await t.waitFor('local model qwen2.5-coder:7b says hi', 30_000);
    expect(await exitWithCtrlD(t)).toBe(0);

    const file = path.join(configDir, 'config.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'qwen2.5-coder:7b' });
    expect(mode(file)).toBe('0600');
    expect(server.requests.map((r) => r.model)).toEqual(['qwen2.5-coder:7b']);
  });

  it('quit: prints the commands to do it by hand, exits 2, writes no key', async () => {
    const { t, configDir } = startChat('off');
    await t.waitFor('No model is set up yet', 30_000);
    t.keys('q');
    expect(await t.waitForExit(20_000)).toBe(2);
    const screen = t.all();
    expect(screen).toContain('codecell: no model is set up. To do it by hand, either:');
    expect(screen).toContain('export OPENAI_API_KEY=sk-...');
    expect(screen).toContain('ollama serve & ollama pull qwen2.5-coder');
    expect(screen).not.toContain('Paste an OpenAI API key'); // the screen is cleared before the steps
    const file = path.join(configDir, 'config.json');
    expect(fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {}).toEqual({});
  });

  it('never appears in run or when stdin is not a terminal', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-firstrun-'));
    homes.push(home);
    const env = { CODECELL_CONFIG_DIR: path.join(home, 'config'), CODECELL_HOME: path.join(home, 'data'), CODECELL_LOCAL_SERVERS: 'off' };
    const run = await runCli(['run', 'hi'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no API key is set');
    expect(run.stdout + run.stderr).not.toContain('first run');
    const chat = await runCli([], { env });
    expect(chat.code).toBe(2);
    expect(chat.stderr).toContain('the chat needs a terminal');
  });
});
