// codecell batch end to end: the built CLI against a scripted OpenAI-compatible server and the real engine.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { startFakeOpenAI, type ChatRequest, type FakeOpenAI, type Turn } from '../support/fake-openai.js';
import { BIN, ROOT, runCli, tempHome } from '../support/cli.js';
import { sandboxImage } from '../sandbox/sandbox-image.js';
import { LABEL_PID } from '../../src/sandbox/labels.js';
import { LABEL_BATCH } from '../../src/batch/run-task.js';
import type { TaskResult } from '../../src/batch/results.js';

const docker = await engineOrSkip();

/** Each task's code is in its prompt after "CODE:"; the model runs it once, then answers with the tool result. */
function script(request: ChatRequest): Turn {
  const user = request.messages.find((m) => m.role === 'user')!.content as string;
  if (user.includes('FAIL')) return [{ status: 500 }];
  const last = request.messages[request.messages.length - 1]!;
  if (last.role === 'user') return [{ toolCall: { code: user.split('CODE:')[1]!.trim() } }];
  return [{ text: `answer: ${String(last.content)}` }];
}

function readResults(dir: string): TaskResult[] {
  return fs
    .readFileSync(path.join(dir, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as TaskResult);
}

const line = (id: string, code: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ id, prompt: `task ${id}\nCODE:\n${code}`, ...extra });

