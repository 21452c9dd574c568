// The typing-effect pacer: reveals buffered code at a steady pace, never more than ~1 s behind arrival.

export interface TypingOptions {
  /** The steady pace when the model is not far ahead, in characters per second. */
  charsPerSecond?: number;
  /** Any character is on screen at most this long after it arrived, in milliseconds. */
  maxLagMs?: number;
}

interface Arrival {
  /** Character count (code points) once this chunk is in. */
  end: number;
  /** The moment by which the whole chunk must be revealed. */
  deadline: number;
}

/**
 * Pure and clock-free: callers pass `now` (ms), so tests can drive time. Counts code points, so a
 * reveal never splits a surrogate pair.
 */
export class TypingPacer {
  private readonly chars: string[] = [];
  private readonly pending: Arrival[] = [];
  private shown = 0;
  private last: number | undefined;
  private readonly cps: number;
  private readonly maxLagMs: number;

  constructor(options: TypingOptions = {}) {
    this.cps = options.charsPerSecond ?? 400;
    this.maxLagMs = options.maxLagMs ?? 1000;
  }

  /** New characters arrived at `now`. */
  push(text: string, now: number): void {
    if (!text) return;
    // After an idle spell the clock restarts, so a new burst is not revealed all at once.
    if (this.caughtUp || this.last === undefined) this.last = now;
    for (const ch of text) this.chars.push(ch);
    this.pending.push({ end: this.chars.length, deadline: now + this.maxLagMs });
  }

  /** Replaces what arrived with the final text (the model's code_end), keeping what is shown when it is a prefix. */
  settle(text: string, now: number): void {
    const next = Array.from(text);
    const prefix = this.chars.join('');
    if (!text.startsWith(prefix)) {
      this.chars.length = 0;
      this.pending.length = 0;
      this.shown = Math.min(this.shown, next.length);
    }
    this.push(next.slice(this.chars.length).join(''), now);
  }

  /** Advances the clock to `now` and returns how many characters are visible. */
  tick(now: number): number {
    const since = this.last ?? now;
    const dt = Math.max(0, now - since);
    this.last = now;
    const backlog = this.chars.length - this.shown;
    if (backlog <= 0) return this.shown;
    // The pace is the steady rate, or faster when an arrival's deadline demands it.
    let rate = this.cps / 1000;
    for (const a of this.pending) {
      const left = a.deadline - now;
      const need = a.end - this.shown;
      if (need > 0) rate = Math.max(rate, left > 0 ? need / left : Infinity);
    }
    this.shown = Math.min(this.chars.length, this.shown + (rate === Infinity ? backlog : rate * dt));
    // Hard guarantee: whatever is past its deadline is on screen.
    for (const a of this.pending) if (a.deadline <= now) this.shown = Math.max(this.shown, a.end);
    while (this.pending.length > 0 && this.pending[0]!.end <= this.shown) this.pending.shift();
    return Math.floor(this.shown);
  }

  /** The visible text after the last tick. */
  get revealed(): string {
    return this.chars.slice(0, Math.floor(this.shown)).join('');
  }

  /** Everything that arrived is visible. */
  get caughtUp(): boolean {
    return Math.floor(this.shown) >= this.chars.length;
  }

  get arrived(): number {
    return this.chars.length;
  }
}
