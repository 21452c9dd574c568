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

/**
 * The chat's session while it is still opening: the prompt is drawn at once and the model client, Docker
 * client, engine check and container start behind it. Calls that need the session wait for it; the
 * header reads "starting" until then. A failed opening is reported by the chat (see `failed`).
 */
export class PendingSession implements ChatSession {
  private inner: ChatSession | undefined;
  private model_: string;
  private confirm: boolean | undefined;
  private announced = false;
  private readonly opening: Promise<ChatSession>;

  constructor(
    opening: Promise<ChatSession>,
    /** What is known before the session exists; `sandboxState` reports its container booting early, if any. */
    private readonly known: { model: string; outDir: string; sandboxState?: () => SandboxState | undefined },
    /** What to tell a user who sends a prompt before the session is open (e.g. an image build), if anything. */
    private readonly openingNote: () => string | undefined = () => undefined,
  ) {
    this.model_ = known.model;
    this.opening = opening.then((session) => {
      // Choices made at the prompt before the session existed.
      if (this.model_ !== known.model) session.setModel(this.model_);
      if (this.confirm !== undefined) session.setConfirm(this.confirm);
      this.inner = session;
      return session;
    });
    this.opening.catch(() => undefined); // the chat reports it through `failed`
  }

  /** The opened session. */
  ready(): Promise<ChatSession> {
    return this.opening;
  }

  /** Rejects when the session cannot be opened (no Docker, no key): the chat then exits with that error. */
  get failed(): Promise<never> {
    return this.opening.then(() => new Promise<never>(() => undefined));
  }

  get id(): string {
    return this.inner?.id ?? '';
  }
  get model(): string {
    return this.inner?.model ?? this.model_;
  }
  get outDir(): string {
    return this.inner?.outDir ?? this.known.outDir;
  }
  get sandboxState(): SandboxState {
    return this.inner?.sandboxState ?? this.known.sandboxState?.() ?? 'starting';
  }
  async *send(prompt: string, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    const note = this.inner ? undefined : this.openingNote();
    if (note) yield { type: 'notice', level: 'info', text: note };
    const session = await this.opening;
    if (!this.announced) {
      // The header learns the session id here (it was not known when the prompt was drawn).
      this.announced = true;
      yield { type: 'session_start', sessionId: session.id, model: session.model, outDir: session.outDir };
    }
    yield* session.send(prompt, signal);
  }
  async interrupt(): Promise<void> {
    await this.inner?.interrupt();
  }
  async restartKernel(): Promise<void> {
    await (await this.opening).restartKernel();
  }
  undo(): boolean {
    return this.inner?.undo() ?? false;
  }
  async reset(): Promise<void> {
    await (await this.opening).reset();
  }
  setModel(model: string): void {
    this.model_ = model;
    this.inner?.setModel(model);
  }
  setConfirm(on: boolean): void {
    this.confirm = on;
    this.inner?.setConfirm(on);
  }
  async upload(hostPath: string, name?: string): Promise<string> {
    return (await this.opening).upload(hostPath, name);
  }
  files(): ManifestEntry[] {
    return this.inner?.files() ?? [];
  }
  usage(): UsageTotals {
    return this.inner?.usage() ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  }
  cells(): CellRecord[] {
    return this.inner?.cells() ?? [];
  }
  async close(): Promise<void> {
    // Quitting while the container starts must still remove it.
    const session = await this.opening.catch(() => undefined);
    await session?.close();
  }
}
