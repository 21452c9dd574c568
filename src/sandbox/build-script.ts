// Runs a root-filesystem build script (debootstrap base image, mmdebstrap process sandbox), passing its lines on as progress.
import { spawn } from 'node:child_process';
import type { ProgressListener } from './build-stream.js';

/** Why a build script failed: it could not start, or it exited non-zero with these last lines. */
export type ScriptFailure = { kind: 'spawn'; message: string } | { kind: 'exit'; code: number | null; tail: string[] };

/** Runs `sh script ...args`; resolves on exit 0, rejects with a ScriptFailure otherwise. */
export function runBuildScript(script: string, args: string[], onProgress: ProgressListener | undefined, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('sh', [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    child.on('error', (err) => reject({ kind: 'spawn', message: err.message } satisfies ScriptFailure));
    child.on('close', (code) => (code === 0 ? resolve() : reject({ kind: 'exit', code, tail } satisfies ScriptFailure)));
  });
}
