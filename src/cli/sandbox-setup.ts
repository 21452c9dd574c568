// Shared start-up for commands that need a sandbox: reach the engine, make sure the image exists, build the sandbox.
import type Docker from 'dockerode';
import { connectEngine } from '../sandbox/engine.js';
import { resolveSandboxImage, type InstalledPackages } from '../sandbox/derived.js';
import type { ExtraPackages } from '../sandbox/extras.js';
import type { ProgressListener } from '../sandbox/build-stream.js';
import { createProgressPrinter } from '../render/build-progress.js';
import { DockerSandbox } from '../sandbox/docker-sandbox.js';
import type { SandboxLimits, SandboxOptions } from '../sandbox/types.js';

export interface SandboxSettings {
  limits: Partial<SandboxLimits>;
  image?: string;
  runtime?: string;
  labels?: Record<string, string>;
}

export interface Engine {
  docker: Docker;
  image: string;
  /** The extra packages of a derived image, for the system prompt. */
  packages?: InstalledPackages;
}

/**
 * Connects to the engine and makes sure the image exists: codecell's own (or the chosen one), plus a
 * derived image when extra packages are configured, built on first use with progress on stderr (silent
 * when quiet; to `onProgress` instead when given, e.g. by the chat, whose screen stderr would garble).
 */
export async function prepareEngine(options: { quiet?: boolean; image?: string; extras?: ExtraPackages; onProgress?: ProgressListener } = {}): Promise<Engine> {
  const { docker } = await connectEngine();
  const printer = options.quiet || options.onProgress ? undefined : createProgressPrinter(process.stderr);
  const onProgress = options.onProgress ?? printer?.onProgress;
  try {
    const image = await resolveSandboxImage(docker, {
      ...(options.image ? { image: options.image } : {}),
      ...(options.extras ? { extras: options.extras } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return { docker, image: image.ref, ...(image.packages ? { packages: image.packages } : {}) };
  } finally {
    printer?.close();
  }
}

export function createSandbox(engine: Engine, settings: SandboxSettings): DockerSandbox {
  const options: SandboxOptions = {
    // The engine's image already honours the chosen one (and adds the extra packages to it).
    image: engine.image,
    limits: settings.limits,
    ...(settings.runtime ? { runtime: settings.runtime } : {}),
    ...(settings.labels ? { labels: settings.labels } : {}),
  };
  return new DockerSandbox(engine.docker, options);
}
