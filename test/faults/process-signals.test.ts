// Faults: SIGTERM and SIGKILL of codecell itself mid-cell (the next start reaps what SIGKILL left), and Ctrl-C in `codecell exec`.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import type { Turn } from '../support/fake-openai.js';
import { childPids, codecellRun, pinnedImage, runChild, useCliFixture, type RunOptions } from '../e2e/harness.js';
import { CHANNEL_TARGET } from '../../src/sandbox/channel.js';
import { LABEL_APP, LABEL_PID } from '../../src/sandbox/labels.js';
import { expectSaved, onOutput, sessionLog, sigint } from './checks.js';

const docker = await engineOrSkip();

const SAVE: Turn = [{ toolCall: { code: "open('/mnt/data/kept.txt', 'w').write('saved before the signal\\n')\nprint('kept')" } }];
const KEPT = { 'kept.txt': 'saved before the signal\n' };
const NAP: Turn = [{ toolCall: { code: "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\nprint('woke')" } }];

describe.skipIf(!docker)('fault: codecell itself is signalled', () => {
  const cli = useCliFixture(docker!);

  const containersOf = async (pid: number | undefined): Promise<string[]> =>
    (await docker!.listContainers({ all: true, filters: { label: [`${LABEL_APP}=codecell`, `${LABEL_PID}=${pid}`] } })).map((c) => c.Id);

  /** `codecell exec -` with this code, against the pinned image. */
  const exec = (code: string, onSpawn?: RunOptions['onSpawn']) =>
    runChild(['exec', '-', '--out-dir', cli.home.outDir], { ...cli.home.env, CODECELL_IMAGE: pinnedImage() }, { input: code, ...(onSpawn ? { onSpawn } : {}) });

  it('SIGTERM during a cell: exit 143, the sandbox removed, the saved file and the log whole', async () => {
    const server = await cli.serve({ script: [SAVE, NAP] });
    let pid: number | undefined;
    const r = await codecellRun(server, cli.home, ['save, then nap'], {
      onSpawn: (c) => {
        pid = c.pid;
        onOutput(c, /^sleeping$/m, () => c.kill('SIGTERM'));
      },
    });
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).not.toMatch(/^woke$/m);
    expectSaved(cli.home.outDir, KEPT);
    const { events } = sessionLog(cli.home);
    expect(events.some((e) => e.type === 'file_saved')).toBe(true);
    expect(events.some((e) => e.type === 'cell_output' && String(e.text).includes('sleeping'))).toBe(true);
    expect(await containersOf(pid)).toEqual([]); // removed before exit, not left to a reaper
  });

  it('SIGKILL during a cell: the container is orphaned, and the next codecell start reaps it', async () => {
    const server = await cli.serve({ script: [SAVE, NAP] });
    let orphans: string[] = [];
    let pid: number | undefined;
    const r = await codecellRun(server, cli.home, ['save, then nap'], {
      onSpawn: (c) => {
        pid = c.pid;
        onOutput(c, /^sleeping$/m, () => {
          void containersOf(c.pid).then((ids) => {
            orphans = ids;
            c.kill('SIGKILL');
          });
        });
      },
    });
    expect(r.signal).toBe('SIGKILL');
    expect(orphans, 'the container of the killed codecell').toHaveLength(1);
    // Nothing could clean up: the container is still on the engine (running or stopped), and so is the
    // folder of its kernel's channel on this host.
    expect(await containersOf(pid)).toEqual(orphans);
    const mounts = (await docker!.getContainer(orphans[0]!).inspect()).Mounts ?? [];
    const channel = mounts.find((m) => m.Destination === CHANNEL_TARGET)?.Source;
    expect(channel && fs.existsSync(channel)).toBe(true);
    // What was saved and logged before the kill is on disk.
    expectSaved(cli.home.outDir, KEPT);
    const { events } = sessionLog(cli.home);
    expect(events.some((e) => e.type === 'cell_output' && String(e.text).includes('sleeping'))).toBe(true);

    const next = await exec("print('next start')");
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain('next start');
    expect(await containersOf(pid), 'the next start reaped the orphan').toEqual([]);
    expect(fs.existsSync(channel!), 'and removed its channel folder').toBe(false);
    childPids.delete(pid!); // reaped, and checked above
  });

  it('exec, Ctrl-C once: KeyboardInterrupt, exit 130', async () => {
    const r = await exec("import time\nprint('sleeping', flush=True)\ntime.sleep(60)\nprint('woke')", (c) =>
      onOutput(c, /^sleeping$/m, () => sigint(c), 'stdout'),
    );
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr + r.stdout).toContain('KeyboardInterrupt');
    expect(r.stdout).not.toMatch(/^woke$/m);
    expect(r.stderr).not.toContain('stopping and removing the sandbox');
  });

  it('exec, Ctrl-C twice (the code ignores the first): the sandbox removed, exit 130', async () => {
    const stubborn = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint('stubborn', flush=True)\ntime.sleep(60)";
    const started = Date.now();
    const r = await exec(stubborn, (c) =>
      onOutput(
        c,
        /^stubborn$/m,
        () => {
          sigint(c);
          setTimeout(() => sigint(c), 500);
        },
        'stdout',
      ),
    );
    expect(r.code, r.stderr).toBe(130);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stderr).toContain('codecell: stopping and removing the sandbox');
  });
});
