// Red team, privilege: setuid binaries, setuid(0), mount, chroot, secrets, the docker socket, the kernel's /proc entries.
import { describe, expect, it } from 'vitest';
import { sandboxEngineOrSkip, TEST_BACKEND } from '../support/engine.js';
import { caseName } from './cases.js';
import { expectNextCellWorks, result, runCollect, useHostileSandbox } from './hostile.js';

const docker = await sandboxEngineOrSkip();
// A host secret that must never reach the sandbox.
process.env.CODECELL_REDTEAM_SECRET = 'sk-redteam-do-not-leak';

describe.skipIf(!docker)('red team: privilege', () => {
  const box = useHostileSandbox(docker!);

  it(caseName('P01'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import subprocess\nfound = subprocess.run("find / -xdev -perm -4000 -type f 2>/dev/null", shell=True, capture_output=True, text=True).stdout.split()\nprint("setuid:", found)\nsu = subprocess.run(["su", "-c", "id -u", "root"], stdin=subprocess.DEVNULL, capture_output=True, text=True)\nmnt = subprocess.run(["mount", "-t", "tmpfs", "x", "/mnt"], capture_output=True, text=True)\nids = [subprocess.run([p, "-c", "import os; print(os.geteuid())"], capture_output=True, text=True).stdout.strip() for p in ["python3"]]\n(su.returncode != 0, "0" not in su.stdout.split(), mnt.returncode != 0, ids, open("/proc/self/status").read().count("NoNewPrivs:\\t1"))',
      { timeoutMs: 20_000 },
    );
    expect(out.stdout).toMatch(/^setuid: \[/);
    expect(result(out)).toBe("(True, True, True, ['1000'], 1)");
    await expectNextCellWorks(box.sandbox);
  }, 40_000);

  it(caseName('P02'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import os\nr = []\nfor f in (os.setuid, os.setgid, os.seteuid):\n    try:\n        f(0)\n        r.append("became root")\n    except OSError:\n        r.append("denied")\n(r, os.getuid(), os.geteuid())',
    );
    expect(result(out)).toBe("(['denied', 'denied', 'denied'], 1000, 1000)");
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('P03'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import os\nstatus = os.system("mount -t tmpfs x /mnt 2>/dev/null")\ntry:\n    os.chroot("/tmp")\n    c = "chrooted"\nexcept PermissionError:\n    c = "PermissionError"\n(status != 0, c, os.path.ismount("/mnt"))',
    );
    expect(result(out)).toBe("(True, 'PermissionError', False)");
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('P04'), async () => {
    const out = await runCollect(box.sandbox, 'open("/etc/shadow").read()');
    expect(out.status).toBe('error');
    expect(out.error?.ename).toBe('PermissionError');
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('P05'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import os\nenv = open("/proc/1/environ", "rb").read().split(b"\\0")\nsorted(e.split(b"=")[0].decode() for e in env if e)',
    );
    if (TEST_BACKEND === 'firejail') {
      // firejail's init is its own root process: its environment cannot even be read.
      expect(out.status).toBe('error');
      expect(out.error?.ename).toBe('PermissionError');
      const env = await runCollect(box.sandbox, 'import os\n"sk-redteam" in str(os.environ)');
      expect(result(env)).toBe('False');
      return;
    }
    expect(out.status).toBe('ok');
    const names = result(out)!;
    expect(names).toContain('PATH');
    expect(names).not.toMatch(/CODECELL_REDTEAM_SECRET|OPENAI|API_KEY|TOKEN|DOCKER_HOST|SSH_AUTH_SOCK/);
    const all = await runCollect(box.sandbox, 'import os\nb"sk-redteam" in open("/proc/1/environ", "rb").read() or "sk-redteam" in str(os.environ)');
    expect(result(all)).toBe('False');
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('P06'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import os, glob\n[p for p in ["/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock"] if os.path.exists(p)] + glob.glob("/**/docker.sock", recursive=False)',
    );
    expect(result(out)).toBe('[]');
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('P07'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import os, subprocess\nprobe = """\nimport os, sys\npid = int(sys.argv[1])\nr = []\nfor p in ("fd", "mem", "environ"):\n    try:\n        os.listdir(f"/proc/{pid}/fd") if p == "fd" else open(f"/proc/{pid}/{p}", "rb").read(1)\n        r.append("open")\n    except PermissionError:\n        r.append("denied")\nprint(r)\n"""\nsubprocess.run(["python3", "-c", probe, str(os.getpid())], capture_output=True, text=True).stdout.strip()',
    );
    expect(result(out)).toBe(`"['denied', 'denied', 'denied']"`);
    await expectNextCellWorks(box.sandbox);
  });
});
