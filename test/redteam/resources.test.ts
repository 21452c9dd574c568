// Red team, resources: fork, thread and memory bombs, full disks and sparse files, writes to system paths.
import { describe, expect, it } from 'vitest';
import { sandboxEngineOrSkip, TEST_BACKEND } from '../support/engine.js';
import { caseName } from './cases.js';
import { OTHER_PROCESSES, expectNextCellWorks, notices, result, runCollect, useHostileSandbox } from './hostile.js';

const docker = await sandboxEngineOrSkip();

describe.skipIf(!docker)('red team: resources', () => {
  const box = useHostileSandbox(docker!);

  it(caseName('R01'), async () => {
    await runCollect(box.sandbox, 'kept = "r01"');
    const out = await runCollect(box.sandbox, 'import os\nwhile True:\n    os.fork()', { timeoutMs: 30_000 });
    // Exactly one reply for the cell (the kernel's): forked copies that hit the limit exit silently.
    // The copies share the kernel's memory until they write to it; with IPython and the warmed
    // modules loaded, 128 of them can exhaust the 256 MiB limit before the pids limit stops them.
    if (out.status === 'oom') {
      expect(out.stateLost).toBe(true);
      expect(out.message).toMatch(/ran out of memory .* variables were lost/);
    } else if (out.status === 'timeout' && TEST_BACKEND === 'firejail') {
      // Held at the pids limit, but the kernel never gets its error: exited copies pile up as zombies under
      // firejail's own init (measured: 20 and more), so the cell runs to its timeout and the kernel restarts.
      expect(out.stateLost).toBe(true);
      expect(out.message).toMatch(/ran longer than .* variables were lost/);
    } else if (out.status === 'killed' && TEST_BACKEND === 'podman') {
      // The same memory exhaustion on Podman 4.3 (cgroup v1), which records no OOM kill (see R04).
      expect(out.stateLost).toBe(true);
      expect(out.message).toMatch(/\(exit code 137\)/);
    } else {
      expect(out.status).toBe('error');
      expect(out.error?.ename).toBe('BlockingIOError');
      expect(out.stateLost).toBe(false);
    }
    expect(result(await runCollect(box.sandbox, OTHER_PROCESSES))).toBe('[]');
    if (!out.stateLost) expect(result(await runCollect(box.sandbox, 'kept'))).toBe("'r01'");
    await expectNextCellWorks(box.sandbox);
  }, 60_000);

  it(caseName('R02'), async () => {
    const out = await runCollect(box.sandbox, 'import os, time\nos.system("bomb() { bomb | bomb & }; bomb")\ntime.sleep(100)', { timeoutMs: 4_000 });
    expect(out.status).toBe('timeout');
    // Interrupted in time (state kept), or killed and restarted when cleaning up outlasted the grace period.
    if (out.stateLost) expect(out.message).toMatch(/kernel was restarted, so variables were lost/);
    const left = await runCollect(box.sandbox, OTHER_PROCESSES);
    expect(left.status, left.message).toBe('ok');
    expect(result(left)).toBe('[]');
    await expectNextCellWorks(box.sandbox);
  }, 60_000);

  it(caseName('R03'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import threading\nev = threading.Event()\nn = 0\ntry:\n    while True:\n        threading.Thread(target=ev.wait, daemon=True).start()\n        n += 1\nexcept RuntimeError as e:\n    print("refused after", n, e)',
    );
    expect(out.status).toBe('ok');
    const n = Number(/refused after (\d+)/.exec(out.stdout)?.[1]);
    expect(n).toBeGreaterThan(50);
    expect(n).toBeLessThan(128);
    await expectNextCellWorks(box.sandbox); // no thread needed to run a cell
    // The threads hold the pids; releasing them (state was kept) gives subprocesses back.
    const freed = await runCollect(box.sandbox, 'import subprocess, time\nev.set()\ntime.sleep(0.5)\nsubprocess.run(["true"]).returncode');
    expect(result(freed)).toBe('0');
  }, 60_000);

  it(caseName('R04'), async () => {
    const out = await runCollect(box.sandbox, 'big = b"x" * (1 << 30)', { timeoutMs: 30_000 });
    if (TEST_BACKEND === 'podman') {
      // Podman 4.3 on cgroup v1 records no OOMKilled and sends no oom event: the limit holds, the cause is not told.
      expect(out.status).toBe('killed');
      expect(out.message).toMatch(/\(exit code 137\)/);
    } else {
      expect(out.status).toBe('oom');
      expect(out.message).toBe('the sandbox ran out of memory (256 MiB limit); the kernel was restarted and variables were lost');
    }
    expect(out.stateLost).toBe(true);
    const next = await expectNextCellWorks(box.sandbox);
    expect(next.count).toBe(1);
  }, 60_000);

  it(caseName('R05'), async () => {
    await runCollect(box.sandbox, 'kept = "r05"');
    const out = await runCollect(box.sandbox, 'import subprocess\nsubprocess.run(["python3", "-c", "b = b\\"x\\" * (1 << 30)"]).returncode', {
      timeoutMs: 30_000,
    });
    expect(out.status).toBe('ok');
    expect(result(out)).toBe('-9');
    expect(notices(out)).toContain('a process in the sandbox ran out of memory (256 MiB limit)');
    expect(result(await runCollect(box.sandbox, 'kept'))).toBe("'r05'");
  }, 60_000);

  it(caseName('R06'), async () => {
    await runCollect(box.sandbox, 'kept = "r06"');
    const out = await runCollect(box.sandbox, 'with open("fill.bin", "wb") as f:\n    while True:\n        f.write(b"\\1" * (1 << 20))\n        f.flush()', {
      timeoutMs: 20_000,
    });
    expect(out.status).toBe('error');
    expect(['OSError', 'FileTooLargeError']).toContain(out.error?.ename);
    expect(out.error?.evalue).toMatch(/No space left on device|File too large/);
    expect(out.events).toContainEqual({ type: 'file_skipped', name: 'fill.bin', reason: expect.stringMatching(/^too large/) });
    expect(out.events.some((e) => e.type === 'file')).toBe(false);
    expect(result(await runCollect(box.sandbox, 'import os\nos.remove("fill.bin")\nkept'))).toBe("'r06'");
    await expectNextCellWorks(box.sandbox);
  }, 60_000);

  for (const [id, dir] of [
    ['R07', '/tmp'],
    ['R08', '/dev/shm'],
  ] as const) {
    it(caseName(id), async () => {
      await runCollect(box.sandbox, `kept = "${id}"`);
      const out = await runCollect(
        box.sandbox,
        `import os\ntry:\n    with open("${dir}/fill", "wb") as f:\n        while True:\n            f.write(b"\\1" * (1 << 20))\n            f.flush()\nexcept OSError as e:\n    print("refused", e.errno, os.path.getsize("${dir}/fill") >> 20)\nfinally:\n    os.remove("${dir}/fill")`,
        { timeoutMs: 20_000 },
      );
      expect(out.status).toBe('ok');
      const [, errno, mb] = /refused (\d+) (\d+)/.exec(out.stdout) ?? [];
      expect(['28', '27']).toContain(errno); // ENOSPC, or EFBIG from the fsize ulimit: not an OOM kill
      expect(Number(mb)).toBeLessThanOrEqual(64);
      expect(result(await runCollect(box.sandbox, 'kept'))).toBe(`'${id}'`);
    }, 60_000);
  }

  it(caseName('R09'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import os, subprocess\ntry:\n    open("huge.bin", "wb").truncate(100 << 30)\nexcept OSError as e:\n    print("python", e.errno)\nprint("truncate", subprocess.run(["truncate", "-s", "100G", "huge2.bin"]).returncode)\nopen("sparse.bin", "wb").truncate(9 << 20)',
    );
    expect(out.stdout).toContain('python 27\n'); // EFBIG: the fsize ulimit
    expect(out.stdout).toMatch(/truncate (-25|1)\n/); // SIGXFSZ or EFBIG
    const skipped = out.events.filter((e) => e.type === 'file_skipped');
    expect(skipped).toContainEqual({ type: 'file_skipped', name: 'sparse.bin', reason: expect.stringMatching(/^too large \(9437184 bytes/) });
    // Only the empty files open() created come out; nothing of the sparse sizes.
    for (const e of out.events) if (e.type === 'file') expect(e.file.data.length, e.file.name).toBe(0);
    const sizes = await runCollect(box.sandbox, 'import os\nsorted((n, os.path.getsize(n)) for n in os.listdir(".") if "huge" in n)');
    expect(result(sizes)).toMatch(/^\[(\('huge\d?\.bin', 0\)(, )?)*\]$/);
    await runCollect(box.sandbox, 'import os\nfor n in os.listdir("."):\n    os.remove(n)');
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('R10'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import errno\nres = []\nfor p in ("/usr/evil", "/etc/evil", "/evil", "/usr/lib/python3/dist-packages/evil.py", "/opt/codecell/kernel.py"):\n    try:\n        open(p, "w").write("x")\n        res.append("WROTE " + p)\n    except OSError as e:\n        res.append(errno.errorcode[e.errno])\nres',
    );
    expect(out.status).toBe('ok');
    const codes = JSON.parse(result(out)!.replace(/'/g, '"')) as string[];
    expect(codes).toHaveLength(5);
    for (const code of codes) expect(['EROFS', 'EACCES']).toContain(code);
    await expectNextCellWorks(box.sandbox);
  });
});
