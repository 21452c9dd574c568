// The sandbox contract shared by every front end: what a cell run emits and returns.
import { UserError } from '../shared/user-error.js';

/** Limits and loosenings for one sandbox. Every field has a hardened default (see sandbox/limits.ts). */
export interface SandboxLimits {
  /** Memory limit in bytes (swap is set equal, so no swap). */
  memoryBytes: number;
  /** CPU limit in cores (NanoCpus = cpus * 1e9). */
  cpus: number;
  /** Max processes/threads in the container. */
  pids: number;
  /** Size of the /mnt/data working tmpfs in bytes. */
  diskBytes: number;
  /** Per-cell wall-clock timeout in milliseconds; 0 disables. */
  timeoutMs: number;
  /** Bytes of output forwarded per cell before the rest is dropped and the cell interrupted. */
  maxOutputBytes: number;
  /** Files copied out per cell. */
  maxFiles: number;
  /** Size cap for one copied-out file in bytes. */
  maxFileBytes: number;
  /** Allow network access (NetworkMode bridge instead of none). */
  network: boolean;
  /** Grace period after SIGINT before the kernel is killed and restarted, ms. */
  interruptGraceMs: number;
}

export interface SandboxOptions {
  /** Image reference to run; defaults to the tag for the bundled kernel version. */
  image?: string;
  limits?: Partial<SandboxLimits>;
  /** OCI runtime, e.g. "runsc" for gVisor. */
  runtime?: string;
  /** Extra labels (batch uses them to group containers). */
  labels?: Record<string, string>;
  /**
   * The kernel waits for warm() before pre-importing numpy, IPython, pyplot and pandas (a warm pool:
   * idle sandboxes then take no CPU from running ones). Cells work either way.
   */
  deferWarm?: boolean;
}

/** A file the cell created or changed in /mnt/data, with its bytes. The store decides where it lands. */
export interface CellFile {
  /** Path relative to /mnt/data as reported by the kernel (already validated: no `..`, no absolute). */
  name: string;
  data: Buffer;
  sha256: string;
}

/** Text forms of one rich output by mime type (text/plain, text/html, text/markdown, text/latex, application/json). */
export type DisplayBundle = Record<string, string>;

/** What a running cell emits, in order. */
export type CellEvent =
  | { type: 'stdout'; text: string }
  | { type: 'stderr'; text: string }
  /** A PNG (a matplotlib figure, or a display whose best form is an image); `text` is its text/plain form. */
  | { type: 'image'; mime: 'image/png'; data: Buffer; width: number; height: number; text?: string; displayId?: string }
  /**
   * A rich output without an image (IPython's display(), Markdown, HTML, JSON, Latex): every text form
   * by mime type (JSON values serialised). `update` replaces the earlier output with the same displayId.
   */
  | { type: 'display'; bundle: DisplayBundle; displayId?: string; update?: boolean }
  /** clear_output(): drop what the cell showed so far (`wait`: when the next output arrives). */
  | { type: 'clear'; wait: boolean }
  /** The value of the cell's last expression: text/plain, and its other text forms (e.g. text/html). */
  | { type: 'result'; text: string; bundle?: DisplayBundle }
  | { type: 'error'; ename: string; evalue: string; traceback: string[] }
  | { type: 'file'; file: CellFile }
  | { type: 'file_skipped'; name: string; reason: string }
  | { type: 'notice'; text: string };

/**
 * How a cell ended. `ok`/`error` are normal; `interrupted` kept state; `timeout`, `killed`, `oom` and
 * `output_limit` may have cost state (see `stateLost`).
 */
export type CellStatus = 'ok' | 'error' | 'interrupted' | 'timeout' | 'oom' | 'killed' | 'output_limit';

export interface CellResult {
  status: CellStatus;
  /** Notebook-style execution count (resets when the kernel restarts). */
  count: number;
  durationMs: number;
  /** True when the kernel had to be restarted and variables were lost. */
  stateLost: boolean;
  /** Plain-words explanation for non-ok statuses, e.g. "the sandbox ran out of memory (1 GiB limit)". */
  message?: string;
  error?: { ename: string; evalue: string; traceback: string[] };
}

export type SandboxState = 'starting' | 'ready' | 'running' | 'restarting' | 'stopped';

export interface RunOptions {
  onEvent?: (event: CellEvent) => void;
  /** Aborting interrupts the cell (SIGINT, then kill+restart after the grace period). */
  signal?: AbortSignal;
  /** Overrides limits.timeoutMs for this cell. */
  timeoutMs?: number;
}

/**
 * One stateful, hardened Python kernel in its own container.
 * `run` never rejects for a failing cell: Python errors, timeouts and OOM are results.
 * Only infrastructure failures (engine gone, image missing) reject, with a SandboxError.
 */
export interface Sandbox {
  readonly id: string;
  readonly state: SandboxState;
  start(): Promise<void>;
  run(code: string, options?: RunOptions): Promise<CellResult>;
  /** Send SIGINT to the running cell (no-op when idle). */
  interrupt(): Promise<void>;
  /** Kill and start a fresh kernel; all variables are lost. */
  restart(): Promise<void>;
  /** Write a file into /mnt/data (relative name). */
  upload(name: string, data: Buffer): Promise<void>;
  /** Stop and remove the container. Safe to call twice. */
  close(): Promise<void>;
  /** Starts the kernel's background imports when it was created with `deferWarm` (no-op otherwise). */
  warm?(): void;
  /**
   * A fresh kernel in the same sandbox for another task (a batch pool's recycling): resolves false when it
   * cannot be made as good as new, and the caller then closes it.
   */
  reset?(): Promise<boolean>;
  onStateChange?(listener: (state: SandboxState) => void): () => void;
}

export type SandboxErrorCode = 'no_engine' | 'no_image' | 'build_failed' | 'container_dead' | 'engine_error' | 'upload_failed';

/** Infrastructure failure with a fix the user can act on; `code` is also its kind. */
export class SandboxError extends UserError {
  declare readonly fix: string;
  constructor(
    message: string,
    fix: string,
    readonly code: SandboxErrorCode = 'engine_error',
  ) {
    super(message, { kind: code, area: 'sandbox', fix });
    this.name = 'SandboxError';
  }
}
