// How many terminal cells (and pixels) a picture takes when scaled to fit, keeping its aspect ratio.

/** Size of one character cell in pixels, as the terminal reports it (or a guess when it does not). */
export interface CellSize {
  width: number;
  height: number;
}

/** A common cell size; used only when the terminal does not report its own. */
export const DEFAULT_CELL: CellSize = { width: 10, height: 20 };

/** Smaller than nearly any real cell: rows reserved with it always cover a fixed-size (sixel) picture. */
export const SMALL_CELL: CellSize = { width: 6, height: 12 };

export interface Fit {
  /** Columns and rows the picture covers. */
  cols: number;
  rows: number;
  /** The picture's size on screen in pixels (never larger than the source: no blurry upscaling). */
  pixelWidth: number;
  pixelHeight: number;
  /** Shown at its own size (no scaling needed). */
  native: boolean;
}

/**
 * Scales a width×height picture down to at most maxCols×maxRows cells. Rows are rounded up so the
 * space reserved for the picture always covers all of it (text after it never lands on the picture).
 */
export function fitImage(width: number, height: number, cell: CellSize, maxCols: number, maxRows: number): Fit {
  const cols = Math.max(1, Math.floor(maxCols));
  const rows = Math.max(1, Math.floor(maxRows));
  const scale = Math.min(1, (cols * cell.width) / width, (rows * cell.height) / height);
  const pixelWidth = Math.max(1, Math.floor(width * scale));
  const pixelHeight = Math.max(1, Math.floor(height * scale));
  return {
    cols: Math.min(cols, Math.max(1, Math.ceil(pixelWidth / cell.width))),
    rows: Math.min(rows, Math.max(1, Math.ceil(pixelHeight / cell.height))),
    pixelWidth,
    pixelHeight,
    native: scale === 1,
  };
}
