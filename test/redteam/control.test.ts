// Red team, control: ignored interrupts, detached daemons, input(), killing the init and the kernel itself.
import { describe, expect, it } from 'vitest';
import { isProcessEngine, sandboxEngineOrSkip, TEST_BACKEND } from '../support/engine.js';
import { caseName } from './cases.js';
import { OTHER_PROCESSES, expectNextCellWorks, result, runCollect, useHostileSandbox } from './hostile.js';
import { runUntilPrinted, sandboxGone } from '../sandbox/sandbox-image.js';

const docker = await sandboxEngineOrSkip();

describe.skipIf(!docker)('red team: control', () => {
  const box = useHostileSandbox(docker!);

  it(caseName('C01'), async () => {
    await runCollect(box.sandbox, 'kept = 1');
    const before = box.sandbox.id;
    // "ignoring" is printed once the handler is set: the interrupt can only come after it.
    const running = runUntilPrinted(
      box.sandbox,
      'import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint("ignoring", flush=True)\nwhile True:\n    pass',
      'ignoring',
    );
    await running.printed;
    const asked = performance.now();
    await box.sandbox.interrupt();
    const out = await running.done;
    const took = performance.now() - asked;
    expect(out.stdout).toBe('ignoring\n');
    expect(out.status).toBe('interrupted');
    expect(out.stateLost).toBe(true);
    expect(out.message).toBe('the cell did not stop within 2 s of the interrupt; the kernel was restarted, so variables were lost');
    expect(took).toBeGreaterThanOrEqual(1_900);
    expect(took).toBeLessThan(2_000 + 10_000); // grace period + one container restart
    expect(box.sandbox.id).not.toBe(before);
    expect(await sandboxGone(docker!, before)).toBe(true);
    const next = await expectNextCellWorks(box.sandbox);
    expect(next.count).toBe(1);
  }, 40_000);

  it(caseName('C02'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        while True:\n            with open("/tmp/alive", "a") as f:\n                f.write("x")\n            time.sleep(0.02)\n    os._exit(0)\n# wait (at most 10 s) for the first write of the daemon\nfor _ in range(1000):\n    if os.path.exists("/tmp/alive") and os.path.getsize("/tmp/alive") > 0:\n        break\n    time.sleep(0.01)\nos.path.getsize("/tmp/alive") > 0',
    );
    expect(result(out)).toBe('True');
    expect(result(await runCollect(box.sandbox, OTHER_PROCESSES))).toBe('[]');
    const growth = await runCollect(box.sandbox, 'import os, time\na = os.path.getsize("/tmp/alive")\ntime.sleep(0.3)\nos.path.getsize("/tmp/alive") - a');
    expect(result(growth)).toBe('0');
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('C03'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import subprocess\ntry:\n    input("name? ")\n    r = "read something"\nexcept EOFError:\n    r = "EOFError"\n(r, subprocess.run(["cat"], capture_output=True).stdout)',
      { timeoutMs: 5_000 },
    );
    expect(out.status).toBe('ok');
    expect(result(out)).toBe("('EOFError', b'')");
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('C04'), async () => {
    await runCollect(box.sandbox, 'kept = "c04"');
    const out = await runCollect(box.sandbox, 'import os, time\nos.kill(1, 9)\ntime.sleep(0.5)\nprint("init alive:", os.path.exists("/proc/1"))');
    if (TEST_BACKEND === 'firejail') {
      // firejail's init is its own root process: the signal is refused outright.
      expect(out.status).toBe('error');
      expect(out.error?.ename).toBe('PermissionError');
      expect(result(await runCollect(box.sandbox, 'import os\nos.path.exists("/proc/1")'))).toBe('True');
      expect(result(await runCollect(box.sandbox, 'kept'))).toBe("'c04'");
      return;
    }
    expect(out.status).toBe('ok');
    expect(out.stdout).toBe('init alive: True\n');
    expect(result(await runCollect(box.sandbox, 'kept'))).toBe("'c04'");
  });

  it(caseName('C05'), async () => {
    const out = await runCollect(box.sandbox, 'import os, time\nos.kill(1, 15)\ntime.sleep(5)\nprint("survived")');
    if (TEST_BACKEND === 'firejail') {
      // firejail's init is its own root process: the signal is refused outright, the kernel goes on.
      expect(out.status).toBe('error');
      expect(out.error?.ename).toBe('PermissionError');
      await expectNextCellWorks(box.sandbox);
      return;
    }
    if (isProcessEngine(docker)) {
      // bubblewrap's init installs no SIGTERM handler, so a signal from inside its pid namespace is dropped.
      expect(out.status).toBe('ok');
      expect(out.stdout).toBe('survived\n');
      await expectNextCellWorks(box.sandbox);
      return;
    }
    expect(out.status).toBe('killed');
    expect(out.stateLost).toBe(true);
    expect(out.message).toMatch(/^the sandbox stopped while the cell ran \(exit code 143\); it will restart on the next cell and variables were lost$/);
    expect(out.stdout).toBe('');
    const next = await expectNextCellWorks(box.sandbox);
    expect(next.count).toBe(1);
  });

  it(caseName('C06'), async () => {
    for (const [code, exit] of [
      ['import os, signal\nos.kill(os.getpid(), signal.SIGKILL)', 137],
      ['import os\nos._exit(0)', 0],
    ] as const) {
      await runCollect(box.sandbox, 'kept = 1');
      const out = await runCollect(box.sandbox, code);
      expect(out.status, code).toBe('killed');
      expect(out.stateLost).toBe(true);
      expect(out.message).toBe(`the sandbox stopped while the cell ran (exit code ${exit}); it will restart on the next cell and variables were lost`);
      const next = await runCollect(box.sandbox, '"kept" in globals()');
      expect(result(next)).toBe('False');
      await expectNextCellWorks(box.sandbox);
    }
  });
});
