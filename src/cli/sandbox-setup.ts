// Shared start-up for commands that need a sandbox: pick the backend, make sure the image or root filesystem exists, build the sandbox.
import type Docker from 'dockerode';
import { resolveBackend, type BackendChoice } from '../sandbox/backend.js';
import { ensureImage } from '../sandbox/image.js';
import { createProgressPrinter } from '../render/build-progress.js';
import { DockerSandbox, type KernelLauncher } from '../sandbox/docker-sandbox.js';
import { BubblewrapLauncher } from '../sandbox/process-sandbox.js';
import { ensureRootfs } from '../sandbox/rootfs.js';
import type { SandboxLimits, SandboxOptions } from '../sandbox/types.js';

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
  /** Starts kernels without an engine (the process sandbox). */
  launcher?: KernelLauncher;
  backend: 'docker' | 'podman' | 'bubblewrap';
}

/**
 * Resolves the backend, then builds what it runs when missing (the image, or the process sandbox's root
 * filesystem), with progress on stderr (silent when quiet). Says which backend runs cells unless it is
 * Docker at its usual socket.
 */
export async function prepareEngine(options: { quiet?: boolean; image?: string; backend?: BackendChoice } = {}): Promise<Engine> {
  const resolved = await resolveBackend(options.backend ?? 'auto');
  const say = (text: string): void => {
    if (!options.quiet) process.stderr.write(`codecell: ${text}\n`);
  };
  if (resolved.note) say(resolved.note);
  const printer = options.quiet ? undefined : createProgressPrinter(process.stderr);
  try {
    if (resolved.kind === 'process') {
      const rootfs = await ensureRootfs(printer ? { onProgress: printer.onProgress } : {});
      return { docker: null, image: rootfs.path, launcher: new BubblewrapLauncher(rootfs.path), backend: 'bubblewrap' };
    }
    const { docker, info } = resolved;
    // Docker at its usual socket is the expected case; anything else is named so the user knows where cells run.
    if (info.name !== 'Docker' || info.endpoint !== 'unix:///var/run/docker.sock') say(`sandbox engine: ${info.name} ${info.version} at ${info.endpoint}`);
    if (options.image) return { docker, image: options.image, backend: resolved.name };
    const ensured = await ensureImage(docker, printer ? { onProgress: printer.onProgress } : {});
    return { docker, image: ensured.ref, backend: resolved.name };
  } finally {
    printer?.close();
  }
}

export function createSandbox(engine: Engine, settings: SandboxSettings): DockerSandbox {
  const options: SandboxOptions = {
    image: settings.image ?? engine.image,
    limits: settings.limits,
    ...(settings.runtime ? { runtime: settings.runtime } : {}),
    ...(settings.labels ? { labels: settings.labels } : {}),
  };
  return new DockerSandbox(engine.docker, options, engine.launcher);
}
