// The kernel's own diagnostics (`log` lines) reach the user's stderr under CODECELL_DEBUG, and only then.
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { pinnedImage, runChild, useCliFixture } from './harness.js';

const docker = await engineOrSkip();

// The kernel module stays importable under its own name; its log() is what the kernel calls when it
// swallows a failure (a figure that cannot be saved, a clean-up step that failed after a cell).
const CELL = 'import codecell_kernel\ncodecell_kernel.log("probe \\x1b[2J diagnostic")\nprint("done")\n';

describe.skipIf(!docker)('kernel diagnostics', () => {
  const cli = useCliFixture(docker!);

  it('exec with CODECELL_DEBUG prints them on stderr, escapes replaced; without it, nothing', async () => {
    const env = { ...cli.home.env, CODECELL_IMAGE: pinnedImage() };
    const debug = await runChild(['exec', '-', '--out-dir', cli.home.outDir], { ...env, CODECELL_DEBUG: '1' }, { input: CELL });
    expect(debug.code, debug.stderr).toBe(0);
    expect(debug.stdout).toContain('done\n');
    expect(debug.stderr).toContain('codecell debug: kernel: probe _[2J diagnostic\n');

    const quiet = await runChild(['exec', '-', '--out-dir', cli.home.outDir], { ...env, CODECELL_DEBUG: undefined }, { input: CELL });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toContain('done\n');
    expect(quiet.stderr).not.toContain('probe');
  });
});
