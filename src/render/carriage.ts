// Progress bars in `run` and `exec`: a bare `\r` repaints the line on a terminal; in a pipe or log only each line's final state is written.
import { sanitize } from './sanitize.js';
import { finalLines } from '../core/model-output.js';

const ERASE_LINE = '\r\x1b[2K';

/** One output stream's text, sanitized, with carriage returns handled for where it goes. */
export class CarriageText {
  /** Pipe only: the unfinished line that was repainted with `\r`, held until it ends. */
  private held = '';

  constructor(private readonly tty: boolean) {}

  /** What to write for this chunk (sanitized). */
  push(text: string): string {
    if (this.tty) {
      // Each repaint erases the line first, so a shorter repaint leaves no tail of the longer one.
      return text
        .replace(/\r\n/g, '\n')
        .split('\r')
        .map((part) => sanitize(part))
        .join(ERASE_LINE);
    }
    const all = this.held + text;
    this.held = '';
    const end = all.lastIndexOf('\n') + 1;
    let tail = all.slice(end);
    if (tail.includes('\r')) {
      this.held = tail;
      tail = '';
    }
    return sanitize(finalLines(all.slice(0, end)) + tail);
  }

  /** The held line's final state (pipe), at the end of a cell or before other output. */
  flush(): string {
    const held = this.held;
    this.held = '';
    return held ? sanitize(finalLines(held)) : '';
  }
}
