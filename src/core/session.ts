// The agent loop: user message → model stream → sandbox cells → results back to the model, as events.
import { randomUUID } from 'node:crypto';
import type { CellEvent, CellResult, Sandbox, SandboxState } from '../sandbox/types.js';
import { SandboxError } from '../sandbox/types.js';
import type { ChatMessage, ModelClient, ToolCall, Usage } from '../llm/types.js';
import { ModelError } from '../llm/types.js';
import type { ManifestEntry } from '../store/types.js';
import type { SessionEvent, UsageTotals } from './events.js';
import { unreachable } from './events.js';
import type { ApprovalHandler, CellRecord, ChatSession } from './session-api.js';
import { Channel } from './channel.js';
import { modelView, type CellSummary } from './model-view.js';
import { OutputFile } from './output-file.js';

/** Where saved files go; implemented by store/OutputStore. */
export interface FileSink {
  save(file: { turn: number; source: string; data: Buffer; mime?: string }): Promise<ManifestEntry>;
  list(): ManifestEntry[];
  readonly outDir: string;
}

/** Append-only recording; implemented by store/SessionLog. */
export interface Recorder {
  readonly id: string;
  append(kind: string, data: unknown): void;
  /** Where a cell's full output may be written (optional). */
  outputPath?(callId: string): string;
}

export type PriceFn = (model: string, usage: Usage) => number | undefined;

export interface SessionOptions {
  client: ModelClient;
  sandbox: Sandbox;
  files: FileSink;
  recorder?: Recorder;
  model: string;
  systemPrompt: string;
  maxTurns: number;
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

  private record(kind: string, data: unknown): void {
    try {
      this.options.recorder?.append(kind, data);
    } catch {
      // Recording must never break the conversation; the store reports disk problems on its own.
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

  async *send(prompt: string, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    for await (const event of this.loop(prompt, signal)) {
      this.record('event', stripBinary(event));
      yield event;
    }
  }

  private async *loop(prompt: string, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    const turn = ++this.turn;
    const turnFiles: ManifestEntry[] = [];
    let turnUsage: UsageTotals = { ...ZERO };
    this.pushMessage({ role: 'user', content: prompt });
    yield { type: 'turn_start', turn };
    let answer = '';
    const { maxTurns, budgetUsd } = this.options;

    for (let step = 0; ; step++) {
      if (step >= maxTurns) {
        yield { type: 'notice', level: 'warn', text: `stopped after ${maxTurns} model calls (--max-turns); ask to continue if needed` };
        yield { type: 'done', status: 'max_turns', answer, usage: turnUsage, files: turnFiles };
        return;
      }
      // 1. Stream the model's reply.
      let text = '';
      let calls: ToolCall[] = [];
      const callIds = new Map<number, string>();
      try {
        for await (const ev of this.options.client.stream({ model: this.modelName, messages: this.messages, signal })) {
          switch (ev.type) {
            case 'text_delta':
              text += ev.text;
              yield { type: 'text_delta', turn, text: ev.text };
              break;
            case 'reasoning_delta':
              yield { type: 'reasoning_delta', turn, text: ev.text };
              break;
            case 'tool_call_start':
              callIds.set(ev.index, ev.id);
              if (ev.name === 'python') yield { type: 'code_start', turn, callId: ev.id };
              break;
            case 'code_delta':
              yield { type: 'code_delta', turn, callId: callIds.get(ev.index) ?? ev.id, text: ev.text };
              break;
            case 'tool_call_end':
              if (ev.call.code !== undefined) yield { type: 'code_end', turn, callId: ev.call.id, code: ev.call.code };
              break;
            case 'usage': {
              const cost = this.options.price?.(this.modelName, ev.usage);
              const u: UsageTotals = { ...ev.usage, ...(cost !== undefined ? { costUsd: cost } : {}) };
              turnUsage = addUsage(turnUsage, u);
              this.totals = addUsage(this.totals, u);
              yield { type: 'usage', turn, usage: turnUsage, session: this.usage() };
              break;
            }
            case 'finish':
              text = ev.text || text;
              calls = ev.toolCalls;
              break;
            default:
              unreachable(ev);
          }
        }
      } catch (err) {
        if (signal?.aborted || (err instanceof ModelError && err.kind === 'aborted')) {
          yield { type: 'notice', level: 'info', text: 'turn cancelled' };
          yield { type: 'done', status: 'cancelled', answer: text, usage: turnUsage, files: turnFiles };
          return;
        }
        yield errorEvent(err);
        yield { type: 'done', status: 'error', answer: text, usage: turnUsage, files: turnFiles };
        return;
      }

      yield { type: 'text', turn, text };
      this.pushMessage({
        role: 'assistant',
        content: text || null,
        ...(calls.length
          ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) }
          : {}),
      });
      answer = text;

      if (budgetUsd !== undefined && (this.totals.costUsd ?? 0) > budgetUsd) {
        // Tool calls the model asked for still need answers, or the conversation cannot continue later.
        for (const c of calls) this.pushMessage({ role: 'tool', tool_call_id: c.id, content: 'Not run: the budget was exhausted.' });
        yield { type: 'notice', level: 'warn', text: `budget of $${budgetUsd.toFixed(4)} exceeded ($${(this.totals.costUsd ?? 0).toFixed(4)} spent); stopping` };
        yield { type: 'done', status: 'budget', answer, usage: turnUsage, files: turnFiles };
        return;
      }
      if (calls.length === 0) {
        yield { type: 'done', status: 'ok', answer, usage: turnUsage, files: turnFiles };
        return;
      }

      // 2. Run each tool call in order.
      let cancelled = false;
      for (const call of calls) {
        if (cancelled || signal?.aborted) {
          this.pushMessage({ role: 'tool', tool_call_id: call.id, content: 'Not run: the user cancelled the turn.' });
          continue;
        }
        if (call.name !== 'python' || call.code === undefined) {
          const msg = `Unknown tool "${call.name}". The only tool is \`python\` with a \`code\` string argument.`;
          this.pushMessage({ role: 'tool', tool_call_id: call.id, content: msg });
          yield { type: 'notice', level: 'warn', text: `the model called an unknown tool "${call.name}"; told it to use python` };
          continue;
        }
        let code = call.code;
        if (this.confirm && this.options.approve) {
          yield { type: 'approval_request', turn, callId: call.id, code };
          const decision = await this.options.approve({ turn, callId: call.id, code });
          if (decision.action === 'skip') {
            const view = modelView({ status: 'skipped', output: '', files: [], images: [] }, this.options.modelOutputChars);
            this.pushMessage({ role: 'tool', tool_call_id: call.id, content: view });
            yield { type: 'cell_end', turn, callId: call.id, status: 'skipped', durationMs: 0, stateLost: false, modelView: view };
            continue;
          }
          if (decision.action === 'edit') code = decision.code;
        }
        const outcome = yield* this.runCell(turn, call.id, code, signal, turnFiles);
        this.pushMessage({ role: 'tool', tool_call_id: call.id, content: outcome.view });
        if (outcome.fatal) {
          for (const rest of calls.slice(calls.indexOf(call) + 1)) {
            this.pushMessage({ role: 'tool', tool_call_id: rest.id, content: 'Not run: the sandbox failed.' });
          }
          yield { type: 'done', status: 'error', answer, usage: turnUsage, files: turnFiles };
          return;
        }
        if (outcome.status === 'interrupted' && signal?.aborted) cancelled = true;
      }
      if (cancelled || signal?.aborted) {
        yield { type: 'done', status: 'cancelled', answer, usage: turnUsage, files: turnFiles };
        return;
      }
    }
  }

