import { describe, expect, it } from 'vitest';
import { fitImage } from './image-fit.js';

const cell = { width: 8, height: 16 };

describe('fitImage', () => {
  it('keeps a small picture at its own size and covers it with whole cells', () => {
    expect(fitImage(60, 40, cell, 100, 30)).toEqual({ cols: 8, rows: 3, pixelWidth: 60, pixelHeight: 40, native: true });
  });

  it('scales a wide picture to the width, keeping the aspect ratio', () => {
    const f = fitImage(1600, 400, cell, 100, 40);
    expect(f.pixelWidth).toBe(800);
    expect(f.pixelHeight).toBe(200);
    expect(f.cols).toBe(100);
    expect(f.rows).toBe(Math.ceil(200 / 16));
    expect(f.native).toBe(false);
  });

  it('scales a tall picture to the height, keeping the aspect ratio', () => {
    const f = fitImage(400, 2000, cell, 100, 20);
    expect(f.rows).toBe(20);
    expect(f.pixelHeight).toBe(320);
    expect(f.pixelWidth).toBe(64);
    expect(f.rows * cell.height).toBeGreaterThanOrEqual(f.pixelHeight);
  });

  it('never returns zero cells', () => {
    expect(fitImage(1, 1, cell, 0, 0)).toMatchObject({ cols: 1, rows: 1 });
  });
});
