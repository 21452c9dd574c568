import { describe, expect, it } from 'vitest';
import { decode } from 'sixel';
import { PNG } from 'pngjs';
import { downscale, itermEscape, kittyEscape, placeGraphic, sixelEscape, tmuxPassthrough } from './graphics.js';
import { fitImage } from './image-fit.js';
import { makePng } from '../ui/testing/png.js';

const cell = { width: 8, height: 16 };
// Left half red, right half blue: easy to check after scaling and quantising.
const png = makePng(80, 40, (x) => (x < 40 ? [255, 0, 0] : [0, 0, 255]));

describe('kittyEscape', () => {
  it('sends the PNG itself in 4096-byte chunks, only the first with the keys', () => {
    const big = makePng(300, 300, (x, y) => [(x * y) % 256, x % 256, y % 256]);
    const fit = fitImage(300, 300, cell, 20, 10);
    const esc = kittyEscape(big, fit);
    const chunks = [...esc.matchAll(/\x1b_G([^;]*);([^\x1b]*)\x1b\\/g)];
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0]![1]).toBe(`a=T,f=100,t=d,q=2,C=1,c=${fit.cols},r=${fit.rows},m=1`);
    expect(chunks.slice(1, -1).every((c) => c[1] === 'm=1')).toBe(true);
    expect(chunks.at(-1)![1]).toBe('m=0');
    expect(Buffer.from(chunks.map((c) => c[2]).join(''), 'base64').equals(big)).toBe(true);
  });

  it('leaves a picture that fits at its own pixel size', () => {
    expect(kittyEscape(png, fitImage(80, 40, cell, 100, 30))).toMatch(/^\x1b_Ga=T,f=100,t=d,q=2,C=1,m=0;/);
  });
});

describe('itermEscape', () => {
  it('is one OSC 1337 inline file sized in cells', () => {
    const esc = itermEscape(png, fitImage(80, 40, cell, 100, 30));
    expect(esc).toBe(`\x1b]1337;File=inline=1;size=${png.length};width=10;height=3;preserveAspectRatio=1:${png.toString('base64')}\x07`);
  });
});

describe('sixelEscape', () => {
  it('decodes back to the scaled picture with its colours', () => {
    const fit = fitImage(80, 40, cell, 5, 30);
    const esc = sixelEscape(png, fit);
    expect(esc.startsWith('\x1bP')).toBe(true);
    expect(esc.endsWith('\x1b\\')).toBe(true);
    const img = decode(esc.slice(esc.indexOf('q') + 1, -2));
    expect(img.width).toBe(fit.pixelWidth);
    expect(img.height).toBeGreaterThanOrEqual(fit.pixelHeight);
    const at = (x: number, y: number): number[] => [...img.data8.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3)];
    const [r1, , b1] = at(2, 5);
    const [r2, , b2] = at(img.width - 3, 5);
    expect(r1).toBeGreaterThan(200);
    expect(b1).toBeLessThan(60);
    expect(b2).toBeGreaterThan(200);
    expect(r2).toBeLessThan(60);
  });

  it('lays transparent pixels on white', () => {
    // Left half fully transparent, right half opaque black.
    const img = new PNG({ width: 8, height: 6 });
    for (let i = 0; i < 8 * 6; i++) img.data.set(i % 8 < 4 ? [0, 0, 0, 0] : [0, 0, 0, 255], i * 4);
    const esc = sixelEscape(PNG.sync.write(img), fitImage(8, 6, cell, 10, 10));
    const out = decode(esc.slice(esc.indexOf('q') + 1, -2));
    const px = (x: number): number[] => [...out.data8.subarray(x * 4, x * 4 + 3)];
    expect(px(1)).toEqual([255, 255, 255]);
    expect(px(6)).toEqual([0, 0, 0]);
  });
});

describe('downscale', () => {
  it('averages the pixels each target pixel covers', () => {
    const src = new Uint8Array([0, 0, 0, 255, 200, 100, 50, 255]);
    expect([...downscale(src, 2, 1, 1, 1)]).toEqual([100, 50, 25, 255]);
  });
});

describe('tmuxPassthrough', () => {
  it('wraps the escape and doubles every ESC inside', () => {
    expect(tmuxPassthrough('\x1b_Ga=T;AAAA\x1b\\')).toBe('\x1bPtmux;\x1b\x1b_Ga=T;AAAA\x1b\x1b\\\x1b\\');
  });
});

describe('placeGraphic', () => {
  it('makes room below, comes back up and draws between save and restore cursor', () => {
    expect(placeGraphic('IMG', 3, 2)).toBe('\r\n\n\n\n\x1b[4A\x1b[2C\x1b7IMG\x1b8\r');
  });
});
