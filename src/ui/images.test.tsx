import { afterEach, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageBlock } from './components/ImageBlock.js';
import { drawChatImage, drawSavedImages } from './images.js';
import { imageWriter } from './image-writer.js';
import { makePng } from './testing/png.js';
import type { NewItem } from './transcript.js';

afterEach(() => cleanup());

const png = makePng(90, 60, (x, y) => [x, y, 100]);
const kitty = { color: true, images: true, graphics: { protocol: 'kitty' as const, cell: { width: 9, height: 18 } } };

describe('ImageBlock with a graphic', () => {
  it('lays out a marker line and blank rows exactly as tall as the picture, then the label', async () => {
    const r = await drawChatImage(png, kitty, { columns: 100, rows: 40 });
    if (!r?.ok || r.kind !== 'graphic') throw new Error('expected a graphic');
    expect(r.rows).toBe(Math.ceil(60 / 18));
    const { lastFrame } = render(<ImageBlock render={r} width={90} height={60} path="/out/figure-1.png" />);
    const lines = lastFrame()!.split('\n');
    expect(lines[0]).toBe(imageWriter.marker(r));
    expect(lines.slice(1, r.rows).every((l) => l.trim() === '')).toBe(true);
    expect(lines[r.rows]).toContain('image 90×60 → /out/figure-1.png');
    // What reaches the terminal: the picture, and no marker left.
    expect(imageWriter.expand(lastFrame()!)).not.toContain('#IMG-');
    expect(imageWriter.expand(lastFrame()!)).toContain('\x1b_Ga=T,f=100');
  });

  it('keeps half-blocks when there is no protocol, and nothing when images are off', async () => {
    const blocks = await drawChatImage(png, { color: true, images: true }, { columns: 100, rows: 40 });
    expect(blocks?.ok && blocks.kind).toBe('text');
    expect(await drawChatImage(png, { color: true, images: false }, { columns: 100, rows: 40 })).toBeNull();
  });
});

describe('drawSavedImages (resume)', () => {
  it('draws a resumed session’s figures from the saved files, and says when a file is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-resume-img-'));
    const saved = join(dir, 'figure-1.png');
    writeFileSync(saved, png);
    const items: NewItem[] = [
      { kind: 'user', text: 'plot' },
      { kind: 'image', render: null, width: 90, height: 60, path: saved },
      { kind: 'image', render: null, width: 90, height: 60, path: join(dir, 'gone.png') },
    ];
    const out = await drawSavedImages(items, kitty, { columns: 100, rows: 40 });
    expect(out[0]).toEqual(items[0]);
    expect(out[1]).toMatchObject({ kind: 'image', render: { ok: true, kind: 'graphic', protocol: 'kitty' } });
    expect(out[2]).toMatchObject({ kind: 'image', render: { ok: false, reason: 'the saved file is gone' } });
    expect(await drawSavedImages(items, { color: true, images: false }, { columns: 100, rows: 40 })).toBe(items);
  });
});
