import { describe, expect, it } from 'vitest';
import { headTail, modelView } from './model-view.js';

describe('headTail', () => {
  it('returns short text unchanged', () => {
    expect(headTail('abc', 10)).toBe('abc');
  });
  it('keeps head and tail and says how much was cut and where the rest is', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n');
    const out = headTail(text, 200, '/tmp/full.txt');
    expect(out.startsWith('line 0\n')).toBe(true);
    expect(out.endsWith('line 999')).toBe(true);
    expect(out).toMatch(/characters \(\d+ lines\) omitted; full output saved at \/tmp\/full.txt/);
    expect(out.length).toBeLessThan(320);
  });
});

describe('modelView', () => {
  it('includes output, result, traceback, figures and files but never image bytes', () => {
    const view = modelView(
      {
        status: 'error',
        output: 'hello\n',
        result: '42',
        error: { ename: 'ValueError', evalue: 'bad', traceback: ['Traceback', 'ValueError: bad'] },
        files: [{ source: 'out/a.csv', name: 'a.csv' }],
        images: ['figure-1.png'],
      },
      8000,
    );
    expect(view).toContain('hello');
    expect(view).toContain('Out: 42');
    expect(view).toContain('ValueError: bad');
    expect(view).toContain('/mnt/data/out/a.csv');
    expect(view).toContain('figure-1.png');
    expect(view).not.toMatch(/base64|iVBOR/);
  });
  it('tells the model when the user skipped a cell', () => {
    expect(modelView({ status: 'skipped', output: '', files: [], images: [] }, 100)).toMatch(/chose not to run/);
  });
});
