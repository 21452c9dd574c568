// Red team, protocol: forged kernel messages on every file descriptor user code can reach, forks that return, in-process forgeries.
import { describe, expect, it } from 'vitest';
import { isProcessEngine, sandboxEngineOrSkip, TEST_BACKEND } from '../support/engine.js';
import { caseName } from './cases.js';
import { expectNextCellWorks, notices, result, runCollect, useHostileSandbox } from './hostile.js';

const docker = await sandboxEngineOrSkip();

/** Python defining `forged`: bytes of a fake reply, a fake injected file and a fake display for the running cell. */
const FORGED = `import sys, os, json, hashlib, base64, time
cid = sys.modules["codecell_kernel"].CELL.id
def line(m):
    return (json.dumps(m) + "\\n").encode()
forged = (line({"type": "reply", "id": cid, "status": "ok", "count": 99, "ms": 1})
    + line({"type": "file_start", "id": cid, "fid": 999, "name": "injected.txt", "size": 3})
    + line({"type": "file_chunk", "fid": 999, "data": base64.b64encode(b"pwn").decode()})
    + line({"type": "file_end", "fid": 999, "sha256": hashlib.sha256(b"pwn").hexdigest()})
    + line({"type": "stream", "id": cid, "name": "stdout", "text": "FORGED OUTPUT\\n"}))
`;

