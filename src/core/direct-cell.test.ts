import { describe, expect, it } from 'vitest';
import { Session, type Recorder } from './session.js';
import type { ModelClient } from '../llm/types.js';
import type { SessionEvent } from './events.js';
import { SandboxError, type CellResult, type RunOptions, type Sandbox, type SandboxState } from '../sandbox/types.js';
import { collect, fakeModel, memoryFiles, textReply } from './testing/fakes.js';

/** A sandbox stand-in that reports its state changes to subscribers, as the Docker one does. */
class StatefulSandbox implements Sandbox {
  id = 'fake';
  private current: SandboxState = 'stopped';
  private readonly listeners = new Set<(state: SandboxState) => void>();
  failStart = false;
  constructor(private readonly behave: (code: string, opts: RunOptions) => CellResult = () => ({ status: 'ok', count: 1, durationMs: 2, stateLost: false })) {}
  get state(): SandboxState {
    return this.current;
  }
  private set(state: SandboxState): void {
    this.current = state;
    for (const l of this.listeners) l(state);
  }
  onStateChange(listener: (state: SandboxState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async start() {
    if (this.failStart) throw new SandboxError('the engine is gone', 'Start Docker.', 'no_engine');
    this.set('starting');
    this.set('ready');
  }
  async run(code: string, opts: RunOptions = {}) {
    this.set('running');
    const r = this.behave(code, opts);
    this.set('ready');
    return r;
  }
  async interrupt() {}
  async restart() {
    this.set('restarting');
    this.set('ready');
  }
  async upload() {}
  async close() {
    this.set('stopped');
  }
}

function memoryRecorder(): Recorder & { records: { kind: string; data: unknown }[] } {
  const records: { kind: string; data: unknown }[] = [];
  return { id: 'sess-1', records, append: (kind, data) => void records.push({ kind, data }) };
}

function session(sandbox: Sandbox, recorder = memoryRecorder(), client: ModelClient = fakeModel([])) {
  return new Session({ client, sandbox, files: memoryFiles(), recorder, model: 'm', systemPrompt: 'sys', maxModelCalls: 3, modelOutputChars: 200 });
}

describe('Session.runCell (exec, /rerun)', () => {
  it('runs one cell as a turn of its own, with the events a model cell has, and records it with its source', async () => {
    const sandbox = new StatefulSandbox((_code, opts) => {
      opts.onEvent?.({ type: 'stdout', text: '42\n' });
      opts.onEvent?.({ type: 'file', file: { name: 'n.csv', data: Buffer.from('n\n'), sha256: '' } });
      return { status: 'ok', count: 1, durationMs: 2, stateLost: false };
    });
    const recorder = memoryRecorder();
    const s = session(sandbox, recorder);
    const events = await collect(s.runCell('print(42)', { source: 'exec' }));
    expect(events.map((e) => e.type)).toEqual([
      'session_start',
      'turn_start',
      'sandbox_state',
      'cell_start',
      'sandbox_state',
      'cell_output',
      'file_saved',
      'sandbox_state',
      'cell_end',
      'done',
    ]);
    expect(events[0]).toEqual({ type: 'session_start', sessionId: 'sess-1', model: 'm', outDir: '/tmp/out' });
    expect(events.find((e) => e.type === 'cell_start')).toEqual({ type: 'cell_start', turn: 1, callId: 'exec-1' });
    const done = events.at(-1) as Extract<SessionEvent, { type: 'done' }>;
    expect(done.status).toBe('ok');
    expect(done.files.map((f) => f.name)).toEqual(['n.csv']);

    expect(recorder.records.filter((r) => r.kind === 'cell')).toEqual([
      { kind: 'cell', data: { turn: 1, callId: 'exec-1', code: 'print(42)', status: 'ok', count: 1, source: 'exec' } },
    ]);
    const recordedTypes = recorder.records.filter((r) => r.kind === 'event').map((r) => (r.data as SessionEvent).type);
    expect(recordedTypes).toEqual(events.slice(1).map((e) => e.type)); // every event but session_start, which the log's meta says
    expect(recorder.records.some((r) => r.kind === 'message')).toBe(false); // the model's conversation is not touched
    expect(s.conversation()).toEqual([]);
    expect(s.cells()).toEqual([{ turn: 1, callId: 'exec-1', code: 'print(42)', status: 'ok' }]);
  });

  it('ends with an error event and done:error when the sandbox cannot start', async () => {
    const sandbox = new StatefulSandbox();
    sandbox.failStart = true;
    const events = await collect(session(sandbox).runCell('1', { source: 'rerun' }));
    expect(events.map((e) => e.type)).toEqual(['session_start', 'turn_start', 'sandbox_state', 'error', 'done']);
    expect(events[3]).toMatchObject({ type: 'error', kind: 'sandbox_no_engine', fix: 'Start Docker.' });
    expect(events[4]).toMatchObject({ type: 'done', status: 'error' });
  });

  it('a failing cell is done:error; the session goes on numbering turns after it', async () => {
    const sandbox = new StatefulSandbox(() => ({ status: 'error', count: 1, durationMs: 1, stateLost: false }));
    const s = session(sandbox, memoryRecorder(), fakeModel([textReply('hi')]));
    const cell = await collect(s.runCell('1/0', { source: 'rerun' }));
    expect(cell.at(-1)).toMatchObject({ type: 'done', status: 'error' });
    const turn = await collect(s.send('hello'));
    expect(turn[0]).toEqual({ type: 'turn_start', turn: 2 }); // session_start went out once, before the cell
    expect(turn.some((e) => e.type === 'session_start')).toBe(false);
  });
});

describe('Session.onSandboxState', () => {
  it('tells subscribers each state change (start, run, restart, stop) until they unsubscribe', async () => {
    const sandbox = new StatefulSandbox();
    const s = session(sandbox);
    const seen: SandboxState[] = [];
    const off = s.onSandboxState((state) => seen.push(state));
    await collect(s.runCell('x = 1', { source: 'exec' }));
    await s.restartKernel();
    off();
    await s.close();
    expect(seen).toEqual(['starting', 'ready', 'running', 'ready', 'restarting', 'ready']);
  });

  it('is a no-op subscription for a sandbox that cannot report its state', () => {
    const bare: Sandbox = {
      id: 'x',
      state: 'ready',
      start: async () => undefined,
      run: async () => ({ status: 'ok', count: 1, durationMs: 0, stateLost: false }),
      interrupt: async () => undefined,
      restart: async () => undefined,
      upload: async () => undefined,
      close: async () => undefined,
    };
    const off = session(bare).onSandboxState(() => undefined);
    expect(off).toBeTypeOf('function');
    off();
  });
});
