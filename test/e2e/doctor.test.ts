// End to end: `codecell doctor` against the real engine and the scripted model server, healthy and broken in each way.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import type { FakeOpenAIOptions, Turn } from '../support/fake-openai.js';
import { Terminal, tmuxOrSkip } from '../support/tmux.js';
import { BIN } from '../support/cli.js';
import { closedPort, pinnedImage, runChild, useCliFixture } from './harness.js';

const docker = await engineOrSkip();
const tmux = tmuxOrSkip();

interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
  required: boolean;
  data?: Record<string, unknown>;
}
interface Report {
  version: string;
  ready: boolean;
  checks: Check[];
}

/** A model that does what codecell needs: it calls the python tool. */
const TOOL_TURN: Turn = [{ toolCall: { code: 'print(6 * 7)' } }, { usage: { prompt: 60, completion: 12 } }];
const TOOL_CALL: FakeOpenAIOptions = { apiKey: 'sk-good', script: [TOOL_TURN] };

describe.skipIf(!docker)('codecell doctor (real engine, real HTTP)', () => {
  const fx = useCliFixture(docker!);

  /** doctor with a private home, the scripted server as the configured one, and no local-server probing. */
  async function doctor(args: string[], env: Record<string, string | undefined> = {}) {
    const r = await runChild(['doctor', ...args, '--out-dir', fx.home.outDir], {
      ...fx.home.env,
      CODECELL_LOCAL_SERVERS: 'off',
      ...(fx.server ? { OPENAI_BASE_URL: fx.server.url, OPENAI_API_KEY: 'sk-good', OPENAI_MODEL: 'gpt-4o-mini' } : {}),
      ...env,
    });
    return r;
  }
  async function doctorJson(args: string[] = [], env: Record<string, string | undefined> = {}) {
    const r = await doctor(['--json', ...args], env);
    const lines = r.stdout.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    const report = JSON.parse(lines[0]!) as Report;
    const byId = (id: string): Check => {
      const c = report.checks.find((x) => x.id === id);
      if (!c) throw new Error(`no check ${id} in ${r.stdout}`);
      return c;
    };
    return { r, report, byId };
  }

  it('a healthy setup: every line passes, the probe called the tool and its cost is shown, exit 0', async () => {
    const server = await fx.serve(TOOL_CALL);
    const text = await doctor([]);
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout).toMatch(/✓ engine +Docker .* at unix:\/\/\/var\/run\/docker\.sock \(API [\d.]+, linux\/\w+\), (rootful|rootless)/);
    expect(text.stdout).toMatch(/✓ image +codecell-sandbox:[0-9a-f]{12}, \d+ MiB, current for this version/);
    expect(text.stdout).toContain(`✓ server        ${server.url} answers (from OPENAI_BASE_URL)`);
    expect(text.stdout).toContain('✓ API key       accepted');
    expect(text.stdout).toContain('✓ model         gpt-4o-mini is offered');
    // 60 prompt + 12 completion tokens at gpt-4o-mini's list price: 60×0.15/1e6 + 12×0.6/1e6 = $0.0000162.
    expect(text.stdout).toMatch(/✓ tool calling {2}gpt-4o-mini called the python tool \([\d.]+ m?s, 72 tokens, cost \$0\.000016\)/);
    expect(text.stdout).toContain('ready: `codecell run` has what it needs');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.tools?.[0]).toMatchObject({ type: 'function', function: { name: 'python' } });

    server.push(TOOL_TURN);
    const { r, report, byId } = await doctorJson();
    expect(r.code).toBe(0);
    expect(report.ready).toBe(true);
    expect(report.checks.filter((c) => c.required && c.status !== 'ok')).toEqual([]);
    expect(byId('tool_calling').data).toMatchObject({
      usage: { promptTokens: 60, completionTokens: 12, totalTokens: 72 },
      costUsd: expect.closeTo(0.0000162, 10),
    });
    expect(byId('engine').data).toMatchObject({ product: 'Docker', rootless: expect.any(Boolean) });
    // Not a terminal here: the terminal lines are skipped, never failed.
    expect(['colours', 'graphics', 'size'].map((id) => byId(id).status)).toEqual(['skip', 'skip', 'skip']);
    expect(byId('output').status).toBe('ok');
    expect(fs.existsSync(fx.home.outDir)).toBe(false); // doctor never creates the output folder
  });

  it('the engine unreachable (DOCKER_HOST at a dead socket): the engine line fails with how to start one, the model still checks, exit 1', async () => {
    await fx.serve(TOOL_CALL);
    const dead = path.join(fx.home.dir, 'dead.sock');
    const { r, report, byId } = await doctorJson([], { DOCKER_HOST: `unix://${dead}` });
    expect(r.code).toBe(1);
    expect(report.ready).toBe(false);
    expect(byId('engine')).toMatchObject({ status: 'fail', required: true });
    expect(byId('engine').detail).toContain(`cannot reach a Docker engine at unix://${dead}`);
    expect(byId('engine').fix).toMatch(/Start Docker.*DOCKER_HOST/);
    expect(byId('image').status).toBe('skip');
    expect(byId('tool_calling').status).toBe('ok');

    fx.server!.push(TOOL_TURN);
    const text = await doctor([], { DOCKER_HOST: `unix://${dead}` });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/✗ engine +cannot reach a Docker engine/);
    expect(text.stdout).toMatch(/\n +fix: Start Docker/);
    expect(text.stdout).toContain('not ready: 1 problem stops `codecell run` (engine)');
  });

  it('a bad key: the key line fails with the fix, the model is not asked, exit 1', async () => {
    const server = await fx.serve(TOOL_CALL);
    const { r, byId } = await doctorJson([], { OPENAI_API_KEY: 'sk-bad' });
    expect(r.code).toBe(1);
    expect(byId('server').status).toBe('ok');
    expect(byId('api_key')).toMatchObject({ status: 'fail', required: true });
    expect(byId('api_key').detail).toContain('the model server refused the API key (401');
    expect(byId('api_key').fix).toContain('OPENAI_API_KEY');
    expect(byId('tool_calling').status).toBe('skip');
    expect(server.requests).toHaveLength(0);
  });

  it('a model that answers in text instead of calling the tool fails tool calling, with models that can, exit 1', async () => {
    await fx.serve({ apiKey: 'sk-good', script: [[{ text: 'print(6 * 7) gives 42.' }, { usage: { prompt: 50, completion: 8 } }]] });
    const { r, byId } = await doctorJson();
    expect(r.code).toBe(1);
    expect(byId('tool_calling')).toMatchObject({ status: 'fail', required: true });
    expect(byId('tool_calling').detail).toContain('gpt-4o-mini answered in text instead of calling the python tool ("print(6 * 7) gives 42.")');
    expect(byId('tool_calling').fix).toMatch(/Choose a model that calls tools \(e\.g\. qwen2\.5-coder/);
  });

  it('a server that refuses tools for the model (as Ollama does) fails tool calling with its message', async () => {
    await fx.serve({
      apiKey: 'sk-good',
      models: ['gemma:2b'],
      script: [[{ status: 400, body: { error: { message: 'registry.ollama.ai/library/gemma:2b does not support tools', type: 'api_error' } } }]],
    });
    const { r, byId } = await doctorJson([], { OPENAI_MODEL: 'gemma:2b' });
    expect(r.code).toBe(1);
    expect(byId('model').status).toBe('ok');
    expect(byId('tool_calling').detail).toMatch(
      /^the model "gemma:2b" cannot call tools (at \S+ )?\(registry\.ollama\.ai\/library\/gemma:2b does not support tools\)$/,
    );
  });

  it('a model the server does not offer fails the model line with the list', async () => {
    await fx.serve(TOOL_CALL);
    const { r, byId } = await doctorJson(['--model', 'gpt-9']);
    expect(r.code).toBe(1);
    expect(byId('model').detail).toBe('gpt-9 is not offered; the server offers fake-model, gpt-4o-mini');
    expect(byId('tool_calling').status).toBe('skip');
  });

  it('the image missing (--image that does not exist): the image line fails with how to get it, exit 1', async () => {
    await fx.serve(TOOL_CALL);
    const { r, byId } = await doctorJson(['--image', 'codecell-doctor-test-missing:nope']);
    expect(r.code).toBe(1);
    expect(byId('image')).toMatchObject({ status: 'fail', required: true });
    expect(byId('image').detail).toContain('codecell-doctor-test-missing:nope (chosen with --image, CODECELL_IMAGE or the config) is not on the engine');
    expect(byId('image').fix).toContain('docker pull codecell-doctor-test-missing:nope');
    // The image it does have passes.
    fx.server!.push(TOOL_TURN);
    const pinned = await doctorJson(['--image', pinnedImage()]);
    expect(pinned.byId('image').status).toBe('ok');
  });

  it('--no-probe makes no chat request; no key and no local server names both ways out', async () => {
    const server = await fx.serve(TOOL_CALL);
    const { byId } = await doctorJson(['--no-probe']);
    expect(byId('tool_calling').status).toBe('skip');
    expect(server.requests).toHaveLength(0);
    await server.close();
    fx.server = undefined;

    const closed = await closedPort();
    const none = await doctorJson([], { CODECELL_LOCAL_SERVERS: `ollama:${closed}` });
    expect(none.r.code).toBe(1);
    expect(none.byId('server').detail).toContain(`no local model server answered (probed Ollama :${closed})`);
    expect(none.byId('server').fix).toMatch(/OPENAI_API_KEY.*ollama serve/);
  });

  it('with no key, checks the local server it finds on its own', async () => {
    const server = await fx.serve({
      models: ['qwen2.5-coder:7b'],
      ollama: { capabilities: { 'qwen2.5-coder:7b': ['completion', 'tools'] } },
      script: [[{ toolCall: { code: 'print(6 * 7)' } }]],
    });
    fx.server = undefined; // not the configured server: found by probing
    try {
      const port = new URL(server.url).port;
      const { r, byId } = await doctorJson([], { CODECELL_LOCAL_SERVERS: `ollama:${port}` });
      expect(r.code, r.stdout).toBe(0);
      expect(byId('server').detail).toBe(
        `${server.url} answers (no key or base URL set: Ollama found on its own; qwen2.5-coder:7b chosen: the only model it offers; a coder model; the server says it calls tools)`,
      );
      expect(byId('api_key').detail).toBe('none set; this server takes requests without one');
      expect(byId('tool_calling').detail).toMatch(/qwen2\.5-coder:7b called the python tool \([\d.]+ m?s, \d+ tokens, no cost \(local server\)\)/);
    } finally {
      await server.close();
    }
  });

  it('a config file others can read is a warning with the chmod fix (run still works)', async () => {
    await fx.serve(TOOL_CALL);
    const dir = fx.home.env.CODECELL_CONFIG_DIR!;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ apiKey: 'sk-good' }), { mode: 0o644 });
    fs.chmodSync(path.join(dir, 'config.json'), 0o644);
    const { r, byId } = await doctorJson();
    expect(r.code).toBe(0);
    expect(byId('config')).toMatchObject({ status: 'warn', required: false });
    expect(byId('config').detail).toContain('(0644, folder 0700) can be read by other users, holds the API key');
    expect(byId('config').fix).toContain(`chmod 600 ${path.join(dir, 'config.json')}`);
  });
});

