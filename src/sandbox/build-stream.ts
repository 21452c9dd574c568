// Reads the engine's JSON progress stream (build or pull) event by event, and fails on any error event.
import { StringDecoder } from 'node:string_decoder';
import { SandboxError } from './types.js';

/** What an image build or pull is doing, for a progress display. */
export type BuildProgress =
  /** A stage of our own: choosing a base, pulling, building the offline base. */
  | { type: 'phase'; text: string }
  /** A Dockerfile instruction starting ("Step 3/12 : RUN apt-get ..."). */
  | { type: 'step'; step: number; total: number; text: string }
  /** One line printed by a build step (apt, python), or by the offline base script. */
  | { type: 'output'; text: string }
  /** Pull/download progress of one layer. */
  | { type: 'layer'; id: string; status: string; current?: number; total?: number }
  /** The image is ready. */
  | { type: 'done'; ref: string; id: string; built: boolean; ms: number };

export type ProgressListener = (progress: BuildProgress) => void;

interface EngineEvent {
  stream?: string;
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

// Docker prints "Step 3/12 : RUN ..."; Podman prints "STEP 3/12: RUN ...".
const STEP = /^(?:Step|STEP) (\d+)\/(\d+)\s*:\s*(.*)$/;
const BUILT = /^Successfully built ([0-9a-f]{12,64})$/;

export interface StreamResult {
  /** Image id (sha256:… or short id) when the engine reported one. */
  imageId?: string;
  /** The last step and output lines, for error messages. */
  lastStep?: string;
  tail: string[];
}

/**
 * Consumes a build or pull response. Resolves when the stream ends without an error event; rejects
 * with the engine's own error text otherwise (dockerode's followProgress would report success).
 * `what` names the operation in errors ("the sandbox image build").
 */
export function readProgressStream(stream: NodeJS.ReadableStream, onProgress: ProgressListener | undefined, what: string): Promise<StreamResult> {
  return new Promise<StreamResult>((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    const result: StreamResult = { tail: [] };
    let pending = '';
    let partialLine = '';
    let failure: SandboxError | undefined;
    let settled = false;

    const fail = (err: SandboxError): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };

    const emitLine = (line: string): void => {
      const text = line.replace(/\s+$/, '');
      if (!text) return;
      const step = STEP.exec(text);
      if (step) {
        result.lastStep = text;
        onProgress?.({ type: 'step', step: Number(step[1]), total: Number(step[2]), text: step[3] ?? '' });
        return;
      }
      const built = BUILT.exec(text);
      if (built) result.imageId ??= built[1];
      result.tail.push(text);
      if (result.tail.length > 20) result.tail.shift();
      onProgress?.({ type: 'output', text });
    };

    const handle = (event: EngineEvent): void => {
      if (event.error !== undefined || event.errorDetail !== undefined) {
        const message = event.errorDetail?.message ?? event.error ?? 'unknown error';
        const at = result.lastStep ? ` at ${result.lastStep}` : '';
        failure ??= new SandboxError(
          `${what} failed${at}: ${message}`,
          'Read the step output above for the cause, then rerun `codecell sandbox build --force`. ' +
            'If apt could not reach the Debian mirror, check the network (the build uses host networking).',
          'build_failed',
        );
        return;
      }
      if (event.aux?.ID) result.imageId = event.aux.ID;
      if (typeof event.stream === 'string') {
        // A step's output arrives in arbitrary pieces; only whole lines are reported.
        const lines = (partialLine + event.stream).split(/\r?\n|\r/);
        partialLine = lines.pop() ?? '';
        for (const line of lines) emitLine(line);
        return;
      }
      if (typeof event.status === 'string') {
        if (event.id) {
          onProgress?.({
            type: 'layer',
            id: event.id,
            status: event.status,
            current: event.progressDetail?.current,
            total: event.progressDetail?.total,
          });
        } else {
          onProgress?.({ type: 'output', text: event.status });
        }
      }
    };

    const parseLine = (line: string): void => {
      const trimmed = line.trim();
      if (!trimmed) return;
      try {
        handle(JSON.parse(trimmed) as EngineEvent);
      } catch {
        // Not JSON (a proxy's error page, an old engine): show it rather than drop it.
        emitLine(trimmed);
      }
    };

    stream.on('data', (chunk: Buffer | string) => {
      pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        parseLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
    });
    stream.on('error', (err: Error) =>
      fail(new SandboxError(`${what} was cut off: ${err.message}`, 'Check that the Docker engine is still running, then retry.', 'build_failed')),
    );
    let ended = false;
    stream.on('close', () => {
      if (!ended)
        fail(new SandboxError(`${what} was cut off before it finished`, 'Check that the Docker engine is still running, then retry.', 'build_failed'));
    });
    stream.on('end', () => {
      ended = true;
      parseLine(pending + decoder.end());
      if (partialLine) emitLine(partialLine);
      if (failure) return fail(failure);
      if (settled) return;
      settled = true;
      resolve(result);
    });
  });
}
