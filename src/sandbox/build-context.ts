// The sandbox image's build context: which files go in, their content hash, and the tar sent to the engine.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Ignore } from '@balena/dockerignore';
import tar from 'tar-stream';
import { SandboxError } from './types.js';

// The package is CommonJS (`module.exports = factory`) but its types declare an ES default export,
// which TypeScript's NodeNext resolution then refuses to call; require() gets the function as it is.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as (options?: { ignorecase?: boolean }) => Ignore;

/** One file of a build context, path relative to the context root (forward slashes). */
export interface ContextFile {
  name: string;
  data: Buffer;
  mode: number;
}

/**
 * The package's guest/ folder: what runs inside the sandbox (Dockerfile, kernel.py, root filesystem
 * scripts). This file sits at src/sandbox/ (vitest) or dist/sandbox/ (built), two levels below the package root.
 */
export function guestDir(): string {
  return fileURLToPath(new URL('../../guest/', import.meta.url));
}

/** Reads every regular file under `dir` that its .dockerignore does not exclude, sorted by name. */
export function readContext(dir: string): ContextFile[] {
  if (!fs.existsSync(path.join(dir, 'Dockerfile'))) {
    throw new SandboxError(`no Dockerfile in ${dir}`, 'Reinstall codecell: its guest/ folder (Dockerfile and kernel.py) is missing or incomplete.', 'no_image');
  }
  const ignorePath = path.join(dir, '.dockerignore');
  const ignore = dockerignore({ ignorecase: false });
  if (fs.existsSync(ignorePath)) ignore.add(fs.readFileSync(ignorePath, 'utf8'));
  const names = fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    // Links and devices never go into the image: only regular files, read by content.
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((name) => !ignore.ignores(name))
    .sort();
  return names.map((name) => {
    const full = path.join(dir, name);
    const stat = fs.statSync(full);
    return { name, data: fs.readFileSync(full), mode: stat.mode & 0o111 ? 0o755 : 0o644 };
  });
}

/** sha256 over names and contents of the context, first 12 hex chars: the image's version tag. */
export function contextHash(files: ContextFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file.name}\0${file.data.length}\0`);
    hash.update(file.data);
  }
  return hash.digest('hex').slice(0, 12);
}

/** The context as an uncompressed tar stream, with fixed timestamps so equal inputs give equal bytes. */
export function contextTar(files: ContextFile[]): Readable {
  const pack = tar.pack();
  const mtime = new Date(0);
  for (const file of files) {
    pack.entry({ name: file.name, mode: file.mode, mtime, uid: 0, gid: 0 }, file.data);
  }
  pack.finalize();
  // tar-stream packs are streamx streams; hand dockerode a plain Node stream it can pipe.
  return Readable.from(pack as AsyncIterable<Buffer>);
}
