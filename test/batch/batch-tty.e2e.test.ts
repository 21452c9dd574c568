// The batch progress view in a real terminal (tmux): live counts and running tasks, the summary after, Ctrl-C.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { cellThenText, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { BIN, tempHome } from '../support/cli.js';
import { Terminal, tmuxOrSkip } from '../support/tmux.js';
import { sandboxImage } from '../sandbox/sandbox-image.js';

const docker = await engineOrSkip();
const tmux = !!docker && tmuxOrSkip('the batch terminal tests');

describe.skipIf(!tmux)('codecell batch on a terminal', () => {
  let fake: FakeOpenAI;
  let home: ReturnType<typeof tempHome>;
  let term: Terminal | undefined;
  beforeAll(async () => {
    await sandboxImage(docker!);
    fake = await startFakeOpenAI({
      script: cellThenText(
        (user) => `import time\nprint("working on ${user}", flush=True)\ntime.sleep(2.5)\nprint("finished")`,
        (user) => `answer for ${user}`,
      ),
    });
    home = tempHome();
  });
  afterEach(() => term?.close());
  afterAll(async () => {
    await fake?.close();
    home?.cleanup();
  });

  const start = (name: string, lines: string[]): { term: Terminal; dir: string } => {
    const file = path.join(home.dir, `${name}.txt`);
    fs.writeFileSync(file, lines.join('\n'));
    const dir = path.join(home.dir, name);
    term = Terminal.start(`${process.execPath} ${BIN} batch ${file} --out ${dir} -c 2 --memory 512m`, {
      columns: 110,
      rows: 30,
      env: { ...home.env, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test', NO_COLOR: undefined },
    });
    return { term, dir };
  };

  it("draws done/running/failed, each running task's last line, then the summary", async () => {
    const { term, dir } = start('view', ['apples', 'pears', 'plums']);
    const live = await term.waitFor(/0\/3 done\s+2 running\s+0 failed/, 30_000, 'the live counts');
    expect(live).toMatch(/ETA/);
    await term.waitFor(/working on (apples|pears|plums)/, 20_000, "a running task's last line");
    expect(await term.waitForExit(60_000)).toBe(0);
    const screen = term.all();
    expect(screen).toMatch(/\[1\/3\] ok/);
    expect(screen).toMatch(/\[3\/3\] ok/);
    expect(screen).toMatch(/tasks\s+ok\s+error/);
    expect(fs.readFileSync(path.join(dir, 'results.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('Ctrl-C stops scheduling, cancels the running tasks and exits 130 with the terminal restored', async () => {
    const { term, dir } = start('interrupt', ['one', 'two', 'three', 'four', 'five', 'six']);
    await term.waitFor(/working on/, 30_000, 'a running cell');
    term.keys('C-c');
    expect(await term.waitForExit(30_000)).toBe(130);
    const screen = term.all();
    expect(screen).toMatch(/stopped by the user/);
    const results = fs
      .readFileSync(path.join(dir, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: string; error: string });
    expect(results.length).toBeLessThan(6);
    expect(results.some((r) => r.status === 'error' && /cancelled/.test(r.error))).toBe(true);
  });
});
