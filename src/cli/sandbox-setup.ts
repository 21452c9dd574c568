// Shared start-up for commands that need a sandbox: reach the engine, make sure the image exists, build the sandbox.
import type Docker from 'dockerode';
import { connectEngine } from '../sandbox/engine.js';
import { ensureImage } from '../sandbox/image.js';
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

/** Connects to the engine and builds the image when missing, with progress on stderr (silent when quiet). */
export async function prepareEngine(options: { quiet?: boolean; image?: string } = {}): Promise<Engine> {
  const { docker, info } = await connectEngine();
  // Docker at its usual socket is the expected case; anything else is named so the user knows where cells run.
  if (!options.quiet && (info.name !== 'Docker' || info.endpoint !== 'unix:///var/run/docker.sock')) {
    process.stderr.write(`codecell: sandbox engine: ${info.name} ${info.version} at ${info.endpoint}\n`);
  }
  if (options.image) return { docker, image: options.image };
  const printer = options.quiet ? undefined : createProgressPrinter(process.stderr);
  try {
    const ensured = await ensureImage(docker, printer ? { onProgress: printer.onProgress } : {});
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
