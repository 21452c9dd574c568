import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai.js';
import { DEFAULT_LOCAL_ENDPOINTS, localEndpoints, ollamaModelNames, openAiModelIds, pickModel, probeLocalServers } from './local-servers.js';
import { closedPort } from '../../test/support/ports.js';

describe('localEndpoints', () => {
  it('probes Ollama, LM Studio, llama.cpp and vLLM on their usual ports by default', () => {
    expect(localEndpoints({})).toEqual([
      { kind: 'ollama', port: 11434 },
      { kind: 'lmstudio', port: 1234 },
      { kind: 'llamacpp', port: 8080 },
      { kind: 'vllm', port: 8000 },
    ]);
    expect(localEndpoints({ CODECELL_LOCAL_SERVERS: '  ' })).toEqual(DEFAULT_LOCAL_ENDPOINTS);
  });

  it('reads CODECELL_LOCAL_SERVERS as kind:port items, a bare port, or off', () => {
    expect(localEndpoints({ CODECELL_LOCAL_SERVERS: 'ollama:41434, vllm:8001,9000' })).toEqual([
      { kind: 'ollama', port: 41434 },
      { kind: 'vllm', port: 8001 },
      { kind: 'llamacpp', port: 9000 },
    ]);
    expect(localEndpoints({ CODECELL_LOCAL_SERVERS: 'off' })).toEqual([]);
    expect(() => localEndpoints({ CODECELL_LOCAL_SERVERS: 'ollama:99999' })).toThrow(/ollama:99999.*kind:port/);
    expect(() => localEndpoints({ CODECELL_LOCAL_SERVERS: 'olama:11434' })).toThrow(/olama:11434/);
  });
});

describe('response shapes', () => {
  it('reads ids from /v1/models and names from Ollama /api/tags', () => {
    expect(openAiModelIds({ object: 'list', data: [{ id: 'a', object: 'model', created: 0, owned_by: 'x' }, { id: 'b' }, { nope: 1 }] })).toEqual(['a', 'b']);
    expect(openAiModelIds({ models: [] })).toBeUndefined();
    expect(
      ollamaModelNames({ models: [{ name: 'qwen2.5-coder:7b', model: 'qwen2.5-coder:7b', size: 1, details: { family: 'qwen2' } }, { model: 'llama3.1:8b' }] }),
    ).toEqual(['qwen2.5-coder:7b', 'llama3.1:8b']);
    expect(ollamaModelNames({ data: [] })).toBeUndefined();
  });
});

describe('pickModel', () => {
  it('prefers a model the server says calls tools, then a coder model, then the larger', () => {
    expect(
      pickModel([
        { id: 'gemma3:4b', tools: false },
        { id: 'qwen3:8b', tools: true },
        { id: 'codellama:7b', tools: false },
      ]),
    ).toEqual({
      model: 'qwen3:8b',
      reason: 'the server says it calls tools',
    });
    expect(
      pickModel([
        { id: 'qwen2.5-coder:7b', tools: true },
        { id: 'qwen3:8b', tools: true },
      ])?.model,
    ).toBe('qwen2.5-coder:7b');
    expect(pickModel([{ id: 'qwen2.5-coder:7b' }, { id: 'qwen2.5-coder:32b' }, { id: 'llama3.1:8b' }])).toEqual({
      model: 'qwen2.5-coder:32b',
      reason: 'a coder model; from a family that calls tools',
    });
  });

  it('skips embedding models and says when nothing is known to call tools', () => {
    expect(pickModel([{ id: 'nomic-embed-text' }])).toBeUndefined();
    expect(pickModel([])).toBeUndefined();
    expect(pickModel([{ id: 'nomic-embed-text' }, { id: 'my-model' }])).toEqual({ model: 'my-model', reason: 'the only model it offers' });
    expect(pickModel([{ id: 'b-model' }, { id: 'a-model' }])).toEqual({ model: 'a-model', reason: 'the first it offers; none is known to call tools' });
  });
});

describe('probeLocalServers (real HTTP)', () => {
  const servers: FakeOpenAI[] = [];
  const raw: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(raw.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  const portOf = (s: FakeOpenAI): number => Number(new URL(s.url).port);

  it('finds an Ollama-style server through /api/tags and /api/show, and ignores closed ports', async () => {
    const ollama = await startFakeOpenAI({
      models: ['gemma3:4b', 'qwen2.5-coder:7b'],
      ollama: { capabilities: { 'qwen2.5-coder:7b': ['completion', 'tools'] } },
    });
    servers.push(ollama);
    const closed = await closedPort();
    const found = await probeLocalServers({
      endpoints: [
        { kind: 'lmstudio', port: closed },
        { kind: 'ollama', port: portOf(ollama) },
      ],
    });
    expect(found).toEqual([
      {
        kind: 'ollama',
        port: portOf(ollama),
        label: 'Ollama',
        baseURL: `http://127.0.0.1:${portOf(ollama)}/v1`,
        models: [
          { id: 'gemma3:4b', tools: false },
          { id: 'qwen2.5-coder:7b', tools: true },
        ],
      },
    ]);
    expect(ollama.log.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /api/tags', 'POST /api/show', 'POST /api/show']);
    expect(pickModel(found[0]!.models)?.model).toBe('qwen2.5-coder:7b');
  });

  it('falls back to /v1/models for servers that only speak the OpenAI API', async () => {
    const plain = await startFakeOpenAI({ models: ['local-model'] });
    servers.push(plain);
    const found = await probeLocalServers({
      endpoints: [
        { kind: 'ollama', port: portOf(plain) },
        { kind: 'vllm', port: portOf(plain) },
      ],
    });
    expect(found.map((s) => [s.label, s.models])).toEqual([
      ['Ollama', [{ id: 'local-model' }]],
      ['vLLM', [{ id: 'local-model' }]],
    ]);
  });

  it('gives up on a server that accepts the connection but never answers, within the cap', async () => {
    const silent = createServer(() => undefined); // never responds
    raw.push(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    // Without the cap this would wait for the HTTP client's own timeout (minutes) and hit the test's.
    expect(await probeLocalServers({ endpoints: [{ kind: 'ollama', port }], timeoutMs: 300 })).toEqual([]);
  }, 10_000);

  it('answers at once when every port is closed', async () => {
    const ports = await Promise.all([closedPort(), closedPort()]);
    expect(await probeLocalServers({ endpoints: ports.map((port) => ({ kind: 'llamacpp' as const, port })) })).toEqual([]);
  });
});
