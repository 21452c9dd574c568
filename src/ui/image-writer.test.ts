import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { ImageWriter } from './image-writer.js';
import type { ImageRender } from '../render/image.js';

const graphic = (sequence: string, rows: number): Extract<ImageRender, { kind: 'graphic' }> => ({
  ok: true,
  kind: 'graphic',
  protocol: 'kitty',
  escape: sequence,
  cols: 10,
  rows,
  size: { width: 80, height: 40 },
});

describe('ImageWriter', () => {
  it('swaps a marker for its picture, drawn over the reserved rows', () => {
    const w = new ImageWriter();
    const g = graphic('<PIC>', 2);
    const m = w.marker(g);
    expect(w.marker(g)).toBe(m);
    const out = w.expand(`above\n${m}\n\n  image 80×40\n`);
    expect(out).toBe('above\n\r\n\n\n\x1b[3A\x1b[2C\x1b7<PIC>\x1b8\r\n\n  image 80×40\n');
    expect(out.split('\n').length).toBe(`above\n${m}\n\n  image 80×40\n`.split('\n').length + 3);
  });

  it('leaves a marker from another writer (or forged by the sandbox) as plain text', () => {
    const a = new ImageWriter();
    const b = new ImageWriter();
    const forged = a.marker(graphic('<A>', 1));
    expect(b.expand(forged)).toBe(forged);
    expect(b.expand('#IMG-00000000-0#')).toBe('#IMG-00000000-0#');
  });

  it('wraps a stream: writes are expanded, everything else is the stream’s own', () => {
    const w = new ImageWriter();
    const chunks: string[] = [];
    const stream = Object.assign(new PassThrough(), { columns: 123, rows: 45, isTTY: true });
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    const wrapped = w.wrap(stream as unknown as NodeJS.WriteStream);
    expect(wrapped.columns).toBe(123);
    expect(wrapped.isTTY).toBe(true);
    wrapped.write(w.marker(graphic('<P>', 1)));
    expect(chunks.join('')).toContain('\x1b7<P>\x1b8');
  });
});
