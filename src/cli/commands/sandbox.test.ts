// `codecell sandbox …` as a user runs it: the built CLI in a child process, against the real engine.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../../../test/support/engine.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../../bin/codecell.js', import.meta.url));
const built = fs.existsSync(fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url)));
const docker = await engineOrSkip();

async function codecell(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 600_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('codecell sandbox (built CLI)', () => {
  it('is built (npm test runs `npm run build` first)', () => {
    expect(built, 'dist/cli/main.js is missing: run `npm run build`').toBe(true);
  });

  it('explains a missing engine with a fix and exits 1', async () => {
    const result = await codecell(['sandbox', 'status'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('codecell: cannot reach a Docker engine at unix:///nonexistent/docker.sock');
    expect(result.stderr).toContain('fix: Start Docker');
  });

  describe.skipIf(!docker)('with an engine', () => {
    it('build prints the image ref and is a no-op the second time', async () => {
      const first = await codecell(['sandbox', 'build'], { CODECELL_IMAGE: '' });
      expect(first.code, first.stderr).toBe(0);
      const ref = first.stdout.trim();
      expect(ref).toMatch(/^codecell-sandbox:[0-9a-f]{12}$/);
      const second = await codecell(['sandbox', 'build'], { CODECELL_IMAGE: '' });
      expect(second.code).toBe(0);
      expect(second.stdout.trim()).toBe(ref);
      expect(second.stderr).toContain('is already built');
      expect(second.stderr).not.toContain('Step ');
    }, 600_000);

    it('status --json reports the engine and the image', async () => {
      const result = await codecell(['sandbox', 'status', '--json'], { CODECELL_IMAGE: '' });
      expect(result.code, result.stderr).toBe(0);
      const status = JSON.parse(result.stdout) as { engine: { version: string }; image: { ref: string; present: { size: number } | null } };
      expect(status.engine.version).not.toBe('unknown');
      expect(status.image.ref).toMatch(/^codecell-sandbox:/);
      expect(status.image.present?.size).toBeGreaterThan(100e6);
    });

    it('prune --label touches only matching containers', async () => {
      const result = await codecell(['sandbox', 'prune', '--label', `dev.codecell.test-run=${randomUUID()}`]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe('removed 0 container(s)\n');
    });

    it('rejects an empty --base as a usage error', async () => {
      const result = await codecell(['sandbox', 'build', '--base', ' ']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--base needs an image reference');
    });
  });
});
