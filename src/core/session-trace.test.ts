// The whole observable trace of a prompt — events in order, the conversation, the session-log records — for every way a turn ends.
// The snapshot was taken from the agent loop before it was split into model turn and tool scheduler; it must not change.
import { describe, expect, it } from 'vitest';
import type { ModelEvent, ToolProtocol } from '../llm/types.js';
import { ModelError } from '../llm/types.js';
import { SandboxError } from '../sandbox/types.js';
import type { SessionEvent } from './events.js';
import type { ApprovalDecision } from './session-api.js';
import type { Session, SessionOptions } from './session.js';
import { codeReply, fakeModel, fakeSession, type ModelScript, ok, ScriptedSandbox, textReply } from './testing/fakes.js';

interface Trace {
  events: unknown[];
  conversation: unknown[];
  records: unknown[];
  ran: string[];
}

/** Times vary from run to run; error kinds and fixes belong to the error mapper, not to the loop. */
function normalise(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (key === 'durationMs') return 0;
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'error' && 'message' in v)
        return { type: 'error', message: (v as { message: string }).message };
      return v;
    }),
  );
}

async function trace(
  replies: ModelScript[],
  sandbox: ScriptedSandbox,
  options: Partial<SessionOptions> & { controller?: AbortController; failRecording?: boolean; protocol?: ToolProtocol } = {},
): Promise<Trace> {
  const records: unknown[] = [];
  const { controller, failRecording, protocol, ...extra } = options;
  const session: Session = fakeSession(fakeModel(replies, protocol), sandbox, {
    recorder: {
      id: 'trace',
      append: (kind, data) => {
        if (failRecording && kind === 'message') throw new Error('the log is gone');
        records.push([kind, data]);
      },
    },
    ...extra,
  });
  const events: SessionEvent[] = [];
  for await (const e of session.send('the prompt', controller?.signal)) events.push(e);
  return normalise({ events, conversation: session.conversation(), records, ran: sandbox.ran }) as Trace;
}

const usage = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };
const runs = () => new ScriptedSandbox(async () => ok());

