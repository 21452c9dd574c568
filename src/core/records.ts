// What a session records, kind by kind: the contract between the Session (the writer) and the session log (its format and reader).
import type { ChatMessage, ToolProtocol } from '../llm/types.js';
import type { CellStatus } from '../sandbox/types.js';
import type { SessionEvent } from './events.js';

/** A cell_image as the log keeps it: the PNG stays on disk (see `file`), only its size is written. */
export type LoggedImage = Omit<Extract<SessionEvent, { type: 'cell_image' }>, 'data'> & { bytes: number };

/** An event as the log keeps it: every event as it was yielded, except images without their bytes. */
export type LoggedEvent = Exclude<SessionEvent, { type: 'cell_image' }> | LoggedImage;

/** The first meta record describes the session; later ones note a change (a new model, the tool protocol). */
export interface SessionMeta {
  id?: string;
  model?: string;
  cwd?: string;
  outDir?: string;
  toolProtocol?: ToolProtocol;
}

/** The data of each record kind. */
export interface RecordData {
  meta: SessionMeta;
  /** The session was reopened to go on (`--resume`, `/resume`). */
  resume: { model: string };
  /** One message of the conversation the model sees, in order. */
  message: ChatMessage;
  event: LoggedEvent;
  /** A cell that ran, for `/rerun` after a resume. */
  /** `source`: who ran a cell outside a model turn (`exec`, `rerun`); absent for the model's cells. */
  cell: { turn: number; callId: string; code: string; status: CellStatus; count?: number | undefined; source?: string | undefined };
  /** /undo: the last exchange is taken back; `keep` is how many messages were left. */
  undo: { keep: number };
  /** /reset: a new kernel and an empty conversation. */
  reset: Record<string, never>;
  upload: { hostPath: string; name: string; size: number };
}

export type RecordKind = keyof RecordData;
