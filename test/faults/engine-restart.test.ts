// Fault: the Docker engine dies and comes back while `codecell run` is in a cell (a private second dockerd, never the main one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../support/cli.js';
import { engineOrSkip } from '../support/engine.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { startSecondEngine, type SecondEngine } from '../support/second-engine.js';
import { codecellRun, makeHome, pinImage, pinnedImage, type Home } from '../e2e/harness.js';
import { copyImage } from '../../src/batch/images.js';
import { LABEL_APP } from '../../src/sandbox/labels.js';
import { expectSaved, onOutput, sessionLog } from './checks.js';

const docker = await engineOrSkip();
let second: SecondEngine | undefined;
if (docker) {
  const started = await startSecondEngine();
  if (typeof started === 'string') {
    if (process.env.CI === 'true') throw new Error(`CI=true but a second dockerd cannot start: ${started}`);
    console.warn(`\n!!! SKIPPING the engine-restart fault test: cannot start a second dockerd (${started})\n`);
  } else second = started;
}

describe.skipIf(!second)('fault: the engine restarts mid-session', () => {
  let home: Home;
  let server: FakeOpenAI | undefined;
  beforeAll(async () => {
    await pinImage(docker!);
    await copyImage(docker!, second!.docker, pinnedImage());
    home = makeHome();
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    home?.cleanup();
    await second?.stop();
  });

  const codecellContainers = async (): Promise<string[]> =>
    (await second!.docker.listContainers({ all: true, filters: { label: [`${LABEL_APP}=codecell`] } })).map((c) => `${c.Id.slice(0, 12)} ${c.State}`);

  it('a cell running when the engine goes away: exit 1 with a fix, the file saved before is intact, the log whole; the next run works once the engine is back', async () => {
    const one = "open('/mnt/data/one.txt', 'w').write('saved before the fault\\n')\nprint('one saved')";
    const nap = "import time\nprint('sleeping', flush=True)\ntime.sleep(120)\nprint('woke')";
    // After the cell is lost, a model would try again: that must fail fast while the engine is down.
    const retry = "print('retrying')";
    server = await startFakeOpenAI({ script: [[{ toolCall: { code: one } }], [{ toolCall: { code: nap } }], [{ toolCall: { code: retry } }]] });
    const env = { DOCKER_HOST: second!.url };
    let halted: Promise<void> | undefined;
    const started = Date.now();
    const r = await codecellRun(server, home, ['save, then nap'], {
      env,
      timeoutMs: 90_000,
      onSpawn: (child) => onOutput(child, /^sleeping$/m, () => (halted = second!.halt('SIGKILL'))),
    });
    await halted;
    expect(halted, 'the engine was halted mid-cell').toBeDefined();
    expect(Date.now() - started, 'codecell noticed at once, not after the cell timeout').toBeLessThan(60_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/^woke$/m);
    // What happened and what to do.
    expect(r.stderr).toMatch(/codecell: .*(Docker engine|cannot reach)/);
    expect(r.stderr).toMatch(/fix: .*Start Docker/);
    // The turn ends there (the engine is gone, so there is nothing to retry on); the conversation
    // still answers the lost call, so a resumed session can go on.
    expect(server.requests.length).toBe(2);
    expect(r.stderr).toContain('lost the connection to the Docker engine');
    expectSaved(home.outDir, { 'one.txt': 'saved before the fault\n' });

    const log = sessionLog(home);
    const types = log.events.map((e) => e.type);
    expect(types).toContain('file_saved');
    expect(log.events.find((e) => e.type === 'cell_end' && e.status === 'killed')).toBeDefined();
    expect(log.events.at(-1)).toMatchObject({ type: 'done', status: 'error' });

    // The engine comes back: the next run works there and reaps the container the dead engine left.
    await second!.start();
    server.push([{ toolCall: { code: "open('/mnt/data/two.txt', 'w').write('after the restart\\n')" } }], [{ text: 'done again' }]);
    const again = await codecellRun(server, home, ['once more'], { env, timeoutMs: 90_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('done again\n');
    expectSaved(home.outDir, { 'one.txt': 'saved before the fault\n', 'two.txt': 'after the restart\n' });
    expect(await codecellContainers()).toEqual([]);
  }, 240_000);

  describe('a model that answers in words after the engine is lost', () => {
    let r: CliResult;
    let again: Home;
    beforeAll(async () => {
      again = makeHome();
      const one = "open('/mnt/data/one.txt', 'w').write('saved before the fault\\n')\nprint('one saved')";
      const nap = "import time\nprint('sleeping', flush=True)\ntime.sleep(120)";
      const words = await startFakeOpenAI({ script: [[{ toolCall: { code: one } }], [{ toolCall: { code: nap } }], [{ text: 'The sandbox went away.' }]] });
      let halted: Promise<void> | undefined;
      try {
        r = await codecellRun(words, again, ['save, then nap'], {
          env: { DOCKER_HOST: second!.url },
          timeoutMs: 90_000,
          onSpawn: (child) => onOutput(child, /^sleeping$/m, () => (halted = second!.halt('SIGKILL'))),
        });
        await halted;
        // The set-up itself (not the behaviour under test) must have happened.
        if (!halted) throw new Error(`the engine was never halted: ${r.stderr}`);
        if (!r.stderr.includes('lost the connection to the Docker engine')) throw new Error(`the cell was not lost to the engine: ${r.stderr}`);
      } finally {
        await words.close();
        await second!.start();
      }
    }, 180_000);
    afterAll(() => again?.cleanup());

    it('keeps the file saved before and a whole log', () => {
      expectSaved(again.outDir, { 'one.txt': 'saved before the fault\n' });
      expect(sessionLog(again).events.at(-1)).toMatchObject({ type: 'done' });
    });

    // The driver rejects with SandboxError('no_engine') when the engine goes away, so the turn ends
    // with an error before the model can answer in words.
    it('fails the run: exit 1 with a fix that says to start Docker', () => {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/fix: .*Start Docker/);
    });
  });
});
