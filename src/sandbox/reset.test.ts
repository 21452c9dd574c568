// A sandbox's reset against the real engine: nothing of the task before reaches the next one, and a sandbox that cannot be made as good as new says so.
import { afterAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../../test/support/engine.js';
import { makeSandbox, ourContainers, runCollect, sandboxGone } from '../../test/sandbox/sandbox-image.js';
import type { DockerSandbox } from './docker-sandbox.js';

const docker = await engineOrSkip();

/** What a task could see of the one before it (pids and counters aside), printed as JSON by one cell. */
const LOOK = `
import json, os, resource, signal
def listing(top):
    out = []
    for root, dirs, files in os.walk(top):
        out += [os.path.join(root, n) for n in dirs + files]
    return sorted(out)
shm = open("/proc/sysvipc/shm").read().splitlines()[1:]
mask = os.umask(0o022); os.umask(mask)
print(json.dumps({
    "variables": [n for n in ("secret", "later") if n in globals()],
    "data": listing("/mnt/data"), "tmp": listing("/tmp"), "shm": listing("/dev/shm"), "mqueue": listing("/dev/mqueue"),
    "sysv": shm,
    "env": {k: v for k, v in os.environ.items() if k.startswith("TASK_") or k == "CODECELL_RESET"},
    "umask": mask, "nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
    "personality": __import__("subprocess").check_output(["cat", "/proc/self/personality"]).decode().strip(),
    "usr1": str(signal.getsignal(signal.SIGUSR1)), "alarm": signal.getitimer(signal.ITIMER_REAL),
    "processes": len([p for p in os.listdir("/proc") if p.isdigit()]),
    "modes": [oct(os.stat(p).st_mode) for p in ("/mnt/data", "/tmp")],
}, sort_keys=True))
`;

/** The first task: state everywhere a cell can leave it, and a thread that starts a process and keeps writing after its cell. */
const LITTER = `
import ctypes, os, resource, signal, subprocess, threading, time
secret = 42
open("/mnt/data/out.txt", "w").write("task one")
os.makedirs("/mnt/data/sub/dir"); open("/mnt/data/sub/dir/f", "w").write("x")
os.makedirs("/tmp/locked/deep"); open("/tmp/locked/deep/f", "w").write("x")
os.chmod("/tmp/locked/deep", 0); os.chmod("/tmp/locked", 0)
os.symlink("/etc/passwd", "/tmp/link"); os.mkfifo("/tmp/fifo")
open("/dev/shm/segment", "wb").write(b"x" * 4096)
open("/tmp/.hidden", "w").write("x")
os.chmod("/tmp", 0o700); os.chmod("/mnt/data", 0o777)
os.environ["TASK_ONE"] = "1"
os.umask(0o077)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
signal.setitimer(signal.ITIMER_REAL, 3600)
libc = ctypes.CDLL(None, use_errno=True)
libc.personality(0x0020000)  # UNAME26 (one of the few the default seccomp profile allows): execve would keep it
assert subprocess.check_output(["cat", "/proc/self/personality"]).strip() == b"00020000"  # a child has it too
assert libc.shmget(0x5eed, 4096, 0o1600) >= 0  # IPC_CREAT | 0600: lives in the IPC namespace, not in a file
def later():
    sleeper = None
    while True:
        # (Re)started whenever a cell's clean-up of leftover processes killed it: one is always there
        # soon after the task's last cell, started by this thread, not by a cell.
        if sleeper is None or sleeper.poll() is not None:
            sleeper = subprocess.Popen(["sleep", "1000"], start_new_session=True)
        with open("/tmp/late.txt", "a") as f:
            f.write("x")
        time.sleep(0.01)
threading.Thread(target=later, daemon=True).start()
print("littered")
`;

/** An allow-everything seccomp filter: harmless, but execve would keep it and nothing can remove it. */
const SECCOMP_FILTER = `
import ctypes, struct
libc = ctypes.CDLL(None, use_errno=True)
code = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0x7FFF0000))  # BPF_RET|BPF_K, SECCOMP_RET_ALLOW
class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
assert libc.prctl(22, 2, ctypes.byref(Program(1, ctypes.cast(code, ctypes.c_void_p))), 0, 0) == 0  # PR_SET_SECCOMP, FILTER
`;

/** Writes a byte of the init's program code back unchanged: the page is now the task's copy. */
const WRITE_INIT = `
for line in open("/proc/1/maps"):
    parts = line.split()
    if len(parts) >= 6 and "x" in parts[1] and not parts[5].startswith("["):
        start = int(parts[0].split("-")[0], 16)
        break
with open("/proc/1/mem", "r+b", buffering=0) as mem:
    mem.seek(start)
    same = mem.read(1)
    mem.seek(start)
    mem.write(same)
`;

async function look(box: DockerSandbox): Promise<Record<string, unknown>> {
  const out = await runCollect(box, LOOK);
  expect(out.status, out.stderr + JSON.stringify(out.error)).toBe('ok');
  return JSON.parse(out.stdout) as Record<string, unknown>;
}

/** Commands of the processes in the container, seen from outside (the engine's `top`). */
async function processes(box: DockerSandbox): Promise<string[]> {
  const top = (await docker!.getContainer(box.id).top({ ps_args: '-eo pid,args' })) as { Processes?: string[][] };
  // Docker gives a column per field, Podman one string per process: either way, the command after the pid.
  return (top.Processes ?? []).map((p) =>
    p
      .join(' ')
      .trim()
      .replace(/^\d+\s+/, ''),
  );
}

describe.skipIf(!docker)('sandbox reset (real engine)', () => {
  const boxes: DockerSandbox[] = [];
  afterAll(async () => {
    await Promise.all(boxes.map((b) => b.close()));
  });
  const make = async (): Promise<DockerSandbox> => {
    const box = await makeSandbox(docker!);
    boxes.push(box);
    return box;
  };

  it('leaves nothing of the task before: a new container as far as a cell can tell, but the same container', async () => {
    const [box, fresh] = await Promise.all([make(), make()]);
    // Both kernels with IPython's shell built (its profile folder in /tmp), so the two look alike.
    expect((await runCollect(fresh, '%pwd')).status).toBe('ok');
    const expected = await look(fresh);
    const first = await runCollect(box, LITTER);
    expect(first.stdout).toContain('littered');
    const daemon = await runCollect(box, '!nohup sleep 999 > /dev/null 2>&1 &\nprint("started")');
    expect(daemon.status).toBe('ok');
    // The thread starts its process again after the cell's clean-up, and writes files while the reset runs.
    let started = false;
    for (let waited = 0; !started && waited < 10_000; waited += 100) {
      started = (await processes(box)).some((p) => p.startsWith('sleep 1000'));
      if (!started) await new Promise((r) => setTimeout(r, 100));
    }
    expect(started).toBe(true);
    const id = box.id;
    expect(await box.reset()).toBe(true);
    expect(box.id).toBe(id);
    expect(box.state).toBe('ready');
    expect((await processes(box)).filter((p) => p.startsWith('sleep'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 300)); // a writer thread that survived would have written again by now
    expect((await runCollect(box, '%pwd')).status).toBe('ok');
    const seen = await look(box);
    expect(seen).toEqual(expected);
    expect(seen).toMatchObject({ variables: [], data: [], shm: [], sysv: [], env: {} });
    const count = await runCollect(box, '1 + 1');
    expect(count.count).toBe(3); // the third cell of a new kernel
  }, 60_000);

  it('resets again and again, each time a working kernel', async () => {
    const box = await make();
    for (let i = 0; i < 3; i++) {
      const out = await runCollect(box, `value = ${i}\nopen("/mnt/data/f${i}", "w").write("x")\nimport os; print(sorted(os.listdir("/mnt/data")), value)`);
      expect(out.stdout.trim()).toBe(`['f${i}'] ${i}`);
      expect(await box.reset()).toBe(true);
    }
    expect((await runCollect(box, 'print("value" in globals())')).stdout.trim()).toBe('False');
  }, 60_000);

  it.each([
    ['a lower priority', 'import os\nos.nice(5)'],
    ['a seccomp filter', SECCOMP_FILTER],
    ["a page written in the init's code (through /proc/1/mem, as ptrace could)", WRITE_INIT],
  ])(
    'fails, and the container goes, when the task left what cannot be put back: %s',
    async (_, code) => {
      const box = await make();
      const id = box.id;
      const out = await runCollect(box, code);
      expect(out.status, out.stderr + JSON.stringify(out.error)).toBe('ok');
      expect(await box.reset()).toBe(false);
      expect(box.state).toBe('stopped');
      expect(await sandboxGone(docker!, id)).toBe(true);
    },
    30_000,
  );

  it('fails when the clean-up in the new kernel fails (a folder deeper than it walks)', async () => {
    const box = await make();
    const deep = 'import os\nos.chdir("/tmp")\nfor _ in range(1200):\n    os.mkdir("d"); os.chdir("d")\nos.chdir("/mnt/data")';
    expect((await runCollect(box, deep)).status).toBe('ok');
    expect(await box.reset()).toBe(false);
    expect(box.state).toBe('stopped');
  }, 30_000);

  it('is not even tried after a cell that timed out, or a process killed for memory', async () => {
    const timedOut = await make();
    const slow = await runCollect(timedOut, 'import time; time.sleep(30)', { timeoutMs: 500 });
    expect(slow.status).toBe('timeout');
    expect(await timedOut.reset()).toBe(false);
    expect(timedOut.state).toBe('ready'); // still usable by its own task, just not handed on

    const hungry = await make();
    const oom = await runCollect(hungry, '!python3 -c "x = bytearray(900 * 1024 * 1024); print(len(x))"');
    expect(oom.events.some((e) => e.type === 'notice' && /out of memory/.test(e.text))).toBe(true);
    expect(await hungry.reset()).toBe(false);
  }, 60_000);

  it('leaves no container behind', async () => {
    await Promise.all(boxes.splice(0).map((b) => b.close()));
    expect(await ourContainers(docker!)).toEqual([]);
  });
});