  /** Runs one cell, yielding its events live; returns what the model should read. */
  private async *runCell(
    turn: number,
    callId: string,
    code: string,
    signal: AbortSignal | undefined,
    turnFiles: ManifestEntry[],
  ): AsyncGenerator<SessionEvent, { view: string; status: string; fatal: boolean }> {
    try {
      if (this.options.sandbox.state === 'stopped' || this.options.sandbox.state === 'starting') {
        yield { type: 'sandbox_state', state: 'starting' };
      }
      await this.ensureReady();
    } catch (err) {
      const ev = errorEvent(err);
      yield ev;
      const view = `The sandbox could not start: ${ev.type === 'error' ? ev.message : ''}`;
      return { view, status: 'error', fatal: true };
    }

    yield { type: 'cell_start', turn, callId };
    const channel = new Channel<SessionEvent>();
    const summary: CellSummary = { status: 'ok', output: '', files: [], images: [] };
    const keep = this.options.modelOutputChars * 50; // enough for head+tail; the full text goes to disk
    const fullPath = this.options.recorder?.outputPath?.(callId);
    const full = fullPath ? new OutputFile(fullPath) : undefined;
    let saving: Promise<void> = Promise.resolve();
    const saveFailures: string[] = [];
    let figure = 0;

    const save = (source: string, data: Buffer, mime?: string): Promise<ManifestEntry | undefined> =>
      this.options.files.save({ turn, source, data, ...(mime ? { mime } : {}) }).then(
        (entry) => {
          turnFiles.push(entry);
          return entry;
        },
        (err: unknown) => {
          const e = errorEvent(err);
          saveFailures.push(`${source}: ${e.type === 'error' ? e.message : String(err)}`);
          channel.push(e);
          return undefined;
        },
      );

    const onEvent = (ev: CellEvent): void => {
      switch (ev.type) {
        case 'stdout':
        case 'stderr':
          full?.write(ev.text);
          if (summary.output.length < keep) summary.output += ev.text;
          channel.push({ type: 'cell_output', turn, callId, stream: ev.type, text: ev.text });
          break;
        case 'result':
          summary.result = ev.text;
          channel.push({ type: 'cell_result', turn, callId, text: ev.text });
          break;
        case 'error':
          summary.error = { ename: ev.ename, evalue: ev.evalue, traceback: ev.traceback };
          channel.push({ type: 'cell_error', turn, callId, ename: ev.ename, evalue: ev.evalue, traceback: ev.traceback });
          break;
        case 'image': {
          const name = `figure-${turn}-${++figure}.png`;
          saving = saving.then(async () => {
            const entry = await save(name, ev.data, 'image/png');
            if (entry) summary.images.push(entry.name);
            channel.push({ type: 'cell_image', turn, callId, mime: ev.mime, data: ev.data, width: ev.width, height: ev.height, ...(entry ? { file: entry } : {}) });
          });
          break;
        }
        case 'file':
          saving = saving.then(async () => {
            const entry = await save(ev.file.name, ev.file.data);
            if (entry) {
              summary.files.push({ source: ev.file.name, name: entry.name });
              channel.push({ type: 'file_saved', turn, callId, file: entry });
            }
          });
          break;
        case 'file_skipped':
          channel.push({ type: 'notice', level: 'warn', text: `not saved: ${ev.name} (${ev.reason})` });
          break;
        case 'notice':
          channel.push({ type: 'notice', level: 'warn', text: ev.text });
          break;
        default:
          unreachable(ev);
      }
    };

    yield { type: 'sandbox_state', state: 'running' };
    const started = Date.now();
    let result: CellResult | undefined;
    let failure: unknown;
    const running = this.options.sandbox
      .run(code, { onEvent, ...(signal ? { signal } : {}), ...(this.options.cellTimeoutMs ? { timeoutMs: this.options.cellTimeoutMs } : {}) })
      .then(
        (r) => {
          result = r;
        },
        (err: unknown) => {
          failure = err;
        },
      )
      .then(() => saving)
      .finally(() => channel.close());

    for await (const ev of channel) yield ev;
    await running;
    yield { type: 'sandbox_state', state: this.options.sandbox.state };

    if (!result) {
      const ev = errorEvent(failure);
      yield ev;
      const view = `The sandbox failed: ${ev.type === 'error' ? ev.message : String(failure)}`;
      yield { type: 'cell_end', turn, callId, status: 'killed', durationMs: Date.now() - started, stateLost: true, modelView: view };
      return { view, status: 'killed', fatal: true };
    }
    summary.status = result.status;
    if (result.message) summary.message = result.message;
    if (!summary.error && result.error) summary.error = result.error;
    if (saveFailures.length) summary.message = [summary.message, `some files could not be saved on the host: ${saveFailures.join('; ')}`].filter(Boolean).join('; ');
    if (full && (await full.close()) && summary.output.length > this.options.modelOutputChars) summary.fullOutputPath = fullPath;
    const view = modelView(summary, this.options.modelOutputChars);
    this.cellLog.push({ turn, callId, code, status: result.status });
    this.record('cell', { turn, callId, code, status: result.status, count: result.count });
    yield {
      type: 'cell_end',
      turn,
      callId,
      status: result.status,
      durationMs: result.durationMs,
      stateLost: result.stateLost,
      ...(result.message ? { message: result.message } : {}),
      modelView: view,
    };
    return { view, status: result.status, fatal: false };
  }
}

/** Turns any failure into an error event with a fix, in the user's words. */
export function errorEvent(err: unknown): Extract<SessionEvent, { type: 'error' }> {
  if (err instanceof ModelError) return { type: 'error', kind: `model_${err.kind}`, message: err.message, fix: err.fix };
  if (err instanceof SandboxError) return { type: 'error', kind: `sandbox_${err.code}`, message: err.message, fix: err.fix };
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === 'ENOSPC') return { type: 'error', kind: 'disk_full', message: `the disk is full: ${e.message}`, fix: 'Free some space or choose another output folder with --out-dir.' };
  if (e?.code === 'EACCES' || e?.code === 'EROFS' || e?.code === 'EPERM') {
    return { type: 'error', kind: 'not_writable', message: `cannot write: ${e.message}`, fix: 'Choose a writable output folder with --out-dir.' };
  }
  return { type: 'error', kind: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/** Session logs keep image bytes out: the PNG is on disk and referenced by the manifest entry. */
function stripBinary(event: SessionEvent): unknown {
  if (event.type === 'cell_image') {
    const { data: _data, ...rest } = event;
    return { ...rest, bytes: _data.length };
  }
  return event;
}
