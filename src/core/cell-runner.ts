// Runs one cell in the sandbox and turns its output into SessionEvents, saving files as they arrive.
import type { CellEvent, CellResult, CellStatus, Sandbox } from '../sandbox/types.js';
import type { ManifestEntry } from '../store/types.js';
import type { SessionEvent } from './events.js';
import { unreachable } from './events.js';
import { Channel } from './channel.js';
import { modelView, type CellSummary } from './model-view.js';
import { OutputFile } from './output-file.js';
import { errorEvent } from './error-event.js';
import { displayText } from './display-text.js';
import { ModelOutput } from './model-output.js';

/** Where saved files go; implemented by store/OutputStore. */
export interface FileSink {
  save(file: { turn: number; source: string; data: Buffer; mime?: string }): Promise<ManifestEntry>;
  list(): ManifestEntry[];
  readonly outDir: string;
}

export interface CellRun {
  sandbox: Sandbox;
  files: FileSink;
  turn: number;
  callId: string;
  code: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Characters of output the model reads back. */
  modelOutputChars: number;
  /** Where to keep the full output on disk (optional). */
  fullOutputPath?: string;
  /** Collects the manifest rows of files saved by this cell. */
  savedFiles?: ManifestEntry[];
}

export interface CellOutcome {
  view: string;
  status: CellStatus;
  /** The sandbox itself failed (engine gone, could not restart): stop the turn. */
  fatal: boolean;
  result?: CellResult;
}

export async function* runCell(run: CellRun): AsyncGenerator<SessionEvent, CellOutcome> {
  const { sandbox, turn, callId } = run;
  const channel = new Channel<SessionEvent>();
  const summary: CellSummary = { status: 'ok', output: '', files: [], images: [] };
  const keep = run.modelOutputChars * 50; // enough for head+tail; the full text goes to disk
  const output = new ModelOutput(keep);
  const full = run.fullOutputPath ? new OutputFile(run.fullOutputPath) : undefined;
  let saving: Promise<void> = Promise.resolve();
  const saveFailures: string[] = [];
  let figure = 0;

  const save = (source: string, data: Buffer, mime?: string): Promise<ManifestEntry | undefined> =>
    run.files.save({ turn, source, data, ...(mime ? { mime } : {}) }).then(
      (entry) => {
        run.savedFiles?.push(entry);
        return entry;
      },
      (err: unknown) => {
        const e = errorEvent(err);
        saveFailures.push(`${source}: ${e.message}`);
        channel.push(e);
        return undefined;
      },
    );

  const onEvent = (ev: CellEvent): void => {
    switch (ev.type) {
      case 'stdout':
      case 'stderr':
        full?.write(ev.text);
        output.append(ev.text);
        channel.push({ type: 'cell_output', turn, callId, stream: ev.type, text: ev.text });
        break;
      case 'result': {
        // A value whose text/plain is only a default repr (`<R at 0x…>`) is shown by its richer form.
        const text = ev.bundle ? displayText({ ...ev.bundle, 'text/plain': ev.text }).text : ev.text;
        summary.result = text;
        channel.push({ type: 'cell_result', turn, callId, text, ...(ev.bundle ? { bundle: { ...ev.bundle, 'text/plain': ev.text } } : {}) });
        break;
      }
      case 'display': {
        const shown = displayText(ev.bundle);
        full?.write(shown.text.endsWith('\n') ? shown.text : shown.text + '\n');
        output.display(shown.text, ev.displayId, ev.update);
        const extra = { ...(ev.displayId !== undefined ? { displayId: ev.displayId } : {}), ...(ev.update ? { update: true } : {}) };
        channel.push({ type: 'cell_display', turn, callId, mime: shown.mime, text: shown.text, bundle: ev.bundle, ...extra });
        break;
      }
      case 'clear':
        output.clear();
        channel.push({ type: 'cell_clear', turn, callId, wait: ev.wait });
        break;
      case 'error':
        summary.error = { ename: ev.ename, evalue: ev.evalue, traceback: ev.traceback };
        channel.push({ type: 'cell_error', turn, callId, ename: ev.ename, evalue: ev.evalue, traceback: ev.traceback });
        break;
      case 'image': {
        const name = `figure-${turn}-${++figure}.png`;
        saving = saving.then(async () => {
          const entry = await save(name, ev.data, 'image/png');
          if (entry) summary.images.push(entry.name);
          const extra = { ...(ev.text !== undefined ? { text: ev.text } : {}), ...(ev.displayId !== undefined ? { displayId: ev.displayId } : {}) };
          channel.push({
            type: 'cell_image',
            turn,
            callId,
            mime: ev.mime,
            data: ev.data,
            width: ev.width,
            height: ev.height,
            ...(entry ? { file: entry } : {}),
            ...extra,
          });
        });
        break;
      }
      case 'file':
        saving = saving.then(async () => {
          const entry = await save(ev.file.name, ev.file.data);
          if (entry) {
            summary.files.push({ source: ev.file.name, name: entry.name });
            channel.push({ type: 'file_saved', turn, callId, file: entry });
          }
        });
        break;
      case 'file_skipped':
        channel.push({ type: 'notice', level: 'warn', text: `not saved: ${ev.name} (${ev.reason})` });
        break;
      case 'notice':
        channel.push({ type: 'notice', level: 'warn', text: ev.text });
        break;
      default:
        unreachable(ev);
    }
  };

  yield { type: 'cell_start', turn, callId };
  yield { type: 'sandbox_state', state: 'running' };
  const started = Date.now();
  let result: CellResult | undefined;
  let failure: unknown;
  const running = sandbox
    .run(run.code, { onEvent, ...(run.signal ? { signal: run.signal } : {}), ...(run.timeoutMs ? { timeoutMs: run.timeoutMs } : {}) })
    .then(
      (r) => {
        result = r;
      },
      (err: unknown) => {
        failure = err;
      },
    )
    .then(() => saving)
    .finally(() => channel.close());

  for await (const ev of channel) yield ev;
  await running;
  const complete = full ? await full.close() : false;
  yield { type: 'sandbox_state', state: sandbox.state };

  if (!result) {
    const ev = errorEvent(failure);
    yield ev;
    const view = `The sandbox failed: ${ev.message}`;
    // No message here: the error event just said it, with its fix.
    yield { type: 'cell_end', turn, callId, status: 'killed', durationMs: Date.now() - started, stateLost: true, modelView: view };
    return { view, status: 'killed', fatal: true };
  }
  summary.output = output.toString();
  summary.status = result.status;
  if (result.message) summary.message = result.message;
  if (!summary.error && result.error) summary.error = result.error;
  if (saveFailures.length) {
    summary.message = [summary.message, `some files could not be saved on the host: ${saveFailures.join('; ')}`].filter(Boolean).join('; ');
  }
  if (complete && run.fullOutputPath && summary.output.length > run.modelOutputChars) summary.fullOutputPath = run.fullOutputPath;
  const view = modelView(summary, run.modelOutputChars);
  yield {
    type: 'cell_end',
    turn,
    callId,
    status: result.status,
    durationMs: result.durationMs,
    stateLost: result.stateLost,
    ...(result.message ? { message: result.message } : {}),
    modelView: view,
  };
  return { view, status: result.status, fatal: false, result };
}
