// A scripted ChatSession for UI tests and development: realistic event sequences with delays, no model or Docker.
import type { SessionEvent, UsageTotals } from '../../core/events.js';
import type { ApprovalHandler, CellRecord, ChatSession } from '../../core/session-api.js';
import type { SandboxState } from '../../sandbox/types.js';
import type { ManifestEntry } from '../../store/types.js';
import { makePng } from './png.js';

export interface FakeSessionOptions {
  approve?: ApprovalHandler;
  /** Pause between streamed events, ms (0 in unit tests). */
  delayMs?: number;
  model?: string;
  outDir?: string;
  id?: string;
}

const zero: UsageTotals = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * What the prompt asks for picks the script: "loop" runs until interrupted, "error" raises, "plot" draws
 * an image and saves a file, "long" prints many lines; anything else prints and answers.
 */
export class FakeSession implements ChatSession {
  readonly id: string;
  model: string;
  readonly outDir: string;
  private state: SandboxState = 'ready';
  private readonly stateListeners = new Set<(state: SandboxState) => void>();
  confirm = false;
  /** Every call the UI made, for assertions. */
  readonly calls: string[] = [];
  private turn = 0;
  private exchanges: string[] = [];
  private saved: ManifestEntry[] = [];
  private totals: UsageTotals = { ...zero };
  private records: CellRecord[] = [];
  private wakeCell: (() => void) | undefined;
  private stubborn = false;

  constructor(private readonly options: FakeSessionOptions = {}) {
    this.id = options.id ?? 'fake-session';
    this.model = options.model ?? 'fake-model';
    this.outDir = options.outDir ?? '/tmp/codecell-fake-out';
  }

