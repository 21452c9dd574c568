import { describe, expect, it, vi } from 'vitest';
import { buildFraction, createBuildFeed, reduceBuild, type BuildState } from './build-state.js';

describe('build state', () => {
  it('folds phases, steps, output and layer downloads into what the screen shows', () => {
    let s: BuildState = { startedAt: 0 };
    s = reduceBuild(s, { type: 'phase', text: 'pulling debian:trixie-slim' });
    s = reduceBuild(s, { type: 'layer', id: 'a', status: 'Downloading', current: 5e6, total: 10e6 });
    s = reduceBuild(s, { type: 'layer', id: 'b', status: 'Downloading', current: 1e6, total: 2e6 });
    expect(s.download).toEqual({ current: 6e6, total: 12e6 });
    s = reduceBuild(s, { type: 'step', step: 3, total: 12, text: 'RUN apt-get install' });
    expect(s.download).toBeUndefined();
    expect(buildFraction(s)).toBeCloseTo(2 / 12);
    s = reduceBuild(s, { type: 'output', text: 'Unpacking python3' });
    expect(s).toMatchObject({ phase: 'pulling debian:trixie-slim', step: 3, total: 12, stepText: 'RUN apt-get install', line: 'Unpacking python3' });
    s = reduceBuild(s, { type: 'done', ref: 'img:1', id: 'sha', built: true, ms: 1234 });
    expect(buildFraction(s)).toBe(1);
    expect(reduceBuild(s, { type: 'failed', message: 'no base', fix: 'build it' }).failed).toEqual({ message: 'no base', fix: 'build it' });
  });

  it('passes steps and the end on at once, and output lines at most every interval', () => {
    vi.useFakeTimers();
    try {
      let now = 1000;
      const feed = createBuildFeed({ now: () => now, intervalMs: 100 });
      const seen: BuildState[] = [];
      feed.subscribe((s) => seen.push(s));
      feed.push({ type: 'step', step: 1, total: 2, text: 'FROM x' });
      expect(seen).toHaveLength(1);
      for (let i = 0; i < 50; i++) feed.push({ type: 'output', text: `line ${i}` });
      expect(seen).toHaveLength(1);
      now += 100;
      vi.advanceTimersByTime(100);
      expect(seen).toHaveLength(2);
      expect(seen[1]!.line).toBe('line 49');
      feed.push({ type: 'done', ref: 'r', id: 'i', built: true, ms: 5 });
      expect(seen).toHaveLength(3);
      expect(feed.current().done?.ref).toBe('r');
    } finally {
      vi.useRealTimers();
    }
  });
});
