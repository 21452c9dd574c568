// The one base for failures the user can act on (what went wrong, the fix, the exit status) and the exit codes.

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

export interface UserErrorDetails {
  /** What went wrong within its area: `usage`, `auth`, `no_engine`, `ENOSPC` … */
  kind: string;
  /** The part of codecell that failed (`model`, `sandbox`, `output`, `session_log`); none for a usage error. */
  area?: string;
  /** What the user can do about it. */
  fix?: string;
  /** The process exit status when this error ends a command; EXIT_FAILURE unless the user called codecell wrongly. */
  exitCode?: number;
}

/**
 * A failure with a message and a fix written for the user. Every layer throws subclasses of it; the CLI
 * (cli/errors.ts) and the error event (core/error-event.ts) read these four fields and nothing else.
 */
export class UserError extends Error {
  readonly kind: string;
  readonly area: string | undefined;
  readonly fix: string | undefined;
  readonly exitCode: number;

  constructor(message: string, details: UserErrorDetails) {
    super(message);
    this.name = 'UserError';
    this.kind = details.kind;
    this.area = details.area;
    this.fix = details.fix;
    this.exitCode = details.exitCode ?? EXIT_FAILURE;
  }

  /** The `kind` of the JSON `error` event: area and kind in lower case (`model_auth`, `output_enospc`, `usage`). */
  get eventKind(): string {
    return (this.area ? `${this.area}_${this.kind}` : this.kind).toLowerCase();
  }
}

/** A mistake in how codecell was called (a flag, a config value, a task file); exits 2. */
export class UsageError extends UserError {
  constructor(message: string, fix?: string) {
    super(message, { kind: 'usage', fix, exitCode: EXIT_USAGE });
    this.name = 'UsageError';
  }
}
