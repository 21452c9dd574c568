import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aptInstallList, derivedContext } from './derived-context.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-derived-ctx-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const wheel = path.join(dir, 'tool-0.1-py3-none-any.whl');
fs.writeFileSync(wheel, 'wheel bytes');
const proj = path.join(dir, 'proj');
fs.mkdirSync(path.join(proj, 'src', '__pycache__'), { recursive: true });
fs.mkdirSync(path.join(proj, '.git'));
fs.writeFileSync(path.join(proj, 'pyproject.toml'), '[project]\nname = "proj"\n');
fs.writeFileSync(path.join(proj, 'src', 'mod.py'), 'X = 1\n');
fs.writeFileSync(path.join(proj, 'src', '__pycache__', 'mod.cpython-313.pyc'), 'cache');
fs.writeFileSync(path.join(proj, '.git', 'HEAD'), 'ref');

const text = (ctx: ReturnType<typeof derivedContext>, name: string): string => ctx.files.find((f) => f.name === name)!.data.toString();

describe('derived build context', () => {
  it('installs apt packages from a file (never a shell line) and adds pip only when pip has work', () => {
    const ctx = derivedContext({ apt: ['python3-networkx'], pip: [] }, 'sha256:base');
    expect(text(ctx, 'apt.txt')).toBe('python3-networkx\n');
    expect(text(ctx, 'Dockerfile')).toContain('xargs -a /tmp/codecell-extra/apt.txt apt-get install');
    expect(text(ctx, 'Dockerfile')).not.toContain('pip install');
    expect(text(ctx, 'Dockerfile')).toMatch(/USER 1000\n$/);
    expect(aptInstallList({ apt: ['a1'], pip: ['polars'] })).toEqual(['a1', 'python3-pip']);
    expect(aptInstallList({ apt: [], pip: [proj] })).toEqual(['python3-pip', 'python3-setuptools', 'python3-wheel']);
  });

  it('sends wheels under their own names and runs pip with --no-index when every spec is local', () => {
    const ctx = derivedContext({ apt: [], pip: [wheel] }, 'sha256:base');
    expect(ctx.offline).toBe(true);
    expect(ctx.files.map((f) => f.name)).toContain('pip/0/tool-0.1-py3-none-any.whl');
    expect(text(ctx, 'pip/requirements.txt')).toBe('/tmp/codecell-extra/pip/0/tool-0.1-py3-none-any.whl\n');
    expect(text(ctx, 'Dockerfile')).toContain('--no-index --no-build-isolation');
    expect(text(ctx, 'Dockerfile')).toContain('--timeout 10 --retries 1');
    const online = derivedContext({ apt: [], pip: ['polars', wheel] }, 'sha256:base');
    expect(online.offline).toBe(false);
    expect(text(online, 'Dockerfile')).not.toContain('--no-index');
  });

  it('sends a project folder without version control, caches and bytecode', () => {
    const ctx = derivedContext({ apt: [], pip: [proj] }, 'sha256:base');
    const names = ctx.files.map((f) => f.name).filter((n) => n.startsWith('pip/0/'));
    expect(names).toEqual(['pip/0/proj/pyproject.toml', 'pip/0/proj/src/mod.py']);
  });

  it('tags by base id, package list and file contents', () => {
    const a = derivedContext({ apt: ['python3-networkx'], pip: [wheel] }, 'sha256:base').hash;
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(derivedContext({ apt: ['python3-networkx'], pip: [wheel] }, 'sha256:base').hash).toBe(a);
    expect(derivedContext({ apt: ['python3-networkx'], pip: [wheel] }, 'sha256:other').hash).not.toBe(a);
    expect(derivedContext({ apt: ['python3-networkx', 'graphviz'], pip: [wheel] }, 'sha256:base').hash).not.toBe(a);
    fs.writeFileSync(wheel, 'rebuilt wheel bytes');
    expect(derivedContext({ apt: ['python3-networkx'], pip: [wheel] }, 'sha256:base').hash).not.toBe(a);
  });
});
