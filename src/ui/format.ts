// Words for the chat screen: token counts and cell status (sizes and durations: shared/format.ts).
import type { UsageTotals } from '../core/events.js';

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
