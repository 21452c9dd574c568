// The one terminal sanitizer: text from the sandbox or the model keeps plain SGR colours and loses every other control.
//
// Rules (ECMA-48 / xterm parsing, see README "Terminal-safe output"):
// - kept: printable text (any Unicode), \n, \t, and 7-bit SGR `ESC [ <digits and ;> m` (e.g. 1, 31, 38;5;n,
//   38;2;r;g;b, 0); with `stripAll` even SGR goes.
// - dropped with their payloads: OSC (ESC ] ... BEL or ST), DCS (ESC P), SOS (ESC X), PM (ESC ^), APC (ESC _)
//   up to ST (ESC \ or 0x9C); CAN/SUB abort them. Every other CSI (cursor, erase, scroll, private modes,
//   SGR with private markers or intermediates); every other ESC sequence (ESC c, ESC 7/8, ESC ( B ...);
//   all C1 code points U+0080–U+009F, where 0x9B (CSI), 0x9D (OSC), 0x90/0x98/0x9E/0x9F open sequences whose
//   payload is dropped too; every other C0 control (NUL, BEL, BS, VT, FF, SO/SI, ...) and DEL.
// - \r\n becomes \n. A bare \r means "overwrite this line": in one `sanitize` call the last non-empty
//   segment of a line wins (`a\rb` → `b`, `abc\rX` → `X`: progress bars repaint the whole line, so the
//   final segment is what the user meant to see). SGR sequences inside overwritten segments are kept so
//   colour state is not lost. When streaming, text already emitted cannot be taken back, so a bare \r
//   after emitted text starts a new line instead; overwrites inside one chunk still collapse.
// - An unterminated sequence at the end of the input is dropped (streaming: held until the next chunk).
// Safety does not depend on parsing exactly like a terminal: the output never contains ESC except in a
// validated SGR, and never a C0/C1 control except \n and \t, so a terminal cannot be put in any other state.

const ESC = 0x1b;
const SGR_MAX_PARAMS = 128;

enum State {
  Ground,
  Escape,
  EscapeIntermediate,
  Csi,
  /** OSC: ends at BEL or ST. */
  Osc,
  /** DCS, SOS, PM, APC: end at ST only. */
  StringUntilSt,
}

/** Next character in ground state that is not plain printable text. */
const SPECIAL = /[\x00-\x1f\x7f-\x9f]/g;

class TerminalSanitizer {
  private state = State.Ground;
  private csiParams = '';
  private csiKeep = false;
  private csiIntermediate = false;
  /** Pieces of the current line not yet emitted; SGR pieces start with ESC, visible pieces never do. */
  private line: string[] = [];
  private lineHasVisible = false;
  /** Visible text of the current line was already emitted by an earlier push (streaming only). */
  private lineEmitted = false;
  private crPending = false;

  constructor(private readonly keepColors: boolean) {}

