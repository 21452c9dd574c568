// Runs guest/build-base.sh (debootstrap + docker import) when no registry can supply the base image.
import fs from 'node:fs';
import path from 'node:path';
import type { ProgressListener } from './build-stream.js';
import { runBuildScript, type ScriptFailure } from './build-script.js';
import { SandboxError } from './types.js';

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  // debootstrap lives in /usr/sbin, which a normal user's PATH often lacks.
  const dirs = [...(env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => dir && fs.existsSync(path.join(dir, command)));
}

/** True when build-base.sh can run here; otherwise the reason, for the error's fix text. */
export function canBuildOfflineBase(env: NodeJS.ProcessEnv = process.env): true | string {
  if (!onPath('docker', env)) return 'the docker command line tool is not installed';
  const root = process.getuid?.() === 0;
  if (!root) return 'it needs root';
  // The script installs debootstrap itself when apt-get is there.
  if (!onPath('debootstrap', env) && !onPath('apt-get', env)) return 'debootstrap is not installed';
  return true;
}

/** Runs the script, streaming its output lines as progress; rejects with its last lines on failure. */
export async function buildOfflineBase(script: string, tag: string, onProgress?: ProgressListener, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await runBuildScript(script, ['--tag', tag], onProgress, env);
  } catch (err) {
    const failure = err as ScriptFailure;
    if (failure.kind === 'spawn') throw new SandboxError(`cannot run ${script}: ${failure.message}`, 'Install a POSIX shell and debootstrap.', 'no_image');
    throw new SandboxError(
      `building the offline base image failed (exit ${failure.code}): ${failure.tail.slice(-3).join(' | ')}`,
      `Run \`sudo ${script} --force\` to see the full output; set DEBIAN_MIRROR to a reachable Debian mirror if the download failed.`,
      'no_image',
    );
  }
}
