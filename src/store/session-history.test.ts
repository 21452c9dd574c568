// The one session-log reader: a real Session writing through the real SessionLog, read back with undo, reset and damage.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from '../core/session.js';
import type { SessionEvent } from '../core/events.js';
import type { ModelClient, ModelEvent } from '../llm/types.js';
import type { CellResult, RunOptions, Sandbox, SandboxState } from '../sandbox/types.js';
import { makePng } from '../ui/testing/png.js';
import { replayTranscript } from '../ui/replay.js';
import { exportSession } from '../render/export.js';
import { historyFrom, readHistory } from './session-history.js';
import { SessionLog } from './session-log.js';
import { LOGGED_EVENT_TYPES, parseRecords } from './session-record.js';
import type { ManifestEntry } from './types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'codecell-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const reply = (id: string, code: string): ModelEvent[] => [
  { type: 'tool_call_start', index: 0, id, name: 'python' },
  { type: 'code_delta', index: 0, id, text: code },
  { type: 'tool_call_end', index: 0, call: { id, name: 'python', arguments: JSON.stringify({ code }), code } },
  { type: 'usage', usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 } },
  { type: 'finish', reason: 'tool_calls', text: '', toolCalls: [{ id, name: 'python', arguments: JSON.stringify({ code }), code }] },
];
const answer = (text: string): ModelEvent[] => [
  { type: 'reasoning_delta', text: 'thinking' },
  { type: 'text_delta', text },
  { type: 'finish', reason: 'stop', text, toolCalls: [] },
];

/** Plays a session with every kind of record through a real Session into a real session log. */
async function recordSession(): Promise<SessionLog> {
  const replies = [reply('a', 'x = 1\nprint(x)'), answer('x is 1'), reply('b', '1/0'), answer('oops'), reply('c', 'y = 2'), answer('y set'), answer('fresh')];
  const client: ModelClient = {
    async *stream() {
      for (const ev of replies.shift() ?? []) yield ev;
    },
    async listModels() {
      return [];
    },
  };
  const png = makePng(2, 2, () => [0, 0, 255]);
  const sandbox: Sandbox & { state: SandboxState } = {
    id: 'fake',
    state: 'stopped',
    async start() {
      this.state = 'ready';
    },
    async run(code: string, opts: RunOptions = {}): Promise<CellResult> {
      if (code === '1/0') {
        const error = { ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['Traceback'] };
        opts.onEvent?.({ type: 'error', ...error });
        return { status: 'error', count: 2, durationMs: 1, stateLost: false, error };
      }
      opts.onEvent?.({ type: 'stdout', text: '1\n' });
      opts.onEvent?.({ type: 'image', mime: 'image/png', data: png, width: 2, height: 2, text: '<Figure>' });
      opts.onEvent?.({ type: 'display', bundle: { 'text/plain': '<Markdown>', 'text/markdown': '# hi' } });
      opts.onEvent?.({ type: 'clear', wait: false });
      opts.onEvent?.({ type: 'file', file: { name: 'x.csv', data: Buffer.from('x\n1\n'), sha256: 'x' } });
      opts.onEvent?.({ type: 'result', text: '1' });
      return { status: 'ok', count: 1, durationMs: 1, stateLost: false };
    },
    async interrupt() {},
    async restart() {},
    async upload() {},
    async close() {},
  };
  const saved: ManifestEntry[] = [];
  const log = SessionLog.create({ model: 'm', cwd: dir, outDir: dir }, { dir });
  const session = new Session({
    client,
    sandbox,
    files: {
      outDir: dir,
      async save(f) {
        const entry = {
          id: `f${saved.length}`,
          session: log.id,
          turn: f.turn,
          name: f.source,
          source: f.source,
          mime: f.mime ?? '',
          path: join(dir, f.source),
        };
        saved.push({ ...entry, size: f.data.length, sha256: 'x', created_at: '' });
        return saved[saved.length - 1]!;
      },
      list: () => saved,
    },
    model: 'm',
    systemPrompt: 'sys',
    maxModelCalls: 4,
    modelOutputChars: 200,
    recorder: { id: log.id, append: (kind, data) => log.append(kind, data) },
    readHostFile: async () => Buffer.from('a,b\n'),
  });
  const drain = async (gen: AsyncGenerator<SessionEvent>) => {
    for await (const _ of gen);
  };
  await drain(session.send('set x'));
  await drain(session.send('divide'));
  session.setModel('m2');
  await session.upload('/host/data.csv');
  await drain(session.send('set y'));
  expect(session.undo()).toBe(true);
  await session.reset();
  await drain(session.send('after the reset'));
  log.close();
  return log;
}