describe('the trace of one prompt', () => {
  it('a cell with output and a file, then an answer', async () => {
    const sandbox = new ScriptedSandbox(async (_code, opts) => {
      opts.onEvent?.({ type: 'stdout', text: '42\n' });
      opts.onEvent?.({ type: 'file', file: { name: 'out.csv', data: Buffer.from('a,b\n'), sha256: '' } });
      return ok();
    });
    expect(await trace([codeReply('c1', 'print(6*7)'), textReply('42.')], sandbox)).toMatchSnapshot();
  });

  it('reasoning, a protocol switch and a text-protocol notice', async () => {
    const reply: ModelEvent[] = [
      { type: 'protocol_switch', protocol: 'text', reason: 'm does not support tools' },
      { type: 'reasoning_delta', text: 'thinking' },
      { type: 'text_delta', text: 'Hi' },
      { type: 'usage', usage },
      { type: 'finish', reason: 'stop', text: 'Hi', toolCalls: [], protocol: 'text' },
    ];
    expect(await trace([reply], runs(), { protocol: 'text', price: () => 0.5 })).toMatchSnapshot();
  });

  it('stops at the most model calls per prompt', async () => {
    expect(await trace([codeReply('a', 'x = 1'), codeReply('b', 'x = 1'), codeReply('c', 'x = 1')], runs(), { maxModelCalls: 3 })).toMatchSnapshot();
  });

  it('stops when the budget is spent and answers every call of the reply', async () => {
    expect(await trace([codeReply(['a', 'b'], ['1', '2'])], runs(), { budgetUsd: 0.0001, price: () => 0.01 })).toMatchSnapshot();
  });

  it('stops when the budget is spent by a reply without calls', async () => {
    expect(await trace([textReply('pricey')], runs(), { budgetUsd: 0.0001, price: () => 0.01 })).toMatchSnapshot();
  });

  it('an unknown tool and unreadable arguments are answered, not run', async () => {
    const calls = [
      { id: 'u', name: 'shell', arguments: '{"cmd":"ls"}' },
      { id: 'j', name: 'python', arguments: '{"code": ' },
      { id: 'p', name: 'python', arguments: '{"code": "print(', problem: 'Not run: the tool call was cut off before it ended. Call `python` again.' },
      { id: 'r', name: 'python', arguments: '{"code":"1"}', code: '1' },
    ];
    const reply: ModelEvent[] = [
      ...calls.map((call, index): ModelEvent => ({ type: 'tool_call_end', index, call })),
      { type: 'finish', reason: 'tool_calls', text: 'trying', toolCalls: calls },
    ];
    expect(await trace([reply, textReply('done')], runs())).toMatchSnapshot();
  });

  it('confirm mode: skip, edit and run in one reply', async () => {
    const decisions: ApprovalDecision[] = [{ action: 'skip' }, { action: 'edit', code: 'edited()' }, { action: 'run' }];
    const sandbox = runs();
    const t = await trace([codeReply(['a', 'b', 'c'], ['one()', 'two()', 'three()']), textReply('ok')], sandbox, {
      confirm: true,
      approve: async () => decisions.shift()!,
    });
    expect(t.ran).toEqual(['edited()', 'three()']);
    expect(t).toMatchSnapshot();
  });

  it('the first of several calls fails in Python and the rest still run', async () => {
    const sandbox = new ScriptedSandbox(async (code, opts) => {
      if (code === 'boom()') {
        opts.onEvent?.({ type: 'error', ename: 'NameError', evalue: "name 'boom' is not defined", traceback: ['NameError: boom'] });
        return ok({ status: 'error' });
      }
      return ok();
    });
    expect(await trace([codeReply(['a', 'b'], ['boom()', 'fine()']), textReply('fixed')], sandbox)).toMatchSnapshot();
  });

  it('a model failure', async () => {
    const failing = async function* (): AsyncGenerator<ModelEvent> {
      yield { type: 'text_delta', text: 'partial' };
      throw new ModelError('stream_dropped', 'the stream dropped', 'try again');
    };
    expect(await trace([failing], runs())).toMatchSnapshot();
  });

  it('Ctrl-C while the model streams', async () => {
    const controller = new AbortController();
    const cancelled = async function* (): AsyncGenerator<ModelEvent> {
      yield { type: 'text_delta', text: 'half an ans' };
      controller.abort();
      throw new ModelError('aborted', 'cancelled', '');
    };
    expect(await trace([codeReply('a', '1'), cancelled], runs(), { controller })).toMatchSnapshot();
  });

  it('Ctrl-C while a cell runs answers the calls after it', async () => {
    const controller = new AbortController();
    const sandbox = new ScriptedSandbox(async (code) => {
      if (code !== 'slow()') return ok();
      controller.abort();
      return ok({ status: 'interrupted', message: 'interrupted by the user' });
    });
    expect(await trace([codeReply(['a', 'b', 'c'], ['first()', 'slow()', 'third()'])], sandbox, { controller })).toMatchSnapshot();
  });

  it('Ctrl-C while the sandbox starts', async () => {
    const controller = new AbortController();
    const sandbox = new ScriptedSandbox(
      async () => ok(),
      () => {
        setTimeout(() => controller.abort(), 1);
        return new Promise(() => undefined);
      },
    );
    expect(await trace([codeReply(['a', 'b'], ['1', '2'])], sandbox, { controller })).toMatchSnapshot();
  });

  it('Ctrl-C during approval, then the cell is approved', async () => {
    const controller = new AbortController();
    const t = await trace([codeReply(['a', 'b'], ['1', '2'])], runs(), {
      controller,
      confirm: true,
      approve: async () => {
        controller.abort();
        return { action: 'run' };
      },
    });
    expect(t.ran).toEqual([]);
    expect(t).toMatchSnapshot();
  });

  it('Ctrl-C during approval, then the cell is declined', async () => {
    const controller = new AbortController();
    const t = await trace([codeReply(['a', 'b'], ['1', '2'])], runs(), {
      controller,
      confirm: true,
      approve: async () => {
        controller.abort();
        return { action: 'skip' };
      },
    });
    expect(t).toMatchSnapshot();
  });

  it('the sandbox cannot start', async () => {
    const sandbox = new ScriptedSandbox(
      async () => ok(),
      async () => {
        throw new SandboxError('no engine answers', 'start Docker', 'no_engine');
      },
    );
    expect(await trace([codeReply(['a', 'b', 'c'], ['1', '2', '3'])], sandbox)).toMatchSnapshot();
  });

  it('the sandbox fails during a cell', async () => {
    const sandbox = new ScriptedSandbox(async (code) => {
      if (code === '2') throw new SandboxError('the container is gone', 'run again', 'container_dead');
      return ok();
    });
    expect(await trace([codeReply(['a', 'b', 'c'], ['1', '2', '3'])], sandbox)).toMatchSnapshot();
  });

  it('a session log that stops taking records', async () => {
    expect(await trace([codeReply('a', '1'), textReply('done')], runs(), { failRecording: true })).toMatchSnapshot();
  });
});
