// A ChatSession that also closes its session log when it closes, and can re-run a resumed session's cells.
import type { SessionEvent, UsageTotals } from '../core/events.js';
import type { CellRecord, ChatSession } from '../core/session-api.js';
import type { SandboxState } from '../sandbox/types.js';
import type { ManifestEntry } from '../store/types.js';

export class LoggedSession implements ChatSession {
  constructor(
    private readonly inner: ChatSession,
    private readonly log?: { close(): void },
    /** The code cells of the session it resumes (for /rerun). */
    private readonly resumedCells: string[] = [],
  ) {}

  /** Cells a /rerun would run. */
  get rerunnable(): number {
    return this.resumedCells.length;
  }

  /**
   * Runs the resumed session's successful cells again, in order, through the session (no model), so their
   * variables come back; each is recorded in the log as a `rerun` cell. Files they write are saved again.
   */
  async rerun(): Promise<string[]> {
    const cells = this.resumedCells;
    if (cells.length === 0) return ['nothing to re-run: this session did not resume one with cells'];
    const failed: string[] = [];
    const t0 = Date.now();
    for (const [i, code] of cells.entries()) {
      let why: string | undefined;
      for await (const event of this.inner.runCell(code, { source: 'rerun' })) {
        if (event.type === 'cell_error') why = `${event.ename}: ${event.evalue}`;
        else if (event.type === 'error') why = event.message;
        else if (event.type === 'cell_end' && event.status !== 'ok') why ??= event.message ?? event.status;
        else if (event.type === 'done' && event.status !== 'ok') why ??= event.status;
      }
      if (why) failed.push(`cell ${i + 1}: ${why}`);
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const n = cells.length;
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
  runCell(code: string, options: { source: string; signal?: AbortSignal }): AsyncGenerator<SessionEvent> {
    return this.inner.runCell(code, options);
  }
  onSandboxState(listener: (state: SandboxState) => void): () => void {
    return this.inner.onSandboxState(listener);
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
  private readonly opening: Promise<ChatSession>;
  /** State listeners and how to unsubscribe each: from the early container first, from the session once it is open. */
  private readonly listeners = new Map<(state: SandboxState) => void, () => void>();

  constructor(
    opening: Promise<ChatSession>,
    /** What is known before the session exists; `sandboxState` and `onSandboxState` report its container booting early, if any. */
    private readonly known: {
      model: string;
      outDir: string;
      sandboxState?: () => SandboxState | undefined;
      onSandboxState?: (listener: (state: SandboxState) => void) => () => void;
    },
    /** What to tell a user who sends a prompt before the session is open (e.g. an image build), if anything. */
    private readonly openingNote: () => string | undefined = () => undefined,
  ) {
    this.model_ = known.model;
    this.opening = opening.then((session) => {
      // Choices made at the prompt before the session existed.
      if (this.model_ !== known.model) session.setModel(this.model_);
      if (this.confirm !== undefined) session.setConfirm(this.confirm);
      this.inner = session;
      // Listeners move to the session's own sandbox, and hear its state (and learn the session id) at once.
      for (const [listener, off] of this.listeners) {
        off();
        this.listeners.set(listener, session.onSandboxState(listener));
        listener(session.sandboxState);
      }
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
    yield* session.send(prompt, signal);
  }
  async *runCell(code: string, options: { source: string; signal?: AbortSignal }): AsyncGenerator<SessionEvent> {
    yield* (await this.opening).runCell(code, options);
  }
  onSandboxState(listener: (state: SandboxState) => void): () => void {
    const off = this.inner ? this.inner.onSandboxState(listener) : (this.known.onSandboxState?.(listener) ?? (() => undefined));
    this.listeners.set(listener, off);
    return () => {
      this.listeners.get(listener)?.();
      this.listeners.delete(listener);
    };
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
