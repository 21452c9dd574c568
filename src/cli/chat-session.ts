// A ChatSession that also closes its session log when it closes (openSession hands the two back separately).
import type { SessionEvent, UsageTotals } from '../core/events.js';
import type { CellRecord, ChatSession } from '../core/session-api.js';
import type { SandboxState } from '../sandbox/types.js';
import type { ManifestEntry } from '../store/types.js';

export class LoggedSession implements ChatSession {
  constructor(
    private readonly inner: ChatSession,
    private readonly log?: { close(): void },
  ) {}

  get id(): string {
    return this.inner.id;
  }
  get model(): string {
    return this.inner.model;
  }
  get outDir(): string {
    return this.inner.outDir;
  }
  get sandboxState(): SandboxState {
    return this.inner.sandboxState;
  }
  send(prompt: string, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    return this.inner.send(prompt, signal);
  }
  interrupt(): Promise<void> {
    return this.inner.interrupt();
  }
  restartKernel(): Promise<void> {
    return this.inner.restartKernel();
  }
  undo(): boolean {
    return this.inner.undo();
  }
  reset(): Promise<void> {
    return this.inner.reset();
  }
  setModel(model: string): void {
    this.inner.setModel(model);
  }
  setConfirm(on: boolean): void {
    this.inner.setConfirm(on);
  }
  upload(hostPath: string, name?: string): Promise<string> {
    return this.inner.upload(hostPath, name);
  }
  files(): ManifestEntry[] {
    return this.inner.files();
  }
  usage(): UsageTotals {
    return this.inner.usage();
  }
  cells(): CellRecord[] {
    return this.inner.cells();
  }
  async close(): Promise<void> {
    try {
      await this.inner.close();
    } finally {
      try {
        this.log?.close();
      } catch {
        // the log reports its own disk problems when written; closing must not mask the exit
      }
    }
  }
}
