import { describe, expect, it } from 'vitest';
import { jsonLine, toJsonLine } from './json-events.js';
import type { SessionEvent } from '../core/events.js';
import type { ManifestEntry } from '../store/types.js';

const entry: ManifestEntry = {
  id: 'f_1',
  session: 's',
  turn: 1,
  name: 'chart.png',
  source: 'chart.png',
  mime: 'image/png',
  path: '/out/chart.png',
  size: 4,
  sha256: 'ab',
  created_at: '2026-11-23T00:00:00Z',
};
const usage = { promptTokens: 1, completionTokens: 2, totalTokens: 3 };

// One of every event: a new event type without a JSON form fails typechecking (unreachable) and this test.
const all: SessionEvent[] = [
  { type: 'session_start', sessionId: 's', model: 'm', outDir: '/out' },
  { type: 'sandbox_state', state: 'ready' },
  { type: 'turn_start', turn: 1 },
  { type: 'text_delta', turn: 1, text: 'Hi' },
  { type: 'reasoning_delta', turn: 1, text: 'hmm' },
  { type: 'text', turn: 1, text: 'Hi' },
  { type: 'code_start', turn: 1, callId: 'c' },
  { type: 'code_delta', turn: 1, callId: 'c', text: 'print(' },
  { type: 'code_end', turn: 1, callId: 'c', code: 'print(1)' },
  { type: 'approval_request', turn: 1, callId: 'c', code: 'print(1)' },
  { type: 'cell_start', turn: 1, callId: 'c' },
  { type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: '1\n' },
  { type: 'cell_result', turn: 1, callId: 'c', text: '42' },
  { type: 'cell_image', turn: 1, callId: 'c', mime: 'image/png', data: Buffer.from('png!'), width: 10, height: 5, file: entry },
  { type: 'cell_error', turn: 1, callId: 'c', ename: 'ValueError', evalue: 'x', traceback: ['t'] },
  { type: 'file_saved', turn: 1, callId: 'c', file: entry },
  { type: 'cell_end', turn: 1, callId: 'c', status: 'ok', durationMs: 5, stateLost: false, modelView: '1' },
  {
    type: 'cell_display',
    turn: 1,
    callId: 'c',
    mime: 'text/markdown',
    text: '# Hi',
    bundle: { 'text/plain': '<Markdown>', 'text/markdown': '# Hi' },
    displayId: 'd',
    update: true,
  },
  { type: 'cell_clear', turn: 1, callId: 'c', wait: true },
  { type: 'usage', turn: 1, usage, session: { ...usage, costUsd: 0.1 } },
  { type: 'notice', level: 'warn', text: 'careful' },
  { type: 'error', kind: 'model_auth', message: 'bad key', fix: 'set it' },
  { type: 'done', status: 'ok', answer: 'Hi', usage, files: [entry] },
  { type: 'reasoning', turn: 1, text: 'hmm' },
];

describe('JSON lines', () => {
  it('maps every event to a line that validates against the documented schema', () => {
    for (const event of all) {
      const line = toJsonLine(event, () => Buffer.from('data'));
      expect(line, event.type).toBeDefined();
      const parsed = jsonLine.safeParse(JSON.parse(JSON.stringify(line)));
      expect(parsed.success, `${event.type}: ${parsed.error?.message}`).toBe(true);
    }
  });

  it('keeps the seed envelope for code, output and files', () => {
    expect(toJsonLine(all[7]!)).toMatchObject({ stream_type: 'code_execution', chunk: { type: 'hot_code', content: 'print(' } });
    expect(toJsonLine(all[11]!)).toMatchObject({ stream_type: 'code_execution', chunk: { type: 'hot_code_output', content: '1\n' } });
    const img = toJsonLine(all[13]!) as { chunk: { type: string; content: Record<string, unknown> } };
    expect(img.chunk.type).toBe('code_interpreter_stream');
    expect(img.chunk.content).toMatchObject({
      filename: 'chart.png',
      file_id: 'f_1',
      base64: Buffer.from('png!').toString('base64'),
      mime_type: 'image/png',
      path: '/out/chart.png',
      size: 4,
    });
  });

  it("carries rich displays with their mime bundle, clear_output, and a result's other forms", () => {
    expect(toJsonLine(all.find((e) => e.type === 'cell_display')!)).toEqual({
      stream_type: 'display',
      turn: 1,
      call_id: 'c',
      mime: 'text/markdown',
      content: '# Hi',
      bundle: { 'text/plain': '<Markdown>', 'text/markdown': '# Hi' },
      display_id: 'd',
      update: true,
    });
    expect(toJsonLine(all.find((e) => e.type === 'cell_clear')!)).toEqual({ stream_type: 'clear_output', turn: 1, call_id: 'c', wait: true });
    const result = toJsonLine({ type: 'cell_result', turn: 1, callId: 'c', text: '   a', bundle: { 'text/plain': '   a', 'text/html': '<table/>' } });
    expect(result).toMatchObject({ chunk: { type: 'hot_code_output', stream: 'result', content: '   a\n', bundle: { 'text/html': '<table/>' } } });
    const image = toJsonLine({
      type: 'cell_image',
      turn: 1,
      callId: 'c',
      mime: 'image/png',
      data: Buffer.from('png!'),
      width: 1,
      height: 1,
      file: entry,
      text: '<Figure>',
      displayId: 'f',
    });
    expect(image).toMatchObject({ chunk: { content: { text: '<Figure>', display_id: 'f' } } });
  });
});
