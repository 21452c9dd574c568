// One cell run outside a model turn (`exec`, the chat's /rerun): a turn of its own with the same events as a model's cell.
import type { CellStatus, Sandbox } from '../sandbox/types.js';
import type { ManifestEntry } from '../store/types.js';
import { runCell, type FileSink } from './cell-runner.js';
import { errorEvent } from './error-event.js';
import type { SessionEvent, UsageTotals } from './events.js';

export interface DirectCellOptions {
  /** Who asked for the cell ('exec', 'rerun'); recorded with it, and the prefix of its call id. */
  source: string;
  /** Aborting interrupts the cell. */
  signal?: AbortSignal;
}

/** What the Session lends a direct cell: its sandbox and files, and its turn counter and log. */
export interface DirectCellHost {
  sandbox: Sandbox;
  files: FileSink;
  modelOutputChars: number;
  cellTimeoutMs?: number;
  outputPath?(callId: string): string;
  /** Starts the sandbox if needed (shared with model turns). */
  ready(): Promise<void>;
  nextTurn(): number;
  /** Records the finished cell (the same `cell` record a model's cell gets, plus its source). */
  cellDone(record: { turn: number; callId: string; code: string; status: CellStatus; count?: number; source: string }): void;
}

const NO_USAGE: UsageTotals = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

export async function* runDirectCell(host: DirectCellHost, code: string, options: DirectCellOptions): AsyncGenerator<SessionEvent> {
  const turn = host.nextTurn();
  const callId = `${options.source}-${turn}`;
  const saved: ManifestEntry[] = [];
  yield { type: 'turn_start', turn };
  try {
    if (host.sandbox.state === 'stopped' || host.sandbox.state === 'starting') yield { type: 'sandbox_state', state: 'starting' };
    await host.ready();
  } catch (err) {
    yield errorEvent(err);
    yield { type: 'done', status: 'error', answer: '', usage: NO_USAGE, files: saved };
    return;
  }
  const outcome = yield* runCell({
    sandbox: host.sandbox,
    files: host.files,
    turn,
    callId,
    code,
    modelOutputChars: host.modelOutputChars,
    savedFiles: saved,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(host.cellTimeoutMs ? { timeoutMs: host.cellTimeoutMs } : {}),
    ...(host.outputPath ? { fullOutputPath: host.outputPath(callId) } : {}),
  });
  host.cellDone({
    turn,
    callId,
    code,
    status: outcome.status,
    ...(outcome.result ? { count: outcome.result.count } : {}),
    source: options.source,
  });
  const cancelled = outcome.status === 'interrupted' && options.signal?.aborted === true;
  yield { type: 'done', status: outcome.status === 'ok' ? 'ok' : cancelled ? 'cancelled' : 'error', answer: '', usage: NO_USAGE, files: saved };
}
