// The one event union that flows from the Session to every front end (Ink, plain text, JSONL).
import type { CellStatus, DisplayBundle, SandboxState } from '../sandbox/types.js';
import type { ManifestEntry } from '../store/types.js';
import type { Usage } from '../llm/types.js';

export interface UsageTotals extends Usage {
  /** USD, when the model's price is known. */
  costUsd?: number;
}

export type SessionEvent =
  | { type: 'session_start'; sessionId: string; model: string; outDir: string }
  | { type: 'sandbox_state'; state: SandboxState }
  | { type: 'turn_start'; turn: number }
  | { type: 'text_delta'; turn: number; text: string }
  | { type: 'reasoning_delta'; turn: number; text: string }
  /** The model call's complete reasoning (never part of the answer, never sent back to the model). */
  | { type: 'reasoning'; turn: number; text: string }
  /** The assistant's complete text for this model call (may be empty when it only called tools). */
  | { type: 'text'; turn: number; text: string }
  | { type: 'code_start'; turn: number; callId: string }
  | { type: 'code_delta'; turn: number; callId: string; text: string }
  | { type: 'code_end'; turn: number; callId: string; code: string }
  /** Confirm mode: the front end must answer through the approval callback. */
  | { type: 'approval_request'; turn: number; callId: string; code: string }
  | { type: 'cell_start'; turn: number; callId: string }
  | { type: 'cell_output'; turn: number; callId: string; stream: 'stdout' | 'stderr'; text: string }
  /** The last expression's value: `text` is text/plain; `bundle` has its other text forms (e.g. a DataFrame's text/html). */
  | { type: 'cell_result'; turn: number; callId: string; text: string; bundle?: DisplayBundle }
  /** A figure or a displayed PNG, saved as `file`; `text` is the image's text/plain form when it had one. */
  | {
      type: 'cell_image';
      turn: number;
      callId: string;
      mime: 'image/png';
      data: Buffer;
      width: number;
      height: number;
      file?: ManifestEntry;
      text?: string;
      displayId?: string;
    }
  /**
   * A rich output without an image (IPython display(), Markdown, HTML, JSON, Latex). `text` is what a
   * terminal and the model get, taken from `mime` (see core/display-text.ts); `bundle` has every text form.
   * With `update`, it replaces the earlier output of the same `displayId`.
   */
  | { type: 'cell_display'; turn: number; callId: string; mime: string; text: string; bundle: DisplayBundle; displayId?: string; update?: boolean }
  /** clear_output(): front ends drop this cell's output so far (with `wait`, when the next output arrives). */
  | { type: 'cell_clear'; turn: number; callId: string; wait: boolean }
  | { type: 'cell_error'; turn: number; callId: string; ename: string; evalue: string; traceback: string[] }
  | { type: 'file_saved'; turn: number; callId: string; file: ManifestEntry }
  | {
      type: 'cell_end';
      turn: number;
      callId: string;
      status: CellStatus | 'skipped';
      durationMs: number;
      stateLost: boolean;
      message?: string;
      /** What the model was given back for this call (capped head+tail, traceback, file names). */
      modelView: string;
    }
  | { type: 'usage'; turn: number; usage: UsageTotals; session: UsageTotals }
  | { type: 'notice'; level: 'info' | 'warn'; text: string }
  | { type: 'error'; kind: string; message: string; fix?: string }
  | {
      type: 'done';
      status: 'ok' | 'error' | 'max_turns' | 'budget' | 'cancelled';
      answer: string;
      usage: UsageTotals;
      files: ManifestEntry[];
    };

/** Compile-time guard for exhaustive switches over SessionEvent (and other unions). */
export function unreachable(value: never): never {
  throw new Error(`unhandled event: ${JSON.stringify(value)}`);
}
