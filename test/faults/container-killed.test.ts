// Fault: someone runs `docker kill` on codecell's sandbox container while a cell runs.
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { codecellRun, toolMessages, useCliFixture } from '../e2e/harness.js';
import { LABEL_APP, LABEL_PID } from '../../src/sandbox/labels.js';
import { expectSaved, onOutput, sessionLog } from './checks.js';

const docker = await engineOrSkip();

describe.skipIf(!docker)('fault: the sandbox container is killed from outside mid-cell', () => {
  const cli = useCliFixture(docker!);

  it('the cell ends killed with a message, the model is told, the next cell runs in a fresh kernel', async () => {
    const first = "x = 41\nopen('/mnt/data/one.txt', 'w').write('before the kill\\n')\nprint('one saved')";
    const nap = "import time\nprint('sleeping', flush=True)\ntime.sleep(120)\nprint('woke')";
    const after = "print('x survived:', 'x' in globals())\nopen('/mnt/data/two.txt', 'w').write('after the kill\\n')";
    const server = await cli.serve({
      script: [[{ toolCall: { code: first } }], [{ toolCall: { code: nap } }], [{ toolCall: { code: after } }], [{ text: 'Recovered.' }]],
    });
    const killed: string[] = [];
    let kill: Promise<void> | undefined;
    const started = Date.now();
    const r = await codecellRun(server, cli.home, ['save, nap, go on'], {
      onSpawn: (child) =>
        onOutput(child, /^sleeping$/m, () => {
          kill = (async () => {
            const mine = await docker!.listContainers({ filters: { label: [`${LABEL_APP}=codecell`, `${LABEL_PID}=${child.pid}`] } });
            for (const c of mine) {
              killed.push(c.Id);
              await docker!.getContainer(c.Id).kill();
            }
          })();
        }),
    });
    await kill;
    expect(killed, 'one container was killed mid-cell').toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    // The run recovered: the model answered after the next cell.
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Recovered.\n');
    expect(r.stderr).not.toMatch(/^woke$/m);
    expect(r.stderr).toMatch(/✗ the sandbox stopped while the cell ran \(exit code \d+\); it will restart on the next cell and variables were lost/);

    // The model was told, in words it can act on.
    expect(toolMessages(server.requests[2]).at(-1)).toMatch(/sandbox stopped while the cell ran.*variables were lost/);
    // The next cell ran in a fresh kernel: the variable is gone, files work again.
    expect(r.stderr).toMatch(/^x survived: False$/m);
    expect(toolMessages(server.requests[3]).at(-1)).toContain('x survived: False');
    expectSaved(cli.home.outDir, { 'one.txt': 'before the kill\n', 'two.txt': 'after the kill\n' });

    const { events } = sessionLog(cli.home);
    const ends = events.filter((e) => e.type === 'cell_end').map((e) => [e.status, e.stateLost]);
    expect(ends).toEqual([
      ['ok', false],
      ['killed', true],
      ['ok', false],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'ok' });
    // The killed container is gone (the harness checks every container of this run in afterEach).
    const still = await docker!.listContainers({ all: true, filters: { id: killed } });
    expect(still).toEqual([]);
  });
});
