// How closely a region of a screenshot matches a source picture: finding the region, then a score.
import type { PNG } from 'pngjs';

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The bounding box of the pixels within `tolerance` of `rgb` (a figure's unusual background colour is
 * how a test finds where the figure landed on screen); undefined when fewer than `minPixels` match.
 */
export function findColour(img: PNG, rgb: [number, number, number], tolerance = 16, minPixels = 500): Region | undefined {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -1,
    y1 = -1,
    n = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = (y * img.width + x) * 4;
      if (
        Math.abs(img.data[i]! - rgb[0]) <= tolerance &&
        Math.abs(img.data[i + 1]! - rgb[1]) <= tolerance &&
        Math.abs(img.data[i + 2]! - rgb[2]) <= tolerance
      ) {
        n++;
        if (x < x0) x0 = x;
        if (y < y0) y0 = y;
        if (x > x1) x1 = x;
        if (y > y1) y1 = y;
      }
    }
  }
  return n >= minPixels ? { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } : undefined;
}

/** Greyscale of `img` sampled over `region` onto a w×h grid (box average; nearest when enlarging). */
function grey(img: PNG, region: Region, w: number, h: number): Float64Array {
  const out = new Float64Array(w * h);
  const sx = region.width / w;
  const sy = region.height / h;
  for (let y = 0; y < h; y++) {
    const ya = region.y + Math.floor(y * sy);
    const yb = Math.max(ya + 1, region.y + Math.floor((y + 1) * sy));
    for (let x = 0; x < w; x++) {
      const xa = region.x + Math.floor(x * sx);
      const xb = Math.max(xa + 1, region.x + Math.floor((x + 1) * sx));
      let sum = 0,
        n = 0;
      for (let yy = ya; yy < yb && yy < img.height; yy++) {
        for (let xx = xa; xx < xb && xx < img.width; xx++) {
          const i = (yy * img.width + xx) * 4;
          sum += 0.299 * img.data[i]! + 0.587 * img.data[i + 1]! + 0.114 * img.data[i + 2]!;
          n++;
        }
      }
      out[y * w + x] = n ? sum / n : 0;
    }
  }
  return out;
}

/** Detail only: each pixel minus the mean of its 5×5 neighbourhood (text and thin lines survive, flat areas go). */
function detail(g: Float64Array, w: number, h: number): Float64Array {
  const out = new Float64Array(g.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0,
        n = 0;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const yy = y + dy,
            xx = x + dx;
          if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;
          sum += g[yy * w + xx]!;
          n++;
        }
      }
      out[y * w + x] = g[y * w + x]! - sum / n;
    }
  }
  return out;
}

function pearson(a: Float64Array, b: Float64Array): number {
  let ma = 0,
    mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= a.length;
  mb /= b.length;
  let num = 0,
    da = 0,
    db = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! - ma,
      y = b[i]! - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return da && db ? num / Math.sqrt(da * db) : 0;
}

/** The correlation of fine detail between a region of `shot` and the whole of `source`, sampled at the region's size. */
function score(shot: PNG, region: Region, source: PNG): number {
  const w = region.width,
    h = region.height;
  const a = detail(grey(shot, region, w, h), w, h);
  const b = detail(grey(source, { x: 0, y: 0, width: source.width, height: source.height }, w, h), w, h);
  return pearson(a, b);
}

/**
 * Similarity (−1…1) of a screenshot region and the source picture scaled to the region's size: the
 * correlation of their fine detail (tick labels, titles, thin lines). A real picture scores near 1;
 * half-blocks keep the colours but lose the detail, so they score far lower. Fine detail is unforgiving
 * of a one-pixel shift, and the colour-found region can miss an edge row whose pixels are not the
 * background, so a region within a few pixels of the source's size is tried at the source's own size
 * over small offsets, and the best is kept.
 */
export function similarity(shot: PNG, region: Region, source: PNG): number {
  const near = Math.abs(region.width - source.width) <= 4 && Math.abs(region.height - source.height) <= 4;
  if (!near) return score(shot, region, source);
  let best = -1;
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const x = region.x + dx,
        y = region.y + dy;
      if (x < 0 || y < 0 || x + source.width > shot.width || y + source.height > shot.height) continue;
      best = Math.max(best, score(shot, { x, y, width: source.width, height: source.height }, source));
    }
  }
  return best;
}
