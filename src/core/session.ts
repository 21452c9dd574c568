// The agent loop: user message → model stream → sandbox cells → results back to the model, as events.
import { randomUUID } from 'node:crypto';
import type { Sandbox, SandboxState } from '../sandbox/types.js';
import type { ChatMessage, ModelClient, ToolCall, ToolProtocol } from '../llm/types.js';
import { errorEvent } from './error-event.js';
import { runCell, type CellOutcome, type FileSink } from './cell-runner.js';
import type { ManifestEntry } from '../store/types.js';
import type { SessionEvent, UsageTotals } from './events.js';
import type { ApprovalHandler, CellRecord, ChatSession } from './session-api.js';
import { modelTurn, type PriceFn } from './model-turn.js';
import { type SchedulerHost, ToolScheduler } from './tool-scheduler.js';
import { TurnLimits } from './turn-limits.js';
import { runDirectCell, type DirectCellOptions } from './direct-cell.js';
import type { LoggedEvent, RecordData, RecordKind } from './records.js';

export type { FileSink } from './cell-runner.js';
export type { PriceFn } from './model-turn.js';

/** Append-only recording; implemented by store/SessionLog. */
export interface Recorder {
  readonly id: string;
  append<K extends RecordKind>(kind: K, data: RecordData[K]): void;
  /** Where a cell's full output may be written (optional). */
  outputPath?(callId: string): string;
}

export interface SessionOptions {
  client: ModelClient;
  sandbox: Sandbox;
  files: FileSink;
  recorder?: Recorder;
  model: string;
  systemPrompt: string;
  /** Model calls one prompt may make before it stops (the user-facing setting is `maxTurns`, `--max-turns`). */
  maxModelCalls: number;
  /** Characters of cell output the model gets back (head + tail). */
  modelOutputChars: number;
  budgetUsd?: number;
  price?: PriceFn;
  confirm?: boolean;
  approve?: ApprovalHandler;
  /** Earlier conversation (resume). */
  history?: ChatMessage[];
  cellTimeoutMs?: number;
  /** Copy a host file into the sandbox (front ends' /upload and --file). */
  readHostFile?: (path: string) => Promise<Buffer>;
  /** Starts the sandbox; defaults to sandbox.start(). Lets open-session start it early in the background. */
  ready?: Promise<void>;
}

const ZERO: UsageTotals = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

function addUsage(a: UsageTotals, b: UsageTotals): UsageTotals {
  const cost = a.costUsd !== undefined || b.costUsd !== undefined ? (a.costUsd ?? 0) + (b.costUsd ?? 0) : undefined;
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    ...(cost !== undefined ? { costUsd: cost } : {}),
  };
}

export class Session implements ChatSession {
  readonly id: string;
  private modelName: string;
  private confirm: boolean;
  private messages: ChatMessage[];
  private turn = 0;
  private totals: UsageTotals = { ...ZERO };
  private cellLog: CellRecord[] = [];
  private ready: Promise<void> | undefined;
  private closed = false;
  /** Why recording stopped (a full or read-only data folder); the user is told once. */
  private recordFailure?: string;
  private recordFailureShown = false;
  /** The tool protocol of the last model call, recorded in the log whenever it changes. */
  private protocol: ToolProtocol | undefined;
  /** session_start went out (before the first event of the first turn or cell, to every front end alike). */
  private announced = false;

  constructor(private readonly options: SessionOptions) {
    this.id = options.recorder?.id ?? randomUUID();
    this.modelName = options.model;
    this.confirm = options.confirm ?? false;
    this.messages = [{ role: 'system', content: options.systemPrompt }, ...(options.history ?? [])];
    this.turn = this.messages.filter((m) => m.role === 'user').length;
    this.ready = options.ready;
  }

  get model(): string {
    return this.modelName;
  }
  get outDir(): string {
    return this.options.files.outDir;
  }
  get sandboxState(): SandboxState {
    return this.options.sandbox.state;
  }

  /** Calls `listener` on every change of the sandbox's state (ready, running, restarting, stopped); returns the unsubscribe. */
  onSandboxState(listener: (state: SandboxState) => void): () => void {
    return this.options.sandbox.onStateChange?.(listener) ?? (() => undefined);
  }

