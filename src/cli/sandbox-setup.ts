// Shared start-up for commands that need a sandbox: reach the engine, make sure the image exists, build the sandbox.
import type Docker from 'dockerode';
import { connectEngine } from '../sandbox/engine.js';
import { ensureImage } from '../sandbox/image.js';
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
}

/**
 * Connects to the engine and builds the image when missing, with progress on stderr (silent when quiet;
 * to `onProgress` instead when given, e.g. by the chat, whose screen stderr would garble).
 */
export async function prepareEngine(options: { quiet?: boolean; image?: string; onProgress?: ProgressListener } = {}): Promise<Engine> {
  const { docker } = await connectEngine();
  if (options.image) return { docker, image: options.image };
  const printer = options.quiet || options.onProgress ? undefined : createProgressPrinter(process.stderr);
  const onProgress = options.onProgress ?? printer?.onProgress;
  try {
    const ensured = await ensureImage(docker, onProgress ? { onProgress } : {});
    return { docker, image: ensured.ref };
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
  return new DockerSandbox(engine.docker, options);
}
