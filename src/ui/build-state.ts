// The image build as the chat shows it: progress events folded into one small state, fed to the screen at most ~10 times a second.
import type { BuildProgress } from '../sandbox/build-stream.js';

export interface BuildState {
  startedAt: number;
  /** Our own stage: choosing a base, pulling, the offline base. */
  phase?: string;
  step?: number;
  total?: number;
  stepText?: string;
  /** The latest line printed by the build. */
  line?: string;
  /** Bytes downloaded and to download, over every layer being pulled. */
  download?: { current: number; total: number };
  layers?: Record<string, { current: number; total: number }>;
  done?: { ref: string; ms: number; built: boolean };
  failed?: { message: string; fix?: string };
}

export type BuildUpdate = BuildProgress | { type: 'failed'; message: string; fix?: string };

export function reduceBuild(state: BuildState, update: BuildUpdate): BuildState {
  switch (update.type) {
    case 'phase':
      return { ...state, phase: update.text, line: undefined };
    case 'step':
      return { ...state, step: update.step, total: update.total, stepText: update.text, line: undefined, layers: undefined, download: undefined };
    case 'output':
      return { ...state, line: update.text };
    case 'layer': {
      if (!update.total) return state;
      const layers = { ...state.layers, [update.id]: { current: update.current ?? 0, total: update.total } };
      const all = Object.values(layers);
      return { ...state, layers, download: { current: all.reduce((n, l) => n + l.current, 0), total: all.reduce((n, l) => n + l.total, 0) } };
    }
    case 'done':
      return { ...state, done: { ref: update.ref, ms: update.ms, built: update.built } };
    case 'failed':
      return { ...state, failed: { message: update.message, ...(update.fix ? { fix: update.fix } : {}) } };
  }
}

/** Share of the build done, 0..1, from the Dockerfile steps (a step counts once it has finished). */
export function buildFraction(state: BuildState): number {
  if (state.done) return 1;
  if (!state.step || !state.total) return 0;
  return Math.max(0, Math.min(1, (state.step - 1) / state.total));
}

export interface BuildFeed {
  /** The state so far. */
  current(): BuildState;
  /** Calls `listener` with each new state (throttled); returns the unsubscribe function. */
  subscribe(listener: (state: BuildState) => void): () => void;
}

/** A feed the build pushes into and the chat reads from; steps, the end and failures are passed on at once. */
export function createBuildFeed(options: { now?: () => number; intervalMs?: number } = {}): BuildFeed & { push(update: BuildUpdate): void } {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 100;
  let state: BuildState = { startedAt: now() };
  const listeners = new Set<(state: BuildState) => void>();
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  const notify = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    last = now();
    for (const l of listeners) l(state);
  };
  return {
    current: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    push(update) {
      state = reduceBuild(state, update);
      const urgent = update.type !== 'output' && update.type !== 'layer';
      if (urgent || now() - last >= intervalMs) notify();
      else timer ??= setTimeout(notify, intervalMs);
    },
  };
}
