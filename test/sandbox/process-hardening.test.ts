// Integration (bubblewrap and firejail backends): the process sandbox is locked down and leaves nothing behind, between cells and at exit.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import { liveProcessKernels, processTree } from '../../src/sandbox/process-kernel.js';
import { isProcessEngine, sandboxEngineOrSkip, TEST_BACKEND } from '../support/engine.js';
import { makeSandbox, ourContainers, runCollect } from './sandbox-image.js';

const engine = TEST_BACKEND === 'bubblewrap' || TEST_BACKEND === 'firejail' ? await sandboxEngineOrSkip() : null;
process.env.CODECELL_PROCESS_SECRET = 'sk-process-do-not-leak';

const result = (out: Awaited<ReturnType<typeof runCollect>>): string | undefined => {
  const found = out.events.find((e) => e.type === 'result');
  return found?.type === 'result' ? found.text : undefined;
};

describe.skipIf(!isProcessEngine(engine))(`process sandbox (${TEST_BACKEND}) hardening`, () => {
  let sandbox: DockerSandbox;
  beforeAll(async () => {
    sandbox = await makeSandbox(engine!, { pids: 64 });
  });
  afterAll(async () => {
    await sandbox?.close();
    expect(await ourContainers(engine!)).toEqual([]);
  });

  it('runs as uid 1000 with no capabilities, no new privileges and a seccomp filter', async () => {
    const out = await runCollect(
      sandbox,
      'import os\ns = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)\n(os.getuid(), s["CapEff"].strip(), s["CapBnd"].strip(), s["NoNewPrivs"].strip(), s["Seccomp"].strip())',
    );
    expect(result(out)).toBe("(1000, '0000000000000000', '0000000000000000', '1', '2')");
  });

  it('refuses ptrace, unshare, mount and keyctl at the seccomp filter', async () => {
    const out = await runCollect(
      sandbox,
      'import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nr = []\nfor nr, args in ((101, (16, os.getppid(), 0, 0)), (272, (0x10000000,)), (165, (0, 0, 0, 0, 0)), (250, (0, 0, 0, 0, 0))):\n    rc = libc.syscall(nr, *args)\n    r.append((rc, ctypes.get_errno()))\nr',
    );
    expect(result(out)).toBe('[(-1, 1), (-1, 1), (-1, 1), (-1, 1)]');
  });

  it("sees none of the host's environment, home, sockets or processes", async () => {
    const out = await runCollect(
      sandbox,
      'import os, glob\nprocs = [p for p in os.listdir("/proc") if p.isdigit()]\n(sorted(os.environ), os.path.exists("/root/.npm"), os.listdir("/home"), [p for p in ("/var/run/docker.sock", "/run/podman/podman.sock", "/run/containerd") if os.path.exists(p)], len(procs) < 10, os.uname().nodename)',
    );
    const text = result(out)!;
    expect(text).not.toMatch(/SECRET|OPENAI|DOCKER_HOST|SSH_AUTH_SOCK|XDG_RUNTIME_DIR|CODECELL_PROCESS/);
    // IPython pretty-prints a long tuple over several lines.
    expect(text.replace(/\s+/g, ' ')).toMatch(/, False, \[\], \[\], True, 'codecell'\)$/);
  });

  it('has only lo, a read-only root and private writable /tmp and /mnt/data with size limits', async () => {
    const out = await runCollect(
      sandbox,
      'import socket, os\nro = []\nfor p in ("/usr/x", "/etc/x", "/x"):\n    try:\n        open(p, "w")\n    except OSError as e:\n        ro.append(e.errno)\nst = os.statvfs("/mnt/data")\n(sorted(n for _, n in socket.if_nameindex()), ro, os.access("/tmp", os.W_OK), os.access("/mnt/data", os.W_OK), st.f_blocks * st.f_frsize)',
    );
    // firejail's tmpfs has no size option: /mnt/data is the size of any tmpfs (half the host's memory);
    // the cgroup's memory limit, which its pages are charged to, is what bounds it there.
    const size = TEST_BACKEND === 'firejail' ? '\\d+' : String(128 * 1024 * 1024);
    expect(result(out)).toMatch(new RegExp(`^\\(\\['lo'\\], \\[30, 30, 30\\], True, True, ${size}\\)$`));
  });

  it('holds the process limit through RLIMIT_NPROC in its own user namespace', async () => {
    const out = await runCollect(
      sandbox,
      'import subprocess\nps = []\ntry:\n    for _ in range(200):\n        ps.append(subprocess.Popen(["sleep", "30"]))\nexcept OSError as e:\n    err = e.errno\nn = len(ps)\nfor p in ps:\n    p.kill()\n(n < 64, err)',
      { timeoutMs: 30_000 },
    );
    expect(result(out)).toBe('(True, 11)');
  });

  it('kills everything a cell leaves running before the next cell', async () => {
    await runCollect(sandbox, 'import subprocess\nsubprocess.Popen(["sh", "-c", "setsid sleep 300 &"])\nsubprocess.Popen(["sleep", "300"])');
    const kernel = [...liveProcessKernels].find((k) => k.id === sandbox.id)!;
    // bwrap's init and the kernel: nothing else in the sandbox's process tree.
    expect(
      processTree(kernel.pid!)
        .map((p) => p.depth)
        .sort(),
    ).toEqual([0, 1]);
  });
});

