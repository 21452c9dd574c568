// Carries each tool call of one model reply through its states, and is the one place that answers a call that did not run.
import type { ToolCall } from '../llm/types.js';
import type { SandboxState } from '../sandbox/types.js';
import type { CellOutcome } from './cell-runner.js';
import { errorEvent } from './error-event.js';
import type { SessionEvent } from './events.js';
import { modelView } from './model-view.js';
import type { ApprovalHandler } from './session-api.js';

/**
 * pending → awaiting_approval (confirm mode) → running → done; a declined call ends skipped; a call that
 * cannot or must not run ends not_run. The last three are final: the call has its answer for the model.
 */
export type CallState = 'pending' | 'awaiting_approval' | 'running' | 'done' | 'skipped' | 'not_run';

/** Why a call ended not_run. */
export type NotRunReason =
  /** The session spent its budget on the reply that asked for the call. */
  | 'budget'
  /** The user cancelled the turn (Ctrl-C) before the call ran. */
  | 'cancelled'
  /** An earlier call of the same reply took the sandbox down. */
  | 'sandbox_failed'
  /** The sandbox could not start. */
  | 'sandbox_not_started'
  /** The model called a tool other than python. */
  | 'unknown_tool'
  /** The arguments were not valid JSON, or held no code. */
  | 'invalid_arguments';

const NEXT: Record<CallState, readonly CallState[]> = {
  pending: ['awaiting_approval', 'running', 'not_run'],
  awaiting_approval: ['running', 'skipped'],
  running: ['done', 'not_run'],
  done: [],
  skipped: [],
  not_run: [],
};

export interface ScheduledCall {
  readonly call: ToolCall;
  state: CallState;
  /** Every state the call was in, in order, from pending. */
  readonly history: CallState[];
  /** The code that was sent to the sandbox (the user may have edited it at approval). */
  code?: string;
  /** The cell's outcome, once done. */
  outcome?: CellOutcome;
  reason?: NotRunReason;
  /** What the model was told about the call. */
  answer?: string;
}

/** What the scheduler needs from the session; it knows nothing of Docker, the conversation or the log. */
export interface SchedulerHost {
  turn: number;
  signal?: AbortSignal;
  /** The approval handler while confirm mode is on; asked once per call, since the user may switch it mid-turn. */
  approval(): ApprovalHandler | undefined;
  /** Characters of cell output the model reads back. */
  modelOutputChars: number;
  sandboxState(): SandboxState;
  /** Starts the sandbox, or waits for the start already under way. */
  startSandbox(): Promise<void>;
  /** Runs one cell, streaming its events, and keeps its record. */
  runCell(callId: string, code: string): AsyncGenerator<SessionEvent, CellOutcome>;
  /** Gives the model its answer to a call (a tool message). */
  answer(callId: string, content: string): void;
}

/** How the reply's calls ended for the prompt: ask the model again, or stop. */
export type ScheduleEnd = 'continue' | 'cancelled' | 'error';

export class ToolScheduler {
  readonly calls: ScheduledCall[];

  constructor(
    calls: ToolCall[],
    private readonly host: SchedulerHost,
  ) {
    this.calls = calls.map((call) => ({ call, state: 'pending', history: ['pending'] }));
  }

  /** Runs the calls in order until each has its answer. Never throws for a failing cell or sandbox. */
  async *run(): AsyncGenerator<SessionEvent, ScheduleEnd> {
    const { turn, signal } = this.host;
    for (const entry of this.calls) {
      const { call } = entry;
      if (signal?.aborted) {
        this.notRun(entry, 'cancelled');
        continue;
      }
      if (call.name !== 'python') {
        this.notRun(entry, 'unknown_tool');
        yield { type: 'notice', level: 'warn', text: `the model called an unknown tool "${call.name}"; told it to use python` };
        continue;
      }
      if (call.code === undefined) {
        // Broken JSON is never guessed at: running a guess could run half a program.
        this.notRun(entry, 'invalid_arguments');
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
      const approve = this.host.approval();
      if (approve) {
        this.move(entry, 'awaiting_approval');
        yield { type: 'approval_request', turn, callId: call.id, code };
        const decision = await approve({ turn, callId: call.id, code });
        if (decision.action === 'skip') {
          const view = modelView({ status: 'skipped', output: '', files: [], images: [] }, this.host.modelOutputChars);
          this.settle(entry, 'skipped', view);
          yield { type: 'cell_end', turn, callId: call.id, status: 'skipped', durationMs: 0, stateLost: false, modelView: view };
          continue;
        }
        if (decision.action === 'edit') code = decision.code;
      }

      this.move(entry, 'running');
      entry.code = code;
      try {
        const state = this.host.sandboxState();
        if (state === 'stopped' || state === 'starting') yield { type: 'sandbox_state', state: 'starting' };
        // A start can take long (a slow or stuck engine); Ctrl-C must not wait for it.
        await untilAborted(this.host.startSandbox(), signal);
      } catch (err) {
        if (signal?.aborted) {
          this.stop('cancelled');
          yield { type: 'notice', level: 'info', text: 'turn cancelled' };
          return 'cancelled';
        }
        const ev = errorEvent(err);
        yield ev;
        this.notRun(entry, 'sandbox_not_started', `The sandbox could not start: ${ev.message}`);
        this.stop('sandbox_not_started');
        return 'error';
      }
      const outcome = yield* this.host.runCell(call.id, code);
      entry.outcome = outcome;
      this.settle(entry, 'done', outcome.view);
      if (outcome.fatal) {
        this.stop('sandbox_failed');
        return 'error';
      }
    }
    return signal?.aborted ? 'cancelled' : 'continue';
  }

  /** Answers every call that has no answer yet: the prompt stops here. */
  stop(reason: NotRunReason): void {
    for (const entry of this.calls) if (!isFinal(entry.state)) this.notRun(entry, reason);
  }

  private notRun(entry: ScheduledCall, reason: NotRunReason, answer = notRunAnswer(entry.call, reason)): void {
    entry.reason = reason;
    this.settle(entry, 'not_run', answer);
  }

  /** The one place a call gets its answer: every call of a reply needs one, or the server refuses the next request. */
  private settle(entry: ScheduledCall, state: 'done' | 'skipped' | 'not_run', answer: string): void {
    this.move(entry, state);
    entry.answer = answer;
    this.host.answer(entry.call.id, answer);
  }

  private move(entry: ScheduledCall, to: CallState): void {
    if (!NEXT[entry.state].includes(to)) throw new Error(`tool call ${entry.call.id} cannot go from ${entry.state} to ${to}`);
    entry.state = to;
    entry.history.push(to);
  }
}

function isFinal(state: CallState): boolean {
  return NEXT[state].length === 0;
}

/** What the model is told about a call that did not run. */
export function notRunAnswer(call: ToolCall, reason: NotRunReason): string {
  switch (reason) {
    case 'budget':
      return 'Not run: the budget was exhausted.';
    case 'cancelled':
      return 'Not run: the user cancelled the turn.';
    case 'sandbox_failed':
      return 'Not run: the sandbox failed.';
    case 'sandbox_not_started':
      return 'Not run: the sandbox could not start.';
    case 'unknown_tool':
      return `Unknown tool "${call.name}". The only tool is \`python\` with a \`code\` string argument.`;
    case 'invalid_arguments':
      return call.problem ?? 'Not run: the arguments were not valid JSON. Call `python` with {"code": "<the Python source as a JSON string>"}.';
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
