// End to end: the chat's first use with the sandbox image missing shows the build in the screen and takes a prompt meanwhile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.js';
import { Terminal, tmuxOrSkip } from '../support/tmux.js';
import { exitWithCtrlD } from '../support/chat.js';
import { ROOT } from '../support/cli.js';
import { sandboxImage } from '../sandbox/sandbox-image.js';
import { contextHash, readContext } from '../../src/sandbox/build-context.js';
import { IMAGE_REPO } from '../../src/sandbox/image.js';
import { LABEL_APP, LABEL_PID } from '../../src/sandbox/labels.js';

const docker = await engineOrSkip();
const tmux = tmuxOrSkip();

/**
 * A copy of the built CLI whose guest/Dockerfile gains one slow step at the end: its image tag is
 * new (so the chat must build it), every earlier layer comes from the cache of the real image, and
 * the shared image is never touched.
 */
function cliWithNewImage(dir: string): { bin: string; ref: string } {
  for (const name of ['bin', 'dist', 'guest', 'package.json']) fs.cpSync(path.join(ROOT, name), path.join(dir, name), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.appendFileSync(path.join(dir, 'guest', 'Dockerfile'), `\n# first-build test ${process.pid}-${Date.now()}\nRUN sleep 4\n`);
  return { bin: path.join(dir, 'bin', 'codecell.js'), ref: `${IMAGE_REPO}:${contextHash(readContext(path.join(dir, 'guest')))}` };
}

describe.skipIf(!docker || !tmux)('first use with the image missing (real build, real binary in tmux)', () => {
  let server: FakeOpenAI;
  let dir: string;
  let t: Terminal | undefined;
  let ref = '';
  /** What codecell-sandbox:latest named before: every build moves that tag, so the test puts it back. */
  let latestBefore: string | undefined;
  const pids = new Set<string>();

  beforeAll(async () => {
    await sandboxImage(docker!); // the real image, whose layers the test build reuses
    server = await startFakeOpenAI({ script: (req) => [{ text: `answered: ${String(req.messages.at(-1)?.content)}` }] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-firstbuild-'));
    latestBefore = await docker!
      .getImage(`${IMAGE_REPO}:latest`)
      .inspect()
      .then(
        (i) => i.Id,
        () => undefined,
      );
  });
  afterAll(async () => {
    for (const pid of t?.programPids() ?? []) pids.add(String(pid));
    t?.close();
    await server?.close();
    const left = (await docker!.listContainers({ all: true, filters: { label: [`${LABEL_APP}=codecell`] } })).filter((c) =>
      pids.has(c.Labels[LABEL_PID] ?? ''),
    );
    for (const c of left)
      await docker!
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    // Only the image this test created (its layers below stay shared with the real one), and `latest` put back.
    if (ref) {
      const ours = await docker!
        .getImage(ref)
        .inspect()
        .then(
          (i) => i.Id,
          () => undefined,
        );
      const latest = await docker!
        .getImage(`${IMAGE_REPO}:latest`)
        .inspect()
        .then(
          (i) => i.Id,
          () => undefined,
        );
      if (ours && latest === ours && latestBefore)
        await docker!
          .getImage(latestBefore)
          .tag({ repo: IMAGE_REPO, tag: 'latest' })
          .catch(() => undefined);
      await docker!
        .getImage(ref)
        .remove()
        .catch(() => undefined);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    expect(left.map((c) => c.Id)).toEqual([]);
  });

  it('shows steps, a bar and the elapsed time in the Ink screen, takes the first prompt meanwhile, then answers it', async () => {
    const cli = cliWithNewImage(path.join(dir, 'cli'));
    ref = cli.ref;
    expect(
      await docker!
        .getImage(ref)
        .inspect()
        .then(
          () => true,
          () => false,
        ),
      'the test image must not exist yet',
    ).toBe(false);
    t = Terminal.start(`node ${cli.bin} --model fake-model --out-dir ${dir}/out`, {
      columns: 110,
      rows: 30,
      env: {
        CODECELL_CONFIG_DIR: `${dir}/config`,
        CODECELL_HOME: `${dir}/data`,
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: server.url,
        CODECELL_IMAGE: undefined,
        NO_COLOR: '1',
      },
    });
    await t.waitFor('building the sandbox image', 60_000);
    // The prompt works while the image builds.
    t.submit('what is 6 times 7');
    await t.waitFor(/step \d+\/\d+ · \d+s/, 60_000, 'a step count and the elapsed time');
    const during = t.screen();
    expect(during).toMatch(/[█░]{24} step \d+\/\d+ · \d+s/);
    expect(during).toContain('first use: type your first prompt meanwhile');
    expect(during).toContain('what is 6 times 7');
    expect(during).toMatch(/codecell · fake-model · sandbox starting/);
    // Then the build ends, the sandbox starts and the prompt typed during the build is answered.
    await t.waitFor(`sandbox image ${ref} built in`, 120_000);
    await t.waitFor('answered: what is 6 times 7', 60_000);
    expect(t.screen()).not.toContain('building the sandbox image');
    expect(
      await docker!
        .getImage(ref)
        .inspect()
        .then(
          () => true,
          () => false,
        ),
    ).toBe(true);
    // Leave cleanly.
    expect(await exitWithCtrlD(t)).toBe(0);
  }, 300_000);
});
