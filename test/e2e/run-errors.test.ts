// `codecell run` failures end to end: exit codes and messages that name the fix, against a real server and sandbox.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { jsonLines } from '../support/cli.js';
import type { FakeOpenAI, Turn } from '../support/fake-openai.js';
import { jsonLine, type JsonLine } from '../../src/render/json-events.js';
import {
  childPids,
  closedPort,
  codecellRun,
  leftoverContainers,
  makeHome,
  manifest,
  pinnedImage,
  runChild,
  savedFiles,
  toolMessages,
  useCliFixture,
  type Home,
} from './harness.js';

const docker = await engineOrSkip();

describe('codecell run: failures that need no sandbox', () => {
  let home: Home;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => home.cleanup());

  it('no API key with the default OpenAI base URL: exit 2, naming OPENAI_API_KEY and `codecell config set apiKey`', async () => {
    const r = await codecellRun({ url: '' }, home, ['hello'], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined }, noModel: true });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('codecell: no API key is set for https://api.openai.com/v1');
    expect(r.stderr).toContain('OPENAI_API_KEY');
    expect(r.stderr).toContain('codecell config set apiKey');
  });

  it('an unknown flag is bad usage: exit 2', async () => {
    const r = await codecellRun({ url: 'http://127.0.0.1:9/v1' }, home, ['hello', '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it('no prompt and nothing piped is bad usage: exit 2 with an example', async () => {
    const r = await codecellRun({ url: 'http://127.0.0.1:9/v1' }, home, []);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/codecell: (no prompt given|stdin was empty)/);
    expect(r.stderr).toContain('fix:');
  });

  it('--confirm without a terminal to ask on: exit 2 at once, not a silent exit 0', async () => {
    const r = await codecellRun({ url: 'http://127.0.0.1:9/v1' }, home, ['hello', '--confirm'], { detached: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('codecell: --confirm needs a terminal to ask on');
    expect(r.stderr).toContain('fix: Run without --confirm');
  });

  it('a missing --file is bad usage naming the path: exit 2', async () => {
    const missing = path.join(home.dir, 'nope.csv');
    const r = await codecellRun({ url: 'http://127.0.0.1:9/v1' }, home, ['hello', '--file', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`codecell: --file ${missing}: no such file`);
  });

  it('a --stdin-name the sandbox would refuse is bad usage before anything starts: exit 2', async () => {
    const r = await codecellRun({ url: 'http://127.0.0.1:9/v1' }, home, ['hello', '--stdin-name', '../evil.csv'], { input: 'a,b\n1,2\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('codecell: --stdin-name "../evil.csv": invalid path component ".."');
    expect(r.stderr).toContain('fix: Use a plain relative file name');
  });

  it('an --out-dir that is a file is bad usage before anything starts: exit 2', async () => {
    fs.writeFileSync(home.outDir, 'not a folder');
    const r = await codecellRun({ url: 'http://127.0.0.1:9/v1' }, home, ['hello']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`codecell: the output folder ${home.outDir} is a file, not a folder`);
    expect(r.stderr).toContain('fix: Choose a folder with --out-dir');
  });

  it('with --json, a failure before the session starts is also one schema-valid error line on stdout', async () => {
    const r = await codecellRun({ url: 'http://127.0.0.1:9/v1' }, home, ['hello', '--json'], { env: { DOCKER_HOST: 'tcp://127.0.0.1:9' } });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(1);
    expect(jsonLine.parse(lines[0])).toMatchObject({ stream_type: 'error', kind: 'sandbox_no_engine', fix: expect.stringContaining('Start Docker') });
    expect(r.stderr).toContain('cannot reach a Docker engine'); // still readable for a person watching

    const usage = await codecellRun({ url: '' }, home, ['hello', '--json'], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined }, noModel: true });
    expect(usage.code).toBe(2);
    expect(jsonLines(usage.stdout).map((l) => jsonLine.parse(l))).toEqual([expect.objectContaining({ stream_type: 'error', kind: 'model_no_api_key' })]);
  });

  it('Docker unavailable: exit 1 and says how to start Docker', async () => {
    const r = await codecellRun({ url: 'http://127.0.0.1:9/v1' }, home, ['hello'], { env: { DOCKER_HOST: 'tcp://127.0.0.1:9' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach a Docker engine at tcp://127.0.0.1:9');
    expect(r.stderr).toContain('fix: Start Docker');
    expect(r.stdout).toBe('');
  });
});

describe.skipIf(!docker)('codecell run: model and sandbox failures (real sandbox)', () => {
  const cli = useCliFixture(docker!);

  it('401: exit 1, the server refused the key, and how to set it', async () => {
    const s = await cli.serve({ apiKey: 'sk-right', script: [] });
    const r = await codecellRun(s, cli.home, ['hello'], { env: { OPENAI_API_KEY: 'sk-wrong' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('codecell: the model server refused the API key (401');
    expect(r.stderr).toMatch(/fix: .*OPENAI_API_KEY.*codecell config set apiKey/);
  });

  it('unknown model (404): exit 1, listing the models the server offers', async () => {
    const s = await cli.serve({ script: [[{ status: 404 }]], models: ['llama3.1:8b', 'qwen2.5-coder:7b'] });
    const r = await codecellRun(s, cli.home, ['hello', '--model', 'no-such-model'], { noModel: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the model "no-such-model" is not available');
    expect(r.stderr).toContain('The server offers: llama3.1:8b, qwen2.5-coder:7b.');
    expect(r.stderr).toMatch(/fix: Choose another with --model/);
    expect(s.log.some((q) => q.method === 'GET' && q.path.endsWith('/models'))).toBe(true);
  });

  it('a base URL refusing connections: exit 1, naming the URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const r = await codecellRun({ url }, cli.home, ['hello']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`could not connect to the model server at ${url}`);
    expect(r.stderr).toContain('fix: Is the server running?');
  });

  it('a 429 then success: retried quietly, exit 0', async () => {
    const s = await cli.serve({ script: [[{ status: 429 }], [{ text: 'Fine now.' }]] });
    const r = await codecellRun(s, cli.home, ['hello']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Fine now.\n');
    expect(s.requests).toHaveLength(2);
    expect(r.stderr).not.toContain('codecell:');
  });

  it('429 on every retry: exit 1 and says it was rate limited even after retrying', async () => {
    const limited: Turn = [{ status: 429 }];
    const s = await cli.serve({ script: [limited, limited, limited, limited] });
    const r = await codecellRun(s, cli.home, ['hello']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rate limiting requests (429');
    expect(r.stderr).toContain('even after retrying');
    expect(s.requests).toHaveLength(4);
  });

  it('500 until the retries run out: exit 1', async () => {
    const failing: Turn = [{ status: 500 }];
    const s = await cli.serve({ script: [failing, failing, failing, failing] });
    const r = await codecellRun(s, cli.home, ['hello']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('codecell: the model server failed (500');
    expect(r.stderr).toContain('even after retrying');
    expect(s.requests).toHaveLength(4); // the first try and the SDK's three retries
    expect(s.pending()).toBe(0);
  });

  it('a stream dropped in the middle of a tool call: exit 1, and the half-sent code never ran', async () => {
    // Cut right after a complete, runnable first statement, so running the fragment would leave a trace.
    const code = "open('/mnt/data/half.txt', 'w').write('ran')\nprint('HALF RAN')\n" + '# more to come\n'.repeat(20);
    const args = JSON.stringify({ code });
    const s = await cli.serve({ script: [[{ toolCall: { code }, chunk: 8, dropAfterChars: args.indexOf('# more') + 4 }]] });
    const r = await codecellRun(s, cli.home, ['hello', '--json']);
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout) as JsonLine[];
    const hot = lines.filter((l) => l.stream_type === 'code_execution' && l.chunk.type === 'hot_code');
    expect(hot.length).toBeGreaterThan(0); // the code streamed to the user ...
    expect(lines.some((l) => l.stream_type === 'cell_start' || l.stream_type === 'cell_end')).toBe(false); // ... but no cell ran
    expect(lines.some((l) => l.stream_type === 'code_execution' && l.chunk.type !== 'hot_code')).toBe(false);
    expect(lines.find((l) => l.stream_type === 'error')).toMatchObject({
      kind: 'model_stream_dropped',
      message: expect.stringContaining('a partial tool call was not run'),
    });
    expect(lines.at(-1)).toMatchObject({ stream_type: 'done', status: 'error' });
    expect(r.stdout).not.toContain('HALF RAN\\n"');
    expect(savedFiles(cli.home.outDir)).toEqual([]);
    expect(manifest(cli.home.outDir)).toEqual([]);
  });

  it('the same drop in plain mode says what happened and what to do', async () => {
    const code = "open('/mnt/data/half.txt', 'w').write('ran')\nprint('HALF RAN')\n" + '# more to come\n'.repeat(20);
    const args = JSON.stringify({ code });
    const s = await cli.serve({ script: [[{ toolCall: { code }, dropAfterChars: args.indexOf('# more') + 4 }]] });
    const r = await codecellRun(s, cli.home, ['hello']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /codecell: the connection to the model server at http:\/\/127\.0\.0\.1:\d+\/v1 closed before the reply finished.*; a partial tool call was not run/,
    );
    expect(r.stderr).toContain('fix: Try again');
    expect(r.stderr).not.toContain('── output');
    expect(r.stderr).not.toMatch(/^HALF RAN$/m);
    expect(fs.existsSync(path.join(cli.home.outDir, 'half.txt'))).toBe(false);
  });

  it('--max-turns 1 with a model that keeps calling tools: exit 1 and a note', async () => {
    let n = 0;
    const s = await cli.serve({ script: () => [{ toolCall: { code: `print('call ${++n}')` } }] });
    const r = await codecellRun(s, cli.home, ['loop forever', '--max-turns', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^call 1$/m);
    expect(r.stderr).toContain('note: stopped after 1 model calls (--max-turns)');
    expect(s.requests).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('--budget exceeded with a priced model: stops with status budget before running more code', async () => {
    const s = await cli.serve({ script: [[{ toolCall: { code: "print('should not run')" } }, { usage: { prompt: 1000, completion: 1000 } }]] });
    const r = await codecellRun(s, cli.home, ['spend', '--budget', '0.01', '--json'], {
      env: { CODECELL_PRICES: '{"fake-model":{"input":1000,"output":1000}}' },
    });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout) as JsonLine[];
    const usage = lines.find((l) => l.stream_type === 'usage');
    // 1000 tokens each way at $1000 per million: $2.
    expect(usage).toMatchObject({ usage: { promptTokens: 1000, completionTokens: 1000, costUsd: 2 } });
    expect(lines.find((l) => l.stream_type === 'notice')).toMatchObject({ level: 'warn', content: expect.stringContaining('budget of $0.0100 exceeded') });
    expect(lines.at(-1)).toMatchObject({ stream_type: 'done', status: 'budget' });
    expect(lines.some((l) => l.stream_type === 'cell_start')).toBe(false);
    expect(s.requests).toHaveLength(1);
  });

  it('a file that cannot be saved fails the run (exit 1) but still prints the answer', async () => {
    fs.writeFileSync(path.join(cli.home.dir, 'blocker'), 'a file where a folder should be');
    cli.home.outDir = path.join(cli.home.dir, 'blocker', 'out'); // ENOTDIR on the first save, not before
    const code = "open('/mnt/data/r.csv', 'w').write('a\\n1\\n')\nprint('wrote')";
    const s = await cli.serve({ script: [[{ toolCall: { code } }], [{ text: 'Saved r.csv.' }]] });
    const r = await codecellRun(s, cli.home, ['save a csv']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Saved r.csv.\n');
    expect(r.stderr).toMatch(/^codecell: .*blocker\/out/m);
    expect(toolMessages(s.requests[1])[0]).toContain('some files could not be saved on the host: r.csv');
  });

  it('a model that ends without an answer gets a note on stderr', async () => {
    const s = await cli.serve({ script: [[{ text: '' }]] });
    const r = await codecellRun(s, cli.home, ['hello']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('note: the model ended without an answer');
  });

  describe('signals', () => {
    /** Runs codecell and sends `signal` once its stderr shows `marker`. */
    const runAndSignal = (s: FakeOpenAI, args: string[], marker: RegExp, signal: NodeJS.Signals) =>
      codecellRun(s, cli.home, args, {
        onSpawn: (child) => {
          let seen = '';
          let sent = false;
          child.stderr.on('data', (d: Buffer) => {
            seen += d.toString();
            if (!sent && marker.test(seen)) {
              sent = true;
              child.kill(signal);
            }
          });
        },
      });

    it('Ctrl-C during a cell: the cell is interrupted, exit 130, the sandbox removed', async () => {
      const code = "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\nprint('woke')";
      const s = await cli.serve({ script: [[{ toolCall: { code } }], [{ text: 'should not be asked' }]] });
      const started = Date.now();
      const r = await runAndSignal(s, ['nap'], /^sleeping$/m, 'SIGINT');
      expect(r.code, r.stderr).toBe(130);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(r.stderr).toContain('KeyboardInterrupt');
      expect(r.stderr).not.toMatch(/^woke$/m);
      expect(r.stderr).toContain('the cell was interrupted; variables were kept');
      // One Ctrl-C interrupts; only a second one gives up (it used to arrive twice: see ownSignals in run.ts).
      expect(r.stderr).not.toContain('stopping and removing the sandbox');
      expect(s.requests).toHaveLength(1); // a cancelled turn does not go back to the model
      expect(r.stdout).toBe('');
    });

    it('Ctrl-C while the model has not answered: exit 130', async () => {
      const s = await cli.serve({ script: [[{ hang: true }]] });
      const r = await codecellRun(s, cli.home, ['hello', '-v'], {
        onSpawn: (child) => {
          // -v prints the session line before the model call; the request itself is seen by the server.
          const timer = setInterval(() => {
            if (s.requests.length > 0) {
              clearInterval(timer);
              child.kill('SIGINT');
            }
          }, 20);
          child.on('close', () => clearInterval(timer));
        },
      });
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).not.toContain('stopping and removing the sandbox');
      expect(r.stdout).toBe('');
    });

    it('the leak check itself can fail: it sees a container owned by a CLI child that has exited', async () => {
      // A real leak (SIGKILL the CLI mid-cell) races with colleagues' codecell runs, which reap orphans
      // at start-up; a container labelled for another host is left alone by every reaper.
      const version = await runChild(['--version'], cli.home.env);
      expect(version.code).toBe(0);
      const deadPid = [...childPids].at(-1)!;
      const container = await docker!.createContainer({
        Image: pinnedImage(),
        Cmd: ['true'],
        Labels: { 'dev.codecell.app': 'codecell', 'dev.codecell.host': 'e2e-leak-check.invalid', 'dev.codecell.pid': String(deadPid) },
      });
      try {
        expect(await leftoverContainers(docker!, 0)).toEqual([expect.stringMatching(new RegExp(`^${container.id.slice(0, 12)} created pid ${deadPid}$`))]);
      } finally {
        await container.remove({ force: true });
      }
    });

    it('SIGTERM during a cell: exit 143 and the sandbox removed', async () => {
      const code = "import time\nprint('sleeping', flush=True)\ntime.sleep(60)";
      const s = await cli.serve({ script: [[{ toolCall: { code } }]] });
      const r = await runAndSignal(s, ['nap'], /^sleeping$/m, 'SIGTERM');
      expect(r.code, r.stderr).toBe(143);
    });
  });
});
