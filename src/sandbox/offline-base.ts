// Runs sandbox/build-base.sh (debootstrap + docker import) when no registry can supply the base image.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ProgressListener } from './build-stream.js';
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
export function buildOfflineBase(script: string, tag: string, onProgress?: ProgressListener, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('sh', [script, '--tag', tag], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 10) tail.shift();
        onProgress?.({ type: 'output', text: line });
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (err) => reject(new SandboxError(`cannot run ${script}: ${err.message}`, 'Install a POSIX shell and debootstrap.', 'no_image')));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      reject(
        new SandboxError(
          `building the offline base image failed (exit ${code}): ${tail.slice(-3).join(' | ')}`,
          `Run \`sudo ${script} --force\` to see the full output; set DEBIAN_MIRROR to a reachable Debian mirror if the download failed.`,
          'no_image',
        ),
      );
    });
  });
}