describe.skipIf(!docker)('codecell batch (real engine, fake model)', () => {
  let fake: FakeOpenAI;
  let home: ReturnType<typeof tempHome>;
  let env: Record<string, string>;

  beforeAll(async () => {
    await sandboxImage(docker!);
    fake = await startFakeOpenAI({ script });
    home = tempHome();
    env = { ...home.env, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' };
  });
  afterAll(async () => {
    await fake?.close();
    home?.cleanup();
  });

  const common = ['--memory', '512m', '--pids', '128', '--plain'];

  it('runs 6 tasks at concurrency 2: one result line each, right answers, files under DIR/<id>/, no state shared', async () => {
    const dir = path.join(home.dir, 'six');
    fs.writeFileSync(path.join(home.dir, 'data.csv'), 'a,b\n1,2\n3,4\n');
    const tasks = [
      line('set-x', 'x = 41\nprint("x set to", x)'),
      line('read-x', 'print(x + 1)'),
      line('square', 'print(sum(i * i for i in range(10)))'),
      line('csv-out', 'import pandas as pd\npd.DataFrame({"n": [1, 2, 3]}).to_csv("numbers.csv", index=False)\nprint("wrote")'),
      line('upload', 'import pandas as pd\nprint(pd.read_csv("/mnt/data/data.csv")["b"].sum())', { files: ['data.csv'] }),
      line('text-out', 'open("note.txt", "w").write("hello from the sandbox")\nprint("noted")'),
    ];
    const file = path.join(home.dir, 'six.jsonl');
    fs.writeFileSync(file, tasks.join('\n') + '\n');
    const r = await runCli(['batch', file, '--out', dir, '-c', '2', ...common], { env, timeoutMs: 180_000 });
    expect(r.stderr).not.toMatch(/codecell: .*fatal/);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const results = readResults(dir);
    expect(results.map((x) => x.id).sort()).toEqual(['csv-out', 'read-x', 'set-x', 'square', 'text-out', 'upload']);
    const byId = new Map(results.map((x) => [x.id, x]));
    for (const x of results) {
      expect(x.status, `${x.id}: ${x.error}`).toBe('ok');
      expect(x.usage.total_tokens).toBeGreaterThan(0);
      expect(x.timings.total_ms).toBeGreaterThanOrEqual(x.timings.code_ms);
      expect(fs.existsSync(path.join(dir, x.id, 'events.jsonl'))).toBe(true);
    }
    expect(byId.get('set-x')!.answer).toContain('x set to 41');
    expect(byId.get('square')!.answer).toContain('285');
    expect(byId.get('upload')!.answer).toContain('6');
    // Task B ran in its own sandbox: the x that task A set is not there.
    expect(byId.get('read-x')!.answer).toContain('NameError');
    const events = fs.readFileSync(path.join(dir, 'read-x', 'events.jsonl'), 'utf8');
    expect(events).toContain('"ename":"NameError"');
    // Files land under DIR/<id>/ and the result's manifest rows point there.
    const csv = byId.get('csv-out')!.files.find((f) => f.name === 'numbers.csv')!;
    expect(csv.path).toBe(path.join(dir, 'csv-out', 'numbers.csv'));
    expect(fs.readFileSync(csv.path, 'utf8')).toBe('n\n1\n2\n3\n');
    expect(fs.readFileSync(path.join(dir, 'text-out', 'note.txt'), 'utf8')).toBe('hello from the sandbox');
    // The plain front end: one line per finished task, then the summary.
    expect(r.stdout.split('\n').filter((l) => /^\[\d\/6\] ok /.test(l))).toHaveLength(6);
    expect(r.stdout).toMatch(/tasks\s+ok\s+error/);
    const left = await docker!.listContainers({ all: true, filters: { label: [`${LABEL_BATCH}=six`] } });
    expect(left).toEqual([]);
  });

  it('a failing model gives status error and exit 3; --resume then runs only what is not ok', async () => {
    const dir = path.join(home.dir, 'resume');
    const file = path.join(home.dir, 'resume.jsonl');
    fs.writeFileSync(file, [line('one', 'print(1)'), line('two', 'print("FAIL")'), line('three', 'print(3)')].join('\n'));
    const first = await runCli(['batch', file, '--out', dir, '-c', '2', ...common], { env, timeoutMs: 120_000 });
    expect(first.code, first.stderr).toBe(3);
    const before = readResults(dir);
    expect(Object.fromEntries(before.map((x) => [x.id, x.status]))).toEqual({ one: 'ok', two: 'error', three: 'ok' });
    expect(before.find((x) => x.id === 'two')!.error).toMatch(/server|500/i);
    expect(first.stdout).toMatch(/failed:\n\s+two\s+error/);

    // The same folder without --resume is refused rather than mixed.
    const refused = await runCli(['batch', file, '--out', dir, ...common], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--resume/);

    // Fix the task (the prompt changes, the id stays) and resume: only "two" runs.
    fs.writeFileSync(file, [line('one', 'print(1)'), line('two', 'print(2)'), line('three', 'print(3)')].join('\n'));
    const requestsBefore = fake.requests.length;
    const second = await runCli(['batch', file, '--out', dir, '--resume', ...common], { env, timeoutMs: 120_000 });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/skipping 2 task\(s\)/);
    const prompts = fake.requests.slice(requestsBefore).map((q) => (q.messages.find((m) => m.role === 'user')!.content as string).split('\n')[0]);
    expect(new Set(prompts)).toEqual(new Set(['task two']));
    const after = readResults(dir);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.at(-1)).toMatchObject({ id: 'two', status: 'ok' });
  });

  it('--fail-fast stops scheduling after the first failure', async () => {
    const dir = path.join(home.dir, 'failfast');
    const file = path.join(home.dir, 'failfast.jsonl');
    fs.writeFileSync(file, [line('bad', 'print("FAIL")'), ...[1, 2, 3, 4].map((n) => line(`good${n}`, `print(${n})`))].join('\n'));
    const r = await runCli(['batch', file, '--out', dir, '-c', '1', '--fail-fast', ...common], { env, timeoutMs: 120_000 });
    expect(r.code).toBe(3);
    expect(readResults(dir).map((x) => x.id)).toEqual(['bad']);
    expect(r.stdout).toMatch(/--fail-fast/);
    expect(r.stdout).toMatch(/4 task\(s\) not run/);
  });

  it('a per-task timeout ends the task with status timeout', async () => {
    const dir = path.join(home.dir, 'timeout');
    const file = path.join(home.dir, 'timeout.jsonl');
    fs.writeFileSync(file, [line('slow', 'import time\ntime.sleep(30)', { timeout: 2 }), line('fast', 'print(1)')].join('\n'));
    const r = await runCli(['batch', file, '--out', dir, '-c', '2', ...common], { env, timeoutMs: 120_000 });
    expect(r.code).toBe(3);
    const results = Object.fromEntries(readResults(dir).map((x) => [x.id, x]));
    expect(results.slow!.status).toBe('timeout');
    expect(results.slow!.timings.total_ms).toBeLessThan(20_000);
    expect(results.fast!.status).toBe('ok');
  });

  it('recycles containers between tasks by default; --no-recycle and CODECELL_RECYCLE=0 start one per task', async () => {
    // A container's hostname is its id: the same one twice means the second task got the first one's container.
    const tasks = [1, 2, 3, 4].map((n) =>
      line(`host${n}`, `import os, socket\nprint("host", socket.gethostname(), sorted(os.listdir("/mnt/data")))\nopen("t${n}", "w").write("x")`),
    );
    const file = path.join(home.dir, 'recycle.jsonl');
    fs.writeFileSync(file, tasks.join('\n') + '\n');
    const hosts = async (name: string, extra: string[], extraEnv: Record<string, string> = {}): Promise<string[]> => {
      const dir = path.join(home.dir, name);
      const r = await runCli(['batch', file, '--out', dir, '-c', '1', ...extra, ...common], { env: { ...env, ...extraEnv }, timeoutMs: 120_000 });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const results = readResults(dir);
      // Each task saw an empty /mnt/data, whoever had the container before.
      for (const x of results) expect(x.answer).toContain('[]');
      return results.map((x) => /host (\S+)/.exec(x.answer)![1]!);
    };
    const recycled = await hosts('recycled', []);
    expect(new Set(recycled).size).toBeLessThan(4);
    expect(new Set(await hosts('no-recycle', ['--no-recycle'])).size).toBe(4);
    expect(new Set(await hosts('recycle-env', [], { CODECELL_RECYCLE: '0' })).size).toBe(4);
    const bad = await runCli(['batch', file, '--out', path.join(home.dir, 'recycle-bad'), ...common], { env: { ...env, CODECELL_RECYCLE: 'maybe' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/CODECELL_RECYCLE must be 1 or 0/);
  }, 240_000);

  it('kill -9 mid-run keeps every finished line, and the next run reaps the orphans and finishes the rest', async () => {
    const dir = path.join(home.dir, 'killed');
    const file = path.join(home.dir, 'killed.jsonl');
    fs.writeFileSync(file, Array.from({ length: 8 }, (_, i) => line(`k${i}`, `import time\ntime.sleep(1.5)\nprint(${i})`)).join('\n'));
    const child = spawn(process.execPath, [BIN, 'batch', file, '--out', dir, '-c', '2', ...common], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const results = path.join(dir, 'results.jsonl');
    const deadline = Date.now() + 90_000;
    const count = (): number =>
      fs.existsSync(results)
        ? fs
            .readFileSync(results, 'utf8')
            .split('\n')
            .filter((l) => l.trim()).length
        : 0;
    const pid = child.pid!;
    // Kill once two tasks are done and the batch has containers running, so there are orphans to reap.
    const running = async (): Promise<number> => (await docker!.listContainers({ filters: { label: [`${LABEL_PID}=${pid}`], status: ['running'] } })).length;
    while ((count() < 2 || (await running()) === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(count(), 'two tasks finished before the kill').toBeGreaterThanOrEqual(2);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const kept = readResults(dir);
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.length).toBeLessThan(8);
    for (const x of kept) expect(x.status).toBe('ok');
    const orphans = await docker!.listContainers({ all: true, filters: { label: [`${LABEL_PID}=${pid}`] } });
    expect(orphans.length).toBeGreaterThan(0);

    const resumed = await runCli(['batch', file, '--out', dir, '-c', '2', '--resume', ...common], { env, timeoutMs: 120_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    const all = readResults(dir);
    expect(all.slice(0, kept.length)).toEqual(kept);
    expect(new Set(all.map((x) => x.id)).size).toBe(8);
    expect(all.every((x) => x.status === 'ok')).toBe(true);
    const still = await docker!.listContainers({ all: true, filters: { label: [`${LABEL_PID}=${pid}`] } });
    expect(still).toEqual([]);
  });
});
