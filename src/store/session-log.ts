// Append-only JSONL recording of a session, written as events happen so a crash loses nothing already seen.
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  chmodSync,
  openSync,
  readSync,
  writeSync,
  promises as fsp,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { RecordData, RecordKind } from '../core/records.js';
import { sessionsDir } from './paths.js';
import { osProblem } from '../shared/os-error.js';
import { SessionLogError } from './types.js';
import { readHistory, type SessionHistory } from './session-history.js';
import { parseRecords, type SessionRecord } from './session-record.js';

export type { SessionRecord } from './session-record.js';
export type { SessionHistory } from './session-history.js';

export interface SessionSummary {
  id: string;
  /** ISO time of the meta record (or of the first record). */
  started: string;
  model: string;
  /** The first user prompt, on one line, truncated. */
  title: string;
  /** Number of exchanges (prompts not taken back by /undo). */
  turns: number;
  /** Cells that ran without error since the last reset (all of an exec session's work). */
  cells: number;
  /** Number of `file_saved` events. */
  files: number;
  /** Lines that could not be read (see SessionHistory.skipped). */
  skipped: number;
  cwd?: string;
  outDir?: string;
  path: string;
}

export interface SessionLogOptions {
  /** Overrides the sessions folder (default: <data dir>/sessions). */
  dir?: string;
}

export { SessionLogError };

const TITLE_CHARS = 60;
const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY } = constants;

/** Sortable id: UTC time to the second plus 4 random base-36 characters, e.g. 20261123-180102-ab12. */
export function newSessionId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-23T18:01:02.345Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  const rand = Array.from(randomBytes(4), (b) => (b % 36).toString(36)).join('');
  return `${stamp}-${rand}`;
}

/**
 * Buffers and typed arrays are never written inline (an image would be megabytes of JSON);
 * they become `{ omittedBytes: n }`. Callers reference image files by their manifest path instead.
 */
function replacer(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) return { omittedBytes: original.length };
  if (value instanceof Uint8Array) return { omittedBytes: value.length };
  return value;
}

/** A `done` event ends a turn: the moment to make the log durable against a power loss too. */
function isTurnEnd(kind: RecordKind, data: unknown): boolean {
  return kind === 'event' && (data as RecordData['event']).type === 'done';
}

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

function explain(err: unknown, path: string): SessionLogError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? 'EIO';
  const problem = osProblem(err);
  const fix =
    problem?.kind === 'disk_full'
      ? 'The disk is full: free some space (sessions are kept in the data folder, see CODECELL_HOME).'
      : problem?.kind === 'not_writable' || problem?.kind === 'not_a_folder'
        ? 'Set CODECELL_HOME to a folder you can write.'
        : problem?.fix;
  return new SessionLogError(`cannot write the session log ${path}: ${e?.message ?? String(err)}`, code, fix);
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > TITLE_CHARS ? `${flat.slice(0, TITLE_CHARS - 1).trimEnd()}…` : flat;
}

function summarize(id: string, path: string, history: SessionHistory): SessionSummary {
  const prompts = history.entries.flatMap((e) => (e.kind === 'exchange' && e.prompt !== undefined ? [e.prompt] : []));
  // A session with no prompt (codecell exec) is named by its first cell's code.
  const title = prompts.find((p) => p.trim()) ?? history.cells.find((c) => c.trim());
  return {
    id,
    started: history.started,
    model: history.model,
    title: title ? oneLine(title) : '',
    turns: prompts.length,
    cells: history.cells.length,
    files: history.files,
    skipped: history.skipped,
    ...(history.cwd !== undefined ? { cwd: history.cwd } : {}),
    ...(history.outDir !== undefined ? { outDir: history.outDir } : {}),
    path,
  };
}

/** Reads a session file with the one reader: records checked against the schema, unreadable lines counted. */
async function historyOf(path: string): Promise<SessionHistory> {
  const { records, skipped } = parseRecords(await fsp.readFile(path, 'utf8'));
  return readHistory(records, skipped);
}

export class SessionLog {
  private fd: number | undefined;

  private constructor(
    readonly id: string,
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Starts a new session file (0600, folder 0700) and writes its meta record. */
  static create(meta: { model: string; cwd: string; outDir: string; [key: string]: unknown }, options: SessionLogOptions = {}): SessionLog {
    const dir = options.dir ?? sessionsDir();
    let path = '';
    try {
      ensureDir(dir);
      for (let attempt = 0; ; attempt++) {
        const id = newSessionId();
        path = join(dir, `${id}.jsonl`);
        try {
          const fd = openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
          fchmodSync(fd, 0o600);
          const log = new SessionLog(id, path, fd);
          log.append('meta', { id, ...meta }, { sync: true });
          return log;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 20) throw err;
        }
      }
    } catch (err) {
      if (err instanceof SessionLogError) throw err;
      throw explain(err, path || dir);
    }
  }

