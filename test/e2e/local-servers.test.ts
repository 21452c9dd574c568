// End to end: `codecell run` with no API key and no base URL finds a model server on this machine on its own.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { closedPort, pinnedImage, runChild, useCliFixture } from './harness.js';

const docker = await engineOrSkip();

/** True when nothing listens on 127.0.0.1:port (so this test may, or the default probe finds nothing there). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

describe.skipIf(!docker)('local model servers found on their own (real CLI, real HTTP)', () => {
  const fx = useCliFixture(docker!);

  /** `codecell run` with no key, no base URL and no model set, as on a fresh machine. */
  const runBare = (prompt: string, env: Record<string, string | undefined>) =>
    runChild(['run', prompt, '--out-dir', fx.home.outDir], { ...fx.home.env, CODECELL_IMAGE: pinnedImage(), ...env });

  it('uses an Ollama-style server with its tool-capable coder model, and says which and why in one line', async () => {
    const server = await fx.serve({
      script: [[{ text: 'Hello from the local model.' }]],
      models: ['nomic-embed-text', 'gemma3:4b', 'qwen2.5-coder:7b'],
      ollama: { capabilities: { 'qwen2.5-coder:7b': ['completion', 'tools'], 'gemma3:4b': ['completion', 'vision'] } },
    });
    const port = new URL(server.url).port;
    const closed = await closedPort();
    const r = await runBare('say hello', { CODECELL_LOCAL_SERVERS: `lmstudio:${closed},ollama:${port}` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Hello from the local model.');
    const lines = r.stderr.split('\n').filter((l) => l.includes('using Ollama'));
    expect(lines).toEqual([
      `codecell: no API key or base URL set; using Ollama at http://127.0.0.1:${port}/v1 with qwen2.5-coder:7b (a coder model; the server says it calls tools)`,
    ]);
    expect(server.requests.map((q) => q.model)).toEqual(['qwen2.5-coder:7b']);
    expect(server.log[server.log.length - 1]!.headers.authorization).toBe('Bearer codecell-no-key');
  });

  it('keeps a model the user named', async () => {
    const server = await fx.serve({ script: [[{ text: 'ok' }]], models: ['qwen2.5-coder:7b', 'llama3.1:8b'], ollama: {} });
    const r = await runBare('hi', { CODECELL_LOCAL_SERVERS: `ollama:${new URL(server.url).port}`, OPENAI_MODEL: 'llama3.1:8b' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('with llama3.1:8b (the model you set)');
    expect(server.requests.map((q) => q.model)).toEqual(['llama3.1:8b']);
  });

  it('with nothing listening keeps the clear error and names both ways out (exit 2)', async () => {
    const closed = await closedPort();
    const r = await runBare('hi', { CODECELL_LOCAL_SERVERS: `ollama:${closed}` });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`codecell: no API key is set for https://api.openai.com/v1, and no local model server answered (probed Ollama :${closed})`);
    expect(r.stderr).toMatch(/fix: Either set a key: `export OPENAI_API_KEY=sk-\.\.\.`.*or start a local model server \(e\.g\. `ollama serve`/);
  });

  it('a server with no chat model is named, with how to fetch one', async () => {
    const server = await fx.serve({ models: ['nomic-embed-text'], ollama: {} });
    const r = await runBare('hi', { CODECELL_LOCAL_SERVERS: `ollama:${new URL(server.url).port}` });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the local Ollama server at');
    expect(r.stderr).toContain('`ollama pull qwen2.5-coder`');
  });

  it('batch uses the local server too, and without one says how to set a model up (exit 2)', async () => {
    const server = await fx.serve({
      script: () => [{ text: 'batch answer' }],
      models: ['qwen2.5-coder:7b'],
      ollama: { capabilities: { 'qwen2.5-coder:7b': ['tools'] } },
    });
    const tasks = path.join(fx.home.dir, 'tasks.txt');
    fs.writeFileSync(tasks, 'first question\n');
    const out = path.join(fx.home.dir, 'batch');
    const r = await runChild(['batch', tasks, '--out', out, '--plain'], {
      ...fx.home.env,
      CODECELL_IMAGE: pinnedImage(),
      CODECELL_LOCAL_SERVERS: `ollama:${new URL(server.url).port}`,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('using Ollama at');
    const result = JSON.parse(fs.readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim()) as { status: string; answer: string; model: string };
    expect(result).toMatchObject({ status: 'ok', answer: 'batch answer', model: 'qwen2.5-coder:7b' });

    const none = await runChild(['batch', tasks, '--out', path.join(fx.home.dir, 'batch2'), '--plain'], { ...fx.home.env, CODECELL_LOCAL_SERVERS: 'off' });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no API key is set for https://api.openai.com/v1, and no local model server answered');
  });

  it('an explicit key or base URL turns the probe off', async () => {
    const local = await fx.serve({ models: ['qwen2.5-coder:7b'], ollama: {} });
    const remote: FakeOpenAI = await startFakeOpenAI({ script: [[{ text: 'from the configured server' }]] });
    try {
      const r = await runBare('hi', { CODECELL_LOCAL_SERVERS: `ollama:${new URL(local.url).port}`, OPENAI_BASE_URL: remote.url, OPENAI_MODEL: 'fake-model' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('using Ollama');
      expect(local.log).toEqual([]);
    } finally {
      await remote.close();
    }
  });

  it('probes the default ports (11434, 1234, 8080, 8000) when CODECELL_LOCAL_SERVERS is unset', async () => {
    const free = await Promise.all([11434, 1234, 8080, 8000].map(portFree));
    if (!free[0]) {
      console.warn('!!! port 11434 is taken on this machine: skipping the default-port detection check');
      return;
    }
    // Nothing of ours on the default ports: the message lists them all (whatever else runs here is found instead).
    const none = await runBare('hi', { CODECELL_LOCAL_SERVERS: undefined });
    if (free.every(Boolean)) {
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('probed Ollama :11434, LM Studio :1234, llama.cpp :8080, vLLM :8000');
    }
    // Then an Ollama-style server on Ollama's own port is found with no configuration at all.
    let server: FakeOpenAI;
    try {
      server = await fx.serve({
        script: [[{ text: 'found on 11434' }]],
        models: ['qwen2.5-coder:7b'],
        ollama: { capabilities: { 'qwen2.5-coder:7b': ['tools'] } },
        port: 11434,
      });
    } catch (err) {
      console.warn(`!!! could not listen on 11434 (${(err as Error).message}): skipping`);
      return;
    }
    const r = await runBare('hi', { CODECELL_LOCAL_SERVERS: undefined });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('using Ollama at http://127.0.0.1:11434/v1 with qwen2.5-coder:7b');
    expect(r.stdout).toContain('found on 11434');
    expect(server.requests).toHaveLength(1);
  });
});
