// The prompt's text buffer: multi-line editing as pure functions over {text, cursor}.

export interface Draft {
  text: string;
  /** Index into text (UTF-16 units, always on a code point boundary). */
  cursor: number;
}

export const emptyDraft: Draft = { text: '', cursor: 0 };

/** Pasted text: CRLF and bare CR become newlines, tabs become spaces, other control bytes are dropped. */
export function cleanInput(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '    ')
    .replace(/\x1b\[[0-9;]*[~A-Za-z]/g, '')
    .replace(/[\x00-\x09\x0b-\x1f\x7f]/g, '');
}

export function insert(d: Draft, text: string): Draft {
  const t = cleanInput(text);
  return { text: d.text.slice(0, d.cursor) + t + d.text.slice(d.cursor), cursor: d.cursor + t.length };
}

function prevBoundary(text: string, i: number): number {
  if (i <= 0) return 0;
  const code = text.charCodeAt(i - 1);
  return code >= 0xdc00 && code <= 0xdfff && i >= 2 ? i - 2 : i - 1;
}

function nextBoundary(text: string, i: number): number {
  if (i >= text.length) return text.length;
  const code = text.charCodeAt(i);
  return code >= 0xd800 && code <= 0xdbff ? i + 2 : i + 1;
}

export function backspace(d: Draft): Draft {
  if (d.cursor === 0) return d;
  const p = prevBoundary(d.text, d.cursor);
  return { text: d.text.slice(0, p) + d.text.slice(d.cursor), cursor: p };
}

export function deleteForward(d: Draft): Draft {
  if (d.cursor >= d.text.length) return d;
  return { text: d.text.slice(0, d.cursor) + d.text.slice(nextBoundary(d.text, d.cursor)), cursor: d.cursor };
}

export const left = (d: Draft): Draft => ({ ...d, cursor: prevBoundary(d.text, d.cursor) });
export const right = (d: Draft): Draft => ({ ...d, cursor: nextBoundary(d.text, d.cursor) });

function lineStartOf(text: string, i: number): number {
  return text.lastIndexOf('\n', i - 1) + 1;
}

function lineEndOf(text: string, i: number): number {
  const n = text.indexOf('\n', i);
  return n === -1 ? text.length : n;
}

export const home = (d: Draft): Draft => ({ ...d, cursor: lineStartOf(d.text, d.cursor) });
export const end = (d: Draft): Draft => ({ ...d, cursor: lineEndOf(d.text, d.cursor) });

/** Ctrl-U: delete from the start of the line to the cursor. */
export function killBefore(d: Draft): Draft {
  const s = lineStartOf(d.text, d.cursor);
  return { text: d.text.slice(0, s) + d.text.slice(d.cursor), cursor: s };
}

/** Ctrl-K: delete from the cursor to the end of the line. */
export function killAfter(d: Draft): Draft {
  const e = lineEndOf(d.text, d.cursor);
  return { text: d.text.slice(0, d.cursor) + d.text.slice(e), cursor: d.cursor };
}

/** Ctrl-W: delete the word before the cursor. */
export function killWord(d: Draft): Draft {
  const before = d.text.slice(0, d.cursor);
  const m = /\S*\s*$/.exec(before);
  const s = d.cursor - (m ? m[0].length : 0);
  return { text: d.text.slice(0, s) + d.text.slice(d.cursor), cursor: s };
}

/** Moves to the line above keeping the column; null when already on the first line (history takes over). */
export function up(d: Draft): Draft | null {
  const s = lineStartOf(d.text, d.cursor);
  if (s === 0) return null;
  const col = d.cursor - s;
  const ps = lineStartOf(d.text, s - 1);
  return { ...d, cursor: Math.min(ps + col, s - 1) };
}

/** Moves to the line below keeping the column; null when already on the last line. */
export function down(d: Draft): Draft | null {
  const e = lineEndOf(d.text, d.cursor);
  if (e === d.text.length) return null;
  const col = d.cursor - lineStartOf(d.text, d.cursor);
  const ne = lineEndOf(d.text, e + 1);
  return { ...d, cursor: Math.min(e + 1 + col, ne) };
}

export const atEnd = (text: string): Draft => ({ text, cursor: text.length });
