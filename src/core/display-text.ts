// The text a terminal and the model get for a rich output (IPython display): text/plain unless it is only a default repr.
import { convert } from 'html-to-text';
import type { DisplayBundle } from '../sandbox/types.js';

/** `<IPython.core.display.HTML object>` and the like: Python's default repr says nothing about the content. */
const DEFAULT_REPR = /^<[\w.]+ (object|at 0x[0-9a-f]+)[^>]*>$/;

export interface DisplayText {
  /** The mime type the text comes from. */
  mime: string;
  text: string;
}

/**
 * Picks the best text form: text/plain when it says something, else Markdown or LaTeX source, HTML
 * as readable text (tables laid out in columns), JSON as itself.
 */
export function displayText(bundle: DisplayBundle): DisplayText {
  const plain = bundle['text/plain'];
  if (plain !== undefined && !DEFAULT_REPR.test(plain.trim())) return { mime: 'text/plain', text: plain };
  if (bundle['text/markdown'] !== undefined) return { mime: 'text/markdown', text: bundle['text/markdown'] };
  if (bundle['text/html'] !== undefined) return { mime: 'text/html', text: htmlToText(bundle['text/html']) };
  if (bundle['text/latex'] !== undefined) return { mime: 'text/latex', text: bundle['text/latex'] };
  if (bundle['application/json'] !== undefined) return { mime: 'application/json', text: bundle['application/json'] };
  return { mime: 'text/plain', text: plain ?? '' };
}

/** HTML as plain text: tables keep their columns, links their text, scripts and styles go. */
export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false, colSpacing: 2, maxColumnWidth: 40 } },
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
    ],
  })
    .replace(/^\n+/, '')
    .trimEnd();
}
