// Extra packages end to end: `sandbox build --apt --pip`, and codecell.json making exec, run and batch use the derived image.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { runCli, type CliResult } from '../support/cli.js';
import { cellThenText, startFakeOpenAI } from '../support/fake-openai.js';
import { buildWheel } from '../support/wheel.js';
import { childPids, leftoverContainers, makeHome, pinImage, pinnedImage, type Home } from './harness.js';
import type { TaskResult } from '../../src/batch/results.js';

const docker = await engineOrSkip();

describe.skipIf(!docker)('extra packages (built CLI, real engine)', () => {
  const engine = docker as Docker;
  // In the wheel, so this file's derived image is its own and cleanup removes only it.
  const token = randomUUID().slice(0, 8);
  let home: Home;
  let project: string;
  let wheelName: string;
  const made = new Set<string>();
  const IMPORT = 'import networkx as nx, tinycell_e2e as t\nprint("paths", nx.shortest_path_length(nx.path_graph(4), 0, 3), t.greet())';

  /** codecell in the project folder (so it finds codecell.json), on the image this test tree built. */
  const codecell = (args: string[], env: Record<string, string | undefined> = {}, cwd = project): Promise<CliResult> =>
    runCli(args, {
      cwd,
      env: { ...home.env, CODECELL_IMAGE: pinnedImage(), CODECELL_PRICES: undefined, CODECELL_APT: undefined, CODECELL_PIP: undefined, ...env },
      timeoutMs: 600_000,
      onSpawn: (child) => void (child.pid && childPids.add(child.pid)),
    });

  beforeAll(async () => {
    await pinImage(engine);
    home = makeHome();
    project = path.join(home.dir, 'project');
    fs.mkdirSync(path.join(project, 'wheels'), { recursive: true });
    const wheel = buildWheel(path.join(project, 'wheels'), { name: 'tinycell_e2e', source: `def greet():\n    return "hello from tinycell ${token}"\n` });
    wheelName = path.basename(wheel);
  });

  afterAll(async () => {
    for (const ref of made)
      await engine
        .getImage(ref)
        .remove({ force: true })
        .catch(() => undefined);
    home?.cleanup();
  });

  it('sandbox build --apt --pip prints the derived image on stdout; the second build does no build work', async () => {
    const first = await codecell(['sandbox', 'build', '--apt', 'python3-networkx', '--pip', `./wheels/${wheelName}`]);
    expect(first.code, first.stderr).toBe(0);
    const ref = first.stdout.trim();
    expect(ref).toMatch(/^codecell-sandbox-extra:[0-9a-f]{12}$/);
    made.add(ref);
    expect(first.stderr).toContain(`building ${ref} from ${pinnedImage()} with apt: python3-networkx; pip: ${wheelName}`);
    expect(first.stderr).toMatch(/Step \d+\/\d+ : RUN python3 -m pip install/);

    const second = await codecell(['sandbox', 'build', '--pip', `./wheels/${wheelName}`, '--apt', 'python3-networkx']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.trim()).toBe(ref);
    expect(second.stderr).not.toMatch(/Step \d|building/);
    expect(second.stderr).toContain(`image ${ref} with apt: python3-networkx; pip: ${wheelName} is already built`);

    // The same wheel named in a requirements file (its path counts from the file's folder) is the same image.
    fs.writeFileSync(path.join(project, 'wheels', 'requirements.txt'), `# ours\n./${wheelName}\n`);
    const fromFile = await codecell(['sandbox', 'build', '--apt', 'python3-networkx', '--requirements', 'wheels/requirements.txt']);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout.trim()).toBe(ref);
    expect(fromFile.stderr).not.toMatch(/Step \d/);

    // The printed ref works with --image as it is.
    fs.writeFileSync(path.join(home.dir, 'cell.py'), IMPORT);
    const exec = await codecell(['exec', path.join(home.dir, 'cell.py'), '--image', ref, '--out-dir', home.outDir], {}, home.dir);
    expect(exec.code, exec.stderr).toBe(0);
    expect(exec.stdout).toContain(`paths 3 hello from tinycell ${token}`);
  });

  it('exec: codecell.json in the working folder makes the sandbox have its packages, from a subfolder too', async () => {
    fs.writeFileSync(path.join(project, 'codecell.json'), JSON.stringify({ apt: ['python3-networkx'], pip: [`./wheels/${wheelName}`] }));
    const sub = path.join(project, 'notebooks');
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, 'cell.py'), IMPORT);
    const r = await codecell(['exec', 'cell.py', '--out-dir', home.outDir], {}, sub);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`paths 3 hello from tinycell ${token}`);
    // Built by the first test already: nothing to build on first use here.
    expect(r.stderr).not.toMatch(/Step \d/);

    const status = await codecell(['sandbox', 'status'], {}, sub);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`packages    apt: python3-networkx; pip: ${wheelName}`);
    expect(status.stdout).toMatch(/image codecell-sandbox-extra:[0-9a-f]{12} {2}\d+ MiB/);

    // Without the project file the same cell has no networkx.
    const bare = await codecell(['exec', path.join(sub, 'cell.py'), '--out-dir', home.outDir], {}, home.dir);
    expect(bare.code).toBe(1);
    expect(bare.stdout + bare.stderr).toContain("No module named 'networkx'");
  });

  it('run: the model is told about the extra libraries and its cell imports them', async () => {
    const server = await startFakeOpenAI({
      script: cellThenText(
        () => IMPORT,
        (_u, last) => `done: ${String(last.content)}`,
      ),
    });
    try {
      const r = await codecell(['run', 'use networkx', '--out-dir', home.outDir, '--model', 'fake-model'], {
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: server.url,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`paths 3 hello from tinycell ${token}`);
      const system = String(server.requests[0]!.messages[0]!.content);
      expect(system).toMatch(/Installed libraries: numpy, .*, networkx, tinycell_e2e\./);
    } finally {
      await server.close();
    }
  });

  it('batch: every task runs in the derived image', async () => {
    const server = await startFakeOpenAI({
      script: cellThenText(
        () => IMPORT,
        (_u, last) => `done: ${String(last.content)}`,
      ),
    });
    try {
      const tasks = path.join(project, 'tasks.jsonl');
      fs.writeFileSync(tasks, [JSON.stringify({ id: 'one', prompt: 'a' }), JSON.stringify({ id: 'two', prompt: 'b' })].join('\n') + '\n');
      const out = path.join(home.dir, 'batch');
      const r = await codecell(['batch', tasks, '--out', out, '-c', '2', '--plain', '--memory', '512m', '--model', 'fake-model'], {
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: server.url,
      });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const results = fs
        .readFileSync(path.join(out, 'results.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as TaskResult);
      expect(results.map((x) => x.status)).toEqual(['ok', 'ok']);
      for (const x of results) expect(x.answer).toContain(`paths 3 hello from tinycell ${token}`);
    } finally {
      await server.close();
    }
    expect(await leftoverContainers(engine)).toEqual([]);
  });

  it('bad input: a name apt cannot have is a usage error; no index and an unknown package fail with the fix', async () => {
    const bad = await codecell(['sandbox', 'build', '--apt', 'Not;A-Name']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"Not;A-Name" is not a Debian package name');
    expect(bad.stderr).toContain('fix: Debian names are lower case');

    const missing = await codecell(['sandbox', 'build', '--pip', './wheels/nope-1.0-py3-none-any.whl']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no such wheel or folder: ${path.join(project, 'wheels', 'nope-1.0-py3-none-any.whl')}`);

    const noIndex = await codecell(['sandbox', 'build', '--pip', `codecell-no-such-dist-${token}`]);
    expect(noIndex.code).toBe(1);
    expect(noIndex.stdout).toBe('');
    expect(noIndex.stderr).toMatch(/codecell: no Python package index is reachable from the build/);
    expect(noIndex.stderr).toMatch(/fix: pip specs that name packages need an index at build time/);

    fs.writeFileSync(path.join(project, 'codecell.json'), JSON.stringify({ apt: ['python3-networkx', 'python3-no-such-package-xyz'] }));
    const unknown = await codecell(['exec', '-'], {}, project);
    expect(unknown.code).toBe(1);
    // exec built on first use, with the same progress as sandbox build.
    expect(unknown.stderr).toMatch(/codecell: building codecell-sandbox-extra:[0-9a-f]{12} from \S+ with apt: python3-networkx python3-no-such-package-xyz/);
    expect(unknown.stderr).toMatch(/Step \d+\/\d+ : RUN apt-get update/);
    expect(unknown.stderr).toContain('apt does not know python3-no-such-package-xyz: E: Unable to locate package python3-no-such-package-xyz');

    fs.writeFileSync(path.join(project, 'codecell.json'), JSON.stringify({ model: 'x' }));
    const foreign = await codecell(['exec', '-'], {}, project);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('a project file can only set apt and pip');
  }, 300_000);
});
