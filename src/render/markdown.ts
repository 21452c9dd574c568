// Markdown to ANSI for the terminal (marked + marked-terminal): code spans, lists, tables, headings.
import { Marked } from 'marked';
import { markedTerminal } from 'marked-terminal';
import { stripVTControlCharacters } from 'node:util';

export interface MarkdownOptions {
  /** Columns to wrap at. */
  width: number;
  color: boolean;
}

const cache = new Map<number, Marked>();

function parserFor(width: number): Marked {
  let m = cache.get(width);
  if (!m) {
    // Each width needs its own instance: marked-terminal fixes the wrap width when it is created.
    m = new Marked(markedTerminal({ width, reflowText: true, tab: 2 }) as never);
    cache.set(width, m);
  }
  return m;
}

/** Renders complete markdown; falls back to the raw text if the renderer fails. */
export function renderMarkdown(text: string, options: MarkdownOptions): string {
  const width = Math.max(20, options.width);
  let out: string;
  try {
    out = parserFor(width).parse(text, { async: false }) as string;
  } catch {
    out = text;
  }
  out = out.replace(/\n+$/, '');
  return options.color ? out : stripVTControlCharacters(out);
}