  setModel(model: string): void {
    this.modelName = model;
    this.record('meta', { model });
  }
  setConfirm(on: boolean): void {
    this.confirm = on;
  }
  files(): ManifestEntry[] {
    return this.options.files.list();
  }
  usage(): UsageTotals {
    return { ...this.totals };
  }
  cells(): CellRecord[] {
    return [...this.cellLog];
  }
  /** The conversation as the model sees it (without the system prompt). */
  conversation(): ChatMessage[] {
    return this.messages.slice(1);
  }

  undo(): boolean {
    let last = -1;
    for (let i = this.messages.length - 1; i >= 1; i--) {
      if (this.messages[i]?.role === 'user') {
        last = i;
        break;
      }
    }
    if (last < 0) return false;
    this.messages = this.messages.slice(0, last);
    this.record('undo', { keep: this.messages.length - 1 });
    return true;
  }

  async reset(): Promise<void> {
    this.messages = this.messages.slice(0, 1);
    this.cellLog = [];
    this.record('reset', {});
    await this.options.sandbox.restart();
  }

  async interrupt(): Promise<void> {
    await this.options.sandbox.interrupt();
  }

  async restartKernel(): Promise<void> {
    await this.options.sandbox.restart();
  }

  async upload(hostPath: string, name?: string): Promise<string> {
    const read = this.options.readHostFile;
    if (!read) throw new Error('uploads are not available in this session');
    const data = await read(hostPath);
    const target = name ?? hostPath.split(/[\\/]/).pop() ?? 'upload';
    await this.ensureReady();
    await this.options.sandbox.upload(target, data);
    this.record('upload', { hostPath, name: target, size: data.length });
    return `/mnt/data/${target}`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.options.sandbox.close();
  }

  private record<K extends RecordKind>(kind: K, data: RecordData[K]): void {
    try {
      this.options.recorder?.append(kind, data);
    } catch (err) {
      // Recording must never break the conversation, but the user must learn the record is incomplete.
      if (!this.recordFailure) {
        const e = errorEvent(err);
        this.recordFailure = `${e.message}; the rest of this session is not recorded${e.fix ? `. ${e.fix}` : ''}`;
      }
    }
  }

  private ensureReady(): Promise<void> {
    this.ready ??= this.options.sandbox.start();
    return this.ready.catch((err: unknown) => {
      this.ready = undefined; // let the next call try again
      throw err;
    });
  }

  private pushMessage(message: ChatMessage): void {
    this.messages.push(message);
    this.record('message', message);
  }

  send(prompt: string, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    return this.recorded(this.loop(prompt, signal));
  }

  /**
   * Runs one cell outside a model turn (`exec`, the chat's /rerun): a turn of its own with the events a
   * model's cell has, recorded in the session log with its `source`. The model's conversation is not changed.
   */
  runCell(code: string, options: DirectCellOptions): AsyncGenerator<SessionEvent> {
    const { sandbox, files, modelOutputChars, cellTimeoutMs, recorder } = this.options;
    const cell = runDirectCell(
      {
        sandbox,
        files,
        modelOutputChars,
        ...(cellTimeoutMs ? { cellTimeoutMs } : {}),
        ...(recorder?.outputPath ? { outputPath: (callId: string) => recorder.outputPath!(callId) } : {}),
        ready: () => this.ensureReady(),
        nextTurn: () => ++this.turn,
        cellDone: (record) => {
          this.cellLog.push({ turn: record.turn, callId: record.callId, code: record.code, status: record.status });
          this.record('cell', record);
        },
      },
      code,
      options,
    );
    return this.recorded(cell);
  }

  /** Every event a front end gets: session_start first, once; each event recorded; a recording failure told once. */
  private async *recorded(events: AsyncGenerator<SessionEvent>): AsyncGenerator<SessionEvent> {
    if (!this.announced) {
      this.announced = true;
      // Not recorded: the log's own first record names the session, model and output folder.
      yield { type: 'session_start', sessionId: this.id, model: this.modelName, outDir: this.outDir };
    }
    for await (const event of events) {
      this.record('event', stripBinary(event));
      yield event;
      if (this.recordFailure && !this.recordFailureShown) {
        this.recordFailureShown = true;
        yield { type: 'notice', level: 'warn', text: this.recordFailure };
      }
    }
  }

