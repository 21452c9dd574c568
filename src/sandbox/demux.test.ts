// Unit tests for the Docker stream demultiplexer: frame splitting at every boundary, errors, backpressure.
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DockerDemux, dockerFrame, type DemuxChunk } from './demux.js';

async function demuxAll(pieces: Buffer[]): Promise<{ stdout: string; stderr: string; chunks: number }> {
  const demux = new DockerDemux();
  const out = { stdout: '', stderr: '', chunks: 0 };
  demux.on('data', (c: DemuxChunk) => {
    out.chunks += 1;
    if (c.stream === 'stdout') out.stdout += c.data.toString();
    if (c.stream === 'stderr') out.stderr += c.data.toString();
  });
  for (const p of pieces) demux.write(p);
  demux.end();
  await new Promise<void>((resolve, reject) => {
    demux.on('end', resolve);
    demux.on('error', reject);
  });
  return out;
}

describe('DockerDemux', () => {
  const whole = Buffer.concat([dockerFrame('stdout', 'hello '), dockerFrame('stderr', 'oops'), dockerFrame('stdout', 'world'), dockerFrame('stdout', '')]);

  it('splits frames into their streams', async () => {
    const out = await demuxAll([whole]);
    expect(out.stdout).toBe('hello world');
    expect(out.stderr).toBe('oops');
  });

  it('gives the same result for every split point, including inside headers', async () => {
    for (let cut = 0; cut <= whole.length; cut++) {
      const out = await demuxAll([whole.subarray(0, cut), whole.subarray(cut)]);
      expect(out.stdout, `cut at ${cut}`).toBe('hello world');
      expect(out.stderr).toBe('oops');
    }
    const bytes = [...whole].map((b) => Buffer.from([b]));
    expect((await demuxAll(bytes)).stdout).toBe('hello world');
  });

  it('rejects a stream that is not multiplexed', async () => {
    await expect(demuxAll([Buffer.from('{"type":"ready"}\n')])).rejects.toThrow(/not a multiplexed/);
  });

  it('reports a stream cut in the middle of a frame', async () => {
    await expect(demuxAll([dockerFrame('stdout', 'abcdef').subarray(0, 11)])).rejects.toThrow(/middle of a frame/);
  });

  it('stops reading its input while the reader does not keep up', async () => {
    const source = new PassThrough();
    const demux = new DockerDemux();
    source.pipe(demux);
    const frame = dockerFrame('stdout', Buffer.alloc(1024, 120));
    let accepted = 0;
    // Nobody reads demux: writes into the source must start reporting backpressure.
    while (source.write(frame) && accepted < 100_000) accepted += 1;
    expect(accepted).toBeLessThan(1000);
    let received = 0;
    const sink = new Writable({
      objectMode: true,
      write(chunk: DemuxChunk, _enc, done) {
        received += chunk.data.length;
        done();
      },
    });
    source.end();
    await pipeline(demux, sink);
    expect(received).toBe((accepted + 1) * 1024);
  });
});
