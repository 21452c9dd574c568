// Terminal-width arithmetic for the live area: how many rows text takes, and its last N rows.
import { stripVTControlCharacters } from 'node:util';

/** Columns a code point takes: 2 for East Asian wide and emoji, 0 for combining marks, else 1. */
function cpWidth(cp: number): number {
  if (cp === 0 || (cp >= 0x300 && cp <= 0x36f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function textWidth(line: string): number {
  let w = 0;
  for (const ch of stripVTControlCharacters(line)) w += cpWidth(ch.codePointAt(0)!);
  return w;
}

/** Rows a line occupies when wrapped at `width` columns. */
export function rowsOf(line: string, width: number): number {
  return Math.max(1, Math.ceil(textWidth(line) / Math.max(1, width)));
}

/** The end of `text` that fits in `maxRows` rows (whole lines only, except a single over-long line). */
export function lastRows(text: string, width: number, maxRows: number): string {
  const lines = text.split('\n');
  const kept: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const r = rowsOf(lines[i]!, width);
    if (used + r > maxRows) {
      if (kept.length === 0) {
        // One huge line: keep its tail.
        const chars = [...lines[i]!];
        kept.unshift(chars.slice(-maxRows * width).join(''));
      }
      break;
    }
    kept.unshift(lines[i]!);
    used += r;
  }
  return kept.join('\n');
}
