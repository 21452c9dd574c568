// Derived images against a real engine: Debian's python3-networkx and a wheel built here, a no-op rebuild, and each package error.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../../test/support/engine.js';
import { buildWheel } from '../../test/support/wheel.js';
import { TEST_LIMITS } from '../../test/sandbox/sandbox-image.js';
import { DockerSandbox } from './docker-sandbox.js';
import { connectEngine } from './engine.js';
import { derivedRef, ensureDerivedImage, packagesOf, resolveSandboxImage, type SandboxImage } from './derived.js';
import { normalizeExtras, type ExtraPackages } from './extras.js';
import { ensureImage, findImage, type BuildProgress, type EnsuredImage } from './image.js';
import { staleImages } from './prune.js';
import { formatStatus, sandboxStatus } from './status.js';
import { SandboxError } from './types.js';

const docker = await engineOrSkip();

describe.skipIf(!docker)('derived sandbox images (real engine)', () => {
  const engine = docker as Docker;
  // A token in the wheel makes this run's image its own (its tag hashes the wheel), so cleanup removes only ours.
  const token = randomUUID().slice(0, 8);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-derived-'));
  const made = new Set<string>();
  let base: EnsuredImage;
  let extras: ExtraPackages;
  let first: SandboxImage;
  const firstEvents: BuildProgress[] = [];

  /** The error a build of `more` (on the same base) rejects with, after checking it tagged nothing. */
  async function failure(more: Partial<ExtraPackages>): Promise<SandboxError> {
    const wanted = normalizeExtras({ apt: ['python3-networkx', ...(more.apt ?? [])], pip: more.pip ?? [] }, dir);
    const ref = derivedRef(base.id, wanted);
    made.add(ref);
    const err = await ensureDerivedImage(engine, base, wanted).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SandboxError);
    expect((err as SandboxError).code).toBe('build_failed');
    expect(await findImage(engine, ref), 'a failed build tags nothing').toBeNull();
    // The image that worked is still there and still chosen for its lists.
    expect(await findImage(engine, first.ref)).not.toBeNull();
    return err as SandboxError;
  }

  beforeAll(async () => {
    base = await ensureImage(engine, { env: {} });
    const wheel = buildWheel(dir, { name: 'tinycell_derived', source: `ANSWER = 42\nTOKEN = ${JSON.stringify(token)}\n` });
    extras = normalizeExtras({ apt: ['python3-networkx'], pip: [wheel] }, dir);
    made.add(derivedRef(base.id, extras));
    first = await ensureDerivedImage(engine, base, extras, { onProgress: (p) => firstEvents.push(p) });
  }, 900_000);

  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const ref of made)
      await engine
        .getImage(ref)
        .remove({ force: true })
        .catch(() => undefined);
  });

  it('builds FROM the sandbox image with apt and pip steps, and records what it adds', async () => {
    expect(first.built).toBe(true);
    expect(
      firstEvents.some((e) => e.type === 'phase' && e.text.includes(`from ${base.ref} with apt: python3-networkx; pip: tinycell_derived-0.1-py3-none-any.whl`)),
    ).toBe(true);
    expect(firstEvents.some((e) => e.type === 'step' && e.text.includes('apt-get install'))).toBe(true);
    expect(firstEvents.some((e) => e.type === 'step' && e.text.includes('pip install') && e.text.includes('--no-index'))).toBe(true);
    const labels = (await engine.getImage(first.ref).inspect()).Config.Labels;
    expect(packagesOf(labels)).toEqual({ apt: ['python3-networkx'], pip: ['tinycell_derived-0.1-py3-none-any.whl'] });
    expect(labels['dev.codecell.base-id']).toBe(base.id);
    expect(labels['dev.codecell.image']).toBe('derived');
  });

  it('runs a cell importing both in the hardened sandbox, as uid 1000', async () => {
    const sandbox = new DockerSandbox(engine, { image: first.ref, limits: TEST_LIMITS, labels: { 'dev.codecell.test': `derived-${token}` } });
    try {
      await sandbox.start();
      let out = '';
      const result = await sandbox.run(
        'import os, networkx as nx, tinycell_derived as t\nprint(nx.shortest_path_length(nx.path_graph(5), 0, 4), t.ANSWER, t.TOKEN, os.getuid())',
        {
          onEvent: (e) => void (e.type === 'stdout' ? (out += e.text) : undefined),
        },
      );
      expect(result.status).toBe('ok');
      expect(out.trim()).toBe(`4 42 ${token} 1000`);
    } finally {
      await sandbox.close();
    }
  });

  it('does no build work the second time: one inspect, a single done event', async () => {
    const events: BuildProgress[] = [];
    const t0 = performance.now();
    const again = await ensureDerivedImage(engine, base, extras, { onProgress: (p) => events.push(p) });
    const ms = performance.now() - t0;
    expect(again).toMatchObject({ ref: first.ref, built: false });
    expect(events.map((e) => e.type)).toEqual(['done']);
    // The whole resolution (base check, labels, derived lookup) is also build-free.
    const resolved = await resolveSandboxImage(engine, { extras, env: {} });
    expect(resolved).toMatchObject({ ref: first.ref, built: false, base: base.ref });
    console.log(`second ensureDerivedImage: ${ms.toFixed(0)} ms`);
  });

  it('uses a derived image that already has the packages as it is (no image built on top)', async () => {
    const resolved = await resolveSandboxImage(engine, { image: first.ref, extras, env: {} });
    expect(resolved.ref).toBe(first.ref);
    expect(resolved.packages?.apt).toEqual(['python3-networkx']);
  });

  it('status shows the extra packages and their image; prune keeps it and the base', async () => {
    const { info } = await connectEngine();
    const status = await sandboxStatus(engine, info, { CODECELL_IMAGE: base.ref }, extras);
    expect(status.extras?.ref).toBe(first.ref);
    expect(status.extras?.present?.id).toBe(first.id);
    const text = formatStatus(status).join('\n');
    expect(text).toContain('packages    apt: python3-networkx; pip: tinycell_derived-0.1-py3-none-any.whl');
    expect(text).toContain(`image ${first.ref}`);
    const images = [{ ref: base.ref }, { ref: first.ref }, { ref: 'codecell-sandbox-extra:0ld0ld0ld0ld' }, { ref: 'codecell-sandbox:0ld' }];
    expect(staleImages(images, [base.ref, first.ref]).map((i) => i.ref)).toEqual(['codecell-sandbox-extra:0ld0ld0ld0ld', 'codecell-sandbox:0ld']);
    expect(staleImages(images, [base.ref, first.ref], true)).toHaveLength(4);
  });

  it("installs a project folder with Debian's setuptools and no index", async () => {
    const proj = path.join(dir, 'tinyproj');
    fs.mkdirSync(path.join(proj, 'tinyproj'), { recursive: true });
    fs.writeFileSync(
      path.join(proj, 'pyproject.toml'),
      '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "tinyproj"\nversion = "0.1"\n',
    );
    fs.writeFileSync(path.join(proj, 'tinyproj', '__init__.py'), `TOKEN = ${JSON.stringify(token)}\n`);
    const folder = normalizeExtras({ apt: [], pip: [proj] }, dir);
    const image = await ensureDerivedImage(engine, base, folder);
    made.add(image.ref);
    expect(image.packages).toEqual({ apt: [], pip: ['tinyproj/'] });
    const sandbox = new DockerSandbox(engine, { image: image.ref, limits: TEST_LIMITS, labels: { 'dev.codecell.test': `derived-${token}` } });
    try {
      await sandbox.start();
      let out = '';
      const result = await sandbox.run('import tinyproj\nprint(tinyproj.TOKEN)', { onEvent: (e) => void (e.type === 'stdout' ? (out += e.text) : undefined) });
      expect(result.status).toBe('ok');
      expect(out.trim()).toBe(token);
    } finally {
      await sandbox.close();
    }
  }, 600_000);

  it("names an unknown Debian package with apt's own line", async () => {
    const err = await failure({ apt: ['python3-no-such-package-xyz'] });
    expect(err.message).toMatch(/apt does not know python3-no-such-package-xyz: E: Unable to locate package python3-no-such-package-xyz/);
    expect(err.fix).toMatch(/apt-cache search/);
  }, 300_000);

  it('says at once that no Python index is reachable (this machine has none)', async () => {
    const t0 = Date.now();
    const err = await failure({ pip: [`codecell-no-such-dist-${token}`] });
    expect(err.message).toMatch(/^no Python package index is reachable from the build/);
    expect(err.message).toMatch(/No matching distribution found for codecell-no-such-dist/);
    expect(err.fix).toMatch(/need an index at build time/);
    console.log(`no-index failure after ${Date.now() - t0} ms`);
  }, 300_000);

  it("refuses a wheel built for another Python with pip's message and the Python to build for", async () => {
    const wrong = buildWheel(dir, { name: 'tinycell_old', source: 'X = 1\n', tag: 'cp27-cp27mu-linux_x86_64' });
    const err = await failure({ pip: [wrong] });
    expect(err.message).toBe('pip refused a wheel: tinycell_old-0.1-cp27-cp27mu-linux_x86_64.whl is not a supported wheel on this platform.');
    expect(err.fix).toMatch(/Python 3\.13/);
  }, 300_000);

  it('names a dependency a local wheel needs but nobody brought', async () => {
    const needy = buildWheel(dir, { name: 'tinycell_needy', source: 'X = 1\n', requires: [`codecell-missing-dep-${token}`] });
    const err = await failure({ pip: [needy] });
    expect(err.message).toContain(`pip found no package for codecell-missing-dep-${token}`);
    expect(err.fix).toMatch(/--no-index/);
  }, 300_000);
});
