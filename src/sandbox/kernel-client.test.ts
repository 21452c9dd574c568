// Unit tests for kernel line framing (length cap, split chunks) and message validation.
import { describe, expect, it } from 'vitest';
import { KernelLineAuth, LineSplitter, parseKernelBytes, parseKernelLine } from './kernel-client.js';

function split(pieces: (string | Buffer)[], max = 1000): { lines: string[]; overflows: number[] } {
  const lines: string[] = [];
  const overflows: number[] = [];
  const splitter = new LineSplitter(
    (l) => lines.push(l),
    (n) => overflows.push(n),
    max,
  );
  for (const p of pieces) splitter.push(typeof p === 'string' ? Buffer.from(p) : p);
  return { lines, overflows };
}

describe('LineSplitter', () => {
  it('joins lines split across chunks and splits several lines in one chunk', () => {
    expect(split(['{"a":', '1}\n{"b"', ':2}\n{"c":3}\n']).lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('keeps a multi-byte character split between chunks intact', () => {
    const bytes = Buffer.from('"é€😀"\n');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 5), bytes.subarray(5)]).lines).toEqual(['"é€😀"']);
  });

  it('drops an overlong line whole and resumes at the next one', () => {
    const long = 'x'.repeat(600);
    const out = split([long, long, '\n{"ok":1}\n'], 1000);
    expect(out.overflows).toEqual([1200]);
    expect(out.lines).toEqual(['{"ok":1}']);
  });

  it('holds an unterminated line until its newline', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(
      (l) => lines.push(l),
      () => {},
      100,
    );
    splitter.push(Buffer.from('{"partial"'));
    expect(lines).toEqual([]);
    expect(splitter.pending).toBe(10);
  });
});

describe('parseKernelLine', () => {
  it('accepts well-formed messages', () => {
    const parsed = parseKernelLine('{"type":"reply","id":"c1","status":"ok","count":3,"ms":4}');
    expect(parsed).toEqual({ ok: true, message: { type: 'reply', id: 'c1', status: 'ok', count: 3, ms: 4 } });
  });

  it('accepts display bundles, results with their other forms, and clear', () => {
    expect(parseKernelLine('{"type":"display","id":"c1","data":{"text/plain":"x","application/json":{"a":1}},"display_id":"d","update":true}')).toEqual({
      ok: true,
      message: { type: 'display', id: 'c1', data: { 'text/plain': 'x', 'application/json': { a: 1 } }, display_id: 'd', update: true },
    });
    expect(parseKernelLine('{"type":"result","id":"c1","text":"1","count":2,"data":{"text/html":"<b>1</b>"}}').ok).toBe(true);
    expect(parseKernelLine('{"type":"clear","id":"c1","wait":true}')).toEqual({ ok: true, message: { type: 'clear', id: 'c1', wait: true } });
    expect(parseKernelLine('{"type":"display","id":"c1","data":"not a bundle"}').ok).toBe(false);
    expect(parseKernelLine('{"type":"clear","id":"c1"}').ok).toBe(false);
  });

  it('rejects broken JSON, wrong shapes and unknown types without throwing', () => {
    expect(parseKernelLine('{"type":"reply",').ok).toBe(false);
    expect(parseKernelLine('{"type":"reply","id":"c1","status":"exploded","count":1,"ms":1}').ok).toBe(false);
    expect(parseKernelLine('{"type":"file_end","fid":1,"sha256":"zz"}').ok).toBe(false);
    expect(parseKernelLine('{"type":"launch_missiles"}').ok).toBe(false);
    expect(parseKernelLine('[1,2]').ok).toBe(false);
    expect(parseKernelLine('null').ok).toBe(false);
  });
});

describe('parseKernelLine reply fast path', () => {
  it('gives what the schema gives, and refuses what it refuses', () => {
    expect(parseKernelLine('{"type":"reply","id":"c1","status":"ok","count":3,"ms":4,"extra":1}')).toEqual({
      ok: true,
      message: { type: 'reply', id: 'c1', status: 'ok', count: 3, ms: 4 },
    });
    expect(parseKernelLine('{"type":"reply","id":"c1","status":"interrupted","count":0,"ms":1.5,"truncated":true}')).toEqual({
      ok: true,
      message: { type: 'reply', id: 'c1', status: 'interrupted', count: 0, ms: 1.5, truncated: true },
    });
    for (const bad of [
      '{"type":"reply","id":1,"status":"ok","count":3,"ms":4}',
      '{"type":"reply","id":"c1","status":"done","count":3,"ms":4}',
      '{"type":"reply","id":"c1","status":"ok","count":-1,"ms":4}',
      '{"type":"reply","id":"c1","status":"ok","count":1.5,"ms":4}',
      '{"type":"reply","id":"c1","status":"ok","count":1}',
      '{"type":"reply","id":"c1","status":"ok","count":1,"ms":4,"truncated":"yes"}',
    ])
      expect(parseKernelLine(bad).ok, bad).toBe(false);
  });
});

