// Renders a recorded session (the log's events, read back) as Markdown, a Jupyter notebook (nbformat 4, outputs and images embedded) or a Python script.
import { readFileSync } from 'node:fs';
import type { LoggedEvent } from '../core/records.js';
import type { SessionHistory } from '../store/session-history.js';
import type { DisplayBundle } from '../sandbox/types.js';
import { finalLines } from '../core/model-output.js';
import { ipythonToPython } from './ipython-source.js';

export type ExportFormat = 'md' | 'ipynb' | 'py';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['md', 'ipynb', 'py'];

export interface ExportOptions {
  /** Reads an image file named in the log (images are not stored inline); undefined when it is gone. */
  readFile?: (path: string) => Buffer | undefined;
}

/** One cell's worth of output, in the order it happened. */
type Output =
  | { type: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | { type: 'result'; text: string; bundle?: DisplayBundle }
  | { type: 'display'; bundle: DisplayBundle; text: string; mime: string; displayId?: string }
  | { type: 'error'; ename: string; evalue: string; traceback: string[] }
  | { type: 'image'; path?: string; width: number; height: number; text?: string }
  | { type: 'file'; path: string; name: string };

type Block =
  | { kind: 'user'; text: string }
  | { kind: 'assistant'; text: string }
  | { kind: 'code'; callId: string; code: string; outputs: Output[]; status?: string; count: number; clearPending?: boolean }
  | { kind: 'note'; text: string };

interface Exchange {
  blocks: Block[];
}

export interface SessionDocument {
  id: string;
  model: string;
  started: string;
  exchanges: Exchange[];
}

function defaultRead(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Turns a session's history (undone exchanges already gone) into exchanges of blocks; a /reset is a note. */
export function documentFrom(history: SessionHistory): SessionDocument {
  const doc: SessionDocument = { id: history.id, model: history.model, started: history.started, exchanges: [] };
  const cells = new Map<string, Extract<Block, { kind: 'code' }>>();
  let count = 0;
  for (const entry of history.entries) {
    if (entry.kind === 'reset') {
      doc.exchanges.push({ blocks: [{ kind: 'note', text: 'The kernel was reset here: later cells start from a fresh Python.' }] });
      continue;
    }
    const ex: Exchange = { blocks: entry.prompt !== undefined ? [{ kind: 'user', text: entry.prompt }] : [] };
    doc.exchanges.push(ex);
    for (const r of entry.records) if (r.kind === 'event') count = onEvent(r.data, ex, cells, count);
  }
  return doc;
}

function onEvent(e: LoggedEvent, ex: Exchange, cells: Map<string, Extract<Block, { kind: 'code' }>>, count: number): number {
  const cell = 'callId' in e ? cells.get(e.callId) : undefined;
  // clear_output(wait=True) takes effect when the cell's next output arrives, as in Jupyter.
  if (cell?.clearPending && ['cell_output', 'cell_result', 'cell_display', 'cell_image', 'cell_error'].includes(e.type)) {
    cell.outputs = [];
    cell.clearPending = false;
  }
  switch (e.type) {
    case 'text':
      if (e.text.trim()) ex.blocks.push({ kind: 'assistant', text: e.text });
      return count;
    case 'code_end': {
      const block = { kind: 'code' as const, callId: e.callId, code: e.code, outputs: [], count: 0 };
      cells.set(e.callId, block);
      ex.blocks.push(block);
      return count;
    }
    case 'cell_start':
      if (cell) cell.count = count + 1;
      return count + 1;
    case 'cell_output': {
      if (!cell) return count;
      const last = cell.outputs[cell.outputs.length - 1];
      if (last && last.type === 'stream' && last.name === e.stream) last.text += e.text;
      else cell.outputs.push({ type: 'stream', name: e.stream, text: e.text });
      return count;
    }
    case 'cell_result':
      cell?.outputs.push({ type: 'result', text: e.text, ...(e.bundle ? { bundle: e.bundle } : {}) });
      return count;
    case 'cell_display': {
      if (!cell) return count;
      const output: Output = {
        type: 'display',
        bundle: e.bundle,
        text: e.text,
        mime: e.mime,
        ...(e.displayId !== undefined ? { displayId: e.displayId } : {}),
      };
      if (e.update) {
        // An update changes the display in place; the notebook keeps its last state.
        const at = cell.outputs.findIndex((o) => o.type === 'display' && o.displayId === e.displayId);
        if (at >= 0) cell.outputs[at] = output;
      } else {
        cell.outputs.push(output);
      }
      return count;
    }
    case 'cell_clear':
      if (!cell) return count;
      if (e.wait) cell.clearPending = true;
      else cell.outputs = [];
      return count;
    case 'cell_error':
      cell?.outputs.push({ type: 'error', ename: e.ename, evalue: e.evalue, traceback: e.traceback });
      return count;
    case 'cell_image':
      cell?.outputs.push({ type: 'image', path: e.file?.path, width: e.width, height: e.height, ...(e.text !== undefined ? { text: e.text } : {}) });
      return count;
    case 'file_saved':
      // An image's file is already its display output.
      if (cell && !cell.outputs.some((o) => o.type === 'image' && o.path === e.file.path)) {
        cell.outputs.push({ type: 'file', path: e.file.path, name: e.file.name });
      }
      return count;
    case 'cell_end':
      if (cell) cell.status = e.status;
      return count;
    default:
      return count;
  }
}

const fence = (text: string, lang = ''): string => {
  // A fence longer than any backtick run inside, so output with ``` cannot break out.
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${text.replace(/\n$/, '')}\n${f}`;
};

function toMarkdown(doc: SessionDocument): string {
  const out: string[] = [`# codecell session ${doc.id}`, '', `Model: ${doc.model || 'unknown'} · started ${doc.started}`, ''];
  for (const ex of doc.exchanges) {
    for (const b of ex.blocks) {
      switch (b.kind) {
        case 'user':
          out.push('## You', '', b.text, '');
          break;
        case 'assistant':
          out.push(b.text, '');
          break;
        case 'note':
          out.push(`> ${b.text}`, '');
          break;
        case 'code':
          out.push(fence(b.code, 'python'), '');
          for (const o of b.outputs) {
            if (o.type === 'stream') out.push(fence(finalLines(o.text)), '');
            else if (o.type === 'result') out.push(fence(o.text), '');
            else if (o.type === 'display') out.push(o.mime === 'text/markdown' ? o.text : fence(o.text), '');
            else if (o.type === 'error') out.push(fence([...o.traceback, `${o.ename}: ${o.evalue}`].join('\n')), '');
            else if (o.type === 'image') out.push(o.path ? `![figure ${o.width}×${o.height}](${encodeURI(o.path)})` : `*(figure ${o.width}×${o.height})*`, '');
            else out.push(`Saved \`${o.path}\``, '');
          }
          if (b.status && b.status !== 'ok') out.push(`*cell ${b.status}*`, '');
          break;
      }
    }
  }
  return (
    out
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  );
}

/** A display's bundle as nbformat stores it: text forms as line lists, JSON as a value. */
function notebookData(bundle: DisplayBundle): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [mime, text] of Object.entries(bundle)) {
    if (mime === 'application/json') {
      try {
        data[mime] = JSON.parse(text) as unknown;
      } catch {
        data['text/plain'] ??= lines(text);
      }
    } else {
      data[mime] = lines(text);
    }
  }
  return data;
}

