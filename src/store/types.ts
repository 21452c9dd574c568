// The store's contract with the layers above: rows of the outputs manifest (the columns of an outputs table, so a
// database can take them as-is) and the store's two failures, so core can tell them apart without importing the store.
import { UserError } from '../shared/user-error.js';

export interface ManifestEntry {
  /** Stable id, e.g. "f_3k9x2a". */
  id: string;
  /** Session id the file belongs to (empty for `exec`). */
  session: string;
  /** Turn (agent) or cell number (exec) that produced it. */
  turn: number;
  /** File name as saved on the host (after collision renaming). */
  name: string;
  /** Name the code gave it inside the sandbox, relative to /mnt/data. */
  source: string;
  mime: string;
  /** Absolute host path. */
  path: string;
  size: number;
  sha256: string;
  /** ISO 8601. */
  created_at: string;
}

/** A file could not be saved; `code` is the errno code (ENOSPC, EACCES, EROFS ...) or EINVAL/ELOOP/ELIMIT. */
export class StoreError extends UserError {
  constructor(
    message: string,
    readonly code: string,
    fix?: string,
  ) {
    super(message, { kind: code, area: 'output', fix });
    this.name = 'StoreError';
  }
}

/** A session could not be found, was ambiguous, or its log could not be written. */
export class SessionLogError extends UserError {
  constructor(
    message: string,
    /** The errno name (ENOSPC, EACCES …), or ENOENT/EAMBIGUOUS for a session id that matches none or several. */
    readonly code: string,
    fix?: string,
  ) {
    super(message, { kind: code, area: 'session_log', fix });
    this.name = 'SessionLogError';
  }
}
