// The agent loop: user message → model stream → sandbox cells → results back to the model, as events.
import { randomUUID } from 'node:crypto';
import type { Sandbox, SandboxState } from '../sandbox/types.js';
import type { ChatMessage, ModelClient, ToolCall, ToolProtocol, Usage } from '../llm/types.js';
import { ModelError } from '../llm/types.js';
import { errorEvent } from './error-event.js';
import { runCell, type CellOutcome, type FileSink } from './cell-runner.js';
import type { ManifestEntry } from '../store/types.js';
import type { SessionEvent, UsageTotals } from './events.js';
import { unreachable } from './events.js';
import type { ApprovalHandler, CellRecord, ChatSession } from './session-api.js';
import { modelView } from './model-view.js';
import type { LoggedEvent, RecordData, RecordKind } from './records.js';

export type { FileSink } from './cell-runner.js';

/** Append-only recording; implemented by store/SessionLog. */
export interface Recorder {
  readonly id: string;
  append<K extends RecordKind>(kind: K, data: RecordData[K]): void;
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
  /** Why recording stopped (a full or read-only data folder); the user is told once. */
  private recordFailure?: string;
  private recordFailureShown = false;
  /** The tool protocol of the last model call, recorded in the log whenever it changes. */
  private protocol: ToolProtocol | undefined;

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

