// The engine's JSON progress stream, fed in awkward pieces: steps, split lines, and error events after "success".
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readProgressStream, type BuildProgress } from './build-stream.js';
import { SandboxError } from './types.js';

/** Writes `text` into a stream in chunks of `size` bytes (splitting JSON and UTF-8 sequences), then ends it. */
function feed(text: string, size: number): PassThrough {
  const stream = new PassThrough();
  const bytes = Buffer.from(text, 'utf8');
  setImmediate(() => {
    for (let i = 0; i < bytes.length; i += size) stream.write(bytes.subarray(i, i + size));
    stream.end();
  });
  return stream;
}

const lines = (...events: object[]): string => events.map((e) => JSON.stringify(e) + '\r\n').join('');

describe('readProgressStream', () => {
  const build = lines(
    { stream: 'Step 1/3 : FROM debian\n' },
    { stream: ' ---> 6cad9e4c6948\n' },
    { stream: 'Step 2/3 : RUN apt-get install\n' },
    { stream: 'Get:1 http://deb.debian.org trixie/main python3 [27 kB]\nUnpack' },
    { stream: 'ing python3 — ünïcode …\n' },
    { stream: 'STEP 3/3: CMD ["python3"]\n' },
    { aux: { ID: 'sha256:abc123' } },
    { stream: 'Successfully built 4fccfc712595\n' },
  );

  for (const size of [1, 3, 7, 4096]) {
    it(`reports steps and whole output lines with ${size}-byte chunks`, async () => {
      const events: BuildProgress[] = [];
      const result = await readProgressStream(feed(build, size), (p) => events.push(p), 'the test build');
      expect(events.filter((e) => e.type === 'step')).toEqual([
        { type: 'step', step: 1, total: 3, text: 'FROM debian' },
        { type: 'step', step: 2, total: 3, text: 'RUN apt-get install' },
        { type: 'step', step: 3, total: 3, text: 'CMD ["python3"]' },
      ]);
      const output = events.flatMap((e) => (e.type === 'output' ? [e.text] : []));
      expect(output).toContain('Unpacking python3 — ünïcode …');
      expect(output).toContain('Get:1 http://deb.debian.org trixie/main python3 [27 kB]');
      expect(result.imageId).toBe('sha256:abc123');
      expect(result.lastStep).toBe('STEP 3/3: CMD ["python3"]');
    });
  }

  it("rejects with the engine's error text even though the stream ended normally", async () => {
    const failing = lines(
      { stream: 'Step 2/2 : RUN exit 3\n' },
      { stream: ' ---> Running in 1234\n' },
      { errorDetail: { code: 3, message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3" }, error: 'ignored when errorDetail is there' },
    );
    const error = await readProgressStream(feed(failing, 5), undefined, 'the test build').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).code).toBe('build_failed');
    expect((error as SandboxError).message).toBe("the test build failed at Step 2/2 : RUN exit 3: The command '/bin/sh -c exit 3' returned a non-zero code: 3");
  });

  it('takes `error` alone (pull failures have no errorDetail)', async () => {
    await expect(
      readProgressStream(feed(lines({ status: 'Pulling from library/debian', id: 'trixie-slim' }, { error: 'manifest unknown' }), 9), undefined, 'pulling x'),
    ).rejects.toThrow('pulling x failed: manifest unknown');
  });

  it('reports layer progress and shows non-JSON lines instead of dropping them', async () => {
    const events: BuildProgress[] = [];
    const text = lines({ status: 'Downloading', id: 'a1', progressDetail: { current: 10, total: 100 } }) + 'proxy said no\n';
    await readProgressStream(feed(text, 6), (p) => events.push(p), 'pulling x');
    expect(events).toEqual([
      { type: 'layer', id: 'a1', status: 'Downloading', current: 10, total: 100 },
      { type: 'output', text: 'proxy said no' },
    ]);
  });

  it('rejects when the stream is destroyed midway', async () => {
    const stream = new PassThrough();
    setImmediate(() => {
      stream.write(lines({ stream: 'Step 1/9 : FROM x\n' }));
      stream.destroy(new Error('socket hang up'));
    });
    await expect(readProgressStream(stream, undefined, 'the test build')).rejects.toThrow('the test build was cut off: socket hang up');
  });
});
