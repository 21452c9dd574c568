// Batch's image step with extra packages on two engines: the derived image is built once and copied to the second engine like the base.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { startSecondEngine, type SecondEngine } from '../support/second-engine.js';
import { buildWheel } from '../support/wheel.js';
import { TEST_LIMITS } from '../sandbox/sandbox-image.js';
import { ensureImageEverywhere } from '../../src/batch/images.js';
import { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import { normalizeExtras } from '../../src/sandbox/extras.js';
import { findImage } from '../../src/sandbox/image.js';

const docker = await engineOrSkip();
let second: SecondEngine | undefined;
if (docker) {
  const started = await startSecondEngine();
  if (typeof started === 'string') console.warn(`\n!!! SKIPPING the two-engine extra-package test: cannot start a second dockerd (${started})\n`);
  else second = started;
}

describe.skipIf(!second)('derived images on two engines', () => {
  const token = randomUUID().slice(0, 8);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-extras-engines-'));
  let ref = '';

  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (ref)
      await docker!
        .getImage(ref)
        .remove({ force: true })
        .catch(() => undefined);
    await second?.stop();
  });

  it('builds the derived image on the first engine, copies it to the second, and a cell there imports its packages', async () => {
    const wheel = buildWheel(dir, { name: 'tinycell_engines', source: `TOKEN = ${JSON.stringify(token)}\n` });
    const extras = normalizeExtras({ apt: ['python3-networkx'], pip: [wheel] }, dir);
    const notes: string[] = [];
    const result = await ensureImageEverywhere(
      [
        { url: 'unix:///var/run/docker.sock', docker: docker! },
        { url: second!.url, docker: second!.docker },
      ],
      { extras, onNote: (t) => notes.push(t) },
    );
    ref = result.ref;
    expect(ref).toMatch(/^codecell-sandbox-extra:/);
    expect(result.packages).toEqual({ apt: ['python3-networkx'], pip: [path.basename(wheel)] });
    expect(result.report.map((r) => [r.how, r.error])).toEqual([
      ['built', undefined],
      ['copied', undefined],
    ]);
    expect(notes.some((n) => n.startsWith(`copying ${ref} from`))).toBe(true);
    expect(await findImage(second!.docker, ref)).not.toBeNull();

    const sandbox = new DockerSandbox(second!.docker, { image: ref, limits: TEST_LIMITS });
    try {
      await sandbox.start();
      let out = '';
      const run = await sandbox.run('import networkx, tinycell_engines as t\nprint(t.TOKEN)', {
        onEvent: (e) => void (e.type === 'stdout' ? (out += e.text) : undefined),
      });
      expect(run.status).toBe('ok');
      expect(out.trim()).toBe(token);
    } finally {
      await sandbox.close();
    }
  }, 900_000);
});