  /** Reopens an existing session to append to it (resume). A torn last line is closed off first. */
  static async open(idOrPrefix: string, options: SessionLogOptions = {}): Promise<SessionLog> {
    const dir = options.dir ?? sessionsDir();
    const id = await SessionLog.resolve(idOrPrefix, options);
    const path = join(dir, `${id}.jsonl`);
    try {
      const fd = openSync(path, O_WRONLY | O_APPEND | O_NOFOLLOW);
      const size = fstatSync(fd).size;
      if (size > 0) {
        const rfd = openSync(path, O_RDONLY | O_NOFOLLOW);
        const last = Buffer.alloc(1);
        readSync(rfd, last, 0, 1, size - 1);
        closeSync(rfd);
        if (last[0] !== 0x0a) writeSync(fd, '\n');
      }
      return new SessionLog(id, path, fd);
    } catch (err) {
      throw explain(err, path);
    }
  }

  /**
   * Appends one record immediately (the OS has it once this returns, so a crash of codecell loses
   * nothing). `sync: true` also fsyncs; meta and message records and `done` events always do (turn boundaries).
   */
  append<K extends RecordKind>(kind: K, data: RecordData[K], options: { sync?: boolean } = {}): void {
    if (this.fd === undefined) throw new SessionLogError(`session log ${this.id} is closed`, 'ECLOSED');
    const record = { t: new Date().toISOString(), kind, data };
    const line = Buffer.from(JSON.stringify(record, replacer) + '\n');
    let before: number | undefined;
    try {
      before = fstatSync(this.fd).size;
      // A full disk can take part of a line (a short write) before it refuses the rest.
      for (let written = 0; written < line.length; ) written += writeSync(this.fd, line, written);
      if (options.sync || kind === 'meta' || kind === 'message' || isTurnEnd(kind, data)) fsyncSync(this.fd);
    } catch (err) {
      // Take a cut-off line back, so the file still ends with a whole record and a later one is not glued to it.
      if (before !== undefined) {
        try {
          if (fstatSync(this.fd).size > before) ftruncateSync(this.fd, before);
        } catch {
          // nothing more can be done; readers skip a torn last line
        }
      }
      throw explain(err, this.path);
    }
  }

  /** Flushes to disk (call at the end of a turn). */
  sync(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  /** All recorded sessions, newest first. */
  static async list(options: SessionLogOptions = {}): Promise<SessionSummary[]> {
    const dir = options.dir ?? sessionsDir();
    const ids = await SessionLog.ids(dir);
    const summaries: SessionSummary[] = [];
    for (const id of ids.reverse()) {
      const path = join(dir, `${id}.jsonl`);
      try {
        summaries.push(summarize(id, path, await historyOf(path)));
      } catch {
        // deleted or unreadable between readdir and read: leave it out
      }
    }
    return summaries;
  }

  /** The records of one session (unreadable lines left out); `idOrPrefix` may be any unique prefix of the id. */
  static async read(idOrPrefix: string, options: SessionLogOptions = {}): Promise<SessionRecord[]> {
    const dir = options.dir ?? sessionsDir();
    const id = await SessionLog.resolve(idOrPrefix, options);
    return parseRecords(await fsp.readFile(join(dir, `${id}.jsonl`), 'utf8')).records;
  }

  /** One session read with the one reader (undo and reset applied, unreadable lines counted). */
  static async history(idOrPrefix: string, options: SessionLogOptions = {}): Promise<SessionHistory> {
    const dir = options.dir ?? sessionsDir();
    const id = await SessionLog.resolve(idOrPrefix, options);
    return historyOf(join(dir, `${id}.jsonl`));
  }

  /** The most recent session, if any. */
  static async latest(options: SessionLogOptions = {}): Promise<SessionSummary | undefined> {
    const dir = options.dir ?? sessionsDir();
    const ids = await SessionLog.ids(dir);
    const id = ids[ids.length - 1];
    if (!id) return undefined;
    const path = join(dir, `${id}.jsonl`);
    return summarize(id, path, await historyOf(path));
  }

  /** The full id for an id or a unique prefix of one. */
  static async resolve(idOrPrefix: string, options: SessionLogOptions = {}): Promise<string> {
    const ids = await SessionLog.ids(options.dir ?? sessionsDir());
    if (ids.includes(idOrPrefix)) return idOrPrefix;
    const matches = idOrPrefix ? ids.filter((id) => id.startsWith(idOrPrefix)) : [];
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) {
      throw new SessionLogError(`no session matches ${JSON.stringify(idOrPrefix)}`, 'ENOENT', 'Run `codecell sessions list` to see the recorded sessions.');
    }
    const shown = matches.slice(-10).reverse().join(', ');
    throw new SessionLogError(
      `${JSON.stringify(idOrPrefix)} matches ${matches.length} sessions: ${shown}${matches.length > 10 ? ', ...' : ''}`,
      'EAMBIGUOUS',
      'Give more of the id.',
    );
  }

  /** Session ids in the folder, oldest first (ids sort by time). */
  private static async ids(dir: string): Promise<string[]> {
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((n) => n.endsWith('.jsonl'))
      .map((n) => n.slice(0, -'.jsonl'.length))
      .sort();
  }
}
