// Extra packages for a derived sandbox image: checking Debian names and pip specs, telling local wheels and folders from index names.
import fs from 'node:fs';
import path from 'node:path';
import { EXIT_USAGE, UserError } from '../shared/user-error.js';

/** What a derived image adds to the sandbox image. */
export interface ExtraPackages {
  /** Debian package names (optionally NAME=VERSION), installed with apt-get. */
  apt: string[];
  /** pip specs: requirement strings (`polars==1.2`), or absolute paths to a .whl file or a project folder. */
  pip: string[];
}

/** A bad package name or spec, found before any build starts; the CLI reports it as a usage error (exit 2). */
export class PackageSpecError extends UserError {
  declare readonly fix: string;
  constructor(message: string, fix: string) {
    super(message, { kind: 'usage', fix, exitCode: EXIT_USAGE });
    this.name = 'PackageSpecError';
  }
}

// Debian policy: lower case letters, digits, + - . ; at least two characters, starting alphanumeric.
// An optional =VERSION pins it (apt-get accepts that form too).
export const APT_NAME = /^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/;

export function checkAptName(name: string): string {
  const trimmed = name.trim();
  if (!APT_NAME.test(trimmed)) {
    throw new PackageSpecError(
      `${JSON.stringify(name)} is not a Debian package name`,
      'Debian names are lower case letters, digits and + - . (e.g. python3-networkx, graphviz), optionally NAME=VERSION.',
    );
  }
  return trimmed;
}

/** True when a pip spec names a file or folder on this machine rather than a package on an index. */
export function isLocalSpec(spec: string): boolean {
  return /\.(whl|zip|tar\.gz|tgz)$/i.test(spec) || spec.includes('/') || spec.includes(path.sep) || spec.startsWith('.') || spec.startsWith('~');
}

/**
 * Checks one pip spec and, for a local one, resolves it against `baseDir` and checks it exists.
 * Requirement strings go into a requirements file, never a shell, so only what would change the
 * meaning of that file (an option line, a line break) is refused here; pip judges the rest.
 */
export function checkPipSpec(spec: string, baseDir: string): string {
  const trimmed = spec.trim();
  if (!trimmed)
    throw new PackageSpecError(
      'an empty pip spec',
      'Give a package name (polars), a pinned version (polars==1.2), or a path to a .whl file or a project folder.',
    );
  if (/[\r\n]/.test(trimmed)) throw new PackageSpecError(`the pip spec ${JSON.stringify(spec)} spans lines`, 'Give one spec per --pip flag or list entry.');
  if (trimmed.startsWith('-')) {
    throw new PackageSpecError(
      `${JSON.stringify(spec)} is a pip option, not a package`,
      "codecell chooses pip's options itself; give package names or paths (for an editable folder, give the folder path).",
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) || trimmed.includes(' @ ')) return trimmed; // a URL or a direct reference: pip fetches it
  if (!isLocalSpec(trimmed)) return trimmed;
  const home = process.env.HOME ?? '';
  const expanded = trimmed.startsWith('~/') && home ? path.join(home, trimmed.slice(2)) : trimmed;
  const full = path.resolve(baseDir, expanded);
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (!stat)
    throw new PackageSpecError(
      `no such wheel or folder: ${full}`,
      'Check the path (relative paths count from the folder of the file that lists them, or the current folder for flags).',
    );
  if (stat.isFile()) {
    if (!/\.whl$/i.test(full))
      throw new PackageSpecError(`${full} is not a wheel`, 'Give a .whl file (build one with `pip wheel .`) or the project folder itself.');
    return full;
  }
  if (stat.isDirectory()) {
    const project = ['pyproject.toml', 'setup.py', 'setup.cfg'].some((f) => fs.existsSync(path.join(full, f)));
    if (!project)
      throw new PackageSpecError(
        `${full} is not a Python project folder (no pyproject.toml, setup.py or setup.cfg)`,
        'Point --pip at the folder that holds pyproject.toml or setup.py.',
      );
    return full;
  }
  throw new PackageSpecError(`${full} is neither a file nor a folder`, 'Give a .whl file or a project folder.');
}

/** Lines of a requirements file as pip specs (comments and blank lines dropped); paths count from the file's folder. */
export function readRequirements(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PackageSpecError(
      `cannot read the requirements file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      'Check the --requirements path.',
    );
  }
  const specs: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    if (line.startsWith('-')) {
      throw new PackageSpecError(
        `${file}:${i + 1}: the option line ${JSON.stringify(line)} is not supported`,
        'List packages, wheels and folders only; an index goes in PIP_INDEX_URL at build time (see README: Extra packages).',
      );
    }
    specs.push(checkPipSpec(line, path.dirname(path.resolve(file))));
  }
  return specs;
}

/** Checks, dedupes and orders the lists so equal package sets give equal image tags. */
export function normalizeExtras(extras: { apt?: readonly string[]; pip?: readonly string[] }, baseDir: string = process.cwd()): ExtraPackages {
  const apt = [...new Set((extras.apt ?? []).map(checkAptName))].sort();
  const pip = [...new Set((extras.pip ?? []).map((s) => checkPipSpec(s, baseDir)))].sort();
  return { apt, pip };
}

export function hasExtras(extras: ExtraPackages | undefined): extras is ExtraPackages {
  return Boolean(extras && (extras.apt.length > 0 || extras.pip.length > 0));
}

/** Adds the packages of `more` to `base`, keeping the result ordered and free of duplicates. */
export function mergeExtras(base: ExtraPackages, more: ExtraPackages): ExtraPackages {
  return { apt: [...new Set([...base.apt, ...more.apt])].sort(), pip: [...new Set([...base.pip, ...more.pip])].sort() };
}

/** A pip spec as people read it: a wheel's file name, a folder's name with a slash, or the requirement itself. */
export function displaySpec(spec: string): string {
  if (!path.isAbsolute(spec)) return spec;
  return /\.whl$/i.test(spec) ? path.basename(spec) : `${path.basename(spec)}/`;
}
