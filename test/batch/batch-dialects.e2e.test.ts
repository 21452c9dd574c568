// codecell batch against every model dialect at once: one task per dialect, each naming its model.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { DIALECTS, type FakeOpenAI } from '../support/fake-openai.js';
import { dialectAnswer, startDialectServer } from '../support/dialect-server.js';
import { runCli, tempHome } from '../support/cli.js';
import { sandboxImage } from '../sandbox/sandbox-image.js';
import type { TaskResult } from '../../src/batch/results.js';

const docker = await engineOrSkip();

describe.skipIf(!docker)('codecell batch with every model dialect (real engine, fake model)', () => {
  let fake: FakeOpenAI;
  let home: ReturnType<typeof tempHome>;
  let image: string;

  beforeAll(async () => {
    image = await sandboxImage(docker!);
    fake = await startDialectServer();
    home = tempHome();
  });
  afterAll(async () => {
    await fake?.close();
    home?.cleanup();
  });

  it('runs each task in its dialect: right answers, the file saved under DIR/<id>/, no tags or reasoning in answers', async () => {
    const dir = path.join(home.dir, 'out');
    const file = path.join(home.dir, 'tasks.jsonl');
    fs.writeFileSync(file, DIALECTS.map((d) => JSON.stringify({ id: d, prompt: `what is 6 times 7 (${d})?`, model: d })).join('\n') + '\n');
    const env = { ...home.env, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test', CODECELL_IMAGE: image };
    const r = await runCli(['batch', file, '--out', dir, '-c', '2', '--memory', '512m', '--plain'], { env, timeoutMs: 240_000 });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const results = fs
      .readFileSync(path.join(dir, 'results.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TaskResult);
    expect(results.map((x) => x.id).sort()).toEqual([...DIALECTS].sort());
    for (const result of results) {
      expect(result.status, result.id).toBe('ok');
      expect(result.answer).toBe(dialectAnswer(result.id, '42'));
      expect(result.files.map((f) => f.name)).toEqual([`${result.id}.txt`]);
      expect(path.dirname(result.files[0]!.path)).toBe(path.join(dir, result.id));
      expect(fs.readFileSync(result.files[0]!.path, 'utf8')).toBe('42');
    }
    expect(JSON.stringify(results)).not.toMatch(/<think>|<tool_call>|The user wants a computation|I have the result/);
    // Batch shares one client: the model without tool calling was refused tools once, then ran in text mode.
    expect(fake.requests.filter((q) => q.model === 'no-tools' && q.tools)).toHaveLength(1);
  });
});
