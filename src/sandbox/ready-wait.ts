// The wait for a kernel's `ready` line, shared by the container and the process kernels.
import type { KernelMessage } from './kernel-client.js';
import { SandboxError } from './types.js';

type Ready = Extract<KernelMessage, { type: 'ready' }>;

/** One pending wait for `ready`: the reader hands it the message, a death or a removal hands it the error. */
export class ReadyWait {
  private settle?: (message: Ready | Error) => void;

  /** A wait is pending (a `ready` line now goes to it, not to the cell handlers). */
  get waiting(): boolean {
    return this.settle !== undefined;
  }

  /**
   * Resolves with the kernel's `ready`, or rejects with what ended the kernel; after `timeoutMs` it rejects
   * with "did not start", the kernel's last stderr and `fix`.
   */
  wait(timeoutMs: number, stderrTail: () => string, fix: string): Promise<Ready> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle = undefined;
        const tail = stderrTail().trim();
        reject(new SandboxError(`the sandbox kernel did not start within ${Math.round(timeoutMs / 1000)} s${tail ? `: ${tail}` : ''}`, fix, 'container_dead'));
      }, timeoutMs);
      this.settle = (message) => {
        clearTimeout(timer);
        this.settle = undefined;
        if (message instanceof Error) reject(message);
        else resolve(message);
      };
    });
  }

  /** Hands the pending wait its `ready` (or the error that ended the kernel); nothing when none waits. */
  resolve(message: Ready | Error): void {
    this.settle?.(message);
  }
}
