// codecell's containers as status and prune see them, against a real engine: owner, orphan, what prune removes.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../../test/support/engine.js';
import { connectEngine } from './engine.js';
import { ensureImage } from './image.js';
import { LABEL_PID, ownerLabels } from './labels.js';
import { pruneSandboxes } from './prune.js';
import { formatStatus, listSandboxContainers, sandboxStatus } from './status.js';

const docker = await engineOrSkip();

describe.skipIf(!docker)('sandbox status and prune (real engine)', () => {
  const engine = docker as Docker;
  // Every container here carries this label, so prune never touches other tests' containers.
  const runLabel = `dev.codecell.test-run=${randomUUID()}`;
  const [runKey, runValue] = runLabel.split('=') as [string, string];
  const created: string[] = [];
  let live = '';
  let orphan = '';
  let deadPid = 0;

  beforeAll(async () => {
    const { ref } = await ensureImage(engine, { env: {} });
    // A pid that certainly existed and is now gone: a child that already exited.
    deadPid = spawnSync('true').pid ?? 0;
    const make = async (labels: Record<string, string>): Promise<string> => {
      const container = await engine.createContainer({ Image: ref, Cmd: ['sleep', '60'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
      created.push(container.id);
      return container.id.slice(0, 12);
    };
    live = await make(ownerLabels({ [runKey]: runValue }));
    orphan = await make({ ...ownerLabels({ [runKey]: runValue }), [LABEL_PID]: String(deadPid) });
  }, 600_000);

  afterAll(async () => {
    for (const id of created)
      await engine
        .getContainer(id)
        .remove({ force: true })
        .catch(() => undefined);
  });

  it('lists them with their owner and tells an orphan from a live one', async () => {
    const list = await listSandboxContainers(engine, { label: runLabel });
    const mine = list.find((c) => c.id === live);
    const lost = list.find((c) => c.id === orphan);
    expect(mine).toMatchObject({ ownerPid: process.pid, orphan: false, state: 'created' });
    expect(mine?.ageMs).toBeLessThan(10 * 60_000);
    expect(lost).toMatchObject({ ownerPid: deadPid, orphan: true });
  });

  it('shows them in the status text', async () => {
    const { info } = await connectEngine();
    const text = formatStatus(await sandboxStatus(engine, info, {})).join('\n');
    expect(text).toContain(`${live}  created`);
    expect(text).toMatch(new RegExp(`${orphan} .*pid ${deadPid}  ORPHAN`));
  });

  it('prune removes orphans but keeps containers a live codecell owns, unless --all', async () => {
    const first = await pruneSandboxes(engine, { label: runLabel });
    expect(first.failures).toEqual([]);
    expect(first.keptContainers.map((c) => c.id)).toEqual([live]);
    expect((await listSandboxContainers(engine, { label: runLabel })).map((c) => c.id)).toEqual([live]);

    const second = await pruneSandboxes(engine, { label: runLabel, all: true });
    expect(second.removedContainers).toEqual([live]);
    expect(await listSandboxContainers(engine, { label: runLabel })).toEqual([]);
  });
});
