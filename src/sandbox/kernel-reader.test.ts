import { describe, expect, it } from 'vitest';
import { KernelLineAuth, type KernelMessage } from './kernel-client.js';
import { KernelReader } from './kernel-reader.js';

const key = 'k'.repeat(32);

function line(seq: number, json: string): Buffer {
  return Buffer.from(`${KernelLineAuth.sign(key, seq, json)}\n`);
}

/** A `stream` head and its raw payload, as the kernel writes them. */
function streamFrame(seq: number, text: string, name = 'stdout', mac?: string): Buffer {
  const payload = Buffer.from(text);
  const head = JSON.stringify({ type: 'stream', id: 'c1', name, size: payload.length, mac: mac ?? KernelLineAuth.signPayload(key, seq, payload) });
  return Buffer.concat([line(seq, head), payload]);
}

function reader(): { r: KernelReader; messages: KernelMessage[]; problems: string[] } {
  const messages: KernelMessage[] = [];
  const problems: string[] = [];
  return {
    r: new KernelReader(
      key,
      (m) => messages.push(m),
      (p) => problems.push(p),
    ),
    messages,
    problems,
  };
}

const reply = '{"type":"reply","id":"c1","status":"ok","count":1,"ms":0}';

describe('KernelReader', () => {
  it('reads a raw stream payload with newlines and record separators in it, split anywhere', () => {
    const text = 'a\nb\x1e{"type":"reply"}\n\x1fé€\n';
    const bytes = Buffer.concat([streamFrame(1, text), line(2, reply)]);
    for (const step of [1, 3, 7, bytes.length]) {
      const { r, messages, problems } = reader();
      for (let i = 0; i < bytes.length; i += step) r.push(bytes.subarray(i, i + step));
      expect(problems).toEqual([]);
      expect(messages).toEqual([{ type: 'stream', id: 'c1', name: 'stdout', text }, JSON.parse(reply)]);
      expect(r.pending).toBe(0);
    }
  });

  it('still reads text streams sent as JSON lines, and empty payloads', () => {
    const { r, messages } = reader();
    r.push(line(1, '{"type":"stream","id":"c1","name":"stderr","text":"x"}'));
    r.push(streamFrame(2, ''));
    r.push(line(3, reply));
    expect(messages.map((m) => m.type)).toEqual(['stream', 'stream', 'reply']);
  });

  it('hands on a raw file chunk as the bytes it carried (any bytes, newlines and separators included)', () => {
    const bytes = Buffer.from([0, 10, 0x1e, 0x1f, 255, 254, 10, 13]);
    const head = (seq: number, mac?: string): Buffer =>
      Buffer.concat([
        line(seq, JSON.stringify({ type: 'file_chunk', fid: 3, size: bytes.length, mac: mac ?? KernelLineAuth.signPayload(key, seq, bytes) })),
        bytes,
      ]);
    const { r, messages, problems } = reader();
    r.push(Buffer.concat([head(1), head(2, '0'.repeat(32)), line(3, reply)]));
    expect(messages[0]).toEqual({ type: 'file_chunk', fid: 3, data: [bytes] });
    // the second chunk's MAC was forged: it is dropped, and the reply after it still arrives
    expect(messages.slice(1)).toEqual([JSON.parse(reply)]);
    expect(problems[0]).toMatch(/bad payload signature/);
  });

  it('a file chunk line that carries its data is read as the JSON form: no bytes after it are taken as a payload', () => {
    const { r, messages, problems } = reader();
    r.push(line(1, JSON.stringify({ type: 'file_chunk', fid: 3, size: 4, mac: '0'.repeat(32), data: 'AAAA' })));
    r.push(line(2, reply));
    expect(problems).toEqual([]);
    expect(messages).toEqual([{ type: 'file_chunk', fid: 3, data: 'AAAA' }, JSON.parse(reply)]);
  });

  it('drops a payload whose MAC does not match, and reads the next line', () => {
    const { r, messages, problems } = reader();
    r.push(Buffer.concat([streamFrame(1, 'hello', 'stdout', '0'.repeat(32)), line(2, reply)]));
    expect(messages).toEqual([JSON.parse(reply)]);
    expect(problems[0]).toMatch(/bad payload signature/);
  });

  it('does not let a MAC for one sequence number cover a payload under another', () => {
    const { r, messages } = reader();
    r.push(streamFrame(2, 'hello', 'stdout', KernelLineAuth.signPayload(key, 1, Buffer.from('hello'))));
    expect(messages).toEqual([]);
  });

  it('never switches to raw mode for an unsigned or replayed head', () => {
    const { r, messages, problems } = reader();
    const forged = JSON.stringify({ type: 'stream', id: 'c1', name: 'stdout', size: 100000, mac: '0'.repeat(32) });
    r.push(Buffer.from(`\x1e${forged}\x1f1.${'0'.repeat(32)}\n`));
    r.push(line(1, reply));
    const genuine = streamFrame(2, 'x');
    r.push(genuine);
    r.push(genuine); // replayed: seq 2 again
    r.push(line(3, reply));
    expect(messages.map((m) => m.type)).toEqual(['reply', 'stream', 'reply']);
    expect(problems.some((p) => /bad signature/.test(p))).toBe(true);
    expect(problems.some((p) => /replayed line 2/.test(p))).toBe(true);
  });

  it('recovers the lines after a payload that lost bytes on the way (read by another process)', () => {
    const { r, messages } = reader();
    const frame = streamFrame(1, 'abcdefghij');
    r.push(frame.subarray(0, frame.length - 4)); // four payload bytes stolen
    r.push(line(2, reply));
    expect(messages).toEqual([JSON.parse(reply)]);
  });

  it('refuses a head announcing more than the line limit', () => {
    const { r, messages, problems } = reader();
    r.push(line(1, JSON.stringify({ type: 'stream', id: 'c1', name: 'stdout', size: 64 * 1024 * 1024, mac: '0'.repeat(32) })));
    r.push(line(2, reply));
    expect(messages).toEqual([JSON.parse(reply)]);
    expect(problems[0]).toMatch(/invalid "stream" message/);
  });
});
