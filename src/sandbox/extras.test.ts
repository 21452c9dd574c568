import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAptName, checkPipSpec, displaySpec, isLocalSpec, mergeExtras, normalizeExtras, PackageSpecError, readRequirements } from './extras.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-extras-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const wheel = path.join(dir, 'tool-0.1-py3-none-any.whl');
fs.writeFileSync(wheel, 'PK');
fs.mkdirSync(path.join(dir, 'proj'));
fs.writeFileSync(path.join(dir, 'proj', 'pyproject.toml'), '[project]\nname = "proj"\n');
fs.mkdirSync(path.join(dir, 'empty'));

describe('Debian names', () => {
  it('accepts Debian names and NAME=VERSION', () => {
    expect(checkAptName(' python3-networkx ')).toBe('python3-networkx');
    expect(checkAptName('libc6=2.41-12')).toBe('libc6=2.41-12');
    expect(checkAptName('g++')).toBe('g++');
  });
  it('refuses anything a shell or apt would read as more than a name', () => {
    for (const bad of ['Python3-Networkx', 'x', 'a b', 'foo;rm -rf /', '-o', '$(id)', '']) {
      expect(() => checkAptName(bad), bad).toThrow(PackageSpecError);
    }
  });
});

describe('pip specs', () => {
  it('keeps requirement strings and URLs as they are', () => {
    expect(checkPipSpec('polars==1.2', dir)).toBe('polars==1.2');
    expect(checkPipSpec('requests[socks]>=2,<3', dir)).toBe('requests[socks]>=2,<3');
    expect(checkPipSpec('https://example.org/x-1.0-py3-none-any.whl', dir)).toBe('https://example.org/x-1.0-py3-none-any.whl');
    expect(isLocalSpec('polars')).toBe(false);
  });
  it('resolves local wheels and project folders against the base folder', () => {
    expect(checkPipSpec('./tool-0.1-py3-none-any.whl', dir)).toBe(wheel);
    expect(checkPipSpec('tool-0.1-py3-none-any.whl', dir)).toBe(wheel);
    expect(checkPipSpec('./proj', dir)).toBe(path.join(dir, 'proj'));
  });
  it('names the fix for a missing path, a folder that is no project, an option, a line break', () => {
    expect(() => checkPipSpec('./nope-1.0-py3-none-any.whl', dir)).toThrow(/no such wheel or folder/);
    expect(() => checkPipSpec('./empty', dir)).toThrow(/not a Python project folder/);
    expect(() => checkPipSpec('--index-url=http://evil', dir)).toThrow(/pip option/);
    expect(() => checkPipSpec('a\n-e .', dir)).toThrow(/spans lines/);
    expect(() => checkPipSpec('  ', dir)).toThrow(/empty pip spec/);
  });
  it('reads a requirements file: comments dropped, paths from its folder, options refused with a fix', () => {
    const req = path.join(dir, 'requirements.txt');
    fs.writeFileSync(req, '# tools\npolars==1.2  # pinned\n\n./tool-0.1-py3-none-any.whl\n');
    expect(readRequirements(req)).toEqual(['polars==1.2', wheel]);
    fs.writeFileSync(req, '--index-url http://x\npolars\n');
    expect(() => readRequirements(req)).toThrow(/requirements.txt:1: the option line/);
    expect(() => readRequirements(path.join(dir, 'none.txt'))).toThrow(/no such file/);
  });
});

describe('package lists', () => {
  it('sorts and dedupes, so equal sets give equal tags', () => {
    expect(normalizeExtras({ apt: ['b', 'a1', 'b'].map((x) => x.padEnd(2, 'x')), pip: ['z', 'a', 'z'] }, dir)).toEqual({ apt: ['a1', 'bx'], pip: ['a', 'z'] });
    expect(mergeExtras({ apt: ['zz'], pip: ['b'] }, { apt: ['aa', 'zz'], pip: ['a'] })).toEqual({ apt: ['aa', 'zz'], pip: ['a', 'b'] });
  });
  it('shows local specs by file or folder name', () => {
    expect(displaySpec(wheel)).toBe('tool-0.1-py3-none-any.whl');
    expect(displaySpec(path.join(dir, 'proj'))).toBe('proj/');
    expect(displaySpec('polars>=1')).toBe('polars>=1');
  });
});