describe('parseKernelLine stream fast path', () => {
  it('accepts exactly what the schema accepts for stream messages', () => {
    expect(parseKernelLine('{"type":"stream","id":"c1","name":"stdout","text":"hi\\n","extra":1}')).toEqual({
      ok: true,
      message: { type: 'stream', id: 'c1', name: 'stdout', text: 'hi\n' },
    });
    for (const bad of [
      '{"type":"stream","id":"c1","name":"stdin","text":"x"}',
      '{"type":"stream","id":1,"name":"stdout","text":"x"}',
      `{"type":"stream","id":"${'i'.repeat(201)}","name":"stdout","text":"x"}`,
      '{"type":"stream","id":"c1","name":"stdout","text":null}',
      '{"type":"stream","id":"c1","name":"stdout"}',
    ])
      expect(parseKernelLine(bad).ok, bad).toBe(false);
  });
});

describe('KernelLineAuth', () => {
  const key = 'k'.repeat(32);
  const json = '{"type":"log","text":"hi"}';

  it('accepts signed lines in order, also after forged bytes glued in front', () => {
    const auth = new KernelLineAuth(key);
    expect(auth.open(KernelLineAuth.sign(key, 1, json))).toEqual({ ok: true, json });
    expect(auth.open('garbage \x1e{"type":' + KernelLineAuth.sign(key, 3, json))).toEqual({ ok: true, json });
  });

  it('rejects unsigned, wrongly signed, altered and replayed lines', () => {
    const auth = new KernelLineAuth(key);
    const first = KernelLineAuth.sign(key, 1, json);
    expect(auth.open(json).ok).toBe(false);
    expect(auth.open(KernelLineAuth.sign('x'.repeat(32), 1, json)).ok).toBe(false);
    expect(auth.open(first.replace('hi', 'ho')).ok).toBe(false);
    expect(auth.open(first).ok).toBe(true);
    expect(auth.open(first)).toEqual({ ok: false, problem: 'replayed line 1' });
    expect(auth.open(KernelLineAuth.sign(key, 1, '{"type":"log","text":"other"}')).ok).toBe(false);
  });
});

describe('LineSplitter with a restart byte', () => {
  it('drops garbage of any length before the last record separator of a line', () => {
    const lines: string[] = [];
    const overflows: number[] = [];
    const splitter = new LineSplitter(
      (l) => lines.push(l),
      (n) => overflows.push(n),
      100,
      0x1e,
    );
    splitter.push(Buffer.from('x'.repeat(500)));
    splitter.push(Buffer.from('y'.repeat(50) + '\x1eok'));
    splitter.push(Buffer.from('\n\x1efake\x1ereal\n'));
    expect(lines).toEqual(['\x1eok', '\x1ereal']);
    expect(overflows).toEqual([]);
  });
});

describe('parseKernelBytes: a file_chunk line in its JSON form', () => {
  const b = (text: string): Buffer => Buffer.from(text, 'latin1');

  it('reads a chunk in the kernel layout the same as JSON.parse would', () => {
    const data = Buffer.from('hello, file').toString('base64');
    const line = `{"type":"file_chunk","fid":42,"data":"${data}"}`;
    expect(parseKernelBytes(b(line))).toEqual(parseKernelLine(line));
    expect(parseKernelBytes(b(line))).toEqual({ ok: true, message: { type: 'file_chunk', fid: 42, data } });
    expect(parseKernelBytes(b('{"type":"file_chunk","fid":1,"data":""}'))).toEqual({ ok: true, message: { type: 'file_chunk', fid: 1, data: '' } });
  });

  it('reads other layouts the same way, and refuses malformed ones', () => {
    // extra fields, another order, escapes, a quote inside the data, a negative or missing fid
    expect(parseKernelBytes(b('{"type":"file_chunk","fid":1,"data":"QQ==","x":1}'))).toEqual({
      ok: true,
      message: { type: 'file_chunk', fid: 1, data: 'QQ==' },
    });
    expect(parseKernelBytes(b('{"type":"file_chunk","data":"QQ==","fid":2}'))).toEqual({ ok: true, message: { type: 'file_chunk', fid: 2, data: 'QQ==' } });
    expect(parseKernelBytes(b('{"type":"file_chunk","fid":1,"data":"Q\\u0051"}')).ok).toBe(true);
    expect(parseKernelBytes(b('{"type":"file_chunk","fid":1,"data":"QQ"=="}')).ok).toBe(false);
    expect(parseKernelBytes(b('{"type":"file_chunk","fid":-1,"data":"QQ=="}')).ok).toBe(false);
    expect(parseKernelBytes(b('{"type":"file_chunk","fid":,"data":"QQ=="}')).ok).toBe(false);
    expect(parseKernelBytes(b('{"type":"file_chunk","fid":1,"data":"QQ==')).ok).toBe(false);
    expect(parseKernelBytes(Buffer.from('{"type":"stream","id":"c1","name":"stdout","text":"h\\u00e9 é\\n"}'))).toEqual({
      ok: true,
      message: { type: 'stream', id: 'c1', name: 'stdout', text: 'hé é\n' },
    });
  });
});

describe('KernelLineAuth on bytes', () => {
  it('checks the MAC over the bytes as sent, multi-byte UTF-8 included', () => {
    const key = 'k'.repeat(32);
    const json = '{"type":"log","text":"héllo ✓"}';
    const auth = new KernelLineAuth(key);
    const opened = auth.openBytes(Buffer.from('junk\x1e' + KernelLineAuth.sign(key, 1, json)));
    expect(opened.ok && opened.json.toString('utf8')).toBe(json);
    const altered = Buffer.from(KernelLineAuth.sign(key, 2, json));
    altered[5] = altered[5]! ^ 1;
    expect(auth.openBytes(altered).ok).toBe(false);
  });
});
