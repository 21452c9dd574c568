// A chat session whose sandbox image is still being built: the chat starts at once and a prompt waits for the real session.
import type { SessionEvent, UsageTotals } from '../core/events.js';
import type { CellRecord, ChatSession } from '../core/session-api.js';
import { errorEvent } from '../core/error-event.js';
import type { SandboxState } from '../sandbox/types.js';
import type { ManifestEntry } from '../store/types.js';

const NO_USAGE: UsageTotals = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

export class PendingSession implements ChatSession {
  private inner?: ChatSession;
  private failure?: unknown;
  private closed = false;
  private model_: string;
  private confirm?: boolean;
  private readonly ready: Promise<ChatSession | undefined>;

  constructor(
    opening: Promise<ChatSession>,
    private readonly defaults: { model: string; outDir: string },
  ) {
    this.model_ = defaults.model;
    this.ready = opening.then(
      (session) => {
        this.inner = session;
        // What the user changed while waiting carries over.
        if (session.model !== this.model_) session.setModel(this.model_);
        if (this.confirm !== undefined) session.setConfirm(this.confirm);
        if (this.closed) void session.close().catch(() => undefined);
        return session;
      },
      (err: unknown) => {
        this.failure = err;
        return undefined;
      },
    );
  }

  get id(): string {
    return this.inner?.id ?? '';
  }
  get model(): string {
    return this.inner?.model ?? this.model_;
  }
  get outDir(): string {
    return this.inner?.outDir ?? this.defaults.outDir;
  }
  get sandboxState(): SandboxState {
    return this.inner?.sandboxState ?? (this.failure ? 'stopped' : 'starting');
  }

  async *send(prompt: string, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    const aborted = new Promise<'aborted'>((resolve) => {
      if (signal?.aborted) resolve('aborted');
      signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    const session = await Promise.race([this.ready, aborted]);
    if (session === 'aborted') {
      yield { type: 'done', status: 'cancelled', answer: '', usage: NO_USAGE, files: [] };
      return;
    }
    if (!session) {
      yield errorEvent(this.failure);
      yield { type: 'done', status: 'error', answer: '', usage: NO_USAGE, files: [] };
      return;
    }
    yield* session.send(prompt, signal);
  }

  async interrupt(): Promise<void> {
    await this.inner?.interrupt();
  }
  async restartKernel(): Promise<void> {
    await this.inner?.restartKernel();
  }
  undo(): boolean {
    return this.inner?.undo() ?? false;
  }
  async reset(): Promise<void> {
    await (await this.ready)?.reset();
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
    const session = await this.ready;
    if (!session) throw this.failure;
    return session.upload(hostPath, name);
  }
  files(): ManifestEntry[] {
    return this.inner?.files() ?? [];
  }
  usage(): UsageTotals {
    return this.inner?.usage() ?? NO_USAGE;
  }
  cells(): CellRecord[] {
    return this.inner?.cells() ?? [];
  }
  /** Does not wait for a build in progress: leaving must be quick; the session is closed once it exists. */
  async close(): Promise<void> {
    this.closed = true;
    await this.inner?.close();
  }
}
