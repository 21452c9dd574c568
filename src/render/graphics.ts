// Terminal graphics escapes for one PNG: kitty's graphics protocol, iTerm2's inline images and sixel.
import { PNG } from 'pngjs';
import { introducer, FINALIZER, sixelEncode, toRGBA8888 } from 'sixel';
import type { Fit } from './image-fit.js';

/** The terminal graphics protocols codecell can write. */
export type GraphicsProtocol = 'kitty' | 'iterm' | 'sixel';

const ESC = '\x1b';
const ST = `${ESC}\\`;

/**
 * kitty: transmit the PNG and display it in one command: at its own pixel size when it fits, else
 * scaled over fit.cols×fit.rows cells. `C=1` keeps the cursor where it is (the caller has reserved
 * the rows); `q=2` stops kitty from answering.
 */
export function kittyEscape(png: Buffer, fit: Fit): string {
  const data = png.toString('base64');
  const parts: string[] = [];
  const CHUNK = 4096;
  const size = fit.native ? '' : `,c=${fit.cols},r=${fit.rows}`;
  for (let i = 0; i < data.length; i += CHUNK) {
    const more = i + CHUNK < data.length ? 1 : 0;
    const keys = i === 0 ? `a=T,f=100,t=d,q=2,C=1${size},m=${more}` : `m=${more}`;
    parts.push(`${ESC}_G${keys};${data.slice(i, i + CHUNK)}${ST}`);
  }
  return parts.join('');
}

/** iTerm2 (also WezTerm, VS Code, mintty): an OSC 1337 inline file sized in cells. */
export function itermEscape(png: Buffer, fit: Fit): string {
  return `${ESC}]1337;File=inline=1;size=${png.length};width=${fit.cols};height=${fit.rows};preserveAspectRatio=1:${png.toString('base64')}\x07`;
}

/** Deletes every kitty image (for /clear): otherwise pictures stay on screen after the text is erased. */
export const KITTY_DELETE_ALL = `${ESC}_Ga=d,q=2${ST}`;

/** Box-filter downscale of RGBA pixels: each target pixel averages the source pixels it covers. */
export function downscale(src: Uint8Array, width: number, height: number, toWidth: number, toHeight: number): Uint8Array {
  if (toWidth === width && toHeight === height) return src;
  const out = new Uint8Array(toWidth * toHeight * 4);
  const sx = width / toWidth;
  const sy = height / toHeight;
  for (let y = 0; y < toHeight; y++) {
    const y0 = Math.floor(y * sy);
    const y1 = Math.max(y0 + 1, Math.min(height, Math.floor((y + 1) * sy)));
    for (let x = 0; x < toWidth; x++) {
      const x0 = Math.floor(x * sx);
      const x1 = Math.max(x0 + 1, Math.min(width, Math.floor((x + 1) * sx)));
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let yy = y0; yy < y1; yy++) {
        let i = (yy * width + x0) * 4;
        for (let xx = x0; xx < x1; xx++, i += 4) {
          r += src[i]!;
          g += src[i + 1]!;
          b += src[i + 2]!;
          a += src[i + 3]!;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * toWidth + x) * 4;
      out[o] = r / n;
      out[o + 1] = g / n;
      out[o + 2] = b / n;
      out[o + 3] = a / n;
    }
  }
  return out;
}

/**
 * sixel: decode the PNG, scale it to the fitted pixel size, quantise to 256 colours. Transparent pixels
 * are laid on white first, as matplotlib's own background is, so the picture never shows holes.
 * The caller has already checked the PNG's dimensions, so decoding is bounded.
 */
export function sixelEscape(png: Buffer, fit: Fit): string {
  const decoded = PNG.sync.read(png);
  const rgba = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length);
  const scaled = downscale(rgba, decoded.width, decoded.height, fit.pixelWidth, fit.pixelHeight);
  const opaque = scaled === rgba ? new Uint8Array(rgba) : scaled;
  for (let i = 0; i < opaque.length; i += 4) {
    const a = opaque[i + 3]!;
    if (a === 255) continue;
    const k = a / 255;
    opaque[i] = opaque[i]! * k + 255 * (1 - k);
    opaque[i + 1] = opaque[i + 1]! * k + 255 * (1 - k);
    opaque[i + 2] = opaque[i + 2]! * k + 255 * (1 - k);
    opaque[i + 3] = 255;
  }
  return introducer(1) + sixelEncode(opaque, fit.pixelWidth, fit.pixelHeight, palette(opaque, 256)) + FINALIZER;
}

/**
 * Picks up to `max` colours by popularity on a 5-bit-per-channel histogram, each the average of the
 * pixels in its bin. Charts are a few flat colours plus anti-aliased edges, which this keeps exact;
 * the sixel library's own quantiser collapses such images to one colour.
 */
export function palette(rgba: Uint8Array, max: number): number[] {
  const count = new Uint32Array(32768);
  const sum = new Float64Array(32768 * 3);
  for (let i = 0; i < rgba.length; i += 4) {
    const bin = ((rgba[i]! >> 3) << 10) | ((rgba[i + 1]! >> 3) << 5) | (rgba[i + 2]! >> 3);
    count[bin]!++;
    sum[bin * 3] = sum[bin * 3]! + rgba[i]!;
    sum[bin * 3 + 1] = sum[bin * 3 + 1]! + rgba[i + 1]!;
    sum[bin * 3 + 2] = sum[bin * 3 + 2]! + rgba[i + 2]!;
  }
  const bins: number[] = [];
  for (let b = 0; b < count.length; b++) if (count[b]) bins.push(b);
  bins.sort((a, b) => count[b]! - count[a]!);
  return bins.slice(0, max).map((b) => {
    const n = count[b]!;
    return toRGBA8888(Math.round(sum[b * 3]! / n), Math.round(sum[b * 3 + 1]! / n), Math.round(sum[b * 3 + 2]! / n));
  });
}

/** Wraps an escape for tmux's passthrough (`allow-passthrough on`): every ESC inside is doubled. */
export function tmuxPassthrough(sequence: string): string {
  return `${ESC}Ptmux;${sequence.replaceAll(ESC, ESC + ESC)}${ST}`;
}

/**
 * Draws a graphic at column `col` (0-based) of the current line over `rows` rows and leaves the cursor
 * at the start of that line. It first prints rows+1 newlines, so the picture and the line under it are
 * on screen and nothing scrolls while it is drawn (sixel moves the cursor below the picture; a scroll
 * then would put the restored cursor on the wrong line), then comes back up and draws between
 * save-cursor and restore-cursor.
 */
export function placeGraphic(sequence: string, rows: number, col = 0): string {
  const up = rows + 1;
  return `\r${'\n'.repeat(up)}${ESC}[${up}A${col > 0 ? `${ESC}[${col}C` : ''}${ESC}7${sequence}${ESC}8\r`;
}
