// Onboarding costs: the local-server probe (nothing there, one server, a silent one), and doctor's wall time.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeLocalServers, type LocalEndpoint } from '../src/llm/local-servers.js';
import { startFakeOpenAI } from '../test/support/fake-openai.js';
import { fmtMs, percentile, printTable, time, type Row } from './stats.js';
import { closedPort } from '../test/support/ports.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'codecell.js');

async function probeTimes(endpoints: LocalEndpoint[], n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push((await time(() => probeLocalServers({ endpoints })))[0]);
  return times;
}

const row = (measure: string, times: number[], note: string): Row => ({
  measure,
  p50: fmtMs(percentile(times, 50)),
  p95: fmtMs(percentile(times, 95)),
  n: String(times.length),
  note,
});

const closed = await Promise.all([closedPort(), closedPort(), closedPort(), closedPort()]);
const kinds = ['ollama', 'lmstudio', 'llamacpp', 'vllm'] as const;
const none = closed.map((port, i) => ({ kind: kinds[i]!, port }));
const ollama = await startFakeOpenAI({
  models: ['gemma3:4b', 'qwen2.5-coder:7b', 'llama3.1:8b', 'nomic-embed-text'],
  ollama: { capabilities: { 'qwen2.5-coder:7b': ['completion', 'tools'] } },
});
const withOllama = [{ kind: 'ollama' as const, port: Number(new URL(ollama.url).port) }, ...none.slice(1)];
const silent = createServer(() => undefined);
await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
const withSilent = [{ kind: 'ollama' as const, port: (silent.address() as AddressInfo).port }, ...none.slice(1)];

const rows: Row[] = [
  row('probe, 4 ports, nothing listening', await probeTimes(none, 30), 'refused connections answer at once'),
  row('probe, an Ollama-style server with 4 models + 3 closed', await probeTimes(withOllama, 30), '/api/tags, then /api/show per model, in parallel'),
  row('probe, a server that never answers + 3 closed', await probeTimes(withSilent, 5), 'cut off by the 400 ms cap'),
];
silent.closeAllConnections();
silent.close();

// The CLI: what the probe adds to the "no key" path, and doctor end to end (real engine, fake model).
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-onboarding-'));
const baseEnv: NodeJS.ProcessEnv = { ...process.env, CODECELL_CONFIG_DIR: path.join(home, 'c'), CODECELL_HOME: path.join(home, 'd'), NO_COLOR: '1' };
for (const k of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_MODEL', 'CODECELL_API_KEY', 'CODECELL_BASE_URL', 'CODECELL_MODEL']) delete baseEnv[k];
// Not spawnSync: the scripted model server lives in this process and must keep answering.
const cli = async (args: string[], env: NodeJS.ProcessEnv, n: number): Promise<number[]> => {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args], { env, stdio: 'ignore' });
      child.on('error', reject);
      child.on('close', () => resolve());
    });
    times.push(performance.now() - t0);
  }
  return times;
};
const closedList = none.map((e) => `${e.kind}:${e.port}`).join(',');
// Alternated, so load from other work on the machine falls on both alike.
const off: number[] = [];
const probed: number[] = [];
for (let i = 0; i < 9; i++) {
  off.push(...(await cli(['run', 'hi'], { ...baseEnv, CODECELL_LOCAL_SERVERS: 'off' }, 1)));
  probed.push(...(await cli(['run', 'hi'], { ...baseEnv, CODECELL_LOCAL_SERVERS: closedList }, 1)));
}
const diff = percentile(probed, 50) - percentile(off, 50);
const model = await startFakeOpenAI({ script: () => [{ toolCall: { code: 'print(6 * 7)' } }, { usage: { prompt: 60, completion: 12 } }] });
const doctorEnv = { ...baseEnv, CODECELL_LOCAL_SERVERS: 'off', OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'sk-bench', OPENAI_MODEL: 'gpt-4o-mini' };
rows.push(
  row('`codecell run` with no key, probe off (exit 2)', off, 'process start to exit'),
  row('`codecell run` with no key, 4 closed ports probed (exit 2)', probed, `difference of the medians: ${diff < 0 ? '−' : '+'}${fmtMs(Math.abs(diff))}`),
  row('`codecell doctor --no-probe`', await cli(['doctor', '--no-probe'], doctorEnv, 5), 'engine, image, model list, terminal, files'),
  row('`codecell doctor` (with the tool-calling request)', await cli(['doctor'], doctorEnv, 5), 'the scripted model answers at once'),
);
await model.close();
await ollama.close();
fs.rmSync(home, { recursive: true, force: true });

printTable('Onboarding (bench/onboarding.ts)', rows);