describe.skipIf(!isProcessEngine(engine))(`process sandbox (${TEST_BACKEND}) at exit`, () => {
  it('leaves no process behind when codecell is killed with SIGKILL mid-cell', async () => {
    const rootfs = isProcessEngine(engine) ? engine.rootfs : '';
    const script = `
      const { createProcessSandbox } = await import(${JSON.stringify(new URL('../../src/sandbox/process-sandbox.ts', import.meta.url).pathname)});
      const { liveProcessKernels } = await import(${JSON.stringify(new URL('../../src/sandbox/process-kernel.ts', import.meta.url).pathname)});
      const sb = createProcessSandbox(${JSON.stringify(rootfs)}, {}, ${JSON.stringify(TEST_BACKEND)});
      await sb.start();
      console.log('BWRAP', [...liveProcessKernels][0].pid);
      // The cell says when its detached sleeper exists (sh echoes its pid after forking it).
      const code = 'import subprocess\\nsubprocess.run(["sh", "-c", "setsid sleep 300 >/dev/null 2>&1 & echo $!"], stdout=subprocess.PIPE)\\nprint("SLEEPER", flush=True)\\nimport time\\ntime.sleep(60)';
      await sb.run(code, { onEvent: (e) => e.type === 'stdout' && e.text.includes('SLEEPER') && console.log('SLEEPER') });
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Bounded: a cell that never says SLEEPER fails here, and the child does not outlive the test.
    const noSleeper = setTimeout(() => child.kill('SIGKILL'), 40_000);
    const bwrapPid = await new Promise<number>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (c: Buffer) => {
        text += c.toString();
        const m = /BWRAP (\d+)/.exec(text);
        if (m && text.includes('SLEEPER')) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`the child exited before its cell started the detached sleeper: ${text}`)));
    }).finally(() => clearTimeout(noSleeper));
    // Every process of the sandbox, by pid: under firejail the jail itself runs as root, like codecell.
    const pids = [bwrapPid, ...processTree(bwrapPid).map((p) => p.pid)];
    expect(pids.length).toBeGreaterThanOrEqual(4);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // PR_SET_PDEATHSIG (--die-with-parent) takes bwrap and its pid namespace down with its parent.
    let left = -1;
    for (let i = 0; i < 50 && left !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = pids.filter((pid) => {
        try {
          // A zombie waiting for its reaper is gone too.
          return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
        } catch {
          return false;
        }
      }).length;
    }
    expect(left).toBe(0);
  }, 60_000);
});
