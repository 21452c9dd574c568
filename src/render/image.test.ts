import { describe, expect, it } from 'vitest';
import { stripVTControlCharacters } from 'node:util';
import { imageText, pngSize, renderImage } from './image.js';
import { makePng as png } from '../ui/testing/png.js';

describe('pngSize', () => {
  it('reads the header without decoding', () => {
    expect(pngSize(png(7, 3, () => [0, 0, 0]))).toEqual({ width: 7, height: 3 });
    expect(pngSize(Buffer.from('GIF89a not a png at all....'))).toBeNull();
  });
});

describe('renderImage', () => {
  it('draws half-blocks no wider than the limit', async () => {
    const r = await renderImage(
      png(200, 100, (x) => [x, 0, 255 - x]),
      { maxWidth: 40, maxHeight: 20 },
    );
    expect(r.ok && r.kind).toBe('text');
    if (!r.ok || r.kind !== 'text') return;
    const lines = stripVTControlCharacters(r.text).split('\n');
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.length).toBeLessThanOrEqual(20);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(40);
    expect(r.text).toContain('▄');
  });

  it('refuses a decompression bomb by its header alone', async () => {
    const header = png(1, 1, () => [0, 0, 0]);
    header.writeUInt32BE(60_000, 16);
    header.writeUInt32BE(60_000, 20);
    const r = await renderImage(header, { maxWidth: 40, maxHeight: 20 });
    expect(r).toEqual({ ok: false, reason: 'image too large to draw (60000×60000)' });
  });

  it('reports a corrupt PNG instead of throwing', async () => {
    const bad = Buffer.concat([png(4, 4, () => [1, 2, 3]).subarray(0, 33), Buffer.from('garbage')]);
    const r = await renderImage(bad, { maxWidth: 40, maxHeight: 20 });
    expect(r.ok).toBe(false);
  });
});

describe('imageText', () => {
  it('leaves the cursor on the line under a graphic, so the next line never covers its last row', async () => {
    const r = await renderImage(
      png(80, 40, () => [9, 9, 9]),
      { maxWidth: 40, maxHeight: 20, protocol: 'kitty', cell: { width: 8, height: 16 } },
    );
    if (!r.ok || r.kind !== 'graphic') throw new Error('expected a graphic');
    expect(r.rows).toBe(3);
    const text = imageText(r);
    // After restoring the cursor to the picture's first row, one newline per row of the picture.
    expect(text.slice(text.lastIndexOf('\x1b8'))).toBe('\x1b8\r' + '\n'.repeat(3));
  });
});

describe('renderImage without the terminal cell size', () => {
  it('lets kitty scale into the reserved cells, and reserves sixel rows for small cells', async () => {
    const p = png(60, 40, () => [9, 9, 9]);
    const kitty = await renderImage(p, { maxWidth: 100, maxHeight: 30, protocol: 'kitty' });
    if (!kitty.ok || kitty.kind !== 'graphic') throw new Error('expected a graphic');
    expect(kitty.escape).toContain(`c=${kitty.cols},r=${kitty.rows}`);
    const sixel = await renderImage(p, { maxWidth: 100, maxHeight: 30, protocol: 'sixel' });
    if (!sixel.ok || sixel.kind !== 'graphic') throw new Error('expected a graphic');
    expect(sixel.rows).toBe(Math.ceil(40 / 12));
  });
});
