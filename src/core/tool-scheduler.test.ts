import { describe, expect, it } from 'vitest';
import type { ToolCall } from '../llm/types.js';
import { SandboxError, type SandboxState } from '../sandbox/types.js';
import type { CellOutcome } from './cell-runner.js';
import type { SessionEvent } from './events.js';
import type { ApprovalDecision, ApprovalHandler } from './session-api.js';
import { type CallState, notRunAnswer, type ScheduleEnd, type SchedulerHost, ToolScheduler } from './tool-scheduler.js';

const python = (id: string, code = `${id}()`): ToolCall => ({ id, name: 'python', arguments: JSON.stringify({ code }), code });

interface Cell {
  /** Runs while the cell is "running" (e.g. the user presses Ctrl-C). */
  during?: () => void;
  outcome?: Partial<CellOutcome>;
}

/** A host whose sandbox, cells and approvals are scripted, and which keeps every answer the model got. */
function fakeHost(
  options: { cells?: Record<string, Cell>; approve?: ApprovalHandler; state?: SandboxState; start?: () => Promise<void>; controller?: AbortController } = {},
) {
  const answers: [string, string][] = [];
  const ran: string[] = [];
  let state = options.state ?? 'ready';
  const host: SchedulerHost = {
    turn: 7,
    signal: options.controller?.signal,
    approval: () => options.approve,
    modelOutputChars: 200,
    sandboxState: () => state,
    startSandbox: async () => {
      await (options.start ?? (async () => undefined))();
      state = 'ready';
    },
    async *runCell(callId, code) {
      ran.push(code);
      const cell = options.cells?.[callId] ?? {};
      yield { type: 'cell_start', turn: 7, callId };
      cell.during?.();
      const outcome: CellOutcome = { view: `ran ${code}`, status: 'ok', fatal: false, ...cell.outcome };
      yield { type: 'cell_end', turn: 7, callId, status: outcome.status, durationMs: 1, stateLost: false, modelView: outcome.view };
      return outcome;
    },
    answer: (callId, content) => void answers.push([callId, content]),
  };
  return { host, answers, ran };
}

async function drive(scheduler: ToolScheduler): Promise<{ events: SessionEvent[]; end: ScheduleEnd }> {
  const events: SessionEvent[] = [];
  const gen = scheduler.run();
  for (;;) {
    const next = await gen.next();
    if (next.done) return { events, end: next.value };
    events.push(next.value);
  }
}

const histories = (s: ToolScheduler): Record<string, CallState[]> => Object.fromEntries(s.calls.map((c) => [c.call.id, c.history]));
const types = (events: SessionEvent[]) => events.map((e) => e.type);

/** Every call of the reply got exactly one answer, in the order of the calls. */
function expectAnsweredOnce(s: ToolScheduler, answers: [string, string][]): void {
  expect(answers.map(([id]) => id)).toEqual(s.calls.map((c) => c.call.id));
  for (const c of s.calls) expect(['done', 'skipped', 'not_run']).toContain(c.state);
}

