// Markdown to ANSI for the terminal (marked + marked-terminal): code spans, lists, tables, headings.
import { stripVTControlCharacters } from 'node:util';
import type { Marked } from 'marked';

export interface MarkdownOptions {
  /** Columns to wrap at. */
  width: number;
  color: boolean;
}

type Libraries = { Marked: typeof Marked; markedTerminal: typeof import('marked-terminal').markedTerminal };

// marked-terminal (with cli-table3, node-emoji, highlight.js) takes longer to load than the whole chat
// prompt: it is loaded on first need, and callers that render synchronously preload it (loadMarkdown).
let libraries: Libraries | undefined;
let loading: Promise<void> | undefined;

/** Loads the markdown renderer; renderMarkdown shows the raw text until this has resolved. */
export function loadMarkdown(): Promise<void> {
  loading ??= Promise.all([import('marked'), import('marked-terminal')]).then(([m, t]) => {
    libraries = { Marked: m.Marked, markedTerminal: t.markedTerminal };
  });
  return loading;
}

const cache = new Map<number, Marked>();

function parserFor(lib: Libraries, width: number): Marked {
  let m = cache.get(width);
  if (!m) {
    // Each width needs its own instance: marked-terminal fixes the wrap width when it is created.
    m = new lib.Marked(lib.markedTerminal({ width, reflowText: true, tab: 2 }) as never);
    cache.set(width, m);
  }
  return m;
}

/** Renders complete markdown; falls back to the raw text if the renderer fails or is not loaded yet. */
export function renderMarkdown(text: string, options: MarkdownOptions): string {
  const width = Math.max(20, options.width);
  let out: string;
  try {
    out = libraries ? (parserFor(libraries, width).parse(text, { async: false }) as string) : text;
  } catch {
    out = text;
  }
  out = out.replace(/\n+$/, '');
  return options.color ? out : stripVTControlCharacters(out);
}
