// Faults of the disks codecell writes mid-run: the output folder turns read-only or fills up, the data folder (session logs) fills up.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import type { Turn } from '../support/fake-openai.js';
import { codecellRun, manifest, toolMessages, useCliFixture } from '../e2e/harness.js';
import { expectSaved, sessionLog } from './checks.js';

const docker = await engineOrSkip();

const mount = (...args: string[]): { ok: boolean; why: string } => {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  return { ok: r.status === 0, why: (r.stderr || r.error?.message || `exit ${r.status}`).trim() };
};

/** Tests run as root, so chmod does not stop writes: a tmpfs (remounted read-only, or tiny) is the only honest way. */
function canMount(): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-mount-probe-'));
  try {
    const r = mount('-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir);
    if (!r.ok) return r.why;
    spawnSync('umount', [dir]);
    return undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const cannotMount = docker ? canMount() : 'no engine';
if (docker && cannotMount) console.warn(`\n!!! SKIPPING the output-folder fault tests: cannot mount a tmpfs here (${cannotMount})\n`);

const SAVE: Turn = [{ toolCall: { code: "open('/mnt/data/kept.csv', 'w').write('a,b\\n1,2\\n')\nprint('kept')" } }];
const KEPT = { 'kept.csv': 'a,b\n1,2\n' };

describe.skipIf(!docker || cannotMount !== undefined)('fault: the output folder fails mid-run', () => {
  const cli = useCliFixture(docker!, { beforeCleanup: (home) => spawnSync('umount', ['-l', home.outDir]) });
  beforeEach(() => {
    fs.mkdirSync(cli.home.outDir);
  });

  /** After the fault: exit 1, the earlier file whole, nothing else under a final name, no temp file, the log whole. */
  const expectAftermath = (r: { code: number | null; stderr: string }, failed: string): void => {
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/fix: .*--out-dir/);
    expectSaved(cli.home.outDir, KEPT);
    expect(fs.readdirSync(cli.home.outDir).sort()).toEqual(['kept.csv', 'manifest.jsonl']);
    expect(manifest(cli.home.outDir).map((m) => m.name)).toEqual(['kept.csv']);
    const { events } = sessionLog(cli.home);
    const error = events.find((e) => e.type === 'error');
    expect(error).toMatchObject({ message: expect.stringContaining(failed), fix: expect.stringContaining('--out-dir') });
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'ok' });
  };

  it('turns read-only: a clear error naming --out-dir, the model is told, exit 1, the earlier file kept', async () => {
    expect(mount('-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', cli.home.outDir).ok).toBe(true);
    const later = "open('/mnt/data/later.csv', 'w').write('c,d\\n3,4\\n')\nprint('later')";
    const server = await cli.serve({
      script: (_request, call) => {
        if (call === 0) return SAVE;
        if (call === 1) {
          // Between the two cells, as when a disk is remounted read-only after an error.
          const r = mount('-o', 'remount,ro', cli.home.outDir);
          if (!r.ok) throw new Error(`remount failed: ${r.why}`);
          return [{ toolCall: { code: later } }];
        }
        return [{ text: 'Tried to save later.csv.' }];
      },
    });
    const r = await codecellRun(server, cli.home, ['save two files']);
    expect(r.stderr).toContain(`codecell: cannot save "later.csv": ${cli.home.outDir} is on a read-only file system`);
    expect(r.stdout).toBe('Tried to save later.csv.\n');
    expect(toolMessages(server.requests[2]).at(-1)).toContain('some files could not be saved on the host: later.csv');
    expectAftermath(r, 'read-only file system');
  });

  it('is full: a clear error, the 1 MB file is not there under any name, exit 1, the earlier file kept', async () => {
    expect(mount('-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', cli.home.outDir).ok).toBe(true);
    const big = "open('/mnt/data/big.bin', 'wb').write(b'x' * 1024 * 1024)\nprint('big written')";
    const server = await cli.serve({ script: [SAVE, [{ toolCall: { code: big } }], [{ text: 'Tried to save big.bin.' }]] });
    const r = await codecellRun(server, cli.home, ['save a big file']);
    expect(r.stderr).toContain(`codecell: no space left on the disk to save "big.bin" in ${cli.home.outDir}`);
    expect(r.stderr).toMatch(/fix: The disk is full: free some space/);
    expect(toolMessages(server.requests[2]).at(-1)).toContain('some files could not be saved on the host: big.bin');
    expectAftermath(r, 'no space left');
  });

  it('the data folder (session logs) fills up: a warning with a fix, the log ends with whole records, the run still answers', async () => {
    const data = cli.home.env.CODECELL_HOME!;
    fs.mkdirSync(data, { recursive: true });
    expect(mount('-t', 'tmpfs', '-o', 'size=24k', 'tmpfs', data).ok).toBe(true);
    try {
      // Each output line is recorded: about 40 KiB of events for a 24 KiB disk.
      const loud = "for i in range(800):\n    print('line', i, 'x' * 40, flush=True)";
      const server = await cli.serve({ script: [SAVE, [{ toolCall: { code: loud } }], [{ text: 'All printed.' }]] });
      const r = await codecellRun(server, cli.home, ['print a lot']);
      expect(r.code, r.stderr).toBe(0); // the answer and the files are fine; only the record is short
      expect(r.stdout).toBe('All printed.\n');
      expect(r.stderr).toMatch(
        /note: cannot write the session log .*no space left on device.*the rest of this session is not recorded\. The disk is full: free some space/i,
      );
      expectSaved(cli.home.outDir, KEPT);
      const { events } = sessionLog(cli.home); // every line parses and the file ends with a whole line
      expect(events.some((e) => e.type === 'file_saved')).toBe(true);
    } finally {
      spawnSync('umount', ['-l', data]);
    }
  });
});
