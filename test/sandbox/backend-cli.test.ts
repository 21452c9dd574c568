// End to end (bubblewrap and firejail backends): the built CLI runs cells without a container engine, by choice and by auto's fallback.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isProcessEngine, sandboxEngineOrSkip, TEST_BACKEND } from '../support/engine.js';
import { spawn } from 'node:child_process';
import { BIN, runCli, tempHome } from '../support/cli.js';

/**
 * `codecell exec --backend <backend> --json` on a cell that writes out.txt: exits 0 with nothing on
 * stderr and saves "hi" there; returns stdout for the caller's own checks.
 */
async function execSavingFile(backend: string, home: ReturnType<typeof tempHome>, file: string): Promise<string> {
  const out = await runCli(['exec', '--backend', backend, '--json', '--out-dir', path.join(home.dir, 'out'), file], {
    env: home.env,
    timeoutMs: 60_000,
  });
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  expect(fs.readFileSync(path.join(home.dir, 'out', 'out.txt'), 'utf8')).toBe('hi');
  return out.stdout;
}

const engine = TEST_BACKEND === 'bubblewrap' ? await sandboxEngineOrSkip() : null;

describe.skipIf(!isProcessEngine(engine))('the CLI on the bubblewrap backend', () => {
  const home = tempHome();
  afterAll(() => home.cleanup());
  const file = path.join(home.dir, 'cell.py');
  fs.writeFileSync(file, 'import os, matplotlib\nprint(6 * 7, os.uname().nodename, os.getuid())\nopen("out.txt", "w").write("hi")\n');

  it('exec --backend bubblewrap runs the cell and saves its file', async () => {
    expect(await execSavingFile('bubblewrap', home, file)).toContain('42 codecell 1000');
  }, 90_000);

  // A host with no engine: /run (where Docker's and Podman's sockets live) hidden by an empty tmpfs in a
  // mount namespace of the test's own, which needs root.
  it.skipIf(process.getuid?.() !== 0)(
    'auto falls back to bubblewrap when no engine answers, and says so',
    async () => {
      const env: NodeJS.ProcessEnv = { ...process.env, ...home.env, CODECELL_OUT_DIR: path.join(home.dir, 'auto') };
      delete env.DOCKER_HOST;
      delete env.XDG_RUNTIME_DIR;
      const child = spawn(
        'unshare',
        ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs none /run && exec "$0" "$@"', process.execPath, BIN, 'exec', file],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      const out = { code, stdout, stderr };
      expect(out.code).toBe(0);
      expect(out.stderr).toMatch(
        /codecell: no container engine answered \(cannot reach a Docker engine at unix:\/\/\/var\/run\/docker\.sock.*\); using the bubblewrap process sandbox/,
      );
      expect(out.stdout).toContain('42 codecell 1000');
    },
    90_000,
  );

  it('refuses an unknown backend with the valid values', async () => {
    const out = await runCli(['exec', '--backend', 'lxc', file], { env: home.env, timeoutMs: 30_000 });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/backend must be one of auto, docker, podman, bubblewrap, firejail/);
  });
});

const firejail = TEST_BACKEND === 'firejail' ? await sandboxEngineOrSkip() : null;

describe.skipIf(!isProcessEngine(firejail))('the CLI on the firejail backend', () => {
  const home = tempHome();
  afterAll(() => home.cleanup());
  const file = path.join(home.dir, 'cell.py');
  fs.writeFileSync(file, 'import os, sys\nprint(6 * 7, os.uname().nodename, os.getuid(), sys.version_info[:2] >= (3, 13))\nopen("out.txt", "w").write("hi")\n');

  it("exec --backend firejail runs the cell in the root filesystem's Python as uid 1000 and saves its file", async () => {
    expect(await execSavingFile('firejail', home, file)).toContain('42 codecell 1000 True');
  }, 90_000);
});
