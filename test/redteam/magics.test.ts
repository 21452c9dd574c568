// Red team, magics: IPython syntax (`!cmd`, %env, %cd, %%writefile, %pip) used to escape or outlast a cell.
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { caseName } from './cases.js';
import { OTHER_PROCESSES, expectNextCellWorks, result, runCollect, useHostileSandbox } from './hostile.js';

const docker = await engineOrSkip();
// Set in the host's environment before the sandbox starts: it must never be visible inside.
const SECRET = 'sk-redteam-host-secret-4242';
process.env.CODECELL_REDTEAM_SECRET = SECRET;
process.env.OPENAI_API_KEY ??= SECRET;

describe.skipIf(!docker)('red team: magics', () => {
  const box = useHostileSandbox(docker!);

  it(caseName('M01'), async () => {
    await runCollect(box.sandbox, 'kept = "m01"');
    const out = await runCollect(box.sandbox, '!:(){ :|:& };:', { timeoutMs: 20_000 });
    expect(['ok', 'timeout', 'interrupted']).toContain(out.status);
    const left = await runCollect(box.sandbox, OTHER_PROCESSES);
    expect(left.status, left.message).toBe('ok');
    expect(result(left)).toBe('[]');
    if (!out.stateLost) expect(result(await runCollect(box.sandbox, 'kept'))).toBe("'m01'");
    await expectNextCellWorks(box.sandbox);
  }, 60_000);

  it(caseName('M02'), async () => {
    const magic = await runCollect(box.sandbox, '%%writefile /etc/x\nowned');
    expect(magic.status).toBe('error');
    expect(magic.error?.ename).toBe('OSError');
    expect(magic.error?.evalue).toMatch(/Read-only file system/);
    const shell = await runCollect(box.sandbox, '!echo x > /usr/x');
    expect(shell.stderr).toMatch(/Read-only file system/);
    const exists = await runCollect(box.sandbox, 'import os\n(os.path.exists("/etc/x"), os.path.exists("/usr/x"))');
    expect(result(exists)).toBe('(False, False)');
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('M03'), async () => {
    const out = await runCollect(box.sandbox, 'env = %env\nprint(sorted(env))\n!env\n%set_env PROBE=1\n!cat /proc/1/environ | tr "\\0" "\\n"');
    expect(out.status).toBe('ok');
    const all = out.stdout + out.stderr;
    expect(all).toContain('HOME');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('CODECELL_REDTEAM_SECRET');
    expect(all).not.toContain('OPENAI_API_KEY');
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('M04'), async () => {
    const out = await runCollect(box.sandbox, '%cd /\n!touch /outside 2>&1; touch /mnt/data/inside.txt\nopen("/x", "w")');
    expect(out.status).toBe('error');
    expect(out.error?.evalue).toMatch(/Read-only file system/);
    expect(out.stdout).toMatch(/Read-only file system/);
    expect(out.events.flatMap((e) => (e.type === 'file' ? [e.file.name] : []))).toEqual(['inside.txt']);
    const pwd = await runCollect(box.sandbox, 'import os\nos.getcwd()');
    expect(result(pwd)).toBe("'/'");
    const back = await runCollect(box.sandbox, '%cd /mnt/data');
    expect(back.stdout).toBe('/mnt/data\n');
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('M05'), async () => {
    const bash = await runCollect(box.sandbox, '%%bash\n(setsid sleep 1000 >/dev/null 2>&1 &)\nnohup sleep 1000 >/dev/null 2>&1 &\necho started');
    expect(bash.stdout).toBe('started\n');
    const bg = await runCollect(box.sandbox, '!sleep 1000 &');
    expect(bg.stateLost).toBe(false);
    const left = await runCollect(box.sandbox, OTHER_PROCESSES);
    expect(result(left)).toBe('[]');
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('M06'), async () => {
    const started = performance.now();
    const pct = await runCollect(box.sandbox, '%pip install numpy requests');
    const bang = await runCollect(box.sandbox, '!pip3 install --upgrade pip');
    expect(performance.now() - started).toBeLessThan(15_000);
    for (const out of [pct, bang]) {
      expect(out.stderr).toContain('this sandbox has no network');
      expect(out.stderr).toContain('--network');
      expect(out.stderr).toMatch(/Installed: numpy/);
    }
    expect(pct.stderr).toMatch(/numpy [\d.]+ is already installed/);
    await expectNextCellWorks(box.sandbox);
  });
});
