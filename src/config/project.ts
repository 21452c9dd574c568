// The per-project file codecell.json: found in the working folder or the nearest folder above it, it adds packages to the sandbox.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './file.js';
import { KEYS } from './keys.js';
import { isLocalSpec } from '../sandbox/extras.js';

export const PROJECT_FILE = 'codecell.json';

/** Keys a project file may set. Only packages: a file that came with a cloned repository must not pick the model server or the API key. */
export const PROJECT_KEYS = ['apt', 'pip'] as const;

export interface ProjectConfig {
  path: string;
  apt: string[];
  /** Local wheel and folder paths resolved against the file's folder. */
  pip: string[];
}

/** The nearest codecell.json in `cwd` or a folder above it, like git, npm and eslint find theirs. */
export function findProjectFile(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, PROJECT_FILE);
    if (fs.statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** A path-like pip spec made absolute against `dir`; names and URLs stay as they are. */
export function resolvePipPath(spec: string, dir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec) || spec.includes(' @ ')) return spec;
  if (!isLocalSpec(spec)) return spec;
  const home = process.env.HOME;
  if (spec.startsWith('~/') && home) return path.join(home, spec.slice(2));
  return path.resolve(dir, spec);
}

/** Reads and checks a project file; a mistake in it is a ConfigError naming the file and the fix. */
export function readProjectFile(file: string): ProjectConfig {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      `the project file ${file} cannot be read: ${(err as Error).message}`,
      `Fix the JSON, e.g. {"apt": ["python3-networkx"], "pip": ["./wheels/tool-0.1-py3-none-any.whl"]}.`,
    );
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`the project file ${file} must hold a JSON object`, 'Write e.g. {"apt": ["python3-networkx"], "pip": []}.');
  }
  const record = data as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !(PROJECT_KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    throw new ConfigError(
      `the project file ${file} sets ${unknown.map((k) => JSON.stringify(k)).join(', ')}, but a project file can only set ${PROJECT_KEYS.join(' and ')}`,
      'Set other keys with `codecell config set KEY VALUE` or flags; a project file only adds packages.',
    );
  }
  const dir = path.dirname(file);
  const read = (key: 'apt' | 'pip'): string[] => {
    if (record[key] === undefined) return [];
    const parsed = KEYS[key].parse(record[key]);
    if (!parsed) throw new ConfigError(`${key} in the project file ${file} must be ${KEYS[key].range}`, `Fix "${key}" in ${file}.`);
    return parsed.value;
  };
  return { path: file, apt: read('apt'), pip: read('pip').map((spec) => resolvePipPath(spec, dir)) };
}

/** The project file for `cwd`, read and checked; undefined when there is none. */
export function loadProjectConfig(cwd: string): ProjectConfig | undefined {
  const file = findProjectFile(cwd);
  return file ? readProjectFile(file) : undefined;
}
