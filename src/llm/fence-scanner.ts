// A streaming scanner for markdown code fences: finds ```python blocks in a reply as it arrives.

/** What the scanner found in the text pushed so far. */
export type FenceEvent =
  /** Prose, and whole blocks that are not run (other languages, examples), as written. */
  | { type: 'text'; text: string }
  /** A runnable block opened; its info string (e.g. "python"). */
  | { type: 'open'; info: string }
  /** More characters of the runnable block's code. */
  | { type: 'code'; text: string }
  /** The runnable block's closing fence arrived. */
  | { type: 'close'; code: string };

/** Info strings of blocks that run: the language alone, nothing after it (`python example` is not run). */
export const RUNNABLE_LANGUAGES = ['python', 'py', 'python3'] as const;

export function isRunnable(info: string): boolean {
  return (RUNNABLE_LANGUAGES as readonly string[]).includes(info.trim().toLowerCase());
}

// CommonMark: an opening fence is 0-3 spaces, then 3+ backticks or tildes; backtick fences' info has no backtick.
const OPENER = /^( {0,3})(`{3,}|~{3,})(.*)$/;
/** A line that could still become an opening fence (held back until its end is known). */
const MAYBE_OPENER = /^ {0,3}(`{1,}|~{1,})?$/;
const CLOSER = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;
/** A line that could still become a closing fence. */
const MAYBE_CLOSER = /^ {0,3}(`*|~*)[ \t]*$/;

interface Block {
  char: string;
  length: number;
  indent: number;
  runnable: boolean;
  /** Raw text of a block that is not run, including its fences, until it closes. */
  raw: string;
  code: string;
  /** Code lines started so far (a newline goes before every line but the first). */
  lines: number;
  /** Characters of the current line already emitted as code. */
  emittedInLine: number;
}

/**
 * Feed it text in any pieces; it returns events in order. Prose is released as soon as it cannot be the
 * start of a fence; code is released as soon as it cannot be the closing fence, so it streams character by
 * character like a tool call's arguments.
 */
export class FenceScanner {
  private line = '';
  private block: Block | undefined;
  /** Part of the current prose line was already released, so the line cannot be a fence. */
  private midLine = false;

  push(chunk: string): FenceEvent[] {
    const events: FenceEvent[] = [];
    let rest = chunk;
    while (rest) {
      const nl = rest.indexOf('\n');
      if (nl < 0) {
        this.line += rest;
        this.partial(events);
        break;
      }
      this.line += rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      this.complete(events);
    }
    return merge(events);
  }

  /** The reply ended. `open` is the code of a runnable block left unclosed (the caller decides whether it runs). */
  end(): { events: FenceEvent[]; open?: string } {
    const events: FenceEvent[] = [];
    const block = this.block;
    if (!block) {
      this.midLine = false;
      if (this.line) events.push({ type: 'text', text: this.line });
      this.line = '';
      return { events: merge(events) };
    }
    this.block = undefined;
    const close = CLOSER.exec(this.line);
    if (close && close[1]![0] === block.char && close[1]!.length >= block.length) {
      // The closing fence was the very end of the reply, without a newline after it.
      events.push(block.runnable ? { type: 'close', code: block.code } : { type: 'text', text: block.raw + this.line });
      this.line = '';
      return { events: merge(events) };
    }
    if (!block.runnable) {
      events.push({ type: 'text', text: block.raw + this.line });
      this.line = '';
      return { events: merge(events) };
    }
    // A last line that looked like the start of a closing fence is code after all (or the fence itself).
    if (this.line) this.emitCode(events, block, this.stripIndent(this.line, block), true);
    this.line = '';
    return { events: merge(events), open: block.code };
  }

  private partial(events: FenceEvent[]): void {
    const block = this.block;
    if (!block) {
      if (this.midLine || (!MAYBE_OPENER.test(this.line) && !OPENER.test(this.line))) {
        events.push({ type: 'text', text: this.line });
        this.line = '';
        // The rest of this line is prose too, whatever it looks like: fences open only at a line's start.
        this.midLine = true;
      }
      return;
    }
    if (!block.runnable || MAYBE_CLOSER.test(this.line)) return;
    this.emitCode(events, block, this.stripIndent(this.line, block), false);
  }

  private complete(events: FenceEvent[]): void {
    const line = this.line;
    this.line = '';
    const block = this.block;
    if (!block && this.midLine) {
      this.midLine = false;
      events.push({ type: 'text', text: line + '\n' });
      return;
    }
    if (!block) {
      const m = OPENER.exec(line);
      if (m && !(m[2]![0] === '`' && m[3]!.includes('`'))) {
        const info = m[3]!.trim();
        const runnable = isRunnable(info);
        this.block = {
          char: m[2]![0]!,
          length: m[2]!.length,
          indent: m[1]!.length,
          runnable,
          raw: runnable ? '' : line + '\n',
          code: '',
          lines: 0,
          emittedInLine: 0,
        };
        if (runnable) events.push({ type: 'open', info });
        return;
      }
      events.push({ type: 'text', text: line + '\n' });
      return;
    }
    const close = CLOSER.exec(line);
    if (close && close[1]![0] === block.char && close[1]!.length >= block.length) {
      this.block = undefined;
      if (block.runnable) events.push({ type: 'close', code: block.code });
      else events.push({ type: 'text', text: block.raw + line + '\n' });
      return;
    }
    if (!block.runnable) {
      block.raw += line + '\n';
      return;
    }
    this.emitCode(events, block, this.stripIndent(line, block), true);
  }

  /** Content lines lose up to the opening fence's indentation, as CommonMark says. */
  private stripIndent(line: string, block: Block): string {
    let n = 0;
    while (n < block.indent && line[n] === ' ') n++;
    return line.slice(n);
  }

  /** Emits what is new of the current code line; `ends` closes the line. */
  private emitCode(events: FenceEvent[], block: Block, line: string, ends: boolean): void {
    let text = '';
    if (block.emittedInLine === 0 && (line.length > 0 || ends)) {
      if (block.lines > 0) text += '\n';
      block.lines++;
    }
    if (line.length > block.emittedInLine) {
      text += line.slice(block.emittedInLine);
      block.emittedInLine = line.length;
    }
    if (ends) block.emittedInLine = 0;
    if (text) {
      block.code += text;
      events.push({ type: 'code', text });
    }
  }
}

/** Joins neighbouring events of the same kind, so callers get one text and one code event per push. */
function merge(events: FenceEvent[]): FenceEvent[] {
  const out: FenceEvent[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (last && last.type === e.type && (e.type === 'text' || e.type === 'code')) {
      (last as { text: string }).text += (e as { text: string }).text;
    } else out.push({ ...e });
  }
  return out;
}
