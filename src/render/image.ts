// Inline images for the terminal: a PNG size check before decoding, then a graphics escape or coloured half-blocks.
import { itermEscape, kittyEscape, placeGraphic, sixelEscape, tmuxPassthrough, type GraphicsProtocol } from './graphics.js';
import { DEFAULT_CELL, fitImage, SMALL_CELL, type CellSize } from './image-fit.js';

export interface PngSize {
  width: number;
  height: number;
}

/** Decoding past this many pixels could take hundreds of MB (a small PNG can inflate hugely). */
export const MAX_IMAGE_PIXELS = 25_000_000;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Reads width and height from the IHDR chunk without decoding; null when it is not a PNG. */
export function pngSize(data: Buffer): PngSize | null {
  if (data.length < 24 || !data.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  if (data.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

export interface ImageOptions {
  /** Widest the picture may be, in columns. */
  maxWidth: number;
  /** Tallest the picture may be, in rows. */
  maxHeight: number;
  /** The terminal's own graphics protocol; half-blocks without one. */
  protocol?: GraphicsProtocol;
  /** Cell size in pixels as the terminal reported it; without it the size is guessed safely (see below). */
  cell?: CellSize;
  /** Wrap the escape for tmux's passthrough. */
  tmux?: boolean;
}

/**
 * A drawn picture: half-blocks are `text` (plain coloured lines); a graphic is one `escape` that covers
 * `cols`×`rows` cells and must be written by codecell's own image writer, never through the sanitizer.
 */
export type ImageRender =
  | { ok: true; kind: 'text'; text: string; size: PngSize }
  | { ok: true; kind: 'graphic'; protocol: GraphicsProtocol; escape: string; cols: number; rows: number; size: PngSize }
  | { ok: false; reason: string };

/** Checks a PNG's header; a reason when it must not be decoded. */
function checkPng(data: Buffer): { ok: true; size: PngSize } | { ok: false; reason: string } {
  const size = pngSize(data);
  if (!size) return { ok: false, reason: 'not a PNG image' };
  if (size.width === 0 || size.height === 0) return { ok: false, reason: 'empty image' };
  if (size.width * size.height > MAX_IMAGE_PIXELS) return { ok: false, reason: `image too large to draw (${size.width}×${size.height})` };
  return { ok: true, size };
}

/** Renders a PNG with the given protocol, or as half-blocks (two pixels per cell) without one. */
export async function renderImage(data: Buffer, options: ImageOptions): Promise<ImageRender> {
  const checked = checkPng(data);
  if (!checked.ok) return checked;
  const { size } = checked;
  try {
    if (options.protocol) {
      // Without the real cell size, kitty and iTerm2 scale the picture into the cells reserved for it
      // (never past them); sixel has a fixed pixel size, so rows are reserved for small cells.
      const cell = options.cell ?? (options.protocol === 'sixel' ? SMALL_CELL : DEFAULT_CELL);
      const fitted = fitImage(size.width, size.height, cell, options.maxWidth, options.maxHeight);
      const fit = options.cell ? fitted : { ...fitted, native: false };
      let sequence = options.protocol === 'kitty' ? kittyEscape(data, fit) : options.protocol === 'iterm' ? itermEscape(data, fit) : sixelEscape(data, fit);
      if (options.tmux) sequence = tmuxPassthrough(sequence);
      return { ok: true, kind: 'graphic', protocol: options.protocol, escape: sequence, cols: fit.cols, rows: fit.rows, size };
    }
    const width = Math.max(8, Math.min(options.maxWidth, size.width));
    const height = Math.max(4, Math.min(options.maxHeight, Math.ceil(size.height / 2)));
    // Loaded only for half-blocks: it costs about 350 ms to import, and terminals with graphics never need it.
    const { default: terminalImage } = await import('terminal-image');
    const text = await terminalImage.buffer(data, { width, height, preserveAspectRatio: true, preferNativeRender: false });
    return { ok: true, kind: 'text', text: text.replace(/\n+$/, ''), size };
  } catch (err) {
    return { ok: false, reason: `could not draw the image (${(err as Error).message})` };
  }
}

/**
 * A drawn picture as text to write straight to a terminal (run, exec). A graphic ends with the cursor
 * on the line under the picture (the text ends in a newline), so the next line cannot cover its last row.
 */
export function imageText(render: Extract<ImageRender, { ok: true }>, indent = 0): string {
  if (render.kind === 'text') return render.text;
  return placeGraphic(render.escape, render.rows, indent) + '\n'.repeat(render.rows);
}
