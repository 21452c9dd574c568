// Prints image build progress to a terminal (one live status line under the step lines) or as plain lines.
import { unreachable } from '../core/events.js';
import type { BuildProgress, ProgressListener } from '../sandbox/build-stream.js';
import { stripAll } from './sanitize.js';
import { formatDuration } from '../shared/format.js';

export interface ProgressPrinter {
  onProgress: ProgressListener;
  /** Stops the ticker and clears the live line; call on success and on failure. */
  close(): void;
}

export interface PrinterOptions {
  /** Defaults to the stream's isTTY. */
  live?: boolean;
  /** Defaults to live && NO_COLOR unset. */
  color?: boolean;
  env?: NodeJS.ProcessEnv;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** One line of build output made safe and short for a terminal. */
export function plainLine(text: string, width = Infinity): string {
  // Build output comes from inside the container: it must not drive the user's terminal.
  const clean = stripAll(text)
    .replace(/[\t\n]/g, ' ')
    .trimEnd();
  const chars = [...clean];
  if (chars.length <= width) return clean;
  return chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

export function createProgressPrinter(
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stderr,
  options: PrinterOptions = {},
): ProgressPrinter {
  const env = options.env ?? process.env;
  const live = options.live ?? out.isTTY === true;
  const color = options.color ?? (live && !env.NO_COLOR);
  const dim = (s: string): string => (color ? `\u001b[2m${s}\u001b[22m` : s);
  const bold = (s: string): string => (color ? `\u001b[1m${s}\u001b[22m` : s);
  const started = Date.now();
  const layers = new Map<string, { status: string; current?: number; total?: number }>();
  let step = '';
  let lastOutput = '';
  let frame = 0;
  let drawn = false;
  let ticker: NodeJS.Timeout | undefined;

  // columns is 0 or missing when the terminal size is unknown.
  const width = (): number => Math.max(20, (out.columns || 80) - 1);

  const statusText = (): string => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    let head = `${SPINNER[frame % SPINNER.length]} ${step ? `[${step}] ` : ''}${seconds}s`;
    const downloading = [...layers.values()].filter((l) => l.total);
    if (downloading.length > 0) {
      const current = downloading.reduce((sum, l) => sum + (l.current ?? 0), 0);
      const total = downloading.reduce((sum, l) => sum + (l.total ?? 0), 0);
      head += ` ${downloading.length} layers ${megabytes(current)}/${megabytes(total)} MB`;
    }
    const room = width() - [...head].length - 2;
    return room > 8 && lastOutput ? `${head}  ${dim(plainLine(lastOutput, room))}` : head;
  };

  const clear = (): void => {
    if (drawn) out.write('\r\u001b[2K');
    drawn = false;
  };
  let lastDraw = 0;
  const draw = (): void => {
    clear();
    out.write(statusText());
    drawn = true;
    lastDraw = Date.now();
  };
  // Prints a permanent line above the live one.
  const println = (line: string): void => {
    if (live) {
      clear();
      out.write(plainLine(line, width()).replace(/^(Step \S+)/, (m) => bold(m)) + '\n');
      draw();
    } else {
      out.write(plainLine(line) + '\n');
    }
  };

  const startTicker = (): void => {
    if (!live || ticker) return;
    // Redraw on a timer so a long silent step (apt unpacking, a big download) never looks frozen.
    ticker = setInterval(() => {
      frame++;
      draw();
    }, 120);
    ticker.unref();
  };

  let active = false;
  const onProgress = (progress: BuildProgress): void => {
    if (progress.type !== 'done') {
      active = true;
      startTicker();
    }
    switch (progress.type) {
      case 'phase':
        println(`codecell: ${progress.text}`);
        return;
      case 'step':
        step = `${progress.step}/${progress.total}`;
        lastOutput = '';
        layers.clear();
        println(`Step ${step} : ${progress.text}`);
        return;
      case 'output':
        if (live) {
          const first = !lastOutput;
          lastOutput = progress.text;
          // apt prints hundreds of lines a second: draw a step's first line at once, the ticker shows the rest.
          if (first || Date.now() - lastDraw > 100) draw();
        } else {
          out.write(`  ${plainLine(progress.text)}\n`);
        }
        return;
      case 'layer': {
        const before = layers.get(progress.id);
        layers.set(progress.id, { status: progress.status, current: progress.current, total: progress.total });
        // Plain output gets one line per layer state change, not one per progress tick.
        if (!live && before?.status !== progress.status) out.write(`  ${plainLine(`${progress.id}: ${progress.status}`)}\n`);
        return;
      }
      case 'done': {
        stop();
        // An image that was simply there needs no line, unless we already said we were looking for one.
        if (progress.built) out.write(`codecell: image ${progress.ref} built in ${formatDuration(progress.ms)}\n`);
        else if (active) out.write(`codecell: image ${progress.ref} is ready\n`);
        return;
      }
      default:
        unreachable(progress);
    }
  };

  const stop = (): void => {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
    if (live) clear();
  };

  return { onProgress, close: stop };
}
