// Inline images for the terminal: a PNG size check before decoding, then coloured half-blocks.

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
  /**
   * Use the terminal's own image protocol (kitty, iTerm2) when it has one. Only for output written
   * straight to the terminal (run, exec): Ink re-tokenises its lines and would break those escapes.
   */
  native?: boolean;
}

export type ImageRender = { ok: true; text: string; size: PngSize } | { ok: false; reason: string };

/**
 * Renders a PNG as half-block characters (two pixels per cell), or with kitty/iTerm2's own protocol
 * when `native` is set. The chat never sets it: Ink re-tokenises every line it draws and would mangle
 * those escapes, while half-blocks are plain coloured text that survives repaints inside <Static>.
 */
export async function renderImage(data: Buffer, options: ImageOptions): Promise<ImageRender> {
  const size = pngSize(data);
  if (!size) return { ok: false, reason: 'not a PNG image' };
  if (size.width === 0 || size.height === 0) return { ok: false, reason: 'empty image' };
  if (size.width * size.height > MAX_IMAGE_PIXELS) {
    return { ok: false, reason: `image too large to draw (${size.width}×${size.height})` };
  }
  const width = Math.max(8, Math.min(options.maxWidth, size.width));
  const height = Math.max(4, Math.min(options.maxHeight, Math.ceil(size.height / 2)));
  try {
    // terminal-image (with jimp) costs more to load than the chat prompt: loaded on the first image.
    const { default: terminalImage } = await import('terminal-image');
    const text = await terminalImage.buffer(data, { width, height, preserveAspectRatio: true, preferNativeRender: options.native === true });
    return { ok: true, text: text.replace(/\n+$/, ''), size };
  } catch (err) {
    return { ok: false, reason: `could not draw the image (${(err as Error).message})` };
  }
}
