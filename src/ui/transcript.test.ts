import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../core/events.js';
import { initialView, phaseOf, reduceView, type ChatView } from './transcript.js';

const header = { model: 'm', sandbox: 'starting' as const, outDir: '/out', sessionId: 's1' };

function run(events: SessionEvent[], view: ChatView = initialView(header), opts = { maxOutputLines: 3, tailLines: 2 }): ChatView {
  return events.reduce((v, event) => reduceView(v, { type: 'event', event, now: 1000 }, opts), view);
}

const file = { id: 'f1', session: 's1', turn: 1, name: 'a.csv', source: 'a.csv', mime: 'text/csv', path: '/out/a.csv', size: 3, sha256: 'x', created_at: '' };
const usage = { promptTokens: 1, completionTokens: 2, totalTokens: 3 };

describe('reduceView', () => {
  it('streams text live, then commits the complete text as one assistant item', () => {
    let v = run([
      { type: 'turn_start', turn: 1 },
      { type: 'text_delta', turn: 1, text: 'Hel' },
      { type: 'text_delta', turn: 1, text: 'lo' },
    ]);
    expect(v.live.text).toBe('Hello');
    expect(phaseOf(v)).toBe('streaming');
    v = run([{ type: 'text', turn: 1, text: 'Hello **there**' }], v);
    expect(v.live.text).toBe('');
    expect(v.items).toEqual([{ kind: 'assistant', id: 1, text: 'Hello **there**' }]);
  });

  it('shows reasoning live, then commits it above the code and answer that follow, apart from the answer', () => {
    let v = run([
      { type: 'turn_start', turn: 1 },
      { type: 'reasoning_delta', turn: 1, text: 'Think ' },
      { type: 'reasoning_delta', turn: 1, text: 'first.' },
    ]);
    expect(v.live.reasoning).toBe('Think first.');
    expect(v.items).toEqual([]);
    v = run(
      [
        { type: 'code_start', turn: 1, callId: 'c1' },
        { type: 'code_end', turn: 1, callId: 'c1', code: 'x = 1' },
        { type: 'reasoning', turn: 1, text: 'Think first.' },
        { type: 'text', turn: 1, text: '' },
        { type: 'reasoning_delta', turn: 1, text: 'Done.' },
        { type: 'text_delta', turn: 1, text: 'It is 1.' },
        { type: 'text', turn: 1, text: 'It is 1.' },
      ],
      v,
    );
    expect(v.items.map((i) => (i.kind === 'reasoning' || i.kind === 'assistant' ? `${i.kind}: ${i.text}` : i.kind))).toEqual([
      'reasoning: Think first.',
      'code',
      'reasoning: Done.',
      'assistant: It is 1.',
    ]);
  });

  it('puts text streamed before a tool call above its code, without repeating it', () => {
    const v = run([
      { type: 'turn_start', turn: 1 },
      { type: 'text_delta', turn: 1, text: 'Plotting.' },
      { type: 'code_start', turn: 1, callId: 'c1' },
      { type: 'code_end', turn: 1, callId: 'c1', code: 'x = 1' },
      { type: 'text', turn: 1, text: 'Plotting.' },
    ]);
    expect(v.items.map((i) => (i.kind === 'assistant' ? i.text : i.kind))).toEqual(['Plotting.', 'code']);
  });

  it('keeps code live until revealed, and commits it before anything that follows', () => {
    let v = run([
      { type: 'code_start', turn: 1, callId: 'c1' },
      { type: 'code_delta', turn: 1, callId: 'c1', text: 'print(' },
      { type: 'code_delta', turn: 1, callId: 'c1', text: '1)' },
    ]);
    expect(v.live.code).toEqual({ callId: 'c1', text: 'print(1)', done: false });
    v = run(
      [
        { type: 'code_end', turn: 1, callId: 'c1', code: 'print(1)\n' },
        { type: 'cell_start', turn: 1, callId: 'c1' },
      ],
      v,
    );
    expect(v.items).toHaveLength(0);
    expect(phaseOf(v)).toBe('running');
    const revealed = reduceView(v, { type: 'code_revealed', callId: 'c1' });
    expect(revealed.items.map((i) => i.kind)).toEqual(['code']);
    // Without the reveal, the cell's end still puts the code first.
    v = run(
      [
        { type: 'cell_output', turn: 1, callId: 'c1', stream: 'stdout', text: '1\n' },
        { type: 'cell_end', turn: 1, callId: 'c1', status: 'ok', durationMs: 12, stateLost: false, modelView: '' },
      ],
      v,
    );
    expect(v.items.map((i) => i.kind)).toEqual(['code', 'output', 'cell_end']);
    expect(phaseOf(v)).toBe('streaming');
  });

  it('caps output, counts the hidden lines and keeps a live tail', () => {
    let v = run([
      { type: 'turn_start', turn: 1 },
      { type: 'cell_start', turn: 1, callId: 'c' },
    ]);
    v = run([{ type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: 'a\nb\nc\nd\ne\nf' }], v);
    expect(v.live.cell?.tail).toEqual(['d', 'e']);
    const modelView = 'a\n… [120 characters (3 lines) omitted; full output saved at /data/s1/outputs/c.txt] …\nf';
    v = run([{ type: 'cell_end', turn: 1, callId: 'c', status: 'ok', durationMs: 5, stateLost: false, modelView }], v);
    expect(v.items[0]).toEqual({ kind: 'output', id: 1, lines: ['a', 'b', 'c'] });
    expect(v.items[1]).toMatchObject({ kind: 'cell_end', hiddenLines: 3, status: 'ok', fullOutputPath: '/data/s1/outputs/c.txt' });
  });

  it('keeps output order around images and files, and handles progress-bar carriage returns', () => {
    const png = Buffer.from('x');
    const v = run(
      [
        { type: 'cell_start', turn: 1, callId: 'c' },
        { type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: '10%\r50%\r100%\nbefore\n' },
        { type: 'cell_image', turn: 1, callId: 'c', mime: 'image/png', data: png, width: 4, height: 4 },
        { type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: 'after\n' },
        { type: 'file_saved', turn: 1, callId: 'c', file },
        { type: 'cell_result', turn: 1, callId: 'c', text: '42' },
        { type: 'cell_end', turn: 1, callId: 'c', status: 'ok', durationMs: 5, stateLost: false, modelView: '' },
      ],
      initialView(header),
      { maxOutputLines: 10, tailLines: 2 },
    );
    expect(v.items.map((i) => (i.kind === 'output' ? i.lines.join('|') : i.kind))).toEqual(['100%|before', 'image', 'after', 'file', '42', 'cell_end']);
  });

  it('shows rich displays as their text and drops live output on clear_output', () => {
    const v = run(
      [
        { type: 'cell_start', turn: 1, callId: 'c' },
        { type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: 'epoch 1\n' },
        { type: 'cell_clear', turn: 1, callId: 'c', wait: true },
        { type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: 'epoch 2\n' },
        { type: 'cell_display', turn: 1, callId: 'c', mime: 'text/html', text: 'city  n\nOslo  3', bundle: { 'text/html': '<table/>' } },
        { type: 'cell_end', turn: 1, callId: 'c', status: 'ok', durationMs: 5, stateLost: false, modelView: '' },
      ],
      initialView(header),
      { maxOutputLines: 10, tailLines: 2 },
    );
    expect(v.items.map((i) => (i.kind === 'output' ? i.lines.join('|') : i.kind))).toEqual(['epoch 2|city  n|Oslo  3', 'cell_end']);
  });

  it('shows tracebacks, errors and notices, and ends a cancelled turn cleanly', () => {
    let v = run([
      { type: 'turn_start', turn: 1 },
      { type: 'cell_start', turn: 1, callId: 'c' },
      { type: 'cell_error', turn: 1, callId: 'c', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['line 1'] },
      { type: 'cell_end', turn: 1, callId: 'c', status: 'error', durationMs: 5, stateLost: false, modelView: '' },
      { type: 'error', kind: 'auth', message: 'bad key', fix: 'set OPENAI_API_KEY' },
      { type: 'text_delta', turn: 2, text: 'partial answer' },
    ]);
    v = run([{ type: 'done', status: 'cancelled', answer: '', usage, files: [] }], v);
    expect(v.items.map((i) => i.kind)).toEqual(['traceback', 'cell_end', 'error', 'assistant', 'notice']);
    expect(v.items[3]).toMatchObject({ text: 'partial answer …' });
    expect(phaseOf(v)).toBe('idle');
    expect(v.header.usage).toEqual(usage);
  });

  it('finishes a turn whose stream ended without done, and /clear starts a new epoch', () => {
    let v = reduceView(initialView(header), { type: 'user', text: 'hi' });
    v = run(
      [
        { type: 'cell_start', turn: 1, callId: 'c' },
        { type: 'cell_output', turn: 1, callId: 'c', stream: 'stderr', text: 'half' },
      ],
      v,
    );
    v = reduceView(v, { type: 'turn_finished' });
    expect(phaseOf(v)).toBe('idle');
    expect(v.items.map((i) => i.kind)).toEqual(['user', 'output']);
    v = reduceView(v, { type: 'clear' });
    expect(v.items).toEqual([]);
    expect(v.epoch).toBe(1);
  });

  it('updates the header from session and sandbox events', () => {
    const v = run([
      { type: 'session_start', sessionId: 'abc', model: 'gpt-x', outDir: '/o' },
      { type: 'sandbox_state', state: 'ready' },
    ]);
    expect(v.header).toEqual({ model: 'gpt-x', sandbox: 'ready', outDir: '/o', sessionId: 'abc' });
  });
});
