import { describe, expect, it } from 'vitest';
import { sniffExtension, stdinUpload } from './uploads.js';

describe('sniffExtension', () => {
  it.each([
    ['region,revenue\nnorth,10\nsouth,20\n', 'csv'],
    ['a\tb\n1\t2\n', 'tsv'],
    ['{"a": [1, 2]}', 'json'],
    ['{"a": 1}\n{"a": 2}\n', 'jsonl'],
    ['just some words\nand more', 'txt'],
  ])('%j → %s', (text, ext) => {
    expect(sniffExtension(Buffer.from(text))).toBe(ext);
  });
  it('recognises binary formats by their first bytes', () => {
    expect(sniffExtension(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))).toBe('png');
    expect(sniffExtension(Buffer.from('%PDF-1.7\n'))).toBe('pdf');
    expect(sniffExtension(Buffer.from([0, 1, 2, 3, 0xff]))).toBe('bin');
  });
  it('names stdin by type unless a name is given, with a preview for text', () => {
    const u = stdinUpload(Buffer.from('x,y\n1,2\n'));
    expect(u.name).toBe('stdin.csv');
    expect(u.preview).toContain('x,y');
    expect(stdinUpload(Buffer.from('x'), 'sales.csv').name).toBe('sales.csv');
  });
});
