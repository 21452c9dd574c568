import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findProjectFile, readProjectFile } from './project.js';
import { resolveConfig } from './resolve.js';
import { ConfigError } from './file.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-project-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const project = path.join(root, 'proj');
const deep = path.join(project, 'src', 'pkg');
fs.mkdirSync(deep, { recursive: true });
const file = path.join(project, 'codecell.json');
fs.writeFileSync(file, JSON.stringify({ apt: ['python3-networkx'], pip: ['./wheels/tool-0.1-py3-none-any.whl', 'polars==1.2'] }));

describe('codecell.json', () => {
  it('is found in the working folder or the nearest folder above it', () => {
    expect(findProjectFile(project)).toBe(file);
    expect(findProjectFile(deep)).toBe(file);
    expect(findProjectFile(root)).toBeUndefined();
  });

  it('resolves local pip paths against its own folder', () => {
    expect(readProjectFile(file)).toEqual({
      path: file,
      apt: ['python3-networkx'],
      pip: [path.join(project, 'wheels', 'tool-0.1-py3-none-any.whl'), 'polars==1.2'],
    });
  });

  it('refuses keys other than apt and pip (a cloned repository must not pick the model server)', () => {
    const bad = path.join(root, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ apt: [], baseUrl: 'http://evil.example/v1' }));
    expect(() => readProjectFile(bad)).toThrow(ConfigError);
    expect(() => readProjectFile(bad)).toThrow(/sets "baseUrl", but a project file can only set apt and pip/);
  });

  it('names the file and the fix for bad JSON and bad names', () => {
    const bad = path.join(root, 'broken.json');
    fs.writeFileSync(bad, '{"apt": [');
    expect(() => readProjectFile(bad)).toThrow(/cannot be read/);
    fs.writeFileSync(bad, JSON.stringify({ apt: ['Not A Name'] }));
    expect(() => readProjectFile(bad)).toThrow(/apt in the project file .* must be a list of Debian package names/);
  });

  it('adds its packages to the global lists, and config shows where they came from', () => {
    const resolved = resolveConfig({ env: {}, file: { apt: ['graphviz', 'python3-networkx'], pip: ['/abs/a-1-py3-none-any.whl'] }, cwd: deep });
    expect(resolved.settings.apt).toEqual(['graphviz', 'python3-networkx']);
    expect(resolved.settings.pip).toEqual(['/abs/a-1-py3-none-any.whl', path.join(project, 'wheels', 'tool-0.1-py3-none-any.whl'), 'polars==1.2']);
    expect(resolved.origins.pip).toEqual({ source: 'project', name: file });
    expect(resolved.origins.apt).toEqual({ source: 'file' });
    expect(resolved.projectPath).toBe(file);
  });

  it('takes lists from the environment as words, and none without a project file', () => {
    const resolved = resolveConfig({
      env: { CODECELL_APT: 'graphviz, python3-polars', CODECELL_PIP: 'duckdb ./w/x-1-py3-none-any.whl' },
      file: {},
      cwd: root,
      project: null,
    });
    expect(resolved.settings.apt).toEqual(['graphviz', 'python3-polars']);
    expect(resolved.settings.pip).toEqual(['duckdb', path.join(root, 'w', 'x-1-py3-none-any.whl')]);
    expect(() => resolveConfig({ env: { CODECELL_APT: 'Bad;Name' }, file: {}, project: null })).toThrow(
      /apt must be a list of Debian package names .*CODECELL_APT/,
    );
    expect(resolveConfig({ env: {}, file: {}, cwd: root }).settings.apt).toEqual([]);
  });
});