  push(chunk: string): string {
    const out: string[] = [];
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.state === State.Ground) {
        SPECIAL.lastIndex = i;
        const m = SPECIAL.exec(chunk);
        const end = m ? m.index : n;
        if (end > i) {
          this.visible(chunk.slice(i, end), out);
          i = end;
          continue;
        }
      }
      if (this.state === State.Osc || this.state === State.StringUntilSt) {
        // Fast skip of string payloads (OSC 52 / kitty graphics can be megabytes).
        let j = i;
        while (j < n) {
          const c = chunk.charCodeAt(j);
          if (c === 0x1b || c === 0x9c || c === 0x18 || c === 0x1a || (c === 0x07 && this.state === State.Osc)) break;
          j++;
        }
        i = j;
        if (i >= n) break;
      }
      const c = chunk.charCodeAt(i);
      if (this.step(c, chunk[i]!, out)) i++;
    }
    this.flushLine(out);
    return out.join('');
  }

  /** Ends the stream: drops any unterminated sequence and a trailing bare \r, resets to ground. */
  end(): string {
    const out: string[] = [];
    this.flushLine(out);
    this.state = State.Ground;
    this.crPending = false;
    this.lineEmitted = false;
    return out.join('');
  }

  /** Handles one code unit outside the fast paths. Returns false when the character must be reprocessed. */
  private step(c: number, ch: string, out: string[]): boolean {
    switch (this.state) {
      case State.Ground:
        return this.ground(c, out);
      case State.Escape:
        if (c === 0x5b) this.enterCsi(true);
        else if (c === 0x5d) this.state = State.Osc;
        else if (c === 0x50 || c === 0x58 || c === 0x5e || c === 0x5f) this.state = State.StringUntilSt;
        else if (c >= 0x20 && c <= 0x2f) this.state = State.EscapeIntermediate;
        else if (c >= 0x30 && c <= 0x7e)
          this.state = State.Ground; // ESC c, ESC 7, ESC \ ... dropped
        else if (c === ESC || c === 0x7f)
          return true; // restart / ignored
        else if (c === 0x18 || c === 0x1a) this.state = State.Ground;
        else {
          this.state = State.Ground;
          return false;
        }
        return true;
      case State.EscapeIntermediate:
        if (c >= 0x20 && c <= 0x2f) return true;
        if (c >= 0x30 && c <= 0x7e) this.state = State.Ground;
        else if (c === ESC) this.state = State.Escape;
        else if (c === 0x18 || c === 0x1a) this.state = State.Ground;
        else if (c !== 0x7f) {
          this.state = State.Ground;
          return false;
        }
        return true;
      case State.Csi:
        return this.csi(c, ch, out);
      case State.Osc:
      case State.StringUntilSt:
        // Only terminators reach here (the payload is skipped in push).
        if (c === ESC)
          this.state = State.Escape; // ESC \ is ST; any other ESC starts a new sequence
        else this.state = State.Ground; // BEL (OSC), 0x9C ST, CAN, SUB
        return true;
    }
  }

  private ground(c: number, out: string[]): boolean {
    if (c === 0x0a) {
      this.crPending = false;
      this.flushLine(out);
      out.push('\n');
      this.lineEmitted = false;
    } else if (c === 0x0d) {
      this.crPending = true;
    } else if (c === 0x09) {
      this.visible('\t', out);
    } else if (c === ESC) {
      this.state = State.Escape;
    } else if (c === 0x9b) {
      this.enterCsi(false);
    } else if (c === 0x9d) {
      this.state = State.Osc;
    } else if (c === 0x90 || c === 0x98 || c === 0x9e || c === 0x9f) {
      this.state = State.StringUntilSt;
    }
    // Every other C0, DEL and C1 is dropped.
    return true;
  }

  private enterCsi(sevenBit: boolean): void {
    this.state = State.Csi;
    this.csiParams = '';
    this.csiIntermediate = false;
    // 8-bit CSI is dropped whole, even when it is an SGR: terminals disagree on whether they honour it.
    this.csiKeep = sevenBit && this.keepColors;
  }

  private csi(c: number, ch: string, _out: string[]): boolean {
    if (c >= 0x30 && c <= 0x3f) {
      // A parameter after an intermediate is malformed; xterm then ignores the sequence up to its final byte.
      if (this.csiIntermediate || this.csiParams.length >= SGR_MAX_PARAMS) this.csiKeep = false;
      else this.csiParams += ch;
      return true;
    }
    if (c >= 0x20 && c <= 0x2f) {
      this.csiIntermediate = true;
      this.csiKeep = false;
      return true;
    }
    if (c >= 0x40 && c <= 0x7e) {
      this.state = State.Ground;
      if (this.csiKeep && c === 0x6d && /^[0-9;]*$/.test(this.csiParams)) this.line.push(`\x1b[${this.csiParams}m`);
      return true;
    }
    if (c === 0x7f) return true;
    if (c === ESC) {
      this.state = State.Escape;
      return true;
    }
    this.state = State.Ground;
    // CAN/SUB cancel silently; anything else aborts the sequence and is handled as ordinary input.
    return c === 0x18 || c === 0x1a;
  }

  private visible(text: string, out: string[]): void {
    if (this.crPending) {
      this.crPending = false;
      // Overwrite: drop the visible text of the line so far, keep its colour changes.
      if (this.lineHasVisible) this.line = this.line.filter((p) => p.charCodeAt(0) === ESC);
      this.lineHasVisible = false;
      if (this.lineEmitted) {
        out.push('\n');
        this.lineEmitted = false;
      }
    }
    this.line.push(text);
    this.lineHasVisible = true;
  }

  private flushLine(out: string[]): void {
    if (this.line.length === 0) return;
    for (const p of this.line) out.push(p);
    if (this.lineHasVisible) this.lineEmitted = true;
    this.line = [];
    this.lineHasVisible = false;
  }
}

/** Sanitizes one complete piece of text for the terminal (keeps plain SGR colours). */
export function sanitize(text: string): string {
  const s = new TerminalSanitizer(true);
  return s.push(text) + s.end();
}

/** Like `sanitize`, but removes SGR colours too: for NO_COLOR and output that is not a terminal. */
export function stripAll(text: string): string {
  const s = new TerminalSanitizer(false);
  return s.push(text) + s.end();
}
