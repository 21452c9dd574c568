import { describe, expect, it } from 'vitest';
import { replayTranscript } from './replay.js';
import { readHistory } from '../store/session-history.js';
import { parseRecords } from '../store/session-record.js';

const rec = (kind: string, data: unknown) => JSON.stringify({ t: '2026-01-01T00:00:00.000Z', kind, data });

describe('replayTranscript', () => {
  it('rebuilds prompts, code, output and answers, and honours undo', () => {
    const { records, skipped } = parseRecords(
      [
        rec('meta', { id: 's', model: 'm' }),
        rec('message', { role: 'user', content: 'first' }),
        rec('event', { type: 'turn_start', turn: 1 }),
        rec('event', { type: 'code_start', turn: 1, callId: 'a' }),
        rec('event', { type: 'code_delta', turn: 1, callId: 'a', text: 'print(1)' }),
        rec('event', { type: 'code_end', turn: 1, callId: 'a', code: 'print(1)\n' }),
        rec('event', { type: 'cell_start', turn: 1, callId: 'a' }),
        rec('event', { type: 'cell_output', turn: 1, callId: 'a', stream: 'stdout', text: '1\n' }),
        rec('event', { type: 'cell_image', turn: 1, callId: 'a', mime: 'image/png', width: 3, height: 2, bytes: 10 }),
        rec('event', { type: 'cell_end', turn: 1, callId: 'a', status: 'ok', durationMs: 3, stateLost: false, modelView: '' }),
        rec('event', { type: 'text', turn: 1, text: 'one' }),
        rec('event', { type: 'done', status: 'ok', answer: 'one', usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, files: [] }),
        rec('message', { role: 'user', content: 'second' }),
        rec('event', { type: 'text_delta', turn: 2, text: 'half' }),
        rec('undo', { keep: 3 }),
      ].join('\n'),
    );
    expect(skipped).toBe(0);
    const items = replayTranscript(readHistory(records));
    expect(items.map((i) => i.kind)).toEqual(['user', 'code', 'output', 'image', 'cell_end', 'assistant']);
    expect(items[1]).toEqual({ kind: 'code', code: 'print(1)\n' });
    expect(items[3]).toMatchObject({ kind: 'image', render: null, width: 3, height: 2 });
  });
});