  /** One prompt: model calls and their tool calls in turn, until the model answers without calls or a limit stops it. */
  private async *loop(prompt: string, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    const turn = ++this.turn;
    const files: ManifestEntry[] = [];
    let usage: UsageTotals = { ...ZERO };
    let answer = '';
    const done = (status: Extract<SessionEvent, { type: 'done' }>['status'], text = answer): SessionEvent => ({
      type: 'done',
      status,
      answer: text,
      usage,
      files,
    });
    this.pushMessage({ role: 'user', content: prompt });
    yield { type: 'turn_start', turn };
    const limits = new TurnLimits(this.options.maxModelCalls, this.options.budgetUsd);

    for (;;) {
      const limitReached = limits.beforeModelCall();
      if (limitReached) {
        yield { type: 'notice', level: 'warn', text: limitReached };
        yield done('max_turns');
        return;
      }
      const reply = yield* modelTurn({
        client: this.options.client,
        model: this.modelName,
        messages: this.messages,
        turn,
        lastProtocol: this.protocol,
        price: this.options.price,
        addUsage: (u) => {
          usage = addUsage(usage, u);
          this.totals = addUsage(this.totals, u);
          return { turn: usage, session: this.usage() };
        },
        signal,
      });
      if (reply.status !== 'ok') {
        yield done(reply.status, reply.text);
        return;
      }
      if (reply.protocol !== this.protocol) {
        this.protocol = reply.protocol;
        this.record('meta', { toolProtocol: reply.protocol });
      }
      if (reply.reasoning) yield { type: 'reasoning', turn, text: reply.reasoning };
      yield { type: 'text', turn, text: reply.text };
      limits.noteReply(reply.calls);
      this.pushMessage(assistantMessage(reply.text, reply.calls));
      answer = reply.text;

      const scheduler = new ToolScheduler(reply.calls, this.schedulerHost(turn, files, signal));
      const overBudget = limits.overBudget(this.totals.costUsd);
      if (overBudget) {
        // Tool calls the model asked for still need answers, or the conversation cannot continue later.
        scheduler.stop('budget');
        yield { type: 'notice', level: 'warn', text: overBudget };
        yield done('budget');
        return;
      }
      if (reply.calls.length === 0) {
        yield done('ok');
        return;
      }
      const end = yield* scheduler.run();
      if (end !== 'continue') {
        yield done(end);
        return;
      }
    }
  }

  /** What the tool scheduler may do in this session: start the sandbox, run and record cells, answer calls. */
  private schedulerHost(turn: number, files: ManifestEntry[], signal: AbortSignal | undefined): SchedulerHost {
    return {
      turn,
      signal,
      approval: () => (this.confirm ? this.options.approve : undefined),
      modelOutputChars: this.options.modelOutputChars,
      sandboxState: () => this.options.sandbox.state,
      startSandbox: () => this.ensureReady(),
      runCell: (callId, code) => this.runToolCell(turn, callId, code, files, signal),
      answer: (callId, content) => this.pushMessage({ role: 'tool', tool_call_id: callId, content }),
    };
  }

  private async *runToolCell(
    turn: number,
    callId: string,
    code: string,
    files: ManifestEntry[],
    signal?: AbortSignal,
  ): AsyncGenerator<SessionEvent, CellOutcome> {
    const outcome = yield* runCell({
      sandbox: this.options.sandbox,
      files: this.options.files,
      turn,
      callId,
      code,
      modelOutputChars: this.options.modelOutputChars,
      savedFiles: files,
      ...(signal ? { signal } : {}),
      ...(this.options.cellTimeoutMs ? { timeoutMs: this.options.cellTimeoutMs } : {}),
      ...(this.options.recorder?.outputPath ? { fullOutputPath: this.options.recorder.outputPath(callId) } : {}),
    });
    this.cellLog.push({ turn, callId, code, status: outcome.status });
    this.record('cell', { turn, callId, code, status: outcome.status, count: outcome.result?.count });
    return outcome;
  }
}

/** The assistant's message as the conversation keeps it: its text, and its tool calls in the API's shape. */
function assistantMessage(text: string, calls: ToolCall[]): ChatMessage {
  return {
    role: 'assistant',
    content: text || null,
    ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) } : {}),
  };
}

/** Session logs keep image bytes out: the PNG is on disk and referenced by the manifest entry. */
function stripBinary(event: SessionEvent): LoggedEvent {
  if (event.type === 'cell_image') {
    const { data: _data, ...rest } = event;
    return { ...rest, bytes: _data.length };
  }
  return event;
}
