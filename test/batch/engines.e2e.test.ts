// codecell batch across two engines: the main one and a second dockerd on a loopback TCP port, image copied over the API; and a sandbox on that remote engine.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { cellThenText, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { runCli, tempHome } from '../support/cli.js';
import { sandboxImage } from '../sandbox/sandbox-image.js';
import { createHash } from 'node:crypto';
import { findImage } from '../../src/sandbox/image.js';
import { copyImage } from '../../src/batch/images.js';
import { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import type { TaskResult } from '../../src/batch/results.js';
import { startSecondEngine, type SecondEngine } from '../support/second-engine.js';

const docker = await engineOrSkip();
let second: SecondEngine | undefined;
if (docker) {
  const started = await startSecondEngine();
  if (typeof started === 'string') console.warn(`\n!!! SKIPPING the two-engine batch tests: cannot start a second dockerd (${started})\n`);
  else second = started;
}

describe.skipIf(!second)('codecell batch on two engines', () => {
  let fake: FakeOpenAI;
  let home: ReturnType<typeof tempHome>;
  let env: Record<string, string>;
  beforeAll(async () => {
    await sandboxImage(docker!);
    fake = await startFakeOpenAI({
      script: cellThenText(
        (user) => `import socket\nprint("${user}", socket.gethostname())`,
        (_user, last) => `answer: ${String(last.content)}`,
      ),
    });
    home = tempHome();
    env = { ...home.env, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' };
  });
  afterAll(async () => {
    await fake?.close();
    home?.cleanup();
    await second?.stop();
  });

  it('copies the image to the second engine and spreads the tasks over both', async () => {
    const ref = await sandboxImage(docker!);
    expect(await findImage(second!.docker, ref)).toBeNull();
    const file = path.join(home.dir, 'tasks.txt');
    fs.writeFileSync(file, Array.from({ length: 6 }, (_, i) => `task number ${i}`).join('\n'));
    const dir = path.join(home.dir, 'two');
    const r = await runCli(
      ['batch', file, '--out', dir, '--plain', '--memory', '512m', '--engine', 'unix:///var/run/docker.sock=2', '--engine', `${second!.url}=2`],
      {
        env,
        timeoutMs: 300_000,
      },
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toContain(`copying ${ref}`);
    expect(await findImage(second!.docker, ref)).not.toBeNull();
    const results = fs
      .readFileSync(path.join(dir, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TaskResult);
    expect(results).toHaveLength(6);
    expect(results.every((x) => x.status === 'ok')).toBe(true);
    for (const x of results) expect(x.answer).toMatch(/task number \d/);
    expect(new Set(results.map((x) => x.engine))).toEqual(new Set(['unix:///var/run/docker.sock', second!.url]));
    expect(r.stdout).toMatch(/engine\s+tasks\s+ok\s+retried/);
    expect(await second!.docker.listContainers({ all: true })).toEqual([]);
  }, 300_000);

  it('leaves an unreachable engine out with a warning and runs everything on the others', async () => {
    const file = path.join(home.dir, 'tasks2.txt');
    fs.writeFileSync(file, 'alpha\nbeta\ngamma\n');
    const dir = path.join(home.dir, 'closed');
    const r = await runCli(['batch', file, '--out', dir, '--plain', '--memory', '512m', '--engine', 'tcp://127.0.0.1:1=2', '--engine', `${second!.url}=2`], {
      env,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cannot reach the Docker engine at tcp:\/\/127\.0\.0\.1:1.*leaving it out/);
    const results = fs
      .readFileSync(path.join(dir, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TaskResult);
    expect(results.map((x) => [x.status, x.engine])).toEqual([
      ['ok', second!.url],
      ['ok', second!.url],
      ['ok', second!.url],
    ]);
  });

  it('a sandbox on a remote engine keeps its kernel on the attach stream: output and a 12 MiB file (pulled) come out whole', async () => {
    const ref = await sandboxImage(docker!);
    if (!(await findImage(second!.docker, ref))) await copyImage(docker!, second!.docker, ref);
    const sandbox = new DockerSandbox(second!.docker, { image: ref, limits: { memoryBytes: 512 * 1024 * 1024 } });
    try {
      await sandbox.start();
      expect(sandbox.channel).toBe('attach');
      let stdout = '';
      const files: { name: string; data: Buffer; sha256: string }[] = [];
      const r = await sandbox.run(
        'import random\nrandom.seed(3)\ndata = random.randbytes(12 * 1024 * 1024)\nopen("big.bin", "wb").write(data)\nimport hashlib\nprint(hashlib.sha256(data).hexdigest())',
        {
          onEvent: (e) => {
            if (e.type === 'stdout') stdout += e.text;
            if (e.type === 'file') files.push(e.file);
          },
        },
      );
      expect(r.status).toBe('ok');
      expect(files.map((f) => [f.name, f.data.length])).toEqual([['big.bin', 12 * 1024 * 1024]]);
      expect(createHash('sha256').update(files[0]!.data).digest('hex')).toBe(stdout.trim());
    } finally {
      await sandbox.close();
    }
  }, 300_000);
});
