// Tests for the output folder on a real file system: collisions, links, odd names, limits, full and read-only disks.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputStore, StoreError, MANIFEST_NAME, readManifest } from './output-store.js';

let root: string;
let out: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'codecell-store-'));
  out = join(root, 'out');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 1)]);

/** Every file under a folder, relative, sorted (temp files would show up here). */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

async function expectStoreError(p: Promise<unknown>, code: string): Promise<StoreError> {
  const err = await p.then(
    () => {
      throw new Error('expected the save to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  return err as StoreError;
}

describe('OutputStore.save', () => {
  it('saves the bytes, creates the folder lazily and appends a manifest row', async () => {
    const store = new OutputStore(out, { session: 's1' });
    await expect(fsp.stat(out)).rejects.toThrow(); // not created until the first file
    const data = Buffer.from('region,revenue\nnorth,10\n');
    const entry = await store.save({ turn: 2, source: 'sales.csv', data });

    expect(await fsp.readFile(join(out, 'sales.csv'), 'utf8')).toBe(data.toString());
    expect((await fsp.stat(out)).mode & 0o777).toBe(0o755 & ~process.umask());
    expect(entry).toMatchObject({
      session: 's1',
      turn: 2,
      name: 'sales.csv',
      source: 'sales.csv',
      mime: 'text/csv',
      path: join(out, 'sales.csv'),
      size: data.length,
    });
    expect(entry.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(entry.id).toMatch(/^f_[0-9a-f]{10}$/);
    expect(new Date(entry.created_at).toISOString()).toBe(entry.created_at);

    const rows = (await fsp.readFile(join(out, MANIFEST_NAME), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toEqual([entry]);
    expect(store.list()).toEqual([entry]);
    expect(tree(out)).toEqual([MANIFEST_NAME, 'sales.csv']);
  });

  it('never overwrites an existing file: name-1.ext, name-2.ext', async () => {
    mkdirSync(out);
    await fsp.writeFile(join(out, 'chart.png'), 'the user’s own file');
    const store = new OutputStore(out, { session: 's' });
    const a = await store.save({ turn: 1, source: 'chart.png', data: PNG });
    const b = await store.save({ turn: 1, source: 'chart.png', data: PNG });
    expect([a.name, b.name]).toEqual(['chart-1.png', 'chart-2.png']);
    expect(await fsp.readFile(join(out, 'chart.png'), 'utf8')).toBe('the user’s own file');
  });

  it('gives concurrent saves of one name distinct files with the right bytes', async () => {
    const store = new OutputStore(out, { session: 's' });
    const saves = Array.from({ length: 12 }, (_, i) => store.save({ turn: 1, source: 'x.txt', data: Buffer.from(`content ${i}`) }));
    const entries = await Promise.all(saves);
    expect(new Set(entries.map((e) => e.path)).size).toBe(12);
    for (const [i, e] of entries.entries()) expect(await fsp.readFile(e.path, 'utf8')).toBe(`content ${i}`);
    expect(await readManifest(out)).toEqual(entries);
  });

  it('keeps subfolders of the sandbox path', async () => {
    const store = new OutputStore(out, { session: 's' });
    const e = await store.save({ turn: 1, source: 'plots/2024/fig.png', data: PNG });
    expect(e.name).toBe('plots/2024/fig.png');
    expect(e.path).toBe(join(out, 'plots', '2024', 'fig.png'));
    expect(e.mime).toBe('image/png');
  });

  it('refuses .. and absolute paths and writes nothing', async () => {
    const store = new OutputStore(out, { session: 's' });
    await expectStoreError(store.save({ turn: 1, source: '../escape.txt', data: Buffer.from('x') }), 'EINVAL');
    await expectStoreError(store.save({ turn: 1, source: 'a/../../escape.txt', data: Buffer.from('x') }), 'EINVAL');
    await expectStoreError(store.save({ turn: 1, source: '/etc/passwd', data: Buffer.from('x') }), 'EINVAL');
    expect(tree(root)).toEqual([]);
  });

  it('refuses a subfolder that is a symbolic link', async () => {
    const target = join(root, 'elsewhere');
    mkdirSync(target);
    mkdirSync(out);
    await fsp.symlink(target, join(out, 'plots'));
    const store = new OutputStore(out, { session: 's' });
    const err = await expectStoreError(store.save({ turn: 1, source: 'plots/fig.png', data: PNG }), 'ELOOP');
    expect(err.message).toContain('symbolic link');
    expect(tree(target)).toEqual([]);
  });

  it('does not write through a symbolic link at the final name (dangling or not)', async () => {
    mkdirSync(out);
    const victim = join(root, 'victim.txt');
    await fsp.writeFile(victim, 'keep me');
    await fsp.symlink(victim, join(out, 'report.txt'));
    await fsp.symlink(join(root, 'nowhere.txt'), join(out, 'notes.txt'));
    const store = new OutputStore(out, { session: 's' });
    expect((await store.save({ turn: 1, source: 'report.txt', data: Buffer.from('evil') })).name).toBe('report-1.txt');
    expect((await store.save({ turn: 1, source: 'notes.txt', data: Buffer.from('evil') })).name).toBe('notes-1.txt');
    expect(await fsp.readFile(victim, 'utf8')).toBe('keep me');
    await expect(fsp.stat(join(root, 'nowhere.txt'))).rejects.toThrow();
  });

  it('moves past a file that has the name of a needed subfolder', async () => {
    mkdirSync(out);
    await fsp.writeFile(join(out, 'data'), 'a file');
    const store = new OutputStore(out, { session: 's' });
    const e = await store.save({ turn: 1, source: 'data/x.csv', data: Buffer.from('a\n') });
    expect(e.name).toBe('data-1/x.csv');
  });

  it('makes control characters and odd names safe and truncates long names keeping the extension', async () => {
    const store = new OutputStore(out, { session: 's' });
    const e1 = await store.save({ turn: 1, source: 'evil\x1b]0;pwn\x07\n.png', data: PNG });
    expect(e1.name).toBe('evil_]0;pwn__.png');
    const e2 = await store.save({ turn: 1, source: 'back\\slash\u202Etxt.exe', data: Buffer.from('x') });
    expect(e2.name).toBe('back_slash_txt.exe');
    const long = 'é'.repeat(300) + '.csv';
    const e3 = await store.save({ turn: 1, source: long, data: Buffer.from('x') });
    expect(e3.name.endsWith('.csv')).toBe(true);
    expect(Buffer.byteLength(e3.name)).toBeLessThanOrEqual(200);
    const e4 = await store.save({ turn: 1, source: long, data: Buffer.from('y') });
    expect(e4.name).toMatch(/-1\.csv$/);
    expect(e1.source).toBe('evil\x1b]0;pwn\x07\n.png'); // the manifest keeps what the sandbox said
  });

  it('never lets a sandbox file take the manifest name', async () => {
    const store = new OutputStore(out, { session: 's' });
    const e = await store.save({ turn: 1, source: 'manifest.jsonl', data: Buffer.from('{"forged":true}\n') });
    expect(e.name).toBe('manifest-1.jsonl');
    expect(await readManifest(out)).toEqual([e]);
  });

  it('sniffs the type of files without a known extension', async () => {
    const store = new OutputStore(out, { session: 's' });
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), Buffer.from('xl/workbook.xml')]);
    expect((await store.save({ turn: 1, source: 'figure', data: PNG })).mime).toBe('image/png');
    expect((await store.save({ turn: 1, source: 'book', data: zip })).mime).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect((await store.save({ turn: 1, source: 'doc', data: Buffer.from('%PDF-1.7\n') })).mime).toBe('application/pdf');
    expect((await store.save({ turn: 1, source: 'blob', data: Buffer.from([0, 1, 2]) })).mime).toBe('application/octet-stream');
    expect((await store.save({ turn: 1, source: 'rows.jsonl', data: Buffer.from('{}\n') })).mime).toBe('application/jsonl');
  });

  it('enforces the file count and byte limits', async () => {
    const store = new OutputStore(out, { session: 's', maxFiles: 2, maxBytes: 10 });
    await store.save({ turn: 1, source: 'a.txt', data: Buffer.from('1234') });
    await expectStoreError(store.save({ turn: 1, source: 'b.txt', data: Buffer.from('1234567') }), 'ELIMIT');
    await store.save({ turn: 1, source: 'c.txt', data: Buffer.from('123') });
    await expectStoreError(store.save({ turn: 1, source: 'd.txt', data: Buffer.from('1') }), 'ELIMIT');
    expect(store.list().map((e) => e.name)).toEqual(['a.txt', 'c.txt']);
  });

  it('reports EACCES with a fix (injected: tests run as root, where permission bits do not stop writes)', async () => {
    const denied = Object.assign(new Error('EACCES: permission denied, mkdir'), { code: 'EACCES' });
    const store = new OutputStore(out, { session: 's', fs: { mkdir: async () => Promise.reject(denied) } });
    const err = await expectStoreError(store.save({ turn: 1, source: 'a.txt', data: Buffer.from('x') }), 'EACCES');
    expect(err.message).toContain('permission denied');
    expect(err.fix).toContain('--out-dir');
  });

  it('says so when the output folder is a file', async () => {
    await fsp.writeFile(out, 'not a folder');
    const err = await expectStoreError(new OutputStore(out, { session: 's' }).save({ turn: 1, source: 'a.txt', data: Buffer.from('x') }), 'ENOTDIR');
    expect(err.message).toContain('is not a folder');
    expect(err.fix).toContain('--out-dir');
  });

  it('removes the temp file when the final step fails', async () => {
    const broken = Object.assign(new Error('EIO: i/o error, link'), { code: 'EIO' });
    const store = new OutputStore(out, { session: 's', fs: { link: async () => Promise.reject(broken) } });
    await expectStoreError(store.save({ turn: 1, source: 'a.txt', data: Buffer.from('x') }), 'EIO');
    expect(tree(out)).toEqual([]);
  });

  it('falls back to reserve-and-rename where hard links are not supported', async () => {
    const unsupported = Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    mkdirSync(out);
    await fsp.writeFile(join(out, 'a.txt'), 'existing');
    const store = new OutputStore(out, { session: 's', fs: { link: async () => Promise.reject(unsupported) } });
    const e = await store.save({ turn: 1, source: 'a.txt', data: Buffer.from('new') });
    expect(e.name).toBe('a-1.txt');
    expect(await fsp.readFile(join(out, 'a.txt'), 'utf8')).toBe('existing');
    expect(await fsp.readFile(e.path, 'utf8')).toBe('new');
    expect(tree(out)).toEqual(['a-1.txt', 'a.txt', MANIFEST_NAME]);
  });
});

describe('readManifest', () => {
  it('skips a torn last line', async () => {
    const store = new OutputStore(out, { session: 's' });
    const e = await store.save({ turn: 1, source: 'a.txt', data: Buffer.from('x') });
    await fsp.appendFile(join(out, MANIFEST_NAME), '{"id":"f_torn","ses');
    expect(await readManifest(out)).toEqual([e]);
  });
  it('returns nothing for a folder without a manifest', async () => {
    expect(await readManifest(join(root, 'none'))).toEqual([]);
  });
});

// A tiny real tmpfs shows what a full or read-only disk does. Mounting needs root with CAP_SYS_ADMIN.
const mountPoint = mkdtempSync(join(tmpdir(), 'codecell-tmpfs-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { stdio: 'ignore' });
  mounted = true;
} catch {
  console.warn('\n*** SKIPPING full-disk and read-only-disk tests: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN) ***\n');
}
afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!mounted)('on a real tiny tmpfs', () => {
  it('a full disk fails with ENOSPC, a fix, and no partial file; later small files still save', async () => {
    const dir = join(mountPoint, 'full');
    const store = new OutputStore(dir, { session: 's' });
    await store.save({ turn: 1, source: 'small.txt', data: Buffer.from('ok') });
    const err = await expectStoreError(store.save({ turn: 1, source: 'big.bin', data: Buffer.alloc(256 * 1024, 7) }), 'ENOSPC');
    expect(err.message).toContain('no space left');
    expect(err.fix).toMatch(/disk is full.*--out-dir/);
    expect(tree(dir)).toEqual([MANIFEST_NAME, 'small.txt']);
    await store.save({ turn: 1, source: 'small2.txt', data: Buffer.from('ok') });
    expect(store.list().map((e) => e.name)).toEqual(['small.txt', 'small2.txt']);
    rmSync(dir, { recursive: true });
  });

  it('a read-only file system fails with EROFS and a fix', async () => {
    const dir = join(mountPoint, 'ro');
    mkdirSync(dir);
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    try {
      const store = new OutputStore(dir, { session: 's' });
      const err = await expectStoreError(store.save({ turn: 1, source: 'a.txt', data: Buffer.from('x') }), 'EROFS');
      expect(err.message).toContain('read-only');
      expect(err.fix).toContain('--out-dir');
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
    }
  });
});

describe('OutputStore.stop', () => {
  it('finishes the save in progress with its manifest row and refuses the waiting ones', async () => {
    const store = new OutputStore(out, { session: 's1' });
    const first = store.save({ turn: 1, source: 'a.bin', data: Buffer.alloc(4 * 1024 * 1024, 1) });
    const second = store.save({ turn: 1, source: 'b.bin', data: Buffer.from('b') });
    await new Promise((resolve) => setImmediate(resolve)); // the first save has started, the second waits
    await store.stop();
    expect((await first).name).toBe('a.bin');
    await expectStoreError(second, 'ECANCELED');
    expect(tree(out)).toEqual(['a.bin', MANIFEST_NAME]);
    expect((await readManifest(out)).map((r) => r.name)).toEqual(['a.bin']);
  });
});
