// Red team, files: links, odd names and oversize figures in /mnt/data, saved through the real output store.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxEngineOrSkip } from '../support/engine.js';
import type { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import { OutputStore } from '../../src/store/output-store.js';
import { ourContainers } from '../sandbox/sandbox-image.js';
import { caseName } from './cases.js';
import { expectNextCellWorks, hostileSandbox, result, runCollect } from './hostile.js';

const docker = await sandboxEngineOrSkip();

/** Every path under dir (files and links), relative. */
async function tree(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

describe.skipIf(!docker)('red team: files', () => {
  let sandbox: DockerSandbox;
  let root: string;
  beforeAll(async () => {
    sandbox = await hostileSandbox(docker!);
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'codecell-redteam-'));
  });
  afterAll(async () => {
    await sandbox?.close();
    await fs.rm(root, { recursive: true, force: true });
    expect(await ourContainers(docker!)).toEqual([]);
  });

  it(caseName('D01'), async () => {
    const out = await runCollect(
      sandbox,
      'import os\nos.symlink("/etc/passwd", "passwd.txt")\nos.symlink("/etc", "etc")\nos.makedirs("sub")\nos.symlink("../../../../etc/shadow", "sub/shadow.csv")',
    );
    expect(out.status).toBe('ok');
    expect(out.events.some((e) => e.type === 'file')).toBe(false);
    const skipped = out.events.flatMap((e) => (e.type === 'file_skipped' ? [`${e.name}: ${e.reason}`] : [])).sort();
    expect(skipped).toEqual(['etc: symbolic link (not followed)', 'passwd.txt: symbolic link (not followed)', 'sub/shadow.csv: symbolic link (not followed)']);
    await runCollect(sandbox, 'import os\nfor n in ("passwd.txt", "etc", "sub/shadow.csv"):\n    os.remove(n)\nos.rmdir("sub")');
    await expectNextCellWorks(sandbox);
  });

  it(caseName('D02'), async () => {
    const out = await runCollect(
      sandbox,
      'import os, errno\ntry:\n    os.link("/etc/passwd", "hard.txt")\n    r = "linked"\nexcept OSError as e:\n    r = errno.errorcode[e.errno]\nr',
    );
    expect(['EXDEV', 'EPERM']).toContain(result(out)!.replace(/'/g, ''));
    expect(out.events.some((e) => e.type === 'file' || e.type === 'file_skipped')).toBe(false);
    await expectNextCellWorks(sandbox);
  });

  it(caseName('D03'), async () => {
    const out = await runCollect(
      sandbox,
      'import os\nfor name in ["bell\\x07.txt", "esc\\x1b[31mred\\x1b]0;title\\x07.txt", "bidi\\u202etxt.exe", "tab\\tnew\\nline.csv", os.fsencode("caf") + b"\\xe9.txt"]:\n    with open(name, "wb") as f:\n        f.write(b"data")',
    );
    expect(out.status).toBe('ok');
    const files = out.events.flatMap((e) => (e.type === 'file' ? [e.file] : []));
    expect(files.map((f) => f.name).sort()).toEqual(['bell_.txt', 'bidi_txt.exe', 'caf?.txt', 'esc_[31mred_]0;title_.txt', 'tab_new_line.csv']);
    const outDir = path.join(root, 'out');
    const store = new OutputStore(outDir, { session: 'redteam' });
    for (const f of files) {
      const saved = await store.save({ turn: 1, source: f.name, data: f.data });
      expect(path.resolve(saved.path).startsWith(outDir + path.sep)).toBe(true);
      expect(saved.path).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202e]/);
    }
    // Only the output folder got anything, and only plain files.
    expect(await tree(root)).toEqual(['out', ...(await tree(outDir)).map((p) => path.join('out', p))].sort());
    for (const p of await tree(outDir)) expect((await fs.lstat(path.join(outDir, p))).isSymbolicLink()).toBe(false);
    await runCollect(sandbox, 'import os\nfor n in os.listdir(b"."):\n    os.remove(n)');
    await expectNextCellWorks(sandbox);
  });

  it(caseName('D04'), async () => {
    const out = await runCollect(
      sandbox,
      'import errno\nr = []\nfor name in ["..", "../x", "x" * 300]:\n    try:\n        open(name, "w").write("x")\n        r.append("WROTE " + name)\n    except OSError as e:\n        r.append(errno.errorcode[e.errno])\nr',
    );
    expect(result(out)).toBe("['EISDIR', 'EROFS', 'ENAMETOOLONG']");
    expect(out.events.some((e) => e.type === 'file' || e.type === 'file_skipped')).toBe(false);
    await expectNextCellWorks(sandbox);
  });

  it(caseName('D05'), async () => {
    const out = await runCollect(
      sandbox,
      'kept = 1\nimport matplotlib.pyplot as plt\nfig = plt.figure(figsize=(200, 200), dpi=100)\nplt.plot([1, 2, 3])\nplt.show()',
      { timeoutMs: 30_000 },
    );
    expect(out.status).toBe('ok');
    expect(out.stderr).toBe('figure 1 not shown: 20000×20000 pixels is over the 40 megapixel limit (make it smaller or lower its dpi)\n');
    expect(out.events.some((e) => e.type === 'image')).toBe(false);
    expect(result(await runCollect(sandbox, 'kept'))).toBe('1');
    const small = await runCollect(sandbox, 'import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()');
    expect(small.events.filter((e) => e.type === 'image')).toHaveLength(1);
  }, 40_000);
});
