// Turns the kernel's rich outputs (`display` and `result` mime bundles) into cell events: PNGs go to the figure pipeline, text forms stay text.
import type { CellEvent, DisplayBundle } from './types.js';
import { imageProblem, pngSize } from './files.js';

/** Text forms a front end or the model can use; anything else in a bundle is ignored. */
const TEXT_MIMES = ['text/plain', 'text/markdown', 'text/html', 'text/latex', 'application/json'];
/** One text form is cut to this many characters (the kernel already caps it; this guards forged lines). */
const MAX_TEXT = 4 * 1024 * 1024;

/** The text forms of a bundle as strings (JSON values serialised), or undefined when there are none. */
export function textBundle(data: Record<string, unknown>): DisplayBundle | undefined {
  const out: DisplayBundle = {};
  for (const mime of TEXT_MIMES) {
    const value = data[mime];
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : mime === 'application/json' ? safeJson(value) : undefined;
    if (text !== undefined) out[mime] = text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
  }
  return Object.keys(out).length ? out : undefined;
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return undefined;
  }
}

/**
 * The events for one `display` message: an image event when it carries a PNG the host accepts
 * (its text/plain rides along), else a display event with its text forms. Other image types
 * (JPEG, GIF, SVG) are named in a text/plain fallback: only PNG is drawn and saved as a figure.
 */
export function displayEvents(data: Record<string, unknown>, displayId?: string, update?: boolean): CellEvent[] {
  const texts = textBundle(data);
  const plain = texts?.['text/plain'];
  const extra = { ...(displayId !== undefined ? { displayId } : {}) };
  const png = data['image/png'];
  if (typeof png === 'string') {
    const bytes = Buffer.from(png, 'base64');
    const problem = imageProblem(bytes);
    if (!problem) {
      const size = pngSize(bytes)!;
      return [
        { type: 'image', mime: 'image/png', data: bytes, width: size.width, height: size.height, ...(plain !== undefined ? { text: plain } : {}), ...extra },
      ];
    }
    return [{ type: 'notice', text: `an image was not shown: ${problem}` }];
  }
  const other = Object.keys(data).find((mime) => mime.startsWith('image/'));
  const bundle: DisplayBundle | undefined = texts ?? (other ? { 'text/plain': `<${other.slice(0, 40)} image: only PNG images are drawn>` } : undefined);
  if (!bundle) return [];
  return [{ type: 'display', bundle, ...extra, ...(update ? { update: true } : {}) }];
}
