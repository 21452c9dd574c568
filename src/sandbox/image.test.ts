// The sandbox image against a real engine: it builds, runs the stack as uid 1000 on a read-only root, and fails loudly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../../test/support/engine.js';
import { connectEngine } from './engine.js';
import { buildImageFromDir, ensureImage, findImage, kernelHash, type BuildProgress } from './image.js';
import { ownerLabels } from './labels.js';
import { formatStatus, sandboxStatus } from './status.js';
import { SandboxError } from './types.js';

const docker = await engineOrSkip();

/** Runs `code` in a hardened, throwaway container and returns what it printed. */
async function runPython(engine: Docker, image: string, code: string): Promise<string> {
  const container = await engine.createContainer({
    Image: image,
    Cmd: ['python3', '-c', code],
    Tty: true,
    Labels: ownerLabels({ 'dev.codecell.test': 'image' }),
    HostConfig: {
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,size=64m', '/mnt/data': 'rw,size=64m,uid=1000,gid=1000' },
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
    },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
    if (StatusCode !== 0) throw new Error(`python exited ${StatusCode}: ${logs}`);
    return logs;
  } finally {
    await container.remove({ force: true });
  }
}

describe.skipIf(!docker)('sandbox image (real engine)', () => {
  const engine = docker as Docker;
  let ref = '';
  const tmpDirs: string[] = [];

  beforeAll(async () => {
    // Builds it when missing (40-60 s with host networking), otherwise finds it.
    ({ ref } = await ensureImage(engine, { env: {} }));
  }, 600_000);

  afterAll(() => {
    for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs Python 3 and the analysis stack as uid 1000 with a read-only root filesystem', async () => {
    const code = [
      'import importlib, json, os, sys',
      "mods = ['pandas', 'numpy', 'matplotlib', 'sklearn', 'docx', 'reportlab', 'scipy', 'seaborn', 'statsmodels', 'openpyxl', 'PIL', 'sympy', 'tabulate', 'xlsxwriter']",
      'for m in mods: importlib.import_module(m)',
      "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt",
      "plt.plot([1, 3, 2]); plt.savefig('/mnt/data/x.png')",
      'try:',
      "    open('/opt/codecell/evil', 'w'); ro = False",
      'except OSError:',
      '    ro = True',
      "cache = [f for f in os.listdir(os.environ['CODECELL_MPL_CACHE']) if f.startswith('fontlist-')]",
      "print('REPORT', json.dumps({'uid': os.getuid(), 'gid': os.getgid(), 'py': list(sys.version_info[:2]), 'ro': ro, 'cwd': os.getcwd(),",
      "  'home': os.environ['HOME'], 'png': os.path.getsize('/mnt/data/x.png'), 'mods': len(mods), 'cache': cache,",
      "  'kernel': os.path.exists('/opt/codecell/kernel.py')}))",
    ].join('\n');
    const out = await runPython(engine, ref, code);
    // A marker, not bare JSON: docker-modem parses a log body that is valid JSON into an object.
    const line = out.split(/\r?\n/).find((l) => l.startsWith('REPORT ')) ?? 'REPORT {}';
    const report = JSON.parse(line.slice('REPORT '.length)) as Record<string, unknown>;
    expect(report.uid).toBe(1000);
    expect(report.gid).toBe(1000);
    expect((report.py as number[])[0]).toBe(3);
    expect(report.ro).toBe(true);
    expect(report.cwd).toBe('/mnt/data');
    expect(report.home).toBe('/tmp');
    expect(report.png as number).toBeGreaterThan(1000);
    expect(report.cache).toHaveLength(1);
    expect(report.kernel).toBe(true);
  });

  it('labels the image with the hash of its build context', async () => {
    const found = await findImage(engine, ref);
    expect(found?.kernel).toBe(kernelHash());
    expect(ref).toBe(`codecell-sandbox:${kernelHash()}`);
    expect(await findImage(engine, 'codecell-sandbox:latest')).not.toBeNull();
  });

  it('does nothing the second time: no base choice, no build steps', async () => {
    const events: BuildProgress[] = [];
    const again = await ensureImage(engine, { env: {}, onProgress: (p) => events.push(p) });
    expect(again.built).toBe(false);
    expect(again.ref).toBe(ref);
    expect(events.map((e) => e.type)).toEqual(['done']);
  });

  it('uses CODECELL_IMAGE as is, and says so when it is missing', async () => {
    expect((await ensureImage(engine, { env: { CODECELL_IMAGE: ref } })).ref).toBe(ref);
    await expect(ensureImage(engine, { env: { CODECELL_IMAGE: 'codecell-no-such-image:0' } })).rejects.toMatchObject({
      code: 'no_image',
      message: expect.stringContaining('codecell-no-such-image:0'),
    });
  });

  it("rejects a failing build with the engine's own error text", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-failbuild-'));
    tmpDirs.push(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${ref}\nRUN echo about to fail && exit 3\n`);
    const events: BuildProgress[] = [];
    const tag = `codecell-failbuild:${process.pid}`;
    const error = await buildImageFromDir(engine, dir, { tag, onProgress: (p) => events.push(p) }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).code).toBe('build_failed');
    // Docker 20.10's classic builder: "The command '/bin/sh -c ...' returned a non-zero code: 3".
    expect((error as SandboxError).message).toMatch(/non-zero code: 3/);
    expect((error as SandboxError).message).toContain('Step 2/2');
    expect(events.some((e) => e.type === 'output' && e.text === 'about to fail')).toBe(true);
    expect(await findImage(engine, tag)).toBeNull();
  });

  it('rejects a Dockerfile the engine cannot parse', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-badfile-'));
    tmpDirs.push(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${ref}\nNOTANINSTRUCTION x\n`);
    await expect(buildImageFromDir(engine, dir, { tag: `codecell-badfile:${process.pid}` })).rejects.toMatchObject({
      code: 'build_failed',
      message: expect.stringMatching(/unknown instruction/i),
    });
  });

  it('status reports the engine and the image', async () => {
    const { info } = await connectEngine();
    const status = await sandboxStatus(engine, info, {});
    expect(status.image.ref).toBe(ref);
    expect(status.image.present?.size).toBeGreaterThan(100e6);
    expect(status.images.some((i) => i.ref === ref)).toBe(true);
    const text = formatStatus(status).join('\n');
    expect(text).toContain(ref);
    expect(text).toContain(info.version);
  });
});
