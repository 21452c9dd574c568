// The plain-text front end for `run` and `exec`: answer on stdout, code and live output on stderr.
import { styleText } from 'node:util';
import type { Writable } from 'node:stream';
import type { SessionEvent } from '../core/events.js';
import { unreachable } from '../core/events.js';
import { sanitize } from './sanitize.js';
import { CarriageText } from './carriage.js';
import { formatBytes } from '../shared/format.js';

type Style = Parameters<typeof styleText>[0];

export interface PlainOptions {
  stdout: Writable;
  stderr: Writable;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Colours on (off with NO_COLOR or when not a terminal). */
  color: boolean;
  /** Draw images inline (only ever on a terminal). */
  images: boolean;
  quiet: boolean;
  verbose: boolean;
  /** `exec`: the program's stdout goes to stdout. `run`: all cell output goes to stderr. */
  cellStdoutTo: 'stdout' | 'stderr';
  /** Markdown to terminal text (used only when stdout is a terminal); may load its renderer first. */
  markdown?: (text: string) => string | Promise<string>;
  /** PNG to terminal text (kitty / iTerm2 / half blocks). */
  image?: (png: Buffer, width: number, height: number) => Promise<string>;
}

export class PlainRenderer {
  private pendingText = '';
  private codeInCall = false;
  private atLineStart = { stdout: true, stderr: true };
  /** This turn asked the model (a `text` event came); a cell run without one (exec) has no answer to miss. */
  private modelAnswered = false;
  private readonly carriage: Record<'stdout' | 'stderr', CarriageText>;
  /** Lines written to the cell's output stream since its last clear_output (for erasing them). */
  private linesShown = 0;
  private imageDrawn = false;
  private clearPending = false;

  constructor(private readonly o: PlainOptions) {
    const tty = (stream: 'stdout' | 'stderr') => ((stream === 'stdout' ? o.cellStdoutTo : 'stderr') === 'stdout' ? o.stdoutIsTTY : o.stderrIsTTY);
    this.carriage = { stdout: new CarriageText(tty('stdout')), stderr: new CarriageText(tty('stderr')) };
  }

  private paint(style: Style, text: string): string {
    return this.o.color ? styleText(style, text) : text;
  }

  private write(to: 'stdout' | 'stderr', text: string): void {
    if (!text) return;
    this.o[to].write(text);
    this.atLineStart[to] = text.endsWith('\n');
    if (to === this.o.cellStdoutTo) this.linesShown += text.split('\n').length - 1;
  }

