// How codecell writes sizes and durations for people: one rule for each, everywhere.

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/**
 * "512 B", "2.4 KiB", "256 MiB", "1 GiB". Binary units (1 KiB = 1024 B): the units memory and disk limits and
 * size settings use, so a limit reads back as it was set. One decimal below 10, none from 10; whole values
 * have no ".0".
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = value < 10 ? value.toFixed(1) : value.toFixed(0);
  return `${text.endsWith('.0') ? text.slice(0, -2) : text} ${BYTE_UNITS[unit]}`;
}

/**
 * "240 ms", "4.2 s", "42 s", "3m 05s", "2h 03m": milliseconds below a second, a decimal below ten seconds,
 * and fixed-width minutes and hours above a minute, so a ticking clock does not jump about.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
