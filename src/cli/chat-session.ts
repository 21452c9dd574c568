// A ChatSession that also closes its session log when it closes, and can re-run a resumed session's cells.
import type { SessionEvent, UsageTotals } from '../core/events.js';
import type { Sandbox } from '../sandbox/types.js';
import type { CellRecord, ChatSession } from '../core/session-api.js';
import type { SandboxState } from '../sandbox/types.js';
import type { ManifestEntry } from '../store/types.js';

export class LoggedSession implements ChatSession {
  constructor(
    private readonly inner: ChatSession,
    private readonly log?: { close(): void },
    /** The session's own sandbox and the code cells of the session it resumes (for /rerun). */
    private readonly resumed?: { sandbox: Sandbox; cells: string[] },
  ) {}

  /** Cells a /rerun would run. */
  get rerunnable(): number {
    return this.resumed?.cells.length ?? 0;
  }

  /**
   * Runs the resumed session's successful cells again, in order, straight in the sandbox (no model), so
   * their variables come back. Files they write stay in /mnt/data but are not saved again.
   */
  async rerun(): Promise<string[]> {
    const r = this.resumed;
    if (!r || r.cells.length === 0) return ['nothing to re-run: this session did not resume one with cells'];
    const failed: string[] = [];
    const t0 = Date.now();
    for (const [i, code] of r.cells.entries()) {
      const result = await r.sandbox.run(code);
      if (result.status !== 'ok') {
        const why = result.error ? `${result.error.ename}: ${result.error.evalue}` : (result.message ?? result.status);
        failed.push(`cell ${i + 1}: ${why}`);
      }
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const n = r.cells.length;
    const head = `re-ran ${n} cell${n === 1 ? '' : 's'} in ${secs} s: ${n - failed.length} ok${failed.length ? `, ${failed.length} failed` : ''}`;
    return [head, ...failed];
  }

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