  async *send(prompt: string, signal?: AbortSignal): AsyncGenerator<SessionEvent> {
    for await (const event of this.loop(prompt, signal)) {
      this.record('event', stripBinary(event));
      yield event;
      if (this.recordFailure && !this.recordFailureShown) {
        this.recordFailureShown = true;
        yield { type: 'notice', level: 'warn', text: this.recordFailure };
      }
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
    const trouble = new TurnTrouble();

    for (let step = 0; ; step++) {
      if (step >= maxTurns) {
        yield { type: 'notice', level: 'warn', text: `stopped after ${maxTurns} model calls (--max-turns)${trouble.why()}; ask to continue if needed` };
        yield { type: 'done', status: 'max_turns', answer, usage: turnUsage, files: turnFiles };
        return;
      }
      const planned = this.options.client.protocolFor?.(this.modelName);
      if (planned === 'text' && this.protocol !== 'text') {
        yield {
          type: 'notice',
          level: 'info',
          text: `text protocol for ${this.modelName}: code runs from its \`\`\`python blocks (--tools text, or remembered by --tools auto)`,
        };
      }
      // 1. Stream the model's reply.
      let text = '';
      let reasoning = '';
      let calls: ToolCall[] = [];
      let protocol: ToolProtocol = planned ?? 'native';
      const callIds = new Map<number, string>();
      try {
        for await (const ev of this.options.client.stream({ model: this.modelName, messages: this.messages, signal })) {
          switch (ev.type) {
            case 'text_delta':
              text += ev.text;
              yield { type: 'text_delta', turn, text: ev.text };
              break;
            case 'reasoning_delta':
              reasoning += ev.text;
              yield { type: 'reasoning_delta', turn, text: ev.text };
              break;
            case 'protocol_switch':
              yield {
                type: 'notice',
                level: 'warn',
                text: `the server refused tools for ${this.modelName} (${ev.reason}); switched to the text protocol (code runs from \`\`\`python blocks) and will start in it next time`,
              };
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
              // The client's final word on the text: a late </think> takes reasoning out of what streamed.
              text = ev.text;
              calls = ev.toolCalls;
              protocol = ev.protocol ?? protocol;
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

      if (protocol !== this.protocol) {
        this.protocol = protocol;
        this.record('meta', { toolProtocol: protocol });
      }
      if (reasoning) yield { type: 'reasoning', turn, text: reasoning };
      yield { type: 'text', turn, text };
      trouble.reply(calls);
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
        yield {
          type: 'notice',
          level: 'warn',
          text: `budget of $${budgetUsd.toFixed(4)} exceeded ($${(this.totals.costUsd ?? 0).toFixed(4)} spent); stopping`,
        };
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
        if (call.name !== 'python') {
          const msg = `Unknown tool "${call.name}". The only tool is \`python\` with a \`code\` string argument.`;
          this.pushMessage({ role: 'tool', tool_call_id: call.id, content: msg });
          yield { type: 'notice', level: 'warn', text: `the model called an unknown tool "${call.name}"; told it to use python` };
          continue;
        }
        if (call.code === undefined) {
          // Broken JSON is never guessed at: running a guess could run half a program.
          const msg = call.problem ?? 'Not run: the arguments were not valid JSON. Call `python` with {"code": "<the Python source as a JSON string>"}.';
          this.pushMessage({ role: 'tool', tool_call_id: call.id, content: msg });
          yield {
            type: 'notice',
            level: 'warn',
            text: call.problem
              ? `the model's python code could not be read (${call.problem.replace(/^Not run: /, '').split('. ')[0]}); it was not run and the model was asked to resend it`
              : 'the model sent python code that was not valid JSON; it was not run and the model was asked to resend it',
          };
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
        let outcome: CellOutcome;
        try {
          if (this.options.sandbox.state === 'stopped' || this.options.sandbox.state === 'starting') {
            yield { type: 'sandbox_state', state: 'starting' };
          }
          // A start can take long (a slow or stuck engine); Ctrl-C must not wait for it.
          await untilAborted(this.ensureReady(), signal);
        } catch (err) {
          const rest = calls.slice(calls.indexOf(call) + 1);
          if (signal?.aborted) {
            for (const c of [call, ...rest]) this.pushMessage({ role: 'tool', tool_call_id: c.id, content: 'Not run: the user cancelled the turn.' });
            yield { type: 'notice', level: 'info', text: 'turn cancelled' };
            yield { type: 'done', status: 'cancelled', answer, usage: turnUsage, files: turnFiles };
            return;
          }
          const ev = errorEvent(err);
          yield ev;
          this.pushMessage({ role: 'tool', tool_call_id: call.id, content: `The sandbox could not start: ${ev.message}` });
          // Every tool call needs an answer, or the next request of this conversation is refused.
          for (const c of rest) this.pushMessage({ role: 'tool', tool_call_id: c.id, content: 'Not run: the sandbox could not start.' });
          yield { type: 'done', status: 'error', answer, usage: turnUsage, files: turnFiles };
          return;
        }
        outcome = yield* runCell({
          sandbox: this.options.sandbox,
          files: this.options.files,
          turn,
          callId: call.id,
          code,
          modelOutputChars: this.options.modelOutputChars,
          savedFiles: turnFiles,
          ...(signal ? { signal } : {}),
          ...(this.options.cellTimeoutMs ? { timeoutMs: this.options.cellTimeoutMs } : {}),
          ...(this.options.recorder?.outputPath ? { fullOutputPath: this.options.recorder.outputPath(call.id) } : {}),
        });
        this.cellLog.push({ turn, callId: call.id, code, status: outcome.status });
        this.record('cell', { turn, callId: call.id, code, status: outcome.status, count: outcome.result?.count });
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
}

/** Watches one turn's model calls, so hitting --max-turns can say why: unreadable code, or the same code again and again. */
class TurnTrouble {
  private unreadable = 0;
  private repeats = 0;
  private last: string | undefined;

  reply(calls: ToolCall[]): void {
    if (calls.length === 0) return;
    if (calls.every((c) => c.code === undefined)) this.unreadable++;
    else this.unreadable = 0;
    const code = calls.map((c) => c.code ?? c.arguments).join('\n');
    this.repeats = code === this.last ? this.repeats + 1 : 0;
    this.last = code;
  }

  why(): string {
    if (this.unreadable >= 2) return `: the model's last ${this.unreadable} replies held code that could not be read; try another model or --tools text|native`;
    if (this.repeats >= 2) return `: the model sent the same code ${this.repeats + 1} times in a row`;
    return '';
  }
}

/** Resolves with `work`, or rejects as soon as `signal` aborts (the work itself goes on; its failure is ignored). */
function untilAborted(work: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  }
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Session logs keep image bytes out: the PNG is on disk and referenced by the manifest entry. */
function stripBinary(event: SessionEvent): LoggedEvent {
  if (event.type === 'cell_image') {
    const { data: _data, ...rest } = event;
    return { ...rest, bytes: _data.length };
  }
  return event;
}
