import { describe, expect, it } from 'vitest';
import { jsonLine, toJsonLine } from './json-events.js';
import type { SessionEvent } from '../core/events.js';
import type { ManifestEntry } from '../store/types.js';
import { LOGGED_EVENT_TYPES } from '../store/session-record.js';

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

type Samples = { [K in SessionEvent['type']]: Extract<SessionEvent, { type: K }> };

// One of each event type: a type missing here fails typechecking; the types the test walks come from the
// session-log schema (itself checked against the union), so a new event without a JSON form fails the test.
const sample: Samples = {
  session_start: { type: 'session_start', sessionId: 's', model: 'm', outDir: '/out' },
  sandbox_state: { type: 'sandbox_state', state: 'ready' },
  turn_start: { type: 'turn_start', turn: 1 },
  text_delta: { type: 'text_delta', turn: 1, text: 'Hi' },
  reasoning_delta: { type: 'reasoning_delta', turn: 1, text: 'hmm' },
  reasoning: { type: 'reasoning', turn: 1, text: 'hmm' },
  text: { type: 'text', turn: 1, text: 'Hi' },
  code_start: { type: 'code_start', turn: 1, callId: 'c' },
  code_delta: { type: 'code_delta', turn: 1, callId: 'c', text: 'print(' },
  code_end: { type: 'code_end', turn: 1, callId: 'c', code: 'print(1)' },
  approval_request: { type: 'approval_request', turn: 1, callId: 'c', code: 'print(1)' },
  cell_start: { type: 'cell_start', turn: 1, callId: 'c' },
  cell_output: { type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: '1\n' },
  cell_result: { type: 'cell_result', turn: 1, callId: 'c', text: '42' },
  cell_image: { type: 'cell_image', turn: 1, callId: 'c', mime: 'image/png', data: Buffer.from('png!'), width: 10, height: 5, file: entry },
  cell_error: { type: 'cell_error', turn: 1, callId: 'c', ename: 'ValueError', evalue: 'x', traceback: ['t'] },
  file_saved: { type: 'file_saved', turn: 1, callId: 'c', file: entry },
  cell_end: { type: 'cell_end', turn: 1, callId: 'c', status: 'ok', durationMs: 5, stateLost: false, modelView: '1' },
  cell_display: {
    type: 'cell_display',
    turn: 1,
    callId: 'c',
    mime: 'text/markdown',
    text: '# Hi',
    bundle: { 'text/plain': '<Markdown>', 'text/markdown': '# Hi' },
    displayId: 'd',
    update: true,
  },
  cell_clear: { type: 'cell_clear', turn: 1, callId: 'c', wait: true },
  usage: { type: 'usage', turn: 1, usage, session: { ...usage, costUsd: 0.1 } },
  notice: { type: 'notice', level: 'warn', text: 'careful' },
  error: { type: 'error', kind: 'model_auth', message: 'bad key', fix: 'set it' },
  done: { type: 'done', status: 'ok', answer: 'Hi', usage, files: [entry] },
};

describe('JSON lines', () => {
  it('maps every event to a line that validates against the documented schema', () => {
    expect(LOGGED_EVENT_TYPES.length).toBeGreaterThanOrEqual(24);
    for (const type of LOGGED_EVENT_TYPES) {
      const event = sample[type] as SessionEvent | undefined;
      expect(event, `no sample of the event type ${type}`).toBeDefined();
      const line = toJsonLine(event!, () => Buffer.from('data'));
      expect(line, `${type} has no JSON line`).toBeDefined();
      const parsed = jsonLine.safeParse(JSON.parse(JSON.stringify(line)));
      expect(parsed.success, `${type}: ${parsed.error?.message}`).toBe(true);
    }
  });

  it('keeps the seed envelope for code, output and files', () => {
    expect(toJsonLine(sample.code_delta)).toMatchObject({ stream_type: 'code_execution', chunk: { type: 'hot_code', content: 'print(' } });
    expect(toJsonLine(sample.cell_output)).toMatchObject({ stream_type: 'code_execution', chunk: { type: 'hot_code_output', content: '1\n' } });
    const img = toJsonLine(sample.cell_image) as { chunk: { type: string; content: Record<string, unknown> } };
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
    expect(toJsonLine(sample.cell_display)).toEqual({
      stream_type: 'display',
      turn: 1,
      call_id: 'c',
      mime: 'text/markdown',
      content: '# Hi',
      bundle: { 'text/plain': '<Markdown>', 'text/markdown': '# Hi' },
      display_id: 'd',
      update: true,
    });
    expect(toJsonLine(sample.cell_clear)).toEqual({ stream_type: 'clear_output', turn: 1, call_id: 'c', wait: true });
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
