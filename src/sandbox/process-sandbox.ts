// The process-sandbox backends: the same host side as a container (DockerSandbox) with kernels started under bubblewrap or firejail.
import fs from 'node:fs';
import path from 'node:path';
import { guestDir } from './build-context.js';
import { DockerSandbox, type KernelHandle, type KernelLauncher } from './docker-sandbox.js';
import type { ContainerHandlers, ContainerSpec } from './kernel-container.js';
import { type ProcessBackend, startProcessKernel } from './process-kernel.js';
import type { SandboxOptions } from './types.js';

export class ProcessLauncher implements KernelLauncher {
  private readonly kernelSource: Buffer;

  /** `rootfs` from ensureRootfs(); kernel.py is this package's own, handed in at each start. */
  constructor(
    readonly name: ProcessBackend,
    readonly rootfs: string,
    kernelSource?: Buffer,
  ) {
    this.kernelSource = kernelSource ?? fs.readFileSync(path.join(guestDir(), 'kernel.py'));
  }

  start(spec: ContainerSpec, handlers: ContainerHandlers): Promise<{ kernel: KernelHandle; readyMs: number }> {
    return startProcessKernel(
      {
        backend: this.name,
        rootfs: this.rootfs,
        kernelSource: this.kernelSource,
        limits: spec.limits,
        ...(spec.labels ? { labels: spec.labels } : {}),
      },
      handlers,
    );
  }
}

export class BubblewrapLauncher extends ProcessLauncher {
  constructor(rootfs: string, kernelSource?: Buffer) {
    super('bubblewrap', rootfs, kernelSource);
  }
}

/** A sandbox whose kernel runs under bubblewrap (or firejail) in `rootfs`. */
export function createProcessSandbox(rootfs: string, options: SandboxOptions = {}, backend: ProcessBackend = 'bubblewrap'): DockerSandbox {
  return new DockerSandbox(null, options, new ProcessLauncher(backend, rootfs));
}
