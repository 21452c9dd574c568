// What a front end may ask of a chat session. Core implements it; ui/ and render/ only consume it.
import type { SessionEvent, UsageTotals } from './events.js';
import type { ManifestEntry } from '../store/types.js';
import type { SandboxState } from '../sandbox/types.js';

export type ApprovalDecision = { action: 'run' } | { action: 'skip' } | { action: 'edit'; code: string };

/** Confirm mode: the loop awaits this promise; the front end resolves it. */
export type ApprovalHandler = (request: { turn: number; callId: string; code: string }) => Promise<ApprovalDecision>;

export interface CellRecord {
  turn: number;
  callId: string;
  code: string;
  status: string;
}

export interface ChatSession {
  readonly id: string;
  readonly model: string;
  readonly outDir: string;
  readonly sandboxState: SandboxState;
  /**
   * Runs one user turn to completion (or cancellation through the signal). Never throws: failures are events.
   * The session's first call (of send or runCell) starts with a `session_start` event.
   */
  send(prompt: string, signal?: AbortSignal): AsyncGenerator<SessionEvent>;
  /** Runs one cell without the model (exec, /rerun): the same events as a model's cell, recorded with `source`. */
  runCell(code: string, options: { source: string; signal?: AbortSignal }): AsyncGenerator<SessionEvent>;
  /** Calls `listener` whenever the sandbox's state changes; returns the unsubscribe. */
  onSandboxState(listener: (state: SandboxState) => void): () => void;
  /** Interrupt the running cell (SIGINT; state kept). */
  interrupt(): Promise<void>;
  /** Kill and restart the kernel (state lost). */
  restartKernel(): Promise<void>;
  /** Drop the last user exchange from the conversation. Returns false when there is none. */
  undo(): boolean;
  /** New kernel and empty conversation. */
  reset(): Promise<void>;
  setModel(model: string): void;
  setConfirm(on: boolean): void;
  /** Copy a host file into /mnt/data; returns its sandbox path. */
  upload(hostPath: string, name?: string): Promise<string>;
  files(): ManifestEntry[];
  usage(): UsageTotals;
  cells(): CellRecord[];
  close(): Promise<void>;
}
