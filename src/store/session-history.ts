// The one reader of a session log: what /undo and /reset did to it, for resume, export, replay and listing alike.
import type { ChatMessage } from '../llm/types.js';
import type { SessionRecord } from './session-record.js';

/** One prompt and everything recorded after it, up to the next prompt, /undo or /reset. */
export interface Exchange {
  kind: 'exchange';
  /** The user's prompt; undefined for what was recorded before the first one. */
  prompt?: string;
  /** Time of the prompt (or of the first record). */
  t: string;
  /** The records of the exchange in order, its user message first. */
  records: SessionRecord[];
}

/** /reset: a new kernel and an empty conversation from here on. */
export interface Reset {
  kind: 'reset';
  t: string;
}

export interface SessionHistory {
  /** From the first meta record; later ones (a resume, a model change) do not rename the session. */
  id: string;
  model: string;
  cwd?: string;
  outDir?: string;
  /** Time of the first record. */
  started: string;
  /** What the session holds, oldest first: the exchanges still in effect (an undone one is gone) and the resets between them. */
  entries: (Exchange | Reset)[];
  /** The conversation the model sees on resume: the messages of the exchanges since the last reset. */
  messages: ChatMessage[];
  /**
   * Code of the cells that ran without error since the last reset, for /rerun after a resume. Cells of an
   * undone exchange stay: /undo takes back the conversation, not what the kernel ran.
   */
  cells: string[];
  /** Files saved in the whole session (on disk whatever /undo or /reset did). */
  files: number;
  /** Lines this version could not read (a torn last line after a crash, another version's record). */
  skipped: number;
}

/** Reads a session's records once, applying /undo and /reset the way the Session did when they happened. */
export function readHistory(records: readonly SessionRecord[], skipped = 0): SessionHistory {
  const history: SessionHistory = { id: '', model: '', started: records[0]?.t ?? '', entries: [], messages: [], cells: [], files: 0, skipped };
  // Exchanges since the last reset: the ones an /undo can take back (after a reset the Session has none).
  let open: Exchange[] = [];
  let cellsSinceReset: string[] = [];
  for (const r of records) {
    switch (r.kind) {
      case 'meta':
        if (!history.id && r.data.id) history.id = r.data.id;
        if (!history.model && r.data.model) history.model = r.data.model;
        if (r.data.cwd !== undefined) history.cwd ??= r.data.cwd;
        if (r.data.outDir !== undefined) history.outDir ??= r.data.outDir;
        break;
      case 'message':
        if (r.data.role === 'user') {
          const exchange: Exchange = { kind: 'exchange', t: r.t, records: [r], ...(typeof r.data.content === 'string' ? { prompt: r.data.content } : {}) };
          history.entries.push(exchange);
          open.push(exchange);
        } else {
          current(history, open, r.t).records.push(r);
        }
        break;
      case 'undo': {
        const undone = open.pop();
        if (undone) history.entries.splice(history.entries.lastIndexOf(undone), 1);
        break;
      }
      case 'reset':
        history.entries.push({ kind: 'reset', t: r.t });
        open = [];
        cellsSinceReset = [];
        break;
      case 'cell':
        // A /rerun cell repeats one recorded earlier: counting it again would run it twice on the next resume.
        if (r.data.status === 'ok' && r.data.source !== 'rerun') cellsSinceReset.push(r.data.code);
        current(history, open, r.t).records.push(r);
        break;
      case 'event':
        if (r.data.type === 'file_saved') history.files++;
        current(history, open, r.t).records.push(r);
        break;
      case 'resume':
      case 'upload':
        current(history, open, r.t).records.push(r);
        break;
    }
  }
  history.messages = open.flatMap((e) => e.records.flatMap((r) => (r.kind === 'message' ? [r.data] : [])));
  history.cells = cellsSinceReset;
  return history;
}

/** The exchange records go to: the latest one, or one for what came before the first prompt. */
function current(history: SessionHistory, open: Exchange[], t: string): Exchange {
  const last = history.entries[history.entries.length - 1];
  if (last?.kind === 'exchange') return last;
  const lead: Exchange = { kind: 'exchange', t, records: [] };
  history.entries.push(lead);
  open.push(lead);
  return lead;
}

/** The conversation and the cells to re-run for a resume (the reader above, for open-session). */
export function historyFrom(records: SessionRecord[]): { messages: ChatMessage[]; cells: string[] } {
  const { messages, cells } = readHistory(records);
  return { messages, cells };
}
