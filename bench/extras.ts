// Extra-package benchmark: a derived image's cold build, a rebuild with a changed wheel, the no-op check, and sandbox start on base vs derived.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectEngine } from '../src/sandbox/engine.js';
import { ensureImage, findImage } from '../src/sandbox/image.js';
import { ensureDerivedImage } from '../src/sandbox/derived.js';
import { normalizeExtras } from '../src/sandbox/extras.js';
import { DockerSandbox } from '../src/sandbox/docker-sandbox.js';
import { buildWheel } from '../test/support/wheel.js';
import { fmtMs, percentile, printTable, time } from './stats.js';

const N_NOOP = Number(process.env.BENCH_NOOP ?? 20);
const N_READY = Number(process.env.BENCH_READY ?? 5);

const { docker } = await connectEngine();
const base = await ensureImage(docker);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-bench-extras-'));
const made: string[] = [];
try {
  const wheelA = buildWheel(dir, { name: 'benchcell', version: '0.1', source: `TOKEN = "${randomUUID()}"\n` });
  const extrasA = normalizeExtras({ apt: ['python3-networkx'], pip: [wheelA] }, dir);
  // Cold: no layer cache at all (apt-get update and install, pip).
  const [cold, a] = await time(() => ensureDerivedImage(docker, base, extrasA, { force: true }));
  made.push(a.ref);
  // A rebuilt wheel: the apt layer comes from the cache, pip runs again.
  const wheelB = buildWheel(dir, { name: 'benchcell', version: '0.2', source: `TOKEN = "${randomUUID()}"\n` });
  const extrasB = normalizeExtras({ apt: ['python3-networkx'], pip: [wheelB] }, dir);
  const [warm, b] = await time(() => ensureDerivedImage(docker, base, extrasB));
  made.push(b.ref);
  const noop: number[] = [];
  for (let i = 0; i < N_NOOP; i++) {
    const [ms, again] = await time(() => ensureDerivedImage(docker, base, extrasB));
    if (again.built) throw new Error('the second build did build work');
    noop.push(ms);
  }
  printTable('Derived image builds (python3-networkx + a wheel)', [
    { case: 'cold build (no layer cache)', time: fmtMs(cold) },
    { case: 'changed wheel (apt layer cached)', time: fmtMs(warm) },
    { case: `no-op, median of ${N_NOOP}`, time: fmtMs(percentile(noop, 50)) },
    { case: `no-op, p90`, time: fmtMs(percentile(noop, 90)) },
  ]);

  // Sandbox start to kernel ready, alternating images so load on the machine hits both alike.
  const ready: Record<string, number[]> = { base: [], derived: [] };
  for (let i = 0; i < N_READY; i++) {
    for (const [name, image] of [
      ['base', base.ref],
      ['derived', b.ref],
    ] as const) {
      const sandbox = new DockerSandbox(docker, { image });
      const [ms] = await time(() => sandbox.start());
      ready[name]!.push(ms);
      await sandbox.close();
    }
  }
  const size = async (ref: string): Promise<string> => `${(((await findImage(docker, ref))?.size ?? 0) / 1e6).toFixed(0)} MB`;
  printTable(`Sandbox start to ready (median of ${N_READY}, alternated)`, [
    { image: `base ${base.ref}`, ready: fmtMs(percentile(ready.base!, 50)), size: await size(base.ref) },
    { image: `derived ${b.ref}`, ready: fmtMs(percentile(ready.derived!, 50)), size: await size(b.ref) },
  ]);
} finally {
  for (const ref of made)
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
}
