// Integration: the kernel in the real sandbox image — state, streams, display, errors, files, uploads, interrupts.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sandboxEngineOrSkip } from '../support/engine.js';
import type { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import { pngSize } from '../../src/sandbox/files.js';
import { KernelContainer } from '../../src/sandbox/kernel-container.js';
import type { CellEvent } from '../../src/sandbox/types.js';
import { makeSandbox, ourContainers, runCollect, runUntilPrinted } from './sandbox-image.js';

const docker = await sandboxEngineOrSkip();

describe.skipIf(!docker)('kernel behaviour', () => {
  let sandbox: DockerSandbox;
  beforeAll(async () => {
    sandbox = await makeSandbox(docker!, { maxOutputBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await sandbox?.close();
    expect(await ourContainers(docker!)).toEqual([]);
  });

  it('keeps state across cells and shows the last expression', async () => {
    const first = await runCollect(sandbox, 'x = 20\ndef double(v):\n    return v * 2');
    expect(first.status).toBe('ok');
    expect(first.events.filter((e) => e.type === 'result')).toEqual([]);
    const second = await runCollect(sandbox, 'double(x) + 2');
    expect(second.events).toContainEqual({ type: 'result', text: '42' });
    expect(second.count).toBe(first.count + 1);
    const none = await runCollect(sandbox, 'print("side effect")');
    expect(none.events.some((e) => e.type === 'result')).toBe(false);
  });

  it("a forked child that fails never drains (and so drops) the kernel's output", async () => {
    // The parent holds the stdout reader's lock so its line stays in the pipe while the child, which
    // shares the pipe, reports its error; the child must leave the line for the kernel.
    const out = await runCollect(
      sandbox,
      'import os, sys, time\nk = sys.modules["codecell_kernel"]\npid = os.fork()\nif pid == 0:\n    time.sleep(0.5)\n    raise ValueError("child fails")\nk.READERS[0].lock.acquire()\nos.write(1, b"parent output\\n")\nos.waitpid(pid, 0)\nk.READERS[0].lock.release()\ntime.sleep(0.2)',
    );
    expect(out.stdout).toBe('parent output\n');
    expect(out.status).toBe('ok');
  });

  it('streams stdout and stderr in order, live, including C-level and subprocess output', async () => {
    const started = performance.now();
    let firstAt = 0;
    const out = await runCollect(
      sandbox,
      'import os, sys, time, subprocess\nprint("a", flush=True)\ntime.sleep(0.8)\nprint("b", file=sys.stderr)\nos.system("echo c; echo d >&2")\nsubprocess.run(["sh", "-c", "echo e"])\nos.write(1, b"f\\n")\nprint("g")',
      {
        onEvent: (e) => {
          if (!firstAt && e.type === 'stdout') firstAt = performance.now();
        },
      },
    );
    const ended = performance.now();
    expect(out.status).toBe('ok');
    expect(out.stdout).toBe('a\nc\ne\nf\ng\n');
    expect(out.stderr).toBe('b\nd\n');
    expect(ended - firstAt).toBeGreaterThan(600); // "a" arrived while the cell was still sleeping
    expect(firstAt - started).toBeLessThan(ended - started - 600);
    const order = out.events
      .filter((e) => e.type === 'stdout' || e.type === 'stderr')
      .map((e) => (e as { text: string }).text)
      .join('')
      .replace(/\s/g, '');
    // Order is exact within a stream; across stdout and stderr (two pipes) only writes far apart are ordered.
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('b'));
    expect(order).toHaveLength(7);
  });

  it('keeps a character whole when its bytes arrive in separate reads, with plain ASCII before and after', async () => {
    // Each os.write is read on its own (the sleeps let the reader drain the pipe in between), so the
    // two bytes of é and the three of € reach the kernel's reader apart, between ASCII-only reads.
    const out = await runCollect(
      sandbox,
      'import os, time\nfor part in (b"ascii ", b"\\xc3", b"\\xa9 then ", b"\\xe2\\x82", b"\\xac", b" and ascii", b"\\xc3", b"!\\n"):\n    os.write(1, part)\n    time.sleep(0.05)',
    );
    // a lead byte whose continuation never comes is replaced, not dropped or glued to the ASCII after it
    expect(out.stdout).toBe('ascii é then € and ascii\ufffd!\n');
  });

  it('returns IPython tracebacks without kernel frames, showing the cell source', async () => {
    const out = await runCollect(sandbox, 'def f():\n    return 1 / 0\n\nf()');
    expect(out.status).toBe('error');
    expect(out.error).toMatchObject({ ename: 'ZeroDivisionError', evalue: 'division by zero' });
    const tb = out.error!.traceback.join('\n');
    expect(tb).toContain('return 1 / 0');
    expect(tb).toMatch(/Cell In\[\d+\], line 4/);
    expect(tb).not.toContain('kernel.py');
    const syntax = await runCollect(sandbox, 'def broken(:\n    pass');
    expect(syntax.error?.ename).toBe('SyntaxError');
    expect(syntax.error!.traceback.join('\n')).not.toContain('kernel.py');
  });

  it('counts rich displays against the output limit and says so once', async () => {
    const out = await runCollect(
      sandbox,
      'from IPython.display import HTML\nfor i in range(200):\n    display(HTML("<p>" + "x" * 2000 + "</p>"))\nprint("end")',
    );
    expect(out.status).toBe('ok');
    expect(out.stdout).toBe('end\n');
    const shown = out.events.filter((e) => e.type === 'display').length;
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThan(200);
    expect(out.events.filter((e) => e.type === 'notice')).toEqual([
      { type: 'notice', text: 'rich output passed the 64 KiB output limit; later displays of this cell were not shown' },
    ]);
  });

  it('gives input() an EOF instead of the protocol', async () => {
    const out = await runCollect(sandbox, 'input("name? ")');
    expect(out.error?.ename).toBe('EOFError');
    const after = await runCollect(sandbox, 'x');
    expect(after.events).toContainEqual({ type: 'result', text: '20' });
  });

  it('sends plt.show() figures as images and savefig files as files', async () => {
    const out = await runCollect(
      sandbox,
      'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()\nfig = plt.figure()\nplt.bar(["a", "b"], [3, 4])\nfig.savefig("bars.png")\n# left open: flushed at the end of the cell',
    );
    expect(out.status).toBe('ok');
    const images = out.events.filter((e): e is Extract<CellEvent, { type: 'image' }> => e.type === 'image');
    expect(images).toHaveLength(2);
    for (const image of images) {
      expect(pngSize(image.data)).toEqual({ width: image.width, height: image.height });
      expect(image.width).toBeGreaterThan(100);
    }
    const files = out.events.filter((e): e is Extract<CellEvent, { type: 'file' }> => e.type === 'file');
    expect(files.map((f) => f.file.name)).toEqual(['bars.png']);
    expect(pngSize(files[0]!.file.data)).not.toBeNull();
  });

  it('copies out pandas CSV and Excel files with a correct sha256', async () => {
    const out = await runCollect(
      sandbox,
      'import pandas as pd\ndf = pd.DataFrame({"region": ["n", "s"], "revenue": [10, 20]})\ndf.to_csv("sales.csv", index=False)\ndf.to_excel("reports/sales.xlsx", index=False) if __import__("os").makedirs("reports", exist_ok=True) is None else None',
    );
    expect(out.status).toBe('ok');
    const files = new Map(out.events.flatMap((e) => (e.type === 'file' ? [[e.file.name, e.file] as const] : [])));
    expect([...files.keys()].sort()).toEqual(['reports/sales.xlsx', 'sales.csv']);
    expect(files.get('sales.csv')!.data.toString()).toBe('region,revenue\nn,10\ns,20\n');
    for (const file of files.values()) expect(file.sha256).toBe(createHash('sha256').update(file.data).digest('hex'));
    expect(files.get('reports/sales.xlsx')!.data.subarray(0, 2).toString()).toBe('PK');
    const unchanged = await runCollect(sandbox, 'len(df)');
    expect(unchanged.events.some((e) => e.type === 'file')).toBe(false);
  });

  it('large files come out raw (chunks on the socket and in the process sandbox, docker exec on the attach stream), checked against the sha256 the kernel signed, in order', async () => {
    const reads = vi.spyOn(KernelContainer.prototype, 'readFile');
    const out = await runCollect(
      sandbox,
      [
        'import os, random',
        'random.seed(7)',
        'big = random.randbytes(12 * 1024 * 1024)',
        'open("a-small.txt", "w").write("small")',
        'open("b-big.bin", "wb").write(big)',
        'open("c-tab\\tname.bin", "wb").write(big[:9 * 1024 * 1024])  # not printable: goes as chunks',
        'open("d-small.txt", "w").write("after")',
      ].join('\n'),
    );
    expect(out.status).toBe('ok');
    const files = out.events.flatMap((e) => (e.type === 'file' ? [e.file] : []));
    expect(files.map((f) => f.name)).toEqual(['a-small.txt', 'b-big.bin', 'c-tab_name.bin', 'd-small.txt']);
    expect(files[1]!.data.length).toBe(12 * 1024 * 1024);
    // On the attach stream exactly one file was read through an exec (the big one with a printable name);
    // a kernel on its socket, and the process sandbox (no exec), send every file as signed raw chunks
    expect(reads.mock.calls.map((c) => c[0])).toEqual(sandbox.channel === 'attach' ? ['/mnt/data/b-big.bin'] : []);
    reads.mockRestore();
    expect(files[2]!.data.equals(files[1]!.data.subarray(0, 9 * 1024 * 1024))).toBe(true);
    for (const file of files) expect(file.sha256).toBe(createHash('sha256').update(file.data).digest('hex'));
    const check = await runCollect(sandbox, 'import hashlib\nprint(hashlib.sha256(big).hexdigest())\nimport os\nfor n in os.listdir("."): os.remove(n)');
    expect(check.stdout.trim()).toBe(files[1]!.sha256);
  });

  it('never follows symlinks out of /mnt/data', async () => {
    const out = await runCollect(sandbox, 'import os\nos.symlink("/etc/passwd", "passwd-link")\nos.mkfifo("pipe")');
    expect(out.events.some((e) => e.type === 'file')).toBe(false);
    const skipped = out.events.filter((e) => e.type === 'file_skipped');
    expect(skipped).toContainEqual({ type: 'file_skipped', name: 'passwd-link', reason: 'symbolic link (not followed)' });
    expect(skipped.map((e) => (e as { name: string }).name)).toContain('pipe');
  });

  it('uploads files without echoing them back, and refuses unsafe or clashing names', async () => {
    await sandbox.upload('in/data.csv', Buffer.from('a,b\n1,2\n'));
    const big = Buffer.alloc(700 * 1024, 7);
    await sandbox.upload('big.bin', big);
    const out = await runCollect(
      sandbox,
      'import hashlib\nprint(open("in/data.csv").read().count("\\n"), hashlib.sha256(open("big.bin","rb").read()).hexdigest())',
    );
    expect(out.stdout.trim()).toBe(`2 ${createHash('sha256').update(big).digest('hex')}`);
    expect(out.events.some((e) => e.type === 'file')).toBe(false);
    await expect(sandbox.upload('../escape.txt', Buffer.from('x'))).rejects.toMatchObject({ code: 'upload_failed' });
    await expect(sandbox.upload('/etc/x', Buffer.from('x'))).rejects.toMatchObject({ code: 'upload_failed' });
    await expect(sandbox.upload('in/data.csv', Buffer.from('x'))).rejects.toThrow(/already exists/);
  });

  it('stops a cell at the output cap and keeps state', async () => {
    const out = await runCollect(sandbox, 'kept = "yes"\nwhile True:\n    print("x" * 1000)');
    expect(out.status).toBe('output_limit');
    expect(out.stateLost).toBe(false);
    expect(out.stdout.length).toBeLessThanOrEqual(64 * 1024);
    expect(out.stdout.length).toBeGreaterThan(32 * 1024);
    const shell = await runCollect(sandbox, 'import os\nos.system("yes")');
    expect(shell.status).toBe('output_limit');
    const after = await runCollect(sandbox, 'kept');
    expect(after.events).toContainEqual({ type: 'result', text: "'yes'" });
  });

  it('interrupts a running cell (interrupt() and an abort signal) and keeps state', async () => {
    const running = runUntilPrinted(sandbox, 'y = 7\nimport time\nprint("sleeping", flush=True)\ntime.sleep(30)', 'sleeping');
    await running.printed;
    await sandbox.interrupt();
    const out = await running.done;
    expect(out.status).toBe('interrupted');
    expect(out.stateLost).toBe(false);
    expect(out.error?.ename).toBe('KeyboardInterrupt');
    const controller = new AbortController();
    // The abort comes once the shell child is running (it prints first), so it interrupts a blocked os.system.
    const shell = runUntilPrinted(sandbox, 'import os\nos.system("echo shell; sleep 30")', 'shell', { signal: controller.signal });
    await shell.printed;
    controller.abort();
    const aborted = await shell.done;
    expect(aborted.status).toBe('interrupted');
    expect(aborted.durationMs).toBeLessThan(5000);
    const after = await runCollect(sandbox, 'y');
    expect(after.events).toContainEqual({ type: 'result', text: '7' });
  });

  it('cleans up processes a cell left behind before the next cell', async () => {
    await runCollect(sandbox, 'import subprocess\np = subprocess.Popen(["sleep", "300"])');
    const out = await runCollect(sandbox, 'import os\nsorted(int(p) for p in os.listdir("/proc") if p.isdigit() and p not in ("1", str(os.getpid())))');
    expect(out.events).toContainEqual({ type: 'result', text: '[]' });
  });
});
