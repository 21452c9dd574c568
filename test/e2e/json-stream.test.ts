// The JSON event stream of one scripted `codecell run --json` session, compared with a stored expectation:
// proof that restructuring the runtime leaves what a consumer of --json reads byte-identical (ids and times aside).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { codecellRun, useCliFixture } from './harness.js';

const docker = await engineOrSkip();
const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'run-json-stream.jsonl');

/** Text before a tool call, state kept across cells, a file, a figure, a Python error, usage, the answer. */
const SCRIPT = [
  [{ text: 'Let me compute that.' }, { toolCall: { code: 'x = 21\nprint(x * 2)' }, chunk: 4 }, { usage: { prompt: 120, completion: 30 } }],
  [{ toolCall: { code: "open('/mnt/data/n.csv', 'w').write('n\\n21\\n')\nx" }, chunk: 7 }],
  [{ toolCall: { code: 'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [4, 1, 9])\nplt.show()' } }],
  [{ toolCall: { code: '1 / 0' } }],
  [{ text: 'x doubled is **42**; the table is in n.csv.' }, { usage: { prompt: 400, completion: 20 } }],
];

/**
 * Replaces what differs between runs: the session id, the private home's paths, file ids, creation
 * times and cell durations; a figure's bytes (its size and hash follow matplotlib's build, not codecell);
 * where live output was cut into chunks.
 * `sandbox_state: starting` is dropped: whether the container is still starting when the first cell
 * comes depends on how fast the engine is, not on codecell.
 */
function normalise(stdout: string, home: string): string {
  const out: string[] = [];
  for (const raw of stdout.split('\n')) {
    if (!raw.trim()) continue;
    const line = JSON.parse(raw.split(home).join('<home>')) as Record<string, unknown>;
    if (line.stream_type === 'sandbox_state' && line.state === 'starting') continue;
    if (line.stream_type === 'session_start') line.session_id = '<session>';
    if (line.stream_type === 'cell_end') line.duration_ms = 0;
    const chunk = line.chunk as { type?: string; content?: Record<string, unknown> } | undefined;
    if (chunk?.type === 'code_interpreter_stream' && chunk.content) {
      chunk.content.file_id = '<file>';
      if (chunk.content.mime_type === 'image/png') Object.assign(chunk.content, { base64: '<png>', size: 0, sha256: '<png>' });
    }
    if (line.stream_type === 'done') {
      line.files = (line.files as Record<string, unknown>[]).map((f) => ({
        ...f,
        id: '<file>',
        session: '<session>',
        created_at: '<time>',
        ...(f.mime === 'image/png' ? { size: 0, sha256: '<png>' } : {}),
      }));
    }
    // Live output arrives in chunks cut where the kernel's pipe happened to be read: joined per call and stream.
    const last = out.length ? (JSON.parse(out[out.length - 1]!) as Record<string, unknown>) : undefined;
    const lastChunk = last?.chunk as { type?: string; stream?: string; content?: string } | undefined;
    const thisChunk = line.chunk as { type?: string; stream?: string; content?: string } | undefined;
    if (
      thisChunk?.type === 'hot_code_output' &&
      thisChunk.stream !== 'result' &&
      lastChunk?.type === 'hot_code_output' &&
      lastChunk.stream === thisChunk.stream &&
      last?.call_id === line.call_id
    ) {
      lastChunk.content += thisChunk.content ?? '';
      out[out.length - 1] = JSON.stringify(last);
      continue;
    }
    out.push(JSON.stringify(line));
  }
  return out.join('\n') + '\n';
}

describe.skipIf(!docker)('codecell run --json: the event stream of a scripted session', () => {
  const cli = useCliFixture(docker!);

  it('matches the stored stream apart from ids and times', async () => {
    const s = await cli.serve({ script: SCRIPT });
    const r = await codecellRun(s, cli.home, ['double x and chart it', '--json']);
    expect(r.code, r.stderr).toBe(0); // a Python error is a cell's result, not a failed run
    const actual = normalise(r.stdout, cli.home.dir);
    if (process.env.CODECELL_UPDATE_FIXTURES === '1') fs.writeFileSync(FIXTURE, actual);
    expect(actual).toBe(fs.readFileSync(FIXTURE, 'utf8'));
  });
});