  get sandboxState(): SandboxState {
    return this.state;
  }
  /** Sets the state and tells the subscribers, as a real sandbox does. */
  set sandboxState(state: SandboxState) {
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  /** How many state subscribers are attached (the chat must subscribe, and unsubscribe when it leaves). */
  get stateSubscribers(): number {
    return this.stateListeners.size;
  }

  onSandboxState(listener: (state: SandboxState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  async *runCell(code: string, options: { source: string; signal?: AbortSignal }): AsyncGenerator<SessionEvent> {
    this.calls.push(`runCell:${options.source}:${code}`);
    const turn = ++this.turn;
    const callId = `${options.source}-${turn}`;
    yield { type: 'turn_start', turn };
    yield* this.playCell(turn, callId, code, options.signal);
    this.records.push({ turn, callId, code, status: 'ok' });
    yield { type: 'done', status: 'ok', answer: '', usage: zero, files: [] };
  }

  async *send(prompt: string, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    this.calls.push(`send:${prompt}`);
    const turn = ++this.turn;
    const delay = this.options.delayMs ?? 0;
    const cancelled = (): SessionEvent => ({ type: 'done', status: 'cancelled', answer: '', usage: this.totals, files: [] });
    yield { type: 'turn_start', turn };
    for (const word of ['Let me ', 'compute ', 'that.']) {
      await sleep(delay, signal);
      if (signal?.aborted) return yield cancelled();
      yield { type: 'text_delta', turn, text: word };
    }
    yield { type: 'text', turn, text: 'Let me compute that.' };
    const callId = `call_${turn}`;
    const code = this.codeFor(prompt);
    yield { type: 'code_start', turn, callId };
    for (const line of code.split(/(?<=\n)/)) {
      await sleep(delay, signal);
      if (signal?.aborted) return yield cancelled();
      yield { type: 'code_delta', turn, callId, text: line };
    }
    yield { type: 'code_end', turn, callId, code };
    if (this.confirm && this.options.approve) {
      yield { type: 'approval_request', turn, callId, code };
      const decision = await this.options.approve({ turn, callId, code });
      if (decision.action === 'skip') {
        yield { type: 'cell_end', turn, callId, status: 'skipped', durationMs: 0, stateLost: false, modelView: 'skipped' };
        yield { type: 'done', status: 'ok', answer: '', usage: this.totals, files: [] };
        return;
      }
    }
    yield* this.playCell(turn, callId, prompt, signal);
    this.records.push({ turn, callId, code, status: 'ok' });
    this.totals = {
      promptTokens: this.totals.promptTokens + 100,
      completionTokens: this.totals.completionTokens + 20,
      totalTokens: this.totals.totalTokens + 120,
      costUsd: 0.0012 * turn,
    };
    yield { type: 'usage', turn, usage: { promptTokens: 100, completionTokens: 20, totalTokens: 120 }, session: this.totals };
    if (signal?.aborted) return yield cancelled();
    yield { type: 'text_delta', turn, text: 'The answer is **42**.' };
    yield { type: 'text', turn, text: 'The answer is **42**.' };
    this.exchanges.push(prompt);
    yield { type: 'done', status: 'ok', answer: 'The answer is **42**.', usage: this.totals, files: [...this.saved] };
  }

  private codeFor(prompt: string): string {
    if (prompt.includes('loop')) return 'while True:\n    pass\n';
    if (prompt.includes('error')) return '1 / 0\n';
    if (prompt.includes('plot')) return 'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()\n';
    if (prompt.includes('long')) return 'for i in range(100):\n    print(i)\n';
    return 'x = 6 * 7\nprint(x)\n';
  }

  private async *playCell(turn: number, callId: string, prompt: string, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    const delay = this.options.delayMs ?? 0;
    const started = Date.now();
    this.sandboxState = 'running';
    yield { type: 'sandbox_state', state: 'running' };
    yield { type: 'cell_start', turn, callId };
    let status: 'ok' | 'error' | 'interrupted' = 'ok';
    if (prompt.includes('loop')) {
      this.stubborn = prompt.includes('stubborn');
      yield { type: 'cell_output', turn, callId, stream: 'stdout', text: 'spinning\n' };
      await new Promise<void>((resolve) => {
        this.wakeCell = resolve;
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      status = 'interrupted';
      yield { type: 'cell_error', turn, callId, ename: 'KeyboardInterrupt', evalue: '', traceback: ['KeyboardInterrupt'] };
    } else if (prompt.includes('error')) {
      status = 'error';
      yield {
        type: 'cell_error',
        turn,
        callId,
        ename: 'ZeroDivisionError',
        evalue: 'division by zero',
        traceback: ['Traceback (most recent call last):', '  Cell In[1], line 1', 'ZeroDivisionError: division by zero'],
      };
    } else if (prompt.includes('plot')) {
      const data = makePng(60, 40, (x, y) => [x * 4, y * 6, 128]);
      const file: ManifestEntry = {
        id: `f_${turn}`,
        session: this.id,
        turn,
        name: `figure-${turn}.png`,
        source: `figure-${turn}.png`,
        mime: 'image/png',
        path: `${this.outDir}/figure-${turn}.png`,
        size: data.length,
        sha256: 'fake',
        created_at: new Date().toISOString(),
      };
      this.saved.push(file);
      yield { type: 'cell_image', turn, callId, mime: 'image/png', data, width: 60, height: 40, file };
      yield { type: 'file_saved', turn, callId, file };
    } else if (prompt.includes('long')) {
      for (let i = 0; i < 100; i += 10) {
        await sleep(delay, signal);
        yield { type: 'cell_output', turn, callId, stream: 'stdout', text: Array.from({ length: 10 }, (_, k) => `${i + k}\n`).join('') };
      }
    } else {
      await sleep(delay, signal);
      yield { type: 'cell_output', turn, callId, stream: 'stdout', text: '42\n' };
    }
    this.sandboxState = 'ready';
    yield { type: 'sandbox_state', state: 'ready' };
    yield { type: 'cell_end', turn, callId, status, durationMs: Date.now() - started, stateLost: false, modelView: '' };
  }

  async interrupt(): Promise<void> {
    this.calls.push('interrupt');
    // A "stubborn" cell ignores SIGINT, like C code that never returns to Python.
    if (this.stubborn) return;
    this.wakeCell?.();
    this.wakeCell = undefined;
  }

  async restartKernel(): Promise<void> {
    this.calls.push('restartKernel');
    this.wakeCell?.();
  }

  undo(): boolean {
    this.calls.push('undo');
    return this.exchanges.pop() !== undefined;
  }

  async reset(): Promise<void> {
    this.calls.push('reset');
    this.exchanges = [];
    this.records = [];
  }

  setModel(model: string): void {
    this.calls.push(`setModel:${model}`);
    this.model = model;
  }

  setConfirm(on: boolean): void {
    this.calls.push(`setConfirm:${on}`);
    this.confirm = on;
  }

  async upload(hostPath: string, name?: string): Promise<string> {
    this.calls.push(`upload:${hostPath}`);
    return `/mnt/data/${name ?? hostPath.split('/').pop()}`;
  }

  files(): ManifestEntry[] {
    return [...this.saved];
  }

  usage(): UsageTotals {
    return this.totals;
  }

  cells(): CellRecord[] {
    return [...this.records];
  }

  async close(): Promise<void> {
    this.calls.push('close');
  }
}