  /** Ends held progress lines (pipes) before anything else is written. */
  private endCarriage(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.carriage[stream].flush();
      if (rest) this.write(stream === 'stdout' ? this.o.cellStdoutTo : 'stderr', rest);
    }
  }

  private beforeOutput(): void {
    if (this.clearPending) {
      this.clearPending = false;
      this.clearShown();
    }
  }

  /**
   * clear_output() on a terminal: erases the lines this cell printed since the last clear, so a
   * display redrawn in a loop stays one block. Not when an image was drawn (its height is unknown)
   * or the lines went to a pipe, where they cannot be taken back.
   */
  private clearShown(): void {
    const to = this.o.cellStdoutTo;
    const tty = to === 'stdout' ? this.o.stdoutIsTTY : this.o.stderrIsTTY;
    this.endCarriage();
    if (tty && !this.imageDrawn && this.linesShown > 0) {
      this.newline(to);
      this.o[to].write(`\x1b[${this.linesShown}F\x1b[J`);
    }
    this.linesShown = 0;
    this.imageDrawn = false;
  }

  /** Ends the current line on a stream so the next block starts cleanly. */
  private newline(to: 'stdout' | 'stderr'): void {
    if (!this.atLineStart[to]) this.write(to, '\n');
  }

  private info(text: string): void {
    if (this.o.quiet) return;
    this.newline('stderr');
    this.write('stderr', text + '\n');
  }

  async handle(event: SessionEvent): Promise<void> {
    const o = this.o;
    switch (event.type) {
      case 'session_start':
        if (o.verbose) this.info(this.paint('dim', `session ${event.sessionId} · ${event.model} · files → ${event.outDir}`));
        return;
      case 'sandbox_state':
        if (o.verbose) this.info(this.paint('dim', `sandbox: ${event.state}`));
        return;
      case 'turn_start':
        this.pendingText = '';
        this.codeInCall = false;
        this.modelAnswered = false;
        return;
      case 'text_delta':
        this.pendingText += event.text;
        return;
      case 'reasoning_delta':
        if (o.verbose) this.write('stderr', this.paint('dim', sanitize(event.text)));
        return;
      case 'reasoning':
        // The deltas were the reasoning; end its line so code or the answer starts cleanly.
        if (o.verbose) this.newline('stderr');
        return;
      case 'text': {
        this.modelAnswered = true;
        const text = event.text.trim();
        if (this.codeInCall) {
          // Text that came with code is commentary, not the answer; it was flushed at code_start.
          if (text && this.pendingText) this.info(this.paint('italic', sanitize(text)));
        } else if (text) {
          this.newline('stderr');
          const out = o.stdoutIsTTY && o.markdown ? await o.markdown(sanitize(text)) : sanitize(text);
          this.write('stdout', out.endsWith('\n') ? out : out + '\n');
        }
        this.pendingText = '';
        this.codeInCall = false;
        return;
      }
      case 'code_start':
        this.codeInCall = true;
        if (this.pendingText.trim()) this.info(this.paint('italic', sanitize(this.pendingText.trim())));
        this.pendingText = '';
        if (!o.quiet) {
          this.newline('stderr');
          this.write('stderr', this.paint('dim', '── python ──────────────────') + '\n');
        }
        return;
      case 'code_delta':
        if (!o.quiet) this.write('stderr', this.paint('cyan', sanitize(event.text)));
        return;
      case 'code_end':
        if (!o.quiet) this.newline('stderr');
        return;
      case 'approval_request':
        return; // the run command asks on the terminal itself
      case 'cell_start':
        // The header goes here, not at code_end: usage lines and the confirm question come in between.
        if (!o.quiet && o.cellStdoutTo === 'stderr') {
          this.newline('stderr');
          this.write('stderr', this.paint('dim', '── output ──────────────────') + '\n');
        }
        return;
      case 'cell_output': {
        const to = event.stream === 'stdout' ? o.cellStdoutTo : 'stderr';
        if (o.quiet && o.cellStdoutTo === 'stderr') return;
        this.beforeOutput();
        const text = this.carriage[event.stream].push(event.text);
        this.write(to, event.stream === 'stderr' && (to === 'stderr' ? o.stderrIsTTY : o.stdoutIsTTY) ? this.paint('yellow', text) : text);
        return;
      }
      case 'cell_display': {
        if (o.quiet && o.cellStdoutTo === 'stderr') return;
        this.beforeOutput();
        this.newline(o.cellStdoutTo);
        const tty = o.cellStdoutTo === 'stdout' ? o.stdoutIsTTY : o.stderrIsTTY;
        const text = event.mime === 'text/markdown' && tty && o.markdown ? await o.markdown(sanitize(event.text)) : sanitize(event.text);
        this.write(o.cellStdoutTo, text.endsWith('\n') ? text : text + '\n');
        return;
      }
      case 'cell_clear':
        // clear_output(wait=True) clears when the next output arrives, as in Jupyter.
        if (event.wait) this.clearPending = true;
        else this.clearShown();
        return;
      case 'cell_result':
        if (o.quiet && o.cellStdoutTo === 'stderr') return;
        this.beforeOutput();
        this.newline(o.cellStdoutTo);
        this.write(o.cellStdoutTo, sanitize(event.text) + '\n');
        return;
      case 'cell_image': {
        this.beforeOutput();
        this.imageDrawn = true;
        const to = o.cellStdoutTo;
        const tty = to === 'stdout' ? o.stdoutIsTTY : o.stderrIsTTY;
        if (o.images && tty && o.image && !o.quiet) {
          try {
            const art = await o.image(event.data, event.width, event.height);
            this.newline(to);
            this.write(to, art.endsWith('\n') ? art : art + '\n');
          } catch (err) {
            this.info(this.paint('yellow', `(figure not drawn: ${(err as Error).message})`));
          }
        }
        if (event.file) this.info(this.paint('green', `saved ${sanitize(event.file.path)}`) + this.paint('dim', ` (${event.width}×${event.height} PNG)`));
        return;
      }
      case 'file_saved':
        this.info(this.paint('green', `saved ${sanitize(event.file.path)}`) + this.paint('dim', ` (${formatBytes(event.file.size)})`));
        return;
      case 'cell_error': {
        this.endCarriage();
        this.newline('stderr');
        const tb = event.traceback.length ? event.traceback.join('\n') : `${event.ename}: ${event.evalue}`;
        this.write('stderr', this.paint('red', sanitize(tb)) + '\n');
        return;
      }
      case 'cell_end':
        this.endCarriage();
        this.clearPending = false;
        this.linesShown = 0;
        this.imageDrawn = false;
        if (event.status !== 'ok' && event.status !== 'error') {
          if (!event.message && event.status === 'killed') return; // the error event said why
          const text = event.message ?? `cell ${event.status}`;
          this.newline('stderr');
          this.write('stderr', this.paint(event.status === 'skipped' ? 'dim' : 'red', `✗ ${sanitize(text)}`) + '\n');
        } else if (o.verbose) {
          this.info(this.paint('dim', `(${event.status} in ${(event.durationMs / 1000).toFixed(2)} s)`));
        }
        return;
      case 'usage':
        if (o.verbose) {
          const u = event.session;
          const cost = u.costUsd !== undefined ? ` · $${u.costUsd.toFixed(4)}` : '';
          this.info(this.paint('dim', `tokens: ${u.promptTokens} in / ${u.completionTokens} out${cost}`));
        }
        return;
      case 'notice':
        if (event.level === 'warn' || o.verbose) this.info(this.paint(event.level === 'warn' ? 'yellow' : 'dim', `note: ${sanitize(event.text)}`));
        return;
      case 'error':
        this.newline('stderr');
        this.write('stderr', this.paint('red', `codecell: ${sanitize(event.message)}`) + '\n');
        if (event.fix) this.write('stderr', `  fix: ${sanitize(event.fix)}\n`);
        return;
      case 'done':
        this.newline('stderr');
        // Otherwise a run whose model said nothing prints nothing at all, which looks like a hang or a bug.
        if (event.status === 'ok' && !event.answer.trim() && this.modelAnswered) this.info(this.paint('yellow', 'note: the model ended without an answer'));
        if (o.verbose) {
          const cost = event.usage.costUsd !== undefined ? `, $${event.usage.costUsd.toFixed(4)}` : '';
          this.info(this.paint('dim', `done (${event.status}): ${event.files.length} file(s), ${event.usage.totalTokens} tokens${cost}`));
        }
        return;
      default:
        unreachable(event);
    }
  }
}