/** Splits text into notebook source lines (each keeps its newline, the last one may not). */
function lines(text: string): string[] {
  return text.split(/(?<=\n)/).filter((l) => l.length > 0);
}

function toNotebook(doc: SessionDocument, read: (path: string) => Buffer | undefined): string {
  let n = 0;
  const id = (): string => `cell-${(++n).toString().padStart(4, '0')}`;
  const cells: unknown[] = [
    {
      cell_type: 'markdown',
      id: id(),
      metadata: {},
      source: lines(
        `# codecell session ${doc.id}\n\nModel: ${doc.model || 'unknown'} · started ${doc.started}\n\nThe code ran in codecell's sandbox with \`/mnt/data\` as its working folder; uploaded files are not included.`,
      ),
    },
  ];
  const markdown = (text: string): void => {
    cells.push({ cell_type: 'markdown', id: id(), metadata: {}, source: lines(text) });
  };
  for (const ex of doc.exchanges) {
    for (const b of ex.blocks) {
      if (b.kind === 'user') markdown(`**You:** ${b.text}`);
      else if (b.kind === 'assistant') markdown(b.text);
      else if (b.kind === 'note') markdown(`> ${b.text}`);
      else {
        const outputs: unknown[] = [];
        for (const o of b.outputs) {
          if (o.type === 'stream') outputs.push({ output_type: 'stream', name: o.name, text: lines(finalLines(o.text)) });
          else if (o.type === 'result') {
            outputs.push({
              output_type: 'execute_result',
              execution_count: b.count || null,
              data: notebookData({ ...o.bundle, 'text/plain': o.text }),
              metadata: {},
            });
          } else if (o.type === 'display') {
            outputs.push({ output_type: 'display_data', data: notebookData(o.bundle), metadata: {} });
          } else if (o.type === 'error') outputs.push({ output_type: 'error', ename: o.ename, evalue: o.evalue, traceback: o.traceback });
          else if (o.type === 'image') {
            const png = o.path ? read(o.path) : undefined;
            const text = lines(o.text ?? `<Figure size ${o.width}x${o.height}>`);
            outputs.push({
              output_type: 'display_data',
              data: png ? { 'image/png': png.toString('base64'), 'text/plain': text } : { 'text/plain': text },
              metadata: {},
            });
          } else outputs.push({ output_type: 'stream', name: 'stdout', text: [`saved ${o.path}\n`] });
        }
        cells.push({
          cell_type: 'code',
          id: id(),
          execution_count: b.status === 'skipped' ? null : b.count || null,
          metadata: b.status && b.status !== 'ok' ? { codecell: { status: b.status } } : {},
          outputs: b.status === 'skipped' ? [] : outputs,
          source: lines(b.code.replace(/\n$/, '')),
        });
      }
    }
  }
  const notebook = {
    cells,
    metadata: {
      kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
      language_info: { name: 'python', file_extension: '.py', mimetype: 'text/x-python' },
      codecell: { session: doc.id, model: doc.model },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return JSON.stringify(notebook, null, 1) + '\n';
}

const comment = (text: string): string =>
  text
    .split('\n')
    .map((l) => (l ? `# ${l}` : '#'))
    .join('\n');

function toPython(doc: SessionDocument): string {
  const out: string[] = [
    `# codecell session ${doc.id} (model: ${doc.model || 'unknown'}, started ${doc.started})`,
    '# Cells in the order they ran; prompts and answers are comments.',
    '',
  ];
  for (const ex of doc.exchanges) {
    for (const b of ex.blocks) {
      if (b.kind === 'user') out.push('# %% [markdown]', comment(`You: ${b.text}`), '');
      else if (b.kind === 'assistant' || b.kind === 'note') out.push('# %% [markdown]', comment(b.text), '');
      else if (b.status === 'skipped') out.push('# %% (skipped, not run)', comment(b.code.replace(/\n$/, '')), '');
      else out.push('# %%', ipythonToPython(b.code.replace(/\n$/, '')), '');
    }
  }
  return out.join('\n').trimEnd() + '\n';
}

/** Renders a session (read with SessionLog.history or readHistory) in the given format. */
export function exportSession(history: SessionHistory, format: ExportFormat, options: ExportOptions = {}): string {
  const doc = documentFrom(history);
  switch (format) {
    case 'md':
      return toMarkdown(doc);
    case 'ipynb':
      return toNotebook(doc, options.readFile ?? defaultRead);
    case 'py':
      return toPython(doc);
  }
}
