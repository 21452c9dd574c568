// Fault: Ctrl-C (SIGINT) in every phase of `codecell run`: sandbox starting, text streaming, code streaming, cell running, twice, saving.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import type { Turn } from '../support/fake-openai.js';
import { codecellRun, makeHome, manifest, useCliFixture } from '../e2e/harness.js';
import { LABEL_APP, LABEL_PID } from '../../src/sandbox/labels.js';
import { expectManifestTrue, expectSaved, onOutput, sessionLog, sigint, sleep, when } from './checks.js';

const docker = await engineOrSkip();

const SAVE: Turn = [{ toolCall: { code: "open('/mnt/data/kept.txt', 'w').write('saved before Ctrl-C\\n')\nprint('kept')" } }];
const KEPT = { 'kept.txt': 'saved before Ctrl-C\n' };
/** Code whose first statement leaves a trace, so running any part of it would show. */
const TRACE = "open('/mnt/data/half.txt', 'w').write('ran')\nprint('HALF RAN')\n";

describe('fault: Ctrl-C before the session exists', () => {
  it('while connecting to the engine: codecell ends at once by SIGINT (status 130 in a shell), with nothing to clean up', async () => {
    // An engine that accepts the connection and never answers: codecell is still in its start-up checks.
    let onConnection: () => void = () => undefined;
    const silent = net.createServer(() => onConnection());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const home = makeHome();
    try {
      const port = (silent.address() as net.AddressInfo).port;
      let sent = 0;
      const r = await codecellRun({ url: 'http://127.0.0.1:9/v1' }, home, ['hello'], {
        env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` },
        onSpawn: (c) => {
          onConnection = () => {
            if (sent) return;
            sent = Date.now();
            sigint(c);
          };
        },
      });
      expect(sent, 'Ctrl-C was sent while codecell waited for the engine').toBeGreaterThan(0);
      // Nothing was started yet, so the default action is right: the shell sees 128 + SIGINT.
      expect(r.signal === 'SIGINT' || r.code === 130, `code ${r.code} signal ${r.signal}`).toBe(true);
      expect(Date.now() - sent, 'at once, not after the 5 s engine timeout').toBeLessThan(3_000);
      expect(r.stdout).toBe('');
      expect(fs.existsSync(path.join(home.env.CODECELL_HOME!, 'sessions'))).toBe(false);
    } finally {
      silent.close();
      home.cleanup();
    }
  });
});

describe.skipIf(!docker)('fault: Ctrl-C in every phase of codecell run', () => {
  const cli = useCliFixture(docker!);

  /** The log parses, has the saved file's event, and ends the turn as cancelled. */
  const expectLogCancelled = (): { type: string; [k: string]: unknown }[] => {
    const { events } = sessionLog(cli.home);
    expect(events.some((e) => e.type === 'file_saved')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'cancelled' });
    return events;
  };

  it('while the sandbox is starting: the turn is cancelled at once (not when the start finishes), exit 130, the code never ran', async () => {
    // Freeze the container the moment it starts, so the kernel cannot say `ready` until the test lets it.
    // If the kernel wins that race on a loaded machine (no "sandbox: starting" shown), try again.
    const attempt = async () => {
      let child: ChildProcessWithoutNullStreams | undefined;
      const paused: string[] = [];
      let onPaused: () => void = () => undefined;
      const pausedOnce = new Promise<void>((resolve) => (onPaused = resolve));
      const events = (await docker!.getEvents({
        filters: { type: ['container'], event: ['start'], label: [`${LABEL_APP}=codecell`] },
      })) as NodeJS.ReadableStream & { destroy(): void };
      events.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          const ev = JSON.parse(line) as { id: string; Actor?: { Attributes?: Record<string, string> } };
          if (child && ev.Actor?.Attributes?.[LABEL_PID] === String(child.pid) && paused.length === 0) {
            paused.push(ev.id);
            void docker!.getContainer(ev.id).pause().finally(onPaused);
          }
        }
      });
      const server = await cli.serve({
        script: async (_request, call) => {
          if (call > 0) return [{ text: 'this attempt lost the race' }];
          await Promise.race([pausedOnce, sleep(20_000)]);
          return [{ toolCall: { code: TRACE } }];
        },
      });
      let signalled = 0;
      let cancelled = 0;
      try {
        const r = await codecellRun(server, cli.home, ['hello', '-v'], {
          onSpawn: (c) => {
            child = c;
            onOutput(c, /sandbox: starting/, () => {
              signalled = Date.now();
              sigint(c);
            });
            // Once the turn is cancelled, let the start finish: codecell must then remove the container, not run the code.
            onOutput(c, /note: turn cancelled/, () => {
              cancelled = Date.now();
              for (const id of paused)
                void docker!
                  .getContainer(id)
                  .unpause()
                  .catch(() => undefined);
            });
            // The kernel was ready before the pause and the cell started: thaw it so this attempt ends, and retry.
            onOutput(c, /sandbox: running/, () => {
              if (!signalled)
                for (const id of paused)
                  void docker!
                    .getContainer(id)
                    .unpause()
                    .catch(() => undefined);
            });
          },
        });
        return { r, signalled, cancelled, paused };
      } finally {
        events.destroy();
        // Never leave a frozen container behind, whatever happened.
        for (const id of paused)
          await docker!
            .getContainer(id)
            .remove({ force: true })
            .catch(() => undefined);
      }
    };

    let result = await attempt();
    for (let i = 0; i < 2 && result.signalled === 0; i++) {
      await cli.server?.close();
      cli.home.cleanup();
      cli.home = makeHome();
      result = await attempt();
    }
    const { r, signalled, cancelled, paused } = result;
    expect(paused, 'the container was paused while starting').toHaveLength(1);
    expect(signalled, 'Ctrl-C was sent while the sandbox was starting').toBeGreaterThan(0);
    expect(r.code, r.stderr).toBe(130);
    expect(cancelled, 'the turn was cancelled').toBeGreaterThan(0);
    expect(cancelled - signalled, 'the turn is cancelled at once, not after the 30 s start timeout').toBeLessThan(5_000);
    expect(r.stderr).not.toMatch(/^HALF RAN$/m);
    expect(fs.existsSync(path.join(cli.home.outDir, 'half.txt'))).toBe(false);
    const { events } = sessionLog(cli.home);
    expect(events.some((e) => e.type === 'cell_start')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'cancelled' });
  }, 120_000);

  it('while the model streams text: exit 130, the saved file and the log whole', async () => {
    const server = await cli.serve({ script: [SAVE, [{ text: 'word '.repeat(400), chunk: 5, delayMs: 20 }]] });
    const r = await codecellRun(server, cli.home, ['save, then talk'], {
      // Ten seconds of text: Ctrl-C once the second request is being answered.
      onSpawn: (c) =>
        when(
          c,
          () => server!.requests.length === 2,
          () => setTimeout(() => sigint(c), 300),
        ),
    });
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).not.toContain('stopping and removing the sandbox');
    expectSaved(cli.home.outDir, KEPT);
    expectLogCancelled();
  });

  it('while the model streams code: exit 130 and the partial code is NOT run', async () => {
    const code = TRACE + '# more to come\n'.repeat(40);
    const server = await cli.serve({ script: [SAVE, [{ toolCall: { code }, chunk: 4, delayMs: 20 }], [{ text: 'never asked' }]] });
    const r = await codecellRun(server, cli.home, ['save, then code'], {
      // The code header and the first statement are on the screen: the call is mid-stream.
      onSpawn: (c) => onOutput(c, /HALF RAN/, () => sigint(c)),
    });
    expect(r.code, r.stderr).toBe(130);
    expect(fs.existsSync(path.join(cli.home.outDir, 'half.txt'))).toBe(false);
    expect(r.stderr).not.toMatch(/^HALF RAN$/m); // the source line is `print('HALF RAN')`, never its output
    expect(server.requests).toHaveLength(2);
    expectSaved(cli.home.outDir, KEPT);
    const events = expectLogCancelled();
    const last = events.findLastIndex((e) => e.type === 'code_start');
    expect(events.slice(last).some((e) => e.type === 'cell_start')).toBe(false);
  });

  it('while the cell runs: KeyboardInterrupt, exit 130, the saved file and the log whole', async () => {
    const nap = "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\nprint('woke')";
    const server = await cli.serve({ script: [SAVE, [{ toolCall: { code: nap } }], [{ text: 'never asked' }]] });
    const r = await codecellRun(server, cli.home, ['save, then nap'], { onSpawn: (c) => onOutput(c, /^sleeping$/m, () => sigint(c)) });
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('KeyboardInterrupt');
    expect(r.stderr).not.toMatch(/^woke$/m);
    expectSaved(cli.home.outDir, KEPT);
    const events = expectLogCancelled();
    expect(events.filter((e) => e.type === 'cell_end').map((e) => e.status)).toEqual(['ok', 'interrupted']);
  });

  it('twice (the cell ignores the first): the sandbox is removed, exit 130, the log whole up to the last event', async () => {
    // SIG_IGN keeps the cell running through the first Ctrl-C (codecell's grace period is 3 s).
    const stubborn = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint('stubborn', flush=True)\ntime.sleep(60)";
    const server = await cli.serve({ script: [SAVE, [{ toolCall: { code: stubborn } }]] });
    const started = Date.now();
    const r = await codecellRun(server, cli.home, ['save, then refuse'], {
      onSpawn: (c) =>
        onOutput(c, /^stubborn$/m, () => {
          sigint(c);
          setTimeout(() => sigint(c), 500);
        }),
    });
    expect(r.code, r.stderr).toBe(130);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stderr).toContain('codecell: stopping and removing the sandbox');
    expectSaved(cli.home.outDir, KEPT);
    // No `done`: codecell gave up mid-turn. Every line parses, and the last thing seen is there.
    const { events } = sessionLog(cli.home);
    expect(events.some((e) => e.type === 'file_saved')).toBe(true);
    expect(events.some((e) => e.type === 'cell_output' && String(e.text).includes('stubborn'))).toBe(true);
  });

  it('while files are being saved: exit 130, every saved file complete with its manifest row, no temp file left', async () => {
    // 30 files of 2 MiB: Ctrl-C when the first one is reported saved.
    const many =
      "import os\nfor i in range(30):\n    open(f'/mnt/data/part-{i:02}.bin', 'wb').write(os.urandom(2 * 1024 * 1024))\nprint('written', flush=True)";
    const server = await cli.serve({ script: [SAVE, [{ toolCall: { code: many } }], [{ text: 'never asked' }]] });
    const r = await codecellRun(server, cli.home, ['save many'], {
      onSpawn: (c) => onOutput(c, /saved .*part-00\.bin/, () => sigint(c)),
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(130);
    expectSaved(cli.home.outDir, KEPT);
    expectManifestTrue(cli.home.outDir);
    const names = fs.readdirSync(cli.home.outDir);
    expect(
      names.filter((n) => n.startsWith('.codecell-')),
      'temp files left',
    ).toEqual([]);
    const listed = new Set(manifest(cli.home.outDir).map((m) => m.name));
    expect(
      names.filter((n) => n !== 'manifest.jsonl' && !listed.has(n)),
      'files without a manifest row',
    ).toEqual([]);
    expect(listed.has('part-00.bin')).toBe(true);
    const { events } = sessionLog(cli.home);
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'cancelled' });
  }, 120_000);

  it('twice while files are being saved: exit 130, no half-written file under its final name, the manifest true', async () => {
    const many =
      "import os\nfor i in range(30):\n    open(f'/mnt/data/part-{i:02}.bin', 'wb').write(os.urandom(2 * 1024 * 1024))\nprint('written', flush=True)";
    const server = await cli.serve({ script: [SAVE, [{ toolCall: { code: many } }], [{ text: 'never asked' }]] });
    const r = await codecellRun(server, cli.home, ['save many'], {
      onSpawn: (c) =>
        onOutput(c, /saved .*part-00\.bin/, () => {
          sigint(c);
          // Two signals sent back to back can merge into one pending signal.
          setTimeout(() => sigint(c), 100);
        }),
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('codecell: stopping and removing the sandbox');
    expectSaved(cli.home.outDir, KEPT);
    expectManifestTrue(cli.home.outDir);
    const names = fs.readdirSync(cli.home.outDir);
    const listed = new Set(manifest(cli.home.outDir).map((m) => m.name));
    // A file cut off mid-write may only exist under a temp name, never as part-NN.bin.
    expect(
      names.filter((n) => !n.startsWith('.codecell-') && n !== 'manifest.jsonl' && !listed.has(n)),
      'files without a manifest row',
    ).toEqual([]);
    sessionLog(cli.home); // every line parses
  }, 120_000);
});
