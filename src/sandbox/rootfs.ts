// The process sandbox's root filesystem: the image's Debian packages, built with mmdebstrap into codecell's cache, named by a hash.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { guestDir } from './build-context.js';
import type { ProgressListener } from './build-stream.js';
import { runBuildScript, type ScriptFailure } from './build-script.js';
import { SandboxError } from './types.js';
import { processAlive } from '../shared/process.js';

/** Written last into a finished root filesystem; a folder without it is an interrupted build. */
const COMPLETE = '.codecell-rootfs';

/**
 * codecell's cache folder: $CODECELL_CACHE_DIR, else /var/cache/codecell for root (the sandbox runs
 * under an unprivileged uid that must reach the root filesystem, and /root is closed to it), else
 * $XDG_CACHE_HOME/codecell, else ~/.cache/codecell.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.getuid?.()): string {
  if (env.CODECELL_CACHE_DIR?.trim()) return path.resolve(env.CODECELL_CACHE_DIR.trim());
  if (uid === 0) return '/var/cache/codecell';
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(xdg, 'codecell');
}

/** The packages the Dockerfile's `apt-get install` line names: one list, so image and root filesystem agree. */
export function imagePackages(dockerfile: string): string[] {
  const joined = dockerfile.replace(/\\\r?\n/g, ' ');
  const match = /apt-get install\s+((?:-\S+\s+)*)([^&]+)/.exec(joined);
  const names =
    match?.[2]
      ?.trim()
      .split(/\s+/)
      .filter((w) => /^[a-z0-9][a-z0-9.+-]+$/.test(w)) ?? [];
  if (!names.length)
    throw new SandboxError('cannot find the package list in guest/Dockerfile', 'Reinstall codecell: its guest/ folder is damaged.', 'no_image');
  return names;
}

/** Hash of the package list and the build script (kernel.py is bound in at run time, so it is not part of it). */
export function rootfsHash(dir: string = guestDir()): string {
  const packages = imagePackages(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8'));
  const script = fs.readFileSync(path.join(dir, 'build-rootfs.sh'));
  return createHash('sha256').update(packages.join(' ')).update('\0').update(script).digest('hex').slice(0, 12);
}

export function rootfsPath(env: NodeJS.ProcessEnv = process.env, dir?: string): string {
  return path.join(cacheDir(env), `rootfs-${rootfsHash(dir)}`);
}

/** The finished root filesystem, or null when it has not been built (or its build was interrupted). */
export function findRootfs(env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = rootfsPath(env);
  return fs.existsSync(path.join(dir, COMPLETE)) ? dir : null;
}

export interface EnsuredRootfs {
  path: string;
  built: boolean;
  ms: number;
}

/** Builds the root filesystem when it is missing (or always with `force`), streaming the script's lines as progress. */
export async function ensureRootfs(options: { force?: boolean; onProgress?: ProgressListener; env?: NodeJS.ProcessEnv } = {}): Promise<EnsuredRootfs> {
  const env = options.env ?? process.env;
  const started = Date.now();
  const target = rootfsPath(env);
  if (!options.force && findRootfs(env)) return { path: target, built: false, ms: Date.now() - started };
  const packages = imagePackages(fs.readFileSync(path.join(guestDir(), 'Dockerfile'), 'utf8'));
  fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
  const partial = `${target}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  options.onProgress?.({ type: 'phase', text: `building the process sandbox's root filesystem with mmdebstrap (a few minutes, once)` });
  await runScript(path.join(guestDir(), 'build-rootfs.sh'), [partial, ...packages], options.onProgress, env);
  fs.writeFileSync(path.join(partial, COMPLETE), `${packages.join(' ')}\n`);
  // The sandbox's unprivileged uid must be able to reach and read it.
  fs.chmodSync(partial, 0o755);
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(partial, target);
  const ms = Date.now() - started;
  options.onProgress?.({ type: 'done', ref: target, id: rootfsHash(), built: true, ms });
  return { path: target, built: true, ms };
}

async function runScript(script: string, args: string[], onProgress: ProgressListener | undefined, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await runBuildScript(script, args, onProgress, env);
  } catch (err) {
    const failure = err as ScriptFailure;
    if (failure.kind === 'spawn') throw new SandboxError(`cannot run ${script}: ${failure.message}`, 'Install a POSIX shell and mmdebstrap.', 'build_failed');
    throw new SandboxError(
      `building the process sandbox's root filesystem failed (exit ${failure.code}): ${failure.tail.slice(-3).join(' | ')}`,
      'Install mmdebstrap (`sudo apt-get install mmdebstrap`); set DEBIAN_MIRROR to a reachable Debian mirror if the download failed; ' +
        'without root, mmdebstrap needs unprivileged user namespaces and a subuid range (`/etc/subuid`).',
      'build_failed',
    );
  }
}

/**
 * Removes root filesystems other than the current one, and interrupted builds whose codecell is gone;
 * with `all`, the current one too. Returns the folder names removed.
 */
export function pruneRootfs(options: { all?: boolean; env?: NodeJS.ProcessEnv } = {}): string[] {
  const env = options.env ?? process.env;
  const dir = cacheDir(env);
  const current = path.basename(rootfsPath(env));
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const partial = /^rootfs-[0-9a-f]{12}\.partial-(\d+)$/.exec(name);
    if (partial) {
      if (processAlive(Number(partial[1]))) continue;
    } else if (!/^rootfs-[0-9a-f]{12}$/.test(name) || (name === current && !options.all)) {
      continue;
    }
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