describe('ToolScheduler', () => {
  it('runs a call: pending → running → done, and answers it with the cell view', async () => {
    const { host, answers, ran } = fakeHost({ state: 'stopped' });
    const s = new ToolScheduler([python('a', 'print(1)')], host);
    const { events, end } = await drive(s);
    expect(end).toBe('continue');
    expect(histories(s)).toEqual({ a: ['pending', 'running', 'done'] });
    expect(ran).toEqual(['print(1)']);
    expect(answers).toEqual([['a', 'ran print(1)']]);
    expect(types(events)).toEqual(['sandbox_state', 'cell_start', 'cell_end']);
    expect(events[0]).toEqual({ type: 'sandbox_state', state: 'starting' });
    expect(s.calls[0]).toMatchObject({ code: 'print(1)', outcome: { status: 'ok' } });
  });

  it('says the sandbox is starting only when it is not up yet', async () => {
    const { host } = fakeHost({ state: 'ready' });
    const { events } = await drive(new ToolScheduler([python('a')], host));
    expect(types(events)).toEqual(['cell_start', 'cell_end']);
  });

  it('runs every call of a reply when the first fails in Python', async () => {
    const { host, answers, ran } = fakeHost({ cells: { a: { outcome: { status: 'error', view: 'NameError' } } } });
    const s = new ToolScheduler([python('a'), python('b')], host);
    const { end } = await drive(s);
    expect(end).toBe('continue');
    expect(ran).toEqual(['a()', 'b()']);
    expect(answers).toEqual([
      ['a', 'NameError'],
      ['b', 'ran b()'],
    ]);
    expect(histories(s)).toEqual({ a: ['pending', 'running', 'done'], b: ['pending', 'running', 'done'] });
  });

  it('answers an unreadable or unknown call without running it, and runs the next one', async () => {
    const calls: ToolCall[] = [
      { id: 'j', name: 'python', arguments: '{"code": ' },
      { id: 'p', name: 'python', arguments: '{"code": "x', problem: 'Not run: the tool call was cut off before it ended. Call `python` again.' },
      { id: 'u', name: 'shell', arguments: '{}' },
      python('r'),
    ];
    const { host, answers, ran } = fakeHost();
    const s = new ToolScheduler(calls, host);
    const { events, end } = await drive(s);
    expect(end).toBe('continue');
    expect(ran).toEqual(['r()']);
    expect(answers).toEqual([
      ['j', 'Not run: the arguments were not valid JSON. Call `python` with {"code": "<the Python source as a JSON string>"}.'],
      ['p', 'Not run: the tool call was cut off before it ended. Call `python` again.'],
      ['u', 'Unknown tool "shell". The only tool is `python` with a `code` string argument.'],
      ['r', 'ran r()'],
    ]);
    expect(s.calls.map((c) => c.reason)).toEqual(['invalid_arguments', 'invalid_arguments', 'unknown_tool', undefined]);
    expect(histories(s).j).toEqual(['pending', 'not_run']);
    const notices = events.filter((e) => e.type === 'notice').map((e) => (e as { text: string }).text);
    expect(notices).toEqual([
      'the model sent python code that was not valid JSON; it was not run and the model was asked to resend it',
      "the model's python code could not be read (the tool call was cut off before it ended); it was not run and the model was asked to resend it",
      'the model called an unknown tool "shell"; told it to use python',
    ]);
  });

  it('approval: pending → awaiting_approval → running → done, with the code the user may have edited', async () => {
    const asked: string[] = [];
    const decisions: ApprovalDecision[] = [{ action: 'run' }, { action: 'edit', code: 'safer()' }];
    const { host, ran } = fakeHost({
      approve: async (r) => {
        asked.push(`${r.turn}:${r.callId}:${r.code}`);
        return decisions.shift()!;
      },
    });
    const s = new ToolScheduler([python('a'), python('b', 'risky()')], host);
    const { events } = await drive(s);
    expect(asked).toEqual(['7:a:a()', '7:b:risky()']);
    expect(ran).toEqual(['a()', 'safer()']);
    expect(s.calls[1]!.code).toBe('safer()');
    expect(histories(s)).toEqual({ a: ['pending', 'awaiting_approval', 'running', 'done'], b: ['pending', 'awaiting_approval', 'running', 'done'] });
    expect(events[0]).toEqual({ type: 'approval_request', turn: 7, callId: 'a', code: 'a()' });
  });

  it('a declined call ends skipped, tells the model so, and the next call is still asked about', async () => {
    const decisions: ApprovalDecision[] = [{ action: 'skip' }, { action: 'run' }];
    const { host, answers, ran } = fakeHost({ approve: async () => decisions.shift()! });
    const s = new ToolScheduler([python('a'), python('b')], host);
    const { events, end } = await drive(s);
    expect(end).toBe('continue');
    expect(ran).toEqual(['b()']);
    expect(histories(s)).toEqual({ a: ['pending', 'awaiting_approval', 'skipped'], b: ['pending', 'awaiting_approval', 'running', 'done'] });
    expect(answers[0]).toEqual(['a', 'The user chose not to run this code.']);
    expect(events[1]).toEqual({
      type: 'cell_end',
      turn: 7,
      callId: 'a',
      status: 'skipped',
      durationMs: 0,
      stateLost: false,
      modelView: 'The user chose not to run this code.',
    });
  });

  it('asks for approval per call, so turning confirm off mid-reply lets the rest run', async () => {
    let confirm = true;
    const { host } = fakeHost();
    const approve: ApprovalHandler = async () => {
      confirm = false;
      return { action: 'run' };
    };
    const s = new ToolScheduler([python('a'), python('b')], { ...host, approval: () => (confirm ? approve : undefined) });
    await drive(s);
    expect(histories(s).b).toEqual(['pending', 'running', 'done']);
  });

  it('Ctrl-C during approval, then approved: nothing runs and every call is answered as cancelled', async () => {
    const controller = new AbortController();
    const { host, answers, ran } = fakeHost({
      controller,
      approve: async () => {
        controller.abort();
        return { action: 'run' };
      },
    });
    const s = new ToolScheduler([python('a'), python('b')], host);
    const { events, end } = await drive(s);
    expect(end).toBe('cancelled');
    expect(ran).toEqual([]);
    expect(histories(s)).toEqual({ a: ['pending', 'awaiting_approval', 'running', 'not_run'], b: ['pending', 'not_run'] });
    expect(answers).toEqual([
      ['a', 'Not run: the user cancelled the turn.'],
      ['b', 'Not run: the user cancelled the turn.'],
    ]);
    expect(events.at(-1)).toEqual({ type: 'notice', level: 'info', text: 'turn cancelled' });
    expectAnsweredOnce(s, answers);
  });

  it('Ctrl-C during approval, then declined: the call is skipped and the rest cancelled', async () => {
    const controller = new AbortController();
    const { host, answers } = fakeHost({
      controller,
      approve: async () => {
        controller.abort();
        return { action: 'skip' };
      },
    });
    const s = new ToolScheduler([python('a'), python('b')], host);
    const { events, end } = await drive(s);
    expect(end).toBe('cancelled');
    expect(histories(s)).toEqual({ a: ['pending', 'awaiting_approval', 'skipped'], b: ['pending', 'not_run'] });
    expect(s.calls[1]!.reason).toBe('cancelled');
    expect(types(events)).toEqual(['approval_request', 'cell_end']);
    expectAnsweredOnce(s, answers);
  });

  it('Ctrl-C while a cell runs: that cell is done (interrupted) and the calls after it are cancelled', async () => {
    const controller = new AbortController();
    const { host, answers, ran } = fakeHost({
      controller,
      cells: { b: { during: () => controller.abort(), outcome: { status: 'interrupted', view: '[interrupted by the user]' } } },
    });
    const s = new ToolScheduler([python('a'), python('b'), python('c')], host);
    const { end } = await drive(s);
    expect(end).toBe('cancelled');
    expect(ran).toEqual(['a()', 'b()']);
    expect(histories(s)).toEqual({ a: ['pending', 'running', 'done'], b: ['pending', 'running', 'done'], c: ['pending', 'not_run'] });
    expect(answers.at(-1)).toEqual(['c', 'Not run: the user cancelled the turn.']);
    expectAnsweredOnce(s, answers);
  });

  it('Ctrl-C while the sandbox starts does not wait for the start', async () => {
    const controller = new AbortController();
    const { host, answers, ran } = fakeHost({
      controller,
      state: 'stopped',
      start: () => {
        setTimeout(() => controller.abort(), 1);
        return new Promise(() => undefined); // a stuck engine
      },
    });
    const s = new ToolScheduler([python('a'), python('b')], host);
    const { events, end } = await drive(s);
    expect(end).toBe('cancelled');
    expect(ran).toEqual([]);
    expect(types(events)).toEqual(['sandbox_state', 'notice']);
    expect(histories(s)).toEqual({ a: ['pending', 'running', 'not_run'], b: ['pending', 'not_run'] });
    expectAnsweredOnce(s, answers);
  });

  it('a sandbox that cannot start: an error event, the reason for the first call, not run for the rest', async () => {
    const { host, answers } = fakeHost({
      state: 'stopped',
      start: async () => {
        throw new SandboxError('no engine answers', 'Start Docker.', 'no_engine');
      },
    });
    const s = new ToolScheduler([python('a'), python('b')], host);
    const { events, end } = await drive(s);
    expect(end).toBe('error');
    expect(events.at(-1)).toMatchObject({ type: 'error', message: 'no engine answers' });
    expect(answers).toEqual([
      ['a', 'The sandbox could not start: no engine answers'],
      ['b', 'Not run: the sandbox could not start.'],
    ]);
    expect(s.calls.map((c) => c.reason)).toEqual(['sandbox_not_started', 'sandbox_not_started']);
  });

  it('a cell that takes the sandbox down ends the reply: the rest are not run', async () => {
    const { host, answers, ran } = fakeHost({ cells: { a: { outcome: { status: 'killed', fatal: true, view: 'The sandbox failed: gone' } } } });
    const s = new ToolScheduler([python('a'), python('b'), python('c')], host);
    const { end } = await drive(s);
    expect(end).toBe('error');
    expect(ran).toEqual(['a()']);
    expect(answers).toEqual([
      ['a', 'The sandbox failed: gone'],
      ['b', 'Not run: the sandbox failed.'],
      ['c', 'Not run: the sandbox failed.'],
    ]);
    expect(histories(s)).toEqual({ a: ['pending', 'running', 'done'], b: ['pending', 'not_run'], c: ['pending', 'not_run'] });
  });

  it('a budget stop answers every call before any runs, once', async () => {
    const { host, answers, ran } = fakeHost();
    const s = new ToolScheduler([python('a'), python('b')], host);
    s.stop('budget');
    s.stop('cancelled');
    expect(ran).toEqual([]);
    expect(answers).toEqual([
      ['a', 'Not run: the budget was exhausted.'],
      ['b', 'Not run: the budget was exhausted.'],
    ]);
    expect(histories(s)).toEqual({ a: ['pending', 'not_run'], b: ['pending', 'not_run'] });
  });

  it('a reply without calls has nothing to answer', async () => {
    const { host, answers } = fakeHost();
    const { events, end } = await drive(new ToolScheduler([], host));
    expect([events, end, answers]).toEqual([[], 'continue', []]);
  });

  it('refuses to run calls that already have their answer', async () => {
    const { host } = fakeHost();
    const s = new ToolScheduler([python('a')], host);
    s.stop('budget');
    await expect(drive(s)).rejects.toThrow('tool call a cannot go from not_run to running');
  });

  it('has one answer text for each reason a call did not run', () => {
    const call = python('x');
    expect(notRunAnswer(call, 'cancelled')).toBe('Not run: the user cancelled the turn.');
    expect(notRunAnswer(call, 'sandbox_failed')).toBe('Not run: the sandbox failed.');
    expect(notRunAnswer({ ...call, problem: 'Not run: cut off.' }, 'invalid_arguments')).toBe('Not run: cut off.');
  });
});
