// Parses Docker's multiplexed attach stream (Tty off) into stdout/stderr chunks, as a Transform that keeps backpressure.
import { Transform, type TransformCallback } from 'node:stream';

export type DockerStreamName = 'stdin' | 'stdout' | 'stderr';

/** One piece of a frame's payload; a large frame arrives as several chunks, never buffered whole. */
export interface DemuxChunk {
  stream: DockerStreamName;
  data: Buffer;
}

const HEADER = 8;
const NAMES: Record<number, DockerStreamName> = { 0: 'stdin', 1: 'stdout', 2: 'stderr' };

/**
 * Reads frames `[type, 0, 0, 0, size u32 BE] payload` and pushes `DemuxChunk` objects.
 * Unlike dockerode's demuxStream (which writes into two streams and ignores their return values),
 * this is a single Transform: when the reader stops reading, the socket stops being read too.
 * A frame with an unknown type is a protocol error (the stream is not multiplexed), reported once.
 */
export class DockerDemux extends Transform {
  private header = Buffer.alloc(HEADER);
  private headerFill = 0;
  private remaining = 0;
  private current: DockerStreamName = 'stdout';

  constructor() {
    super({ readableObjectMode: true, readableHighWaterMark: 64 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(HEADER - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < HEADER) break;
        this.headerFill = 0;
        const type = this.header[0] ?? -1;
        const name = NAMES[type];
        if (!name || this.header[1] !== 0 || this.header[2] !== 0 || this.header[3] !== 0) {
          done(new Error(`not a multiplexed Docker stream (frame header ${this.header.toString('hex')})`));
          return;
        }
        this.current = name;
        this.remaining = this.header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      this.push({ stream: this.current, data: chunk.subarray(offset, offset + take) } satisfies DemuxChunk);
      this.remaining -= take;
      offset += take;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.headerFill > 0 || this.remaining > 0) {
      done(new Error('the Docker stream ended in the middle of a frame'));
      return;
    }
    done();
  }
}

/** Builds one frame; used by tests and by anything that must speak the format. */
export function dockerFrame(stream: DockerStreamName, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER);
  header[0] = stream === 'stdin' ? 0 : stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}