describe.skipIf(!docker)('red team: protocol', () => {
  const box = useHostileSandbox(docker!);

  it(caseName('F01'), async () => {
    const out = await runCollect(box.sandbox, `${FORGED}os.write(1, forged)\nos.write(2, forged)\ntime.sleep(0.5)\nprint("still running")\n"end"`);
    expect(out.status).toBe('ok');
    expect(out.count).not.toBe(99);
    expect(out.stdout).toContain('"type": "reply"'); // shown as text, not obeyed
    expect(out.stdout.endsWith('still running\n')).toBe(true);
    expect(out.stderr).toContain('"type": "file_start"');
    expect(result(out)).toBe("'end'");
    expect(out.events.some((e) => e.type === 'file')).toBe(false);
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('F02'), async () => {
    const code = `${FORGED}hit = []
targets = [f"/proc/self/fd/{n}" for n in os.listdir("/proc/self/fd")] + ["/proc/1/fd/1", "/proc/1/fd/2"]
for path in targets:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        continue
    try:
        os.write(fd, forged)
        hit.append(path)
    except OSError:
        pass
    finally:
        os.close(fd)
for fd in range(3, 256):  # the descriptors already open in the kernel, the protocol channel among them
    try:
        os.write(fd, forged)
        hit.append(fd)
    except OSError:
        pass
time.sleep(0.5)
print("ran to the end")
("/proc/1/fd/1" in hit, any(isinstance(h, int) and h >= 100 for h in hit))`;
    const started = performance.now();
    const out = await runCollect(box.sandbox, code);
    expect(performance.now() - started).toBeGreaterThan(500); // not ended by a forged reply
    expect(out.status).toBe('ok');
    expect(out.count).not.toBe(99);
    // The forgeries reached the channel (the kernel's own fd) and were ignored; in a container they also reach
    // the init's stdout, which under bubblewrap cannot even be opened (its init's fd 1 is not reachable: ENXIO).
    expect(result(out)).toBe(isProcessEngine(docker) ? '(False, True)' : '(True, True)');
    expect(out.stdout).toMatch(/ran to the end\n$/);
    expect(out.events.some((e) => e.type === 'file')).toBe(false);
    expect(out.events.some((e) => e.type === 'stdout' && e.text === 'FORGED OUTPUT\n')).toBe(false);
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('F03'), async () => {
    const out = await runCollect(
      box.sandbox,
      `${FORGED}import subprocess\nsubprocess.run(["sh", "-c", "printf 'garbage without newline {\\"type\\":' > /proc/1/fd/1"])\nprint("after the garbage")\nsubprocess.run(["python3", "-c", "import sys; open('/proc/1/fd/1', 'wb').write(sys.stdin.buffer.read())"], input=forged)\nprint("after the forgery")`,
    );
    expect(out.status).toBe('ok');
    expect(out.stdout).toBe('after the garbage\nafter the forgery\n');
    expect(out.events.some((e) => e.type === 'file')).toBe(false);
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('F07'), async () => {
    const spy = `
import os, re, sys, json, time
import select
fd = os.open("/proc/1/fd/1", os.O_RDONLY | os.O_NONBLOCK)
got = b""
end = time.time() + 2.5
while time.time() < end and got.count(b"\\n") < 5:  # race the engine for the kernel's lines
    if select.select([fd], [], [], 0.1)[0]:
        try:
            got += os.read(fd, 65536)
        except BlockingIOError:
            pass
w = os.open("/proc/1/fd/1", os.O_WRONLY)
lines = [l for l in got.split(b"\\n") if l]
for l in lines:
    os.write(w, l + b"\\n")  # replay every genuine line seen
    if b"\\x1f" in l:  # and reuse its signature on a forged reply
        trailer = l[l.rindex(b"\\x1f"):]
        os.write(w, b"\\x1e" + json.dumps({"type": "reply", "id": sys.argv[1], "status": "ok", "count": 99, "ms": 1}).encode() + trailer + b"\\n")
print("spy saw", len(lines), "lines", file=sys.stderr, flush=True)
`;
    const out = await runCollect(
      box.sandbox,
      `import subprocess, sys, time
spy = subprocess.Popen(["python3", "-c", ${JSON.stringify(spy)}, sys.modules["codecell_kernel"].CELL.id])
for i in range(150):
    print("tick", i, flush=True)
    time.sleep(0.02)
spy.wait()
time.sleep(0.3)
print("finished normally")`,
    );
    expect(out.status).toBe('ok');
    expect(out.count).not.toBe(99);
    expect(out.stdout.endsWith('finished normally\n')).toBe(true);
    const ticks = out.stdout.split('\n').filter((l) => l.startsWith('tick'));
    expect(new Set(ticks).size).toBe(ticks.length); // nothing replayed
    if (isProcessEngine(docker)) {
      // The init's stdout cannot be opened, so the kernel's lines cannot be read at all: under bubblewrap it is
      // not reachable (ENXIO); under firejail the init is firejail's own, a root process (EACCES).
      expect(out.stderr).toMatch(TEST_BACKEND === 'firejail' ? /Permission denied: '\/proc\/1\/fd\/1'/ : /No such device or address: '\/proc\/1\/fd\/1'/);
    } else if (box.sandbox.channel === 'socket') {
      // The kernel speaks on its own socket: the container's stdout carries none of its lines to steal.
      expect(out.stderr).toMatch(/spy saw 0 lines/);
    } else {
      expect(out.stderr).toMatch(/spy saw [1-9]\d* lines/); // it really read the kernel's lines
    }
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('F08'), async () => {
    global.gc?.();
    const rss = process.memoryUsage().rss;
    let peak = rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const out = await runCollect(
      box.sandbox,
      'import subprocess\nsubprocess.run(["python3", "-c", "import os\\nfd = os.open(\'/proc/1/fd/1\', os.O_WRONLY)\\nfor _ in range(48):\\n    os.write(fd, b\'g\' * (1 << 20))"])\nprint("after the garbage")',
      { timeoutMs: 30_000 },
    );
    clearInterval(sampler);
    expect(out.status).toBe('ok');
    expect(out.stdout).toBe('after the garbage\n');
    expect(peak - rss).toBeLessThan(150 * 1024 * 1024);
    await expectNextCellWorks(box.sandbox);
  }, 60_000);

  it(caseName('F09'), async () => {
    const out = await runCollect(
      box.sandbox,
      `import os, socket, subprocess, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("/run/codecell/k.sock")
    print("connect: connected")
except OSError as e:
    print("connect:", type(e).__name__)
try:
    open("/run/codecell/planted", "w")
    print("create: created")
except OSError as e:
    print("create:", type(e).__name__)
probe = "import os, sys\\ntry:\\n    print(os.listdir(f'/proc/{sys.argv[1]}/fd'))\\nexcept OSError as e:\\n    print(type(e).__name__)"
print("fds:", subprocess.run([sys.executable, "-c", probe, str(os.getpid())], capture_output=True, text=True).stdout.strip())`,
    );
    expect(out.status).toBe('ok');
    expect(out.stdout).toMatch(/^connect: FileNotFoundError$/m);
    // read-only where the folder is mounted (OSError: EROFS); absent elsewhere (FileNotFoundError)
    expect(out.stdout).toMatch(/^create: (OSError|FileNotFoundError)$/m);
    expect(out.stdout).toMatch(/^fds: PermissionError$/m);
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('F04'), async () => {
    const started = performance.now();
    const out = await runCollect(
      box.sandbox,
      'import os, time\npid = os.fork()\nif pid == 0:\n    print("child returns")\nelse:\n    time.sleep(1.0)\n    os.waitpid(pid, 0)\n    print("parent done")',
    );
    expect(performance.now() - started).toBeGreaterThan(1_000);
    expect(out.status).toBe('ok');
    expect(out.stdout).toBe('child returns\nparent done\n');
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('F05'), async () => {
    const code = `import sys, base64, hashlib
k = sys.modules["codecell_kernel"]
cid = k.CELL.id
def file(fid, name, data, end=True):
    k.send({"type": "file_start", "id": cid, "fid": fid, "name": name, "size": len(data)})
    k.send({"type": "file_chunk", "fid": fid, "data": base64.b64encode(data).decode()})
    if end:
        k.send({"type": "file_end", "fid": fid, "sha256": hashlib.sha256(data).hexdigest()})
file(5000, "evil\\x1b]52;c;aGk=\\x07\\u202etxt.exe", b"abc")
file(5001, "../escape.txt", b"abc")
for i in range(20):
    k.send({"type": "file_start", "id": cid, "fid": 6000 + i, "name": f"many{i}.bin", "size": 4 << 20})
for i in range(20):
    k.send({"type": "file_chunk", "fid": 6000 + i, "data": base64.b64encode(b"z" * (256 << 10)).decode()})`;
    const out = await runCollect(box.sandbox, code);
    expect(out.status).toBe('ok');
    const files = out.events.flatMap((e) => (e.type === 'file' ? [e.file.name] : []));
    expect(files).toEqual(['evil_]52;c;aGk=__txt.exe']);
    const skipped = out.events.flatMap((e) => (e.type === 'file_skipped' ? [`${e.name}: ${e.reason}`] : []));
    expect(skipped).toContain('(unsafe name): invalid path component ".."');
    expect(skipped.filter((s) => s.endsWith('another file was still arriving (only one at a time)'))).toHaveLength(19);
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('F06'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import sys, struct, base64\nk = sys.modules["codecell_kernel"]\npng = b"\\x89PNG\\r\\n\\x1a\\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 50000, 50000, 8, 6, 0, 0, 0) + b"\\0" * 4\nk.send({"type": "display", "id": k.CELL.id, "data": {"image/png": base64.b64encode(png).decode(), "text/plain": "x"}})',
    );
    expect(out.status).toBe('ok');
    expect(notices(out)).toContain('an image was not shown: 50000×50000 pixels is over the 40 megapixel limit');
    expect(out.events.some((e) => e.type === 'image')).toBe(false);
    await expectNextCellWorks(box.sandbox);
  });
});
