import { describe, expect, it } from 'vitest';
import { Session } from './session.js';
import type { ModelClient, ModelEvent } from '../llm/types.js';
import type { Sandbox } from '../sandbox/types.js';
import { codeReply, collect, fakeModel, memoryFiles, ok, ScriptedSandbox, textReply } from './testing/fakes.js';

function newSession(model: ModelClient, sandbox: Sandbox, extra: Partial<ConstructorParameters<typeof Session>[0]> = {}) {
  return new Session({ client: model, sandbox, files: memoryFiles(), model: 'm', systemPrompt: 'sys', maxModelCalls: 5, modelOutputChars: 200, ...extra });
}

describe('Session', () => {
  it('runs a tool call, streams its events in order and feeds the result back to the model', async () => {
    const model = fakeModel([codeReply('c1', 'print(6*7)'), textReply('The answer is 42.')]);
    const sandbox = new ScriptedSandbox(async (_code, opts) => {
      opts.onEvent?.({ type: 'stdout', text: '42\n' });
      opts.onEvent?.({ type: 'file', file: { name: 'out.csv', data: Buffer.from('a,b\n'), sha256: '' } });
      return ok();
    });
    const events = await collect(newSession(model, sandbox).send('what is 6*7?'));
    const types = events.map((e) => e.type);
    expect(types).toEqual([
      'session_start',
      'turn_start',
      'code_start',
      'code_delta',
      'code_delta',
      'code_end',
      'usage',
      'text',
      'sandbox_state',
      'cell_start',
      'sandbox_state',
      'cell_output',
      'file_saved',
      'sandbox_state',
      'cell_end',
      'text_delta',
      'text',
      'done',
    ]);
    expect(sandbox.ran).toEqual(['print(6*7)']);
    const toolMsg = model.requests[1]!.messages.at(-1)!;
    expect(toolMsg).toMatchObject({ role: 'tool', tool_call_id: 'c1' });
    expect(String(toolMsg.content)).toContain('42');
    expect(String(toolMsg.content)).toContain('/mnt/data/out.csv');
    const done = events.at(-1)!;
    expect(done).toMatchObject({ type: 'done', status: 'ok', answer: 'The answer is 42.' });
  });

  it('caps what the model reads but not what the user sees', async () => {
    const big = 'x'.repeat(10_000);
    const model = fakeModel([codeReply('c1', 'print("x"*10000)'), textReply('done')]);
    const sandbox = new ScriptedSandbox(async (_c, o) => {
      o.onEvent?.({ type: 'stdout', text: big });
      return ok();
    });
    const events = await collect(newSession(model, sandbox).send('go'));
    const shown = events
      .filter((e) => e.type === 'cell_output')
      .map((e) => (e as { text: string }).text)
      .join('');
    expect(shown.length).toBe(10_000);
    const toolMsg = String(model.requests[1]!.messages.at(-1)!.content);
    expect(toolMsg.length).toBeLessThan(400);
    expect(toolMsg).toContain('omitted');
  });

  it('turns a model failure into an error event and a done with status error', async () => {
    const model = fakeModel([]);
    const events = await collect(newSession(model, new ScriptedSandbox(async () => ok())).send('hi'));
    expect(events.find((e) => e.type === 'error')).toMatchObject({ kind: 'model_server', fix: 'fix the test' });
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'error' });
  });

  it('stops at max turns', async () => {
    const model = fakeModel([codeReply('a', '1'), codeReply('b', '2'), codeReply('c', '3')]);
    const events = await collect(newSession(model, new ScriptedSandbox(async () => ok()), { maxModelCalls: 2 }).send('loop'));
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'max_turns' });
  });

  it('stops when the budget is exceeded and answers every pending tool call', async () => {
    const model = fakeModel([codeReply('a', '1')]);
    const s = newSession(model, new ScriptedSandbox(async () => ok()), { budgetUsd: 0.0001, price: () => 0.01 });
    const events = await collect(s.send('spend'));
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'budget' });
    expect(s.conversation().at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'a' });
  });

  it('asks for approval in confirm mode and tells the model when a cell was skipped', async () => {
    const model = fakeModel([codeReply('c1', 'rm_everything()'), textReply('ok, skipped')]);
    const sandbox = new ScriptedSandbox(async () => ok());
    const asked: string[] = [];
    const s = newSession(model, sandbox, {
      confirm: true,
      approve: async (r) => {
        asked.push(r.code);
        return { action: 'skip' };
      },
    });
    const events = await collect(s.send('do it'));
    expect(asked).toEqual(['rm_everything()']);
    expect(sandbox.ran).toEqual([]);
    expect(events.find((e) => e.type === 'cell_end')).toMatchObject({ status: 'skipped' });
    expect(String(model.requests[1]!.messages.at(-1)!.content)).toMatch(/chose not to run/);
  });

  it('undo drops the last exchange', async () => {
    const model = fakeModel([textReply('one'), textReply('two')]);
    const s = newSession(model, new ScriptedSandbox(async () => ok()));
    await collect(s.send('first'));
    await collect(s.send('second'));
    expect(s.undo()).toBe(true);
    expect(s.conversation().map((m) => m.content)).toEqual(['first', 'one']);
  });

  it('tells the model why unreadable code was not run, and says so when that fills --max-turns', async () => {
    const bad = (id: string): ModelEvent[] => {
      const call = { id, name: 'python', arguments: '{"code": "print(', problem: 'Not run: the tool call was cut off before it ended. Call `python` again.' };
      return [
        { type: 'tool_call_start', index: 0, id, name: 'python' },
        { type: 'tool_call_end', index: 0, call },
        { type: 'finish', reason: 'tool_calls', text: '', toolCalls: [call] },
      ];
    };
    const model = fakeModel([bad('a'), bad('b'), bad('c')]);
    const sandbox = new ScriptedSandbox(async () => ok());
    const events = await collect(newSession(model, sandbox, { maxModelCalls: 3 }).send('loop'));
    expect(sandbox.ran).toEqual([]);
    expect(String(model.requests[1]!.messages.at(-1)!.content)).toMatch(/cut off/);
    const notices = events.filter((e) => e.type === 'notice').map((e) => (e as { text: string }).text);
    expect(notices.at(-1)).toMatch(/max-turns.*last 3 replies held code that could not be read/);
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'max_turns' });
  });

  it('names a loop of the same code at --max-turns', async () => {
    const model = fakeModel([codeReply('a', 'x = 1'), codeReply('b', 'x = 1'), codeReply('c', 'x = 1')]);
    const events = await collect(newSession(model, new ScriptedSandbox(async () => ok()), { maxModelCalls: 3 }).send('loop'));
    const last = events.filter((e) => e.type === 'notice').at(-1) as { text: string };
    expect(last.text).toMatch(/same code 3 times/);
  });

  it('records the protocol in the log, announces a switch, and keeps reasoning out of the answer and the conversation', async () => {
    const switchReply: ModelEvent[] = [
      { type: 'protocol_switch', protocol: 'text', reason: 'm does not support tools' },
      { type: 'reasoning_delta', text: 'thinking hard' },
      { type: 'text_delta', text: 'Six times seven is 42.' },
      { type: 'finish', reason: 'stop', text: 'Six times seven is 42.', toolCalls: [], protocol: 'text' },
    ];
    const records: [string, unknown][] = [];
    const model = fakeModel([switchReply]);
    const s = newSession(model, new ScriptedSandbox(async () => ok()), { recorder: { id: 'r', append: (k, d) => void records.push([k, d]) } });
    const events = await collect(s.send('6*7?'));
    expect(events.find((e) => e.type === 'notice')).toMatchObject({ level: 'warn', text: expect.stringMatching(/refused tools.*text protocol/) });
    expect(events.find((e) => e.type === 'reasoning')).toMatchObject({ text: 'thinking hard' });
    expect(events.at(-1)).toMatchObject({ type: 'done', answer: 'Six times seven is 42.' });
    expect(records.filter(([k]) => k === 'meta').map(([, d]) => d)).toEqual([{ toolProtocol: 'text' }]);
    expect(JSON.stringify(s.conversation())).not.toContain('thinking hard');
  });
});
