// What the model reads back from a cell: capped head and tail of the output, the traceback, file names.
import type { CellStatus } from '../sandbox/types.js';

export interface CellSummary {
  status: CellStatus | 'skipped';
  output: string;
  result?: string;
  error?: { ename: string; evalue: string; traceback: string[] };
  files: { source: string; name: string }[];
  images: string[];
  message?: string;
  /** Where the full output was saved on the host, when it was cut. */
  fullOutputPath?: string;
}

/** Keeps the first ~40% and last ~60% of `text` within `limit` characters, saying how much was cut. */
export function headTail(text: string, limit: number, where?: string): string {
  if (text.length <= limit) return text;
  const head = Math.floor(limit * 0.4);
  const tail = limit - head;
  const cut = text.length - head - tail;
  const lines = text.slice(head, text.length - tail).split('\n').length - 1;
  const note = `\n… [${cut} characters (${lines} lines) omitted${where ? `; full output saved at ${where}` : ''}] …\n`;
  return text.slice(0, head) + note + text.slice(text.length - tail);
}

export function modelView(cell: CellSummary, limit: number): string {
  const parts: string[] = [];
  if (cell.status === 'skipped') return 'The user chose not to run this code.';
  if (cell.output) parts.push(headTail(cell.output, limit, cell.fullOutputPath));
  if (cell.result !== undefined) parts.push(`Out: ${headTail(cell.result, Math.max(500, Math.floor(limit / 4)))}`);
  if (cell.error) {
    const tb = cell.error.traceback.join('\n');
    parts.push(headTail(tb || `${cell.error.ename}: ${cell.error.evalue}`, Math.max(1000, Math.floor(limit / 2))));
  }
  if (cell.images.length) parts.push(`[${cell.images.length} figure(s) shown to the user and saved: ${cell.images.join(', ')}]`);
  if (cell.files.length) {
    parts.push(`[files saved for the user: ${cell.files.map((f) => `/mnt/data/${f.source}`).join(', ')}]`);
  }
  if (cell.message) parts.push(`[${cell.message}]`);
  if (cell.status === 'interrupted' && !cell.message) parts.push('[interrupted by the user]');
  if (parts.length === 0) parts.push(cell.status === 'ok' ? '[no output]' : `[status: ${cell.status}]`);
  return parts.join('\n');
}
