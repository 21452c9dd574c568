import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestDir } from './build-context.js';
import { cacheDir, imagePackages, rootfsHash } from './rootfs.js';

describe('imagePackages', () => {
  it("reads the Dockerfile's apt-get install list", () => {
    const packages = imagePackages(fs.readFileSync(path.join(guestDir(), 'Dockerfile'), 'utf8'));
    expect(packages).toContain('python3');
    expect(packages).toContain('python3-matplotlib');
    expect(packages).toContain('procps');
    expect(packages.some((p) => p.startsWith('-') || p.includes('&'))).toBe(false);
  });

  it('refuses a Dockerfile without one', () => {
    expect(() => imagePackages('FROM x\nRUN true\n')).toThrow(/package list/);
  });
});

describe('rootfsHash', () => {
  it('changes with the package list and the build script, not with kernel.py', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-rootfs-'));
    for (const name of ['Dockerfile', 'build-rootfs.sh', 'kernel.py']) fs.copyFileSync(path.join(guestDir(), name), path.join(dir, name));
    const first = rootfsHash(dir);
    fs.appendFileSync(path.join(dir, 'kernel.py'), '\n# changed\n');
    expect(rootfsHash(dir)).toBe(first);
    fs.writeFileSync(
      path.join(dir, 'Dockerfile'),
      fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8').replace('fonts-dejavu-core procps', 'fonts-dejavu-core procps less'),
    );
    expect(rootfsHash(dir)).not.toBe(first);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('cacheDir', () => {
  it('honours CODECELL_CACHE_DIR, uses /var/cache for root and XDG_CACHE_HOME otherwise', () => {
    expect(cacheDir({ CODECELL_CACHE_DIR: '/x/y' }, 1000)).toBe('/x/y');
    expect(cacheDir({}, 0)).toBe('/var/cache/codecell');
    expect(cacheDir({ XDG_CACHE_HOME: '/home/u/.c' }, 1000)).toBe('/home/u/.c/codecell');
  });
});

describe('pruneRootfs', () => {
  it('removes stale root filesystems and dead builds, keeps the current one unless all', async () => {
    const { pruneRootfs, rootfsPath } = await import('./rootfs.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-cache-'));
    const env = { CODECELL_CACHE_DIR: dir };
    const current = path.basename(rootfsPath(env));
    for (const name of [current, 'rootfs-000000000000', `rootfs-000000000000.partial-${process.pid}`, 'rootfs-111111111111.partial-999999999', 'notes.txt']) {
      fs.mkdirSync(path.join(dir, name));
    }
    expect(pruneRootfs({ env }).sort()).toEqual(['rootfs-000000000000', 'rootfs-111111111111.partial-999999999']);
    expect(fs.readdirSync(dir).sort()).toEqual([current, `rootfs-000000000000.partial-${process.pid}`, 'notes.txt'].sort());
    expect(pruneRootfs({ env, all: true })).toEqual([current]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
