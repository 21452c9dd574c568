import { describe, expect, it } from 'vitest';
import type { ModelEvent, ToolProtocol, Usage } from '../llm/types.js';
import { ModelError } from '../llm/types.js';
import type { SessionEvent, UsageTotals } from './events.js';
import { type ModelReply, type ModelTurnRequest, type ModelTurnStop, modelTurn } from './model-turn.js';
import { fakeModel, type ModelScript } from './testing/fakes.js';

async function drive(
  script: ModelScript,
  over: Partial<ModelTurnRequest> & { protocol?: ToolProtocol } = {},
): Promise<{ events: SessionEvent[]; end: ModelReply | ModelTurnStop; added: UsageTotals[] }> {
  const added: UsageTotals[] = [];
  const { protocol, ...rest } = over;
  const gen = modelTurn({
    client: fakeModel([script], protocol),
    model: 'm',
    messages: [{ role: 'user', content: 'hi' }],
    turn: 3,
    lastProtocol: undefined,
    addUsage: (u) => {
      added.push(u);
      return { turn: { ...u, totalTokens: 1 }, session: { ...u, totalTokens: 2 } };
    },
    ...rest,
  });
  const events: SessionEvent[] = [];
  for (;;) {
    const next = await gen.next();
    if (next.done) return { events, end: next.value, added };
    events.push(next.value);
  }
}

const usage: Usage = { promptTokens: 10, completionTokens: 5, totalTokens: 15 };

describe('modelTurn', () => {
  it('streams text, reasoning and python code as events and returns the final reply', async () => {
    const call = { id: 'call_1', name: 'python', arguments: '{"code":"1+1"}', code: '1+1' };
    const script: ModelEvent[] = [
      { type: 'reasoning_delta', text: 'hmm' },
      { type: 'text_delta', text: 'Let me <think' },
      { type: 'tool_call_start', index: 0, id: 'call_1', name: 'python' },
      // Some servers repeat only the index on later chunks; the id comes from the call's start.
      { type: 'code_delta', index: 0, id: '', text: '1+1' },
      { type: 'tool_call_end', index: 0, call },
      { type: 'finish', reason: 'tool_calls', text: 'Let me', toolCalls: [call] },
    ];
    const { events, end } = await drive(script);
    expect(events).toEqual([
      { type: 'reasoning_delta', turn: 3, text: 'hmm' },
      { type: 'text_delta', turn: 3, text: 'Let me <think' },
      { type: 'code_start', turn: 3, callId: 'call_1' },
      { type: 'code_delta', turn: 3, callId: 'call_1', text: '1+1' },
      { type: 'code_end', turn: 3, callId: 'call_1', code: '1+1' },
    ]);
    expect(end).toEqual({ status: 'ok', text: 'Let me', reasoning: 'hmm', calls: [call], protocol: 'native' });
  });

  it('shows no code for a tool other than python, nor for arguments it could not read', async () => {
    const shell = { id: 's', name: 'shell', arguments: '{}' };
    const broken = { id: 'b', name: 'python', arguments: '{"code": ' };
    const { events, end } = await drive([
      { type: 'tool_call_start', index: 0, id: 's', name: 'shell' },
      { type: 'tool_call_end', index: 0, call: shell },
      { type: 'tool_call_start', index: 1, id: 'b', name: 'python' },
      { type: 'tool_call_end', index: 1, call: broken },
      { type: 'finish', reason: 'tool_calls', text: '', toolCalls: [shell, broken] },
    ]);
    expect(events).toEqual([{ type: 'code_start', turn: 3, callId: 'b' }]);
    expect(end).toMatchObject({ status: 'ok', calls: [shell, broken] });
  });

  it('prices each usage report and passes it to the totals', async () => {
    const { events, added } = await drive(
      [
        { type: 'usage', usage },
        { type: 'finish', reason: 'stop', text: '', toolCalls: [] },
      ],
      {
        price: (model, u) => (model === 'm' ? u.totalTokens / 1000 : undefined),
      },
    );
    expect(added).toEqual([{ ...usage, costUsd: 0.015 }]);
    expect(events).toEqual([
      { type: 'usage', turn: 3, usage: { ...usage, costUsd: 0.015, totalTokens: 1 }, session: { ...usage, costUsd: 0.015, totalTokens: 2 } },
    ]);
  });

  it('leaves the cost out when the price is unknown', async () => {
    const { added } = await drive(
      [
        { type: 'usage', usage },
        { type: 'finish', reason: 'stop', text: '', toolCalls: [] },
      ],
      { price: () => undefined },
    );
    expect(added).toEqual([usage]);
  });

  it('announces the text protocol once, and a switch to it when the server refuses tools', async () => {
    const finish: ModelEvent = { type: 'finish', reason: 'stop', text: 'ok', toolCalls: [], protocol: 'text' };
    const first = await drive([finish], { protocol: 'text' });
    expect(first.events).toEqual([
      { type: 'notice', level: 'info', text: 'text protocol for m: code runs from its ```python blocks (--tools text, or remembered by --tools auto)' },
    ]);
    expect(first.end).toMatchObject({ protocol: 'text' });
    const again = await drive([finish], { protocol: 'text', lastProtocol: 'text' });
    expect(again.events).toEqual([]);
    const switched = await drive([{ type: 'protocol_switch', protocol: 'text', reason: 'tools are not supported' }, finish]);
    expect(switched.events).toEqual([
      {
        type: 'notice',
        level: 'warn',
        text: 'the server refused tools for m (tools are not supported); switched to the text protocol (code runs from ```python blocks) and will start in it next time',
      },
    ]);
    expect(switched.end).toMatchObject({ protocol: 'text' });
  });

  it('a cancel ends the call with what streamed so far', async () => {
    const controller = new AbortController();
    const script = async function* (): AsyncGenerator<ModelEvent> {
      yield { type: 'text_delta', text: 'half' };
      controller.abort();
      throw new Error('socket closed');
    };
    const { events, end } = await drive(script, { signal: controller.signal });
    expect(events.at(-1)).toEqual({ type: 'notice', level: 'info', text: 'turn cancelled' });
    expect(end).toEqual({ status: 'cancelled', text: 'half' });
  });

  it('a client that reports the abort itself is a cancel too', async () => {
    const script = async function* (): AsyncGenerator<ModelEvent> {
      yield* [];
      throw new ModelError('aborted', 'aborted', '');
    };
    expect((await drive(script)).end).toEqual({ status: 'cancelled', text: '' });
  });

  it('a failure becomes an error event with its fix, never a throw', async () => {
    const script = async function* (): AsyncGenerator<ModelEvent> {
      yield { type: 'text_delta', text: 'par' };
      throw new ModelError('stream_dropped', 'the stream dropped', 'Try again.');
    };
    const { events, end } = await drive(script);
    expect(events.at(-1)).toMatchObject({ type: 'error', message: 'the stream dropped', fix: 'Try again.' });
    expect(end).toEqual({ status: 'error', text: 'par' });
  });
});
