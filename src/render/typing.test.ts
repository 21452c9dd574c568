import { describe, expect, it } from 'vitest';
import { TypingPacer } from './typing.js';

describe('TypingPacer', () => {
  it('reveals a small burst at the steady pace, not all at once', () => {
    const p = new TypingPacer({ charsPerSecond: 100, maxLagMs: 1000 });
    p.push('x'.repeat(50), 0);
    expect(p.tick(0)).toBe(0);
    const at100 = p.tick(100);
    // 50 chars due within 1 s => at least 50 cps; the steady pace (100 cps) is faster here.
    expect(at100).toBeGreaterThanOrEqual(9);
    expect(at100).toBeLessThanOrEqual(11);
    expect(p.tick(500)).toBe(50);
    expect(p.caughtUp).toBe(true);
  });

  it('speeds up for a large burst so nothing lags more than maxLag', () => {
    const p = new TypingPacer({ charsPerSecond: 100, maxLagMs: 1000 });
    p.push('y'.repeat(5000), 0);
    let t = 0;
    const seen: number[] = [];
    while (t < 1000) {
      t += 16;
      seen.push(p.tick(t));
    }
    expect(p.revealed.length).toBe(5000);
    // Steady (monotonic, several frames) rather than one jump at the end.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(seen[10]!).toBeGreaterThan(500);
    expect(seen[10]!).toBeLessThan(1500);
  });

  it('never lags more than maxLag behind a stream of deltas, whatever the tick rate', () => {
    const p = new TypingPacer({ charsPerSecond: 10, maxLagMs: 1000 });
    const arrivals: Array<[number, number]> = [];
    let total = 0;
    for (let t = 0; t <= 3000; t += 50) {
      p.push('abcdefghij', t);
      total += 10;
      arrivals.push([t, total]);
      const shown = p.tick(t);
      for (const [at, end] of arrivals) if (at + 1000 <= t) expect(shown).toBeGreaterThanOrEqual(end);
    }
  });

  it('does not split surrogate pairs and restarts its clock after an idle spell', () => {
    const p = new TypingPacer({ charsPerSecond: 10, maxLagMs: 10_000 });
    p.push('😀😀', 0);
    p.tick(100);
    expect(p.revealed).toBe('😀');
    p.tick(10_000);
    expect(p.revealed).toBe('😀😀');
    p.push('abcdef', 60_000);
    expect(p.tick(60_100)).toBe(3);
  });

  it('settles to the final code, keeping what is shown when it is a prefix', () => {
    const p = new TypingPacer({ charsPerSecond: 1000, maxLagMs: 1000 });
    p.push('print(', 0);
    p.tick(1000);
    p.settle('print(1)', 1000);
    expect(p.revealed).toBe('print(');
    p.tick(3000);
    expect(p.revealed).toBe('print(1)');
    p.settle('other()', 3000);
    p.tick(5000);
    expect(p.revealed).toBe('other()');
  });
});
