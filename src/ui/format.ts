// Small formatting helpers for the chat screen: durations, sizes, token counts, cell status words.
import type { UsageTotals } from '../core/events.js';

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatUsage(u: UsageTotals | undefined): string {
  if (!u) return 'no tokens used yet';
  const cost = u.costUsd === undefined ? '' : ` · $${u.costUsd.toFixed(4)}`;
  return `${u.promptTokens.toLocaleString('en-US')} in · ${u.completionTokens.toLocaleString('en-US')} out${cost}`;
}

/** Words and a colour for how a cell ended. */
export function statusWords(status: string): { text: string; color: 'green' | 'red' | 'yellow' | 'gray' } {
  switch (status) {
    case 'ok':
      return { text: '✓ ran', color: 'green' };
    case 'error':
      return { text: '✗ error', color: 'red' };
    case 'interrupted':
      return { text: '■ interrupted', color: 'yellow' };
    case 'timeout':
      return { text: '✗ timed out', color: 'red' };
    case 'oom':
      return { text: '✗ out of memory', color: 'red' };
    case 'killed':
      return { text: '✗ killed', color: 'red' };
    case 'output_limit':
      return { text: '✗ too much output', color: 'red' };
    case 'skipped':
      return { text: '○ skipped', color: 'gray' };
    default:
      return { text: status, color: 'gray' };
  }
}
