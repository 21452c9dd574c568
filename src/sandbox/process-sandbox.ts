// The process-sandbox backend: the same host side as a container (DockerSandbox) with kernels started under bubblewrap.
import fs from 'node:fs';
import path from 'node:path';
import { guestDir } from './build-context.js';
import { DockerSandbox, type KernelHandle, type KernelLauncher } from './docker-sandbox.js';
import type { ContainerHandlers, ContainerSpec } from './kernel-container.js';
import { startProcessKernel } from './process-kernel.js';
import type { SandboxOptions } from './types.js';

export class BubblewrapLauncher implements KernelLauncher {
  readonly name = 'bubblewrap';
  private readonly kernelSource: Buffer;

  /** `rootfs` from ensureRootfs(); kernel.py is this package's own, bound in read-only. */
  constructor(
    readonly rootfs: string,
    kernelSource?: Buffer,
  ) {
    this.kernelSource = kernelSource ?? fs.readFileSync(path.join(guestDir(), 'kernel.py'));
  }

  start(spec: ContainerSpec, handlers: ContainerHandlers): Promise<{ kernel: KernelHandle; readyMs: number }> {
    return startProcessKernel(
      { rootfs: this.rootfs, kernelSource: this.kernelSource, limits: spec.limits, ...(spec.labels ? { labels: spec.labels } : {}) },
      handlers,
    );
  }
}

/** A sandbox whose kernel runs under bubblewrap in `rootfs`. */
export function createProcessSandbox(rootfs: string, options: SandboxOptions = {}): DockerSandbox {
  return new DockerSandbox(null, options, new BubblewrapLauncher(rootfs));
}