describe('the session-log reader', () => {
  it('reads back every record a real Session writes, none skipped, with undo and reset applied once for all readers', async () => {
    const log = await recordSession();
    const lines = readFileSync(log.path, 'utf8').trim().split('\n');
    const { records, skipped } = parseRecords(readFileSync(log.path, 'utf8'));
    expect(skipped).toBe(0);
    expect(records).toHaveLength(lines.length);
    expect(new Set(records.map((r) => r.kind))).toEqual(new Set(['meta', 'message', 'event', 'cell', 'undo', 'reset', 'upload']));

    const history = await SessionLog.history(log.id, { dir });
    expect(history).toMatchObject({ id: log.id, model: 'm', cwd: dir, outDir: dir, files: 2, skipped: 0 });
    // The undone exchange is gone from what every reader shows; the reset is an entry of its own.
    expect(history.entries.map((e) => (e.kind === 'reset' ? 'reset' : e.prompt))).toEqual(['set x', 'divide', 'reset', 'after the reset']);
    // Resume: the conversation since the reset; the cells since the reset (none ran after it).
    expect(history.messages.map((m) => m.content)).toEqual(['after the reset', 'fresh']);
    expect(history.cells).toEqual([]);
    expect(historyFrom(records)).toEqual({ messages: history.messages, cells: [] });

    const md = exportSession(history, 'md');
    expect(md).toContain('## You\n\ndivide');
    expect(md).not.toContain('set y');
    const items = replayTranscript(history);
    expect(items.filter((i) => i.kind === 'user').map((i) => (i as { text: string }).text)).toEqual(['set x', 'divide', 'after the reset']);
    const [summary] = await SessionLog.list({ dir });
    expect(summary).toMatchObject({ title: 'set x', turns: 3, files: 2, skipped: 0 });
  });

  it('keeps the cells of an undone exchange for /rerun (undo takes back the conversation, not the kernel)', () => {
    const { records } = parseRecords(
      [
        { kind: 'meta', data: { id: 's', model: 'm' } },
        { kind: 'message', data: { role: 'user', content: 'one' } },
        { kind: 'cell', data: { turn: 1, callId: 'a', code: 'a = 1', status: 'ok', count: 1 } },
        { kind: 'message', data: { role: 'tool', tool_call_id: 'a', content: 'ok' } },
        { kind: 'message', data: { role: 'user', content: 'two' } },
        { kind: 'cell', data: { turn: 2, callId: 'b', code: 'b = 2', status: 'ok', count: 2 } },
        { kind: 'cell', data: { turn: 2, callId: 'c', code: '1/0', status: 'error', count: 3 } },
        { kind: 'undo', data: { keep: 2 } },
      ]
        .map((r) => JSON.stringify({ t: '2026-01-01T00:00:00.000Z', ...r }))
        .join('\n'),
    );
    expect(historyFrom(records)).toEqual({
      messages: [
        { role: 'user', content: 'one' },
        { role: 'tool', tool_call_id: 'a', content: 'ok' },
      ],
      cells: ['a = 1', 'b = 2'],
    });
    expect(readHistory(records).entries).toHaveLength(1);
  });

  it('skips unreadable lines with a count, never failing: a torn last line, an unknown kind, a malformed record, not JSON', async () => {
    const log = await recordSession();
    const good = readFileSync(log.path, 'utf8').trim().split('\n').length;
    const t = '"t":"2026-01-01T00:00:00.000Z"';
    appendFileSync(log.path, `{${t},"kind":"bookmark","data":{"at":3}}\n`); // a kind from a later version
    appendFileSync(log.path, `{${t},"kind":"event","data":{"type":"cell_output","text":"no call id"}}\n`); // a shape from an older one
    appendFileSync(log.path, `{${t},"kind":"event","data":{"type":"hologram","turn":1}}\n`); // an event type this version lacks
    appendFileSync(log.path, 'not json at all\n');
    appendFileSync(log.path, `{${t},"kind":"event","data":{"type":"cell_out`); // torn by a crash
    const { records, skipped } = parseRecords(readFileSync(log.path, 'utf8'));
    expect(records).toHaveLength(good);
    expect(skipped).toBe(5);
    expect((await SessionLog.history(log.id, { dir })).skipped).toBe(5);
    expect((await SessionLog.list({ dir }))[0]).toMatchObject({ turns: 3, skipped: 5 });
    expect(await SessionLog.read(log.id, { dir })).toHaveLength(good);
  });

  it('keeps fields a later version adds to a record', () => {
    const line = JSON.stringify({ t: 'x', kind: 'event', data: { type: 'notice', level: 'info', text: 'hi', source: 'kernel' } });
    expect(parseRecords(line).records[0]?.data).toEqual({ type: 'notice', level: 'info', text: 'hi', source: 'kernel' });
  });

  it('knows every event type of the union (the list comes from the schema)', () => {
    expect(LOGGED_EVENT_TYPES).toContain('cell_end');
    expect(new Set(LOGGED_EVENT_TYPES).size).toBe(LOGGED_EVENT_TYPES.length);
  });
});
