// Tests for the session log on a real file system, including a writer killed with SIGKILL mid-session.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SessionLog, SessionLogError, newSessionId } from './session-log.js';
import type { LoggedEvent } from '../core/records.js';
import type { ManifestEntry } from './types.js';

let dir: string;
beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'codecell-sessions-')), 'sessions');
});
afterEach(() => rmSync(resolve(dir, '..'), { recursive: true, force: true }));

const meta = { model: 'gpt-4o-mini', cwd: '/home/u/project', outDir: '/home/u/project/codecell-output' };
const file = (name: string): ManifestEntry => ({
  id: `f_${name}`,
  session: 's',
  turn: 1,
  name,
  source: name,
  mime: 'image/png',
  path: `/out/${name}`,
  size: 1,
  sha256: 'x',
  created_at: '',
});
const call = { turn: 1, callId: 'c' };

describe('SessionLog', () => {
  it('creates a private file with a sortable id and a meta record', async () => {
    const log = SessionLog.create(meta, { dir });
    expect(log.id).toMatch(/^\d{8}-\d{6}-[0-9a-z]{4}$/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(log.path).mode & 0o777).toBe(0o600);
    log.close();
    const records = await SessionLog.read(log.id, { dir });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ kind: 'meta', data: { id: log.id, ...meta } });
    expect(new Date(records[0]!.t).toISOString()).toBe(records[0]!.t);
  });

  it('writes each record as it is appended (readable before close), images by reference only', async () => {
    const log = SessionLog.create(meta, { dir });
    log.append('message', { role: 'user', content: 'plot sales' });
    // The Session writes images without their bytes; a Buffer that slips through is still never written inline.
    const image = { type: 'cell_image', ...call, mime: 'image/png', bytes: 50_000, width: 2, height: 2, file: file('fig.png'), data: Buffer.alloc(50_000, 1) };
    log.append('event', image as LoggedEvent);
    log.append('event', { type: 'error', kind: 'model', message: 'boom' });
    const lines = readFileSync(log.path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]!.length).toBeLessThan(500); // a whole manifest entry, and no 50 KB of image
    const records = await SessionLog.read(log.id, { dir });
    expect(records.map((r) => r.kind)).toEqual(['meta', 'message', 'event', 'event']);
    expect(records[2]!.data).toEqual({ ...image, data: { omittedBytes: 50_000 } });
    // A field called `kind` in the data does not clash with the record's own kind.
    expect(records[3]).toMatchObject({ kind: 'event', data: { kind: 'model' } });
    log.close();
    expect(() => log.append('event', { type: 'turn_start', turn: 2 })).toThrow(SessionLogError);
  });

  it('keeps everything up to the last event when the writing process is SIGKILLed', async () => {
    const script = `
      import { SessionLog } from ${JSON.stringify(resolve('src/store/session-log.ts'))};
      const log = SessionLog.create({ model: 'm', cwd: '/', outDir: '/o' }, { dir: ${JSON.stringify(dir)} });
      log.append('message', { role: 'user', content: 'hello' });
      for (let i = 0; i < 100; i++) log.append('event', { type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: 'line ' + i });
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    const latest = await SessionLog.latest({ dir });
    expect(latest).toBeDefined();
    const records = await SessionLog.read(latest!.id, { dir });
    expect(records).toHaveLength(102);
    expect(records[101]!.data).toEqual({ type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: 'line 99' });
  });

  it('tolerates a torn last line and closes it off when the session is reopened', async () => {
    const log = SessionLog.create(meta, { dir });
    log.append('message', { role: 'user', content: 'first' });
    log.close();
    appendFileSync(log.path, '{"t":"2026-01-01T00:00:00.000Z","kind":"event","data":{"type":"cell_out');
    expect((await SessionLog.read(log.id, { dir })).map((r) => r.kind)).toEqual(['meta', 'message']);
    expect((await SessionLog.history(log.id, { dir })).skipped).toBe(1);

    const again = await SessionLog.open(log.id, { dir });
    again.append('message', { role: 'user', content: 'second' });
    again.close();
    const records = await SessionLog.read(log.id, { dir });
    expect(records.map((r) => (r.data as { content?: string }).content)).toEqual([undefined, 'first', 'second']);
  });

  it('lists sessions newest first with title, turns and file count', async () => {
    const a = SessionLog.create({ ...meta, model: 'model-a' }, { dir });
    a.append('message', { role: 'user', content: '  Chart revenue\nby region for every quarter of the last five years, with a trend line please  ' });
    a.append('message', { role: 'assistant', content: 'done' });
    a.append('event', { type: 'file_saved', ...call, file: file('chart.png') });
    a.append('event', { type: 'file_saved', ...call, file: file('data.csv') });
    a.append('message', { role: 'user', content: 'thanks' });
    a.close();
    // A second session with a later id (ids sort by time; force the order with a later file name).
    const b = SessionLog.create({ ...meta, model: 'model-b' }, { dir });
    b.close();
    const later = join(dir, `${newSessionId(new Date(Date.now() + 60_000))}.jsonl`);
    writeFileSync(later, readFileSync(b.path));
    rmSync(b.path);

    const list = await SessionLog.list({ dir });
    expect(list.map((s) => s.model)).toEqual(['model-b', 'model-a']);
    const sa = list[1]!;
    expect(sa).toMatchObject({ id: a.id, turns: 2, files: 2, cwd: meta.cwd, outDir: meta.outDir });
    expect(sa.title).toBe('Chart revenue by region for every quarter of the last five…');
    expect(sa.title.length).toBeLessThanOrEqual(60);
    expect(list[0]).toMatchObject({ title: '', turns: 0, files: 0 });
    expect((await SessionLog.latest({ dir }))!.model).toBe('model-b');
  });

  it('names a session without prompts (codecell exec) by its first cell', async () => {
    const a = SessionLog.create({ ...meta, model: 'exec' }, { dir });
    a.append('cell', { turn: 1, callId: 'exec-1', code: '\n  import pandas as pd\ndf = pd.read_csv("sales.csv")', status: 'ok', source: 'exec' });
    a.append('cell', { turn: 2, callId: 'exec-2', code: 'df.head()', status: 'ok', source: 'exec' });
    a.close();
    const [s] = await SessionLog.list({ dir });
    expect(s).toMatchObject({ model: 'exec', turns: 0, cells: 2, title: 'import pandas as pd df = pd.read_csv("sales.csv")' });
  });

  it('resolves unique prefixes and reports ambiguous or unknown ones', async () => {
    const a = SessionLog.create(meta, { dir });
    a.close();
    for (const id of ['20200101-000000-aaaa', '20200101-000000-aabb']) writeFileSync(join(dir, `${id}.jsonl`), '');
    expect(await SessionLog.resolve(a.id.slice(0, 15), { dir })).toBe(a.id);
    expect(await SessionLog.resolve('20200101-000000-aab', { dir })).toBe('20200101-000000-aabb');
    const ambiguous = await SessionLog.read('20200101', { dir }).catch((e: unknown) => e);
    expect(ambiguous).toBeInstanceOf(SessionLogError);
    expect((ambiguous as SessionLogError).code).toBe('EAMBIGUOUS');
    expect((ambiguous as Error).message).toContain('20200101-000000-aaaa');
    expect((ambiguous as Error).message).toContain('20200101-000000-aabb');
    const missing = await SessionLog.read('1999', { dir }).catch((e: unknown) => e);
    expect((missing as SessionLogError).code).toBe('ENOENT');
  });

  it('has no sessions before the first one', async () => {
    expect(await SessionLog.list({ dir })).toEqual([]);
    expect(await SessionLog.latest({ dir })).toBeUndefined();
  });
});

describe('newSessionId', () => {
  it('sorts by time', () => {
    const ids = [new Date('2026-11-23T18:01:02Z'), new Date('2026-11-23T18:01:03Z'), new Date('2027-01-01T00:00:00Z')].map((d) => newSessionId(d));
    expect(ids[0]).toMatch(/^20261123-180102-[0-9a-z]{4}$/);
    expect([...ids].sort()).toEqual(ids);
  });
});