describe.skipIf(!docker || !tmux)('codecell doctor in a terminal', () => {
  const open: Terminal[] = [];
  afterEach(() => {
    for (const t of open.splice(0)) t.close();
  });

  it('checks the terminal it runs in: colours, graphics, size', async () => {
    const home = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'cc-doctor-'));
    try {
      const t = Terminal.start(`node ${BIN} doctor --no-probe --base-url http://127.0.0.1:9/v1`, {
        columns: 100,
        rows: 40,
        env: {
          CODECELL_CONFIG_DIR: `${home}/c`,
          CODECELL_HOME: `${home}/d`,
          TERM: 'xterm-256color',
          COLORTERM: undefined,
          NO_COLOR: undefined,
          KITTY_WINDOW_ID: undefined,
          TERM_PROGRAM: undefined,
          CODECELL_LOCAL_SERVERS: 'off',
        },
      });
      open.push(t);
      await t.waitForExit(30_000);
      const screen = t.all();
      // Node counts tmux as true colour.
      expect(screen).toMatch(/✓ colours +(256 colours|true colour \(16 million\)) \(TERM=xterm-256color\)/);
      expect(screen).toMatch(/! graphics +no image protocol detected: figures are drawn as coloured half-blocks/);
      expect(screen).toMatch(/✓ size +100×40/);
      expect(screen).toContain('✗ server');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
