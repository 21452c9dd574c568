// Shared start-up for commands that need a sandbox: pick the backend and make sure its image or root filesystem exists (cli/runtime.ts builds the sandbox).
import type Docker from 'dockerode';
import { resolveBackend, type BackendChoice } from '../sandbox/backend.js';
import { resolveSandboxImage, type InstalledPackages } from '../sandbox/derived.js';
import { hasExtras, type ExtraPackages } from '../sandbox/extras.js';
import type { ProgressListener } from '../sandbox/build-stream.js';
import { UsageError } from './errors.js';
import { createProgressPrinter } from '../render/build-progress.js';
import type { KernelLauncher } from '../sandbox/docker-sandbox.js';
import { ProcessLauncher } from '../sandbox/process-sandbox.js';
import { ensureRootfs } from '../sandbox/rootfs.js';
import type { SandboxLimits } from '../sandbox/types.js';

export interface SandboxSettings {
  limits: Partial<SandboxLimits>;
  image?: string;
  runtime?: string;
  labels?: Record<string, string>;
}

export interface Engine {
  /** The Docker-API engine; null for the process sandbox. */
  docker: Docker | null;
  /** The image ref, or the root filesystem folder for the process sandbox. */
  image: string;
  /** The extra packages of a derived image, for the system prompt. */
  packages?: InstalledPackages;
  /** Starts kernels without an engine (the process sandbox). */
  launcher?: KernelLauncher;
  backend: 'docker' | 'podman' | 'bubblewrap' | 'firejail';
}

/**
 * Resolves the backend, then makes sure what it runs exists: the image (codecell's own or the chosen one,
 * plus a derived image when extra packages are configured) or the process sandbox's root filesystem,
 * built on first use with progress on stderr (silent when quiet; to `onProgress` instead when given, e.g.
 * by the chat, whose screen stderr would garble). Says which backend runs cells unless it is Docker at
 * its usual socket.
 */
export async function prepareEngine(
  options: { quiet?: boolean; image?: string; extras?: ExtraPackages; onProgress?: ProgressListener; backend?: BackendChoice } = {},
): Promise<Engine> {
  const resolved = await resolveBackend(options.backend ?? 'auto');
  const say = (text: string): void => {
    if (!options.quiet && !options.onProgress) process.stderr.write(`codecell: ${text}\n`);
  };
  if (resolved.note) say(resolved.note);
  const printer = options.quiet || options.onProgress ? undefined : createProgressPrinter(process.stderr);
  const onProgress = options.onProgress ?? printer?.onProgress;
  try {
    if (resolved.kind === 'process') {
      if (hasExtras(options.extras)) {
        throw new UsageError(
          'extra packages (the apt and pip keys, codecell.json) need a container engine',
          'Run with Docker or Podman (--backend docker|podman), or drop the extra packages for this run.',
        );
      }
      const rootfs = await ensureRootfs(onProgress ? { onProgress } : {});
      return { docker: null, image: rootfs.path, launcher: new ProcessLauncher(resolved.name, rootfs.path), backend: resolved.name };
    }
    const { docker, info } = resolved;
    // Docker at its usual socket is the expected case; anything else is named so the user knows where cells run.
    if (info.name !== 'Docker' || info.endpoint !== 'unix:///var/run/docker.sock') say(`sandbox engine: ${info.name} ${info.version} at ${info.endpoint}`);
    const image = await resolveSandboxImage(docker, {
      ...(options.image ? { image: options.image } : {}),
      ...(options.extras ? { extras: options.extras } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return { docker, image: image.ref, backend: resolved.name, ...(image.packages ? { packages: image.packages } : {}) };
  } finally {
    printer?.close();
  }
}
