// End to end (bubblewrap backend): the built CLI runs cells without a container engine, by choice and by auto's fallback.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isProcessEngine, sandboxEngineOrSkip, TEST_BACKEND } from '../support/engine.js';
import { runCli, tempHome } from '../support/cli.js';

const engine = TEST_BACKEND === 'bubblewrap' ? await sandboxEngineOrSkip() : null;

describe.skipIf(!isProcessEngine(engine))('the CLI on the bubblewrap backend', () => {
  const home = tempHome();
  afterAll(() => home.cleanup());
  const file = path.join(home.dir, 'cell.py');
  fs.writeFileSync(file, 'import os, matplotlib\nprint(6 * 7, os.uname().nodename, os.getuid())\nopen("out.txt", "w").write("hi")\n');

  it('exec --backend bubblewrap runs the cell and saves its file', async () => {
    const out = await runCli(['exec', '--backend', 'bubblewrap', '--json', '--out-dir', path.join(home.dir, 'out'), file], { env: home.env, timeoutMs: 60_000 });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('42 codecell 1000');
    expect(fs.readFileSync(path.join(home.dir, 'out', 'out.txt'), 'utf8')).toBe('hi');
  }, 90_000);

  it('auto falls back to bubblewrap when no engine answers, and says so', async () => {
    const out = await runCli(['exec', file], { env: { ...home.env, DOCKER_HOST: 'unix:///nonexistent/codecell.sock', CODECELL_OUT_DIR: path.join(home.dir, 'auto') }, timeoutMs: 60_000 });
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/codecell: no container engine answered \(cannot reach a Docker engine at unix:\/\/\/nonexistent\/codecell\.sock.*\); using the bubblewrap process sandbox/);
    expect(out.stdout).toContain('42 codecell 1000');
  }, 90_000);

  it('refuses an unknown backend with the valid values', async () => {
    const out = await runCli(['exec', '--backend', 'lxc', file], { env: home.env, timeoutMs: 30_000 });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/backend must be one of auto, docker, podman, bubblewrap/);
  });
});
