// Faults of the model server after a file was saved: 429, 500s, a cut stream, silence. Exit codes and messages are in
// test/e2e/run-errors.test.ts; here: nothing saved is lost, the session log is whole, no container stays.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import type { Turn } from '../support/fake-openai.js';
import { codecellRun, savedFiles, useCliFixture } from '../e2e/harness.js';
import { expectSaved, sessionLog } from './checks.js';

const docker = await engineOrSkip();

const SAVE: Turn = [{ toolCall: { code: "open('/mnt/data/kept.csv', 'w').write('a,b\\n1,2\\n')\nprint('kept')" } }];
const KEPT = { 'kept.csv': 'a,b\n1,2\n' };

describe.skipIf(!docker)('fault: the model server fails after a file was saved', () => {
  const cli = useCliFixture(docker!);

  /** The log's events end with the saved file, then the failure, then `done` with this status. */
  const expectLogEnds = (status: string, errorKind?: string): void => {
    const { events, records } = sessionLog(cli.home);
    expect(records[0]).toMatchObject({ kind: 'meta' });
    const saved = events.findIndex((e) => e.type === 'file_saved');
    expect(saved, 'the file_saved event is in the log').toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ type: 'done', status });
    if (errorKind) {
      const error = events.findIndex((e) => e.type === 'error');
      expect(events[error]).toMatchObject({ kind: errorKind, fix: expect.any(String) });
      expect(error).toBeGreaterThan(saved);
    }
  };

  it('429 then success: retried, exit 0, the file and the log whole', async () => {
    const server = await cli.serve({ script: [SAVE, [{ status: 429 }], [{ text: 'Saved kept.csv.' }]] });
    const r = await codecellRun(server, cli.home, ['save a csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Saved kept.csv.\n');
    expect(server.requests).toHaveLength(3);
    expectSaved(cli.home.outDir, KEPT);
    expectLogEnds('ok');
  });

  it('500 until the retries run out: exit 1 with a fix, the file kept, the log ends with the error', async () => {
    const failing: Turn = [{ status: 500 }];
    const server = await cli.serve({ script: [SAVE, failing, failing, failing, failing] });
    const r = await codecellRun(server, cli.home, ['save a csv']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('the model server failed (500');
    expect(r.stderr).toMatch(/^ {2}fix: /m);
    expect(server.requests).toHaveLength(5);
    expectSaved(cli.home.outDir, KEPT);
    expectLogEnds('error', 'model_server');
  });

  it('a stream cut in the middle of a tool call: exit 1, the half-sent code never ran, the earlier file kept', async () => {
    const code = "open('/mnt/data/half.txt', 'w').write('ran')\nprint('HALF RAN')\n" + '# more to come\n'.repeat(20);
    const args = JSON.stringify({ code });
    const server = await cli.serve({ script: [SAVE, [{ toolCall: { code }, dropAfterChars: args.indexOf('# more') + 4 }]] });
    const r = await codecellRun(server, cli.home, ['save a csv']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('a partial tool call was not run');
    expect(r.stderr).not.toMatch(/^HALF RAN$/m);
    expect(savedFiles(cli.home.outDir)).toEqual(['kept.csv']);
    expectSaved(cli.home.outDir, KEPT);
    expectLogEnds('error', 'model_stream_dropped');
    // The log has the streamed fragment but no cell for it.
    const { events } = sessionLog(cli.home);
    const cut = events.findLastIndex((e) => e.type === 'code_start');
    expect(events.slice(cut).some((e) => e.type === 'cell_start')).toBe(false);
  });

  it('a server that stops answering (no headers): exit 1 after requestTimeout, not after minutes', async () => {
    const server = await cli.serve({ script: [SAVE, [{ hang: true }]] });
    const started = Date.now();
    const r = await codecellRun(server, cli.home, ['save a csv'], { env: { CODECELL_REQUEST_TIMEOUT: '2' } });
    expect(r.code, r.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stderr).toMatch(/the model server at http:\/\/127\.0\.0\.1:\d+\/v1 did not answer within (2 s|2000 ms)/);
    expect(r.stderr).toMatch(/^ {2}fix: Try again/m);
    expectSaved(cli.home.outDir, KEPT);
    expectLogEnds('error', 'model_timeout');
  });

  it('a server that falls silent in the middle of a tool call: exit 1, nothing of it ran', async () => {
    const code = "open('/mnt/data/half.txt', 'w').write('ran')\n";
    const server = await cli.serve({ script: [SAVE, [{ text: 'Now the second part.' }, { toolCall: { code }, chunk: 8 }, { hang: true }]] });
    // The hang comes after the arguments but before finish_reason: the call is complete JSON yet unconfirmed.
    const r = await codecellRun(server, cli.home, ['save a csv'], { env: { CODECELL_REQUEST_TIMEOUT: '2' } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/stopped sending for (2 s|2000 ms) in the middle of a reply; a partial tool call was not run/);
    expect(fs.existsSync(path.join(cli.home.outDir, 'half.txt'))).toBe(false);
    expectSaved(cli.home.outDir, KEPT);
    expectLogEnds('error', 'model_timeout');
  });
});
