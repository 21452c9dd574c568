import { describe, expect, it } from 'vitest';
import { displayEvents, textBundle } from './display.js';

// A 1×1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('displayEvents', () => {
  it('sends a PNG to the figure pipeline with its text/plain', () => {
    const [event] = displayEvents({ 'image/png': PNG, 'text/plain': '<Figure size 1x1>' }, 'd1');
    expect(event).toMatchObject({ type: 'image', mime: 'image/png', width: 1, height: 1, text: '<Figure size 1x1>', displayId: 'd1' });
  });

  it('refuses a PNG whose header claims too many pixels, without decoding it', () => {
    const header = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header);
    header.writeUInt32BE(13, 8);
    header.write('IHDR', 12, 'latin1');
    header.writeUInt32BE(50000, 16);
    header.writeUInt32BE(50000, 20);
    expect(displayEvents({ 'image/png': header.toString('base64') })).toEqual([
      { type: 'notice', text: 'an image was not shown: 50000×50000 pixels is over the 40 megapixel limit' },
    ]);
  });

  it('keeps text forms, serialises JSON, and marks updates', () => {
    expect(displayEvents({ 'text/plain': 'p', 'text/markdown': '# m', 'application/json': { a: [1] }, 'application/x-unknown': 'x' }, 'id', true)).toEqual([
      {
        type: 'display',
        bundle: { 'text/plain': 'p', 'text/markdown': '# m', 'application/json': '{\n  "a": [\n    1\n  ]\n}' },
        displayId: 'id',
        update: true,
      },
    ]);
  });

  it('names an image type it does not draw', () => {
    expect(displayEvents({ 'image/jpeg': '/9j/4AAQ' })).toEqual([
      { type: 'display', bundle: { 'text/plain': '<image/jpeg image: only PNG images are drawn>' } },
    ]);
  });

  it('drops a bundle with nothing usable', () => {
    expect(displayEvents({ 'application/x-widget': {} })).toEqual([]);
    expect(textBundle({ 'text/plain': 42 })).toBeUndefined();
  });
});
