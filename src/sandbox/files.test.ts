// Unit tests for what the host accepts from the kernel: file assembly, PNG dimensions (names: shared/safe-name.test.ts).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FileAssembler, imageProblem, pngSize } from './files.js';

describe('FileAssembler', () => {
  const data = Buffer.from('a,b\n1,2\n');
  const sha = createHash('sha256').update(data).digest('hex');

  it('reassembles chunks and checks the hash', () => {
    const files = new FileAssembler(1000);
    expect(files.start(1, 'x.csv', data.length)).toBeNull();
    files.chunk(1, data.subarray(0, 3).toString('base64'));
    files.chunk(1, data.subarray(3).toString('base64'));
    expect(files.end(1, sha)).toEqual({ ok: true, file: { name: 'x.csv', data, sha256: sha } });
  });

  it('takes raw chunks as they are, and without a sha256 from the kernel hashes them itself (size still checked)', () => {
    const files = new FileAssembler(1000);
    expect(files.start(1, 'x.csv', data.length)).toBeNull();
    files.chunk(1, [data.subarray(0, 3)]);
    files.chunk(1, [data.subarray(3)]);
    expect(files.end(1)).toEqual({ ok: true, file: { name: 'x.csv', data, sha256: sha } });
    files.start(2, 'short.csv', data.length + 1);
    files.chunk(2, [data]);
    expect(files.end(2)).toMatchObject({ ok: false, reason: `got ${data.length} of ${data.length + 1} bytes` });
  });

  it('hands a pulled file out of the one-at-a-time slot and checks the bytes read for it', () => {
    const files = new FileAssembler(1000);
    expect(files.start(1, 'big.csv', data.length, true)).toBeNull();
    files.chunk(1, Buffer.from('ignored').toString('base64')); // no chunks for a pulled file
    const pull = files.takePull(1)!;
    expect(pull.raw).toBe('big.csv');
    expect(files.start(2, 'next.csv', 1)).toBeNull(); // the next file may start while it is read
    const read = (bytes: Buffer): { data: Buffer; sha256: string } => ({ data: bytes, sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(pull.finish(read(data), sha)).toEqual({ ok: true, file: { name: 'big.csv', data, sha256: sha } });
    expect(pull.finish(read(data.subarray(1)), sha)).toMatchObject({ ok: false, reason: `got ${data.length - 1} of ${data.length} bytes` });
    expect(pull.finish(read(Buffer.from(data).fill(0x41)), sha)).toMatchObject({ ok: false, reason: 'sha256 mismatch' });
    expect(files.takePull(2)).toBeNull(); // not a pulled file
    expect(new FileAssembler(1000).start(3, 'tab\tname.csv', 1, true)).toMatchObject({ ok: false, reason: 'unsafe name for a pulled file' });
  });

  it('rejects a wrong hash, a short file, extra bytes, an unsafe name and an oversize file', () => {
    const files = new FileAssembler(1000);
    files.start(1, 'x.csv', data.length);
    files.chunk(1, data.toString('base64'));
    expect(files.end(1, '0'.repeat(64))).toMatchObject({ ok: false, reason: 'sha256 mismatch' });
    files.start(2, 'y.csv', data.length + 1);
    files.chunk(2, data.toString('base64'));
    expect(files.end(2, sha)).toMatchObject({ ok: false });
    files.start(3, 'z.csv', 2);
    expect(files.chunk(3, data.toString('base64'))).toMatchObject({ ok: false });
    expect(files.start(4, '../z', 1)).toMatchObject({ ok: false, name: '(unsafe name)' });
    expect(files.start(5, 'big', 1001)).toMatchObject({ ok: false });
    expect(files.end(5, sha)).toBeNull();
  });
});

describe('PNG checks', () => {
  function header(width: number, height: number): Buffer {
    const b = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b);
    b.writeUInt32BE(13, 8);
    b.write('IHDR', 12, 'latin1');
    b.writeUInt32BE(width, 16);
    b.writeUInt32BE(height, 20);
    return b;
  }

  it('reads IHDR dimensions', () => {
    expect(pngSize(header(640, 480))).toEqual({ width: 640, height: 480 });
    expect(pngSize(Buffer.from('GIF89a'))).toBeNull();
  });

  it('refuses images over the pixel limit', () => {
    expect(imageProblem(header(640, 480))).toBeNull();
    expect(imageProblem(header(10_000, 5_000))).toMatch(/megapixel/);
    expect(imageProblem(Buffer.from('nope'))).toMatch(/not a valid PNG/);
  });
});

describe('FileAssembler limits', () => {
  it('holds one file at a time and at most maxFiles per cell', () => {
    const files = new FileAssembler(1000, 2);
    expect(files.start(1, 'a', 1)).toBeNull();
    expect(files.start(2, 'b', 1)).toMatchObject({ ok: false, reason: 'another file was still arriving (only one at a time)' });
    files.chunk(1, Buffer.from('x').toString('base64'));
    expect(files.end(1, createHash('sha256').update('x').digest('hex'))).toMatchObject({ ok: true });
    expect(files.start(3, 'c', 0)).toBeNull();
    files.end(3, createHash('sha256').digest('hex'));
    expect(files.start(4, 'd', 0)).toMatchObject({ ok: false, reason: 'too many files (limit 2 per cell)' });
    expect(files.start(5, 'e\u0007.txt', 0)).toMatchObject({ ok: false });
  });
});
