// `codecell run` end to end: the built CLI as a child process, a scripted OpenAI-compatible server, the real sandbox.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { jsonLines } from '../support/cli.js';
import { jsonLine, type JsonLine } from '../../src/render/json-events.js';
import { codecellRun, manifest, savedFiles, sha256, toolMessages, useCliFixture } from './harness.js';

const docker = await engineOrSkip();

// A PNG's first bytes in base64: if these reach the model, an image went to it as text.
const PNG_BASE64 = 'iVBORw0KGgo';
const FIGURE_CODE = 'import matplotlib.pyplot as plt\nprint(x * 2)\nplt.plot([1, 2, 3], [4, 1, 9])\nplt.show()';

describe.skipIf(!docker)('codecell run (built CLI, fake model, real sandbox)', () => {
  const cli = useCliFixture(docker!);

  it('keeps state across two tool calls, saves the figure, and prints only the answer on stdout', async () => {
    const s = await cli.serve({ script: [[{ toolCall: { code: 'x = 21' } }], [{ toolCall: { code: FIGURE_CODE } }], [{ text: 'The answer is **42**.' }]] });
    const r = await codecellRun(s, cli.home, ['what is 21 doubled?']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('The answer is **42**.\n');

    // stderr: both cells' code, the output of the second, and where the figure went.
    expect(r.stderr).toContain('x = 21');
    expect(r.stderr).toContain('print(x * 2)');
    expect(r.stderr).toMatch(/^42$/m);
    const saved = /^saved (\S+\.png)/m.exec(r.stderr)?.[1];
    expect(saved, r.stderr).toBeDefined();
    expect(path.dirname(saved!)).toBe(cli.home.outDir);

    const png = fs.readFileSync(saved!);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const rows = manifest(cli.home.outDir);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ path: saved, mime: 'image/png', size: png.length, sha256: sha256(png), turn: 1 });

    // The model saw the state carried over (42) and only the figure's name, never its bytes.
    expect(s.requests).toHaveLength(3);
    expect(toolMessages(s.requests[2])[1]).toMatch(/^42\n/);
    expect(toolMessages(s.requests[2])[1]).toContain(path.basename(saved!));
    const sent = JSON.stringify(s.requests);
    expect(sent).not.toContain(PNG_BASE64);
    expect(sent).not.toMatch(/data:image|base64,/);
  });

  it('takes the prompt from stdin when no prompt argument is given', async () => {
    const s = await cli.serve({ script: [[{ text: '4' }]] });
    const r = await codecellRun(s, cli.home, [], { input: 'what is 2+2\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('4\n');
    const user = s.requests[0]!.messages.filter((m) => m.role === 'user');
    expect(user).toEqual([{ role: 'user', content: 'what is 2+2' }]);
  });

  describe('stdin as data when a prompt is given', () => {
    const csv = 'region,revenue\nnorth,10\nsouth,25\neast,7\n';

    it('lands in /mnt/data/stdin.csv, is named in the system prompt with a preview, and reads back', async () => {
      const code = "import pandas as pd\ndf = pd.read_csv('/mnt/data/stdin.csv')\nprint('total', df['revenue'].sum())";
      const s = await cli.serve({ script: [[{ toolCall: { code } }], [{ text: 'Total revenue is 42.' }]] });
      const r = await codecellRun(s, cli.home, ['total', 'revenue'], { input: csv });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('Total revenue is 42.\n');

      const system = String(s.requests[0]!.messages[0]!.content);
      expect(system).toContain(`/mnt/data/stdin.csv (${Buffer.byteLength(csv)} bytes)`);
      expect(system).toContain('region,revenue');
      expect(system).toContain('south,25');
      const user = s.requests[0]!.messages.find((m) => m.role === 'user');
      expect(String(user!.content)).toMatch(/^total revenue\b/);
      expect(String(user!.content)).toContain('/mnt/data/stdin.csv');

      expect(r.stderr).toMatch(/^total 42$/m);
      expect(toolMessages(s.requests[1])).toEqual(['total 42\n']);
      // The user's own data is not "a file the model made".
      expect(savedFiles(cli.home.outDir)).toEqual([]);
    });

    it('--stdin-name overrides the file name', async () => {
      const code = "import pandas as pd\nprint('rows', len(pd.read_csv('/mnt/data/sales.csv')))";
      const s = await cli.serve({ script: [[{ toolCall: { code } }], [{ text: 'Three rows.' }]] });
      const r = await codecellRun(s, cli.home, ['count rows', '--stdin-name', 'sales.csv'], { input: csv });
      expect(r.code, r.stderr).toBe(0);
      const system = String(s.requests[0]!.messages[0]!.content);
      expect(system).toContain('/mnt/data/sales.csv');
      expect(system).not.toContain('stdin.csv');
      expect(toolMessages(s.requests[1])).toEqual(['rows 3\n']);
    });
  });

  it('--file (twice) uploads both files into /mnt/data', async () => {
    const a = path.join(cli.home.dir, 'alpha.csv');
    const b = path.join(cli.home.dir, 'notes.txt');
    fs.writeFileSync(a, 'n\n1\n2\n');
    fs.writeFileSync(b, 'hello from the host\n');
    const code = "import os\nprint(sorted(os.listdir('/mnt/data')))\nprint(open('/mnt/data/notes.txt').read().strip())";
    const s = await cli.serve({ script: [[{ toolCall: { code } }], [{ text: 'Two files.' }]] });
    const r = await codecellRun(s, cli.home, ['list the files', '--file', a, '-f', b]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Two files.\n');
    const [view] = toolMessages(s.requests[1]);
    expect(view).toContain("['alpha.csv', 'notes.txt']");
    expect(view).toContain('hello from the host');
    const system = String(s.requests[0]!.messages[0]!.content);
    expect(system).toContain('/mnt/data/alpha.csv (6 bytes)');
    expect(system).toContain('/mnt/data/notes.txt (20 bytes)');
    expect(savedFiles(cli.home.outDir)).toEqual([]);
  });

  it('--json writes only schema-valid JSON lines: code chunks, output, the figure as base64, usage, done', async () => {
    const first = "x = 21\nopen('/mnt/data/n.csv', 'w').write('n\\n21\\n')";
    const s = await cli.serve({
      script: [[{ toolCall: { code: first }, chunk: 3 }], [{ toolCall: { code: FIGURE_CODE }, chunk: 5 }], [{ text: 'Done: 42.' }]],
    });
    const r = await codecellRun(s, cli.home, ['chart it', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout).map((l, i) => {
      const parsed = jsonLine.safeParse(l);
      expect(parsed.success, `line ${i}: ${JSON.stringify(l).slice(0, 300)}\n${parsed.error?.message}`).toBe(true);
      return parsed.data!;
    });
    expect(r.stderr).not.toContain('print(x * 2)'); // the code is in the JSON, not echoed as text

    const chunks = (type: string): Extract<JsonLine, { stream_type: 'code_execution' }>[] =>
      lines.filter((l): l is Extract<JsonLine, { stream_type: 'code_execution' }> => l.stream_type === 'code_execution' && l.chunk.type === type);
    const hot = chunks('hot_code');
    const callIds = [...new Set(hot.map((l) => l.call_id))];
    expect(callIds).toHaveLength(2);
    const codeOf = (id: string | undefined): string =>
      hot
        .filter((l) => l.call_id === id)
        .map((l) => l.chunk.content as string)
        .join('');
    expect(codeOf(callIds[0])).toBe(first);
    expect(codeOf(callIds[1])).toBe(FIGURE_CODE);
    expect(hot.filter((l) => l.call_id === callIds[1]).length).toBeGreaterThan(3); // streamed, not sent at the end

    const output = chunks('hot_code_output')
      .filter((l) => l.call_id === callIds[1])
      .map((l) => l.chunk.content as string)
      .join('');
    expect(output).toBe('42\n');

    type FileContent = { base64: string; path: string; sha256: string; size: number; mime_type: string; filename: string };
    const files = chunks('code_interpreter_stream').map((l) => ({ callId: l.call_id, content: l.chunk.content as FileContent }));
    expect(files.map((f) => [f.callId, f.content.mime_type])).toEqual([
      [callIds[0], 'text/csv'],
      [callIds[1], 'image/png'],
    ]);
    for (const { content } of files) {
      const bytes = Buffer.from(content.base64, 'base64');
      expect(bytes.equals(fs.readFileSync(content.path))).toBe(true);
      expect(content).toMatchObject({ size: bytes.length, sha256: sha256(bytes), filename: path.basename(content.path) });
    }
    expect(Buffer.from(files[0]!.content.base64, 'base64').toString()).toBe('n\n21\n');
    const file = files[1]!.content;

    const usage = lines.filter((l) => l.stream_type === 'usage');
    expect(usage).toHaveLength(3); // one per model call: the server sends usage because we asked for it
    expect(s.requests.every((q) => q.stream_options?.include_usage === true)).toBe(true);
    const last = lines.at(-1)!;
    expect(last.stream_type).toBe('done');
    if (last.stream_type !== 'done') return;
    expect(last.status).toBe('ok');
    expect(last.answer).toBe('Done: 42.');
    expect(last.files.map((f) => f.path)).toEqual(files.map((f) => f.content.path));
    expect(manifest(cli.home.outDir).map((m) => m.path)).toEqual([files[0]!.content.path, file.path]);
    const lastUsage = usage.at(-1)!;
    if (lastUsage.stream_type === 'usage') expect(last.usage).toEqual(lastUsage.usage);
  });

  describe('chunk shapes through the whole CLI', () => {
    it('tool-call arguments in one-character pieces', async () => {
      const code = "s = 'ab\"c\\\\d'\nprint(len(s), s)";
      const s = await cli.serve({ script: [[{ toolCall: { code }, chunk: 1 }], [{ text: 'ok' }]] });
      const r = await codecellRun(s, cli.home, ['go', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const lines = jsonLines(r.stdout) as JsonLine[];
      const hot = lines.filter((l) => l.stream_type === 'code_execution' && l.chunk.type === 'hot_code');
      expect(hot.map((l) => (l.stream_type === 'code_execution' ? l.chunk.content : '')).join('')).toBe(code);
      expect(toolMessages(s.requests[1])).toEqual(['6 ab"c\\d\n']);
    });

    it('the whole tool call in one chunk without an index', async () => {
      const s = await cli.serve({ script: [[{ toolCall: { code: 'print(6 * 7)' }, chunk: 'whole' }], [{ text: 'Forty-two.' }]] });
      const r = await codecellRun(s, cli.home, ['go']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('Forty-two.\n');
      expect(r.stderr).toMatch(/^42$/m);
      expect(toolMessages(s.requests[1])).toEqual(['42\n']);
      const assistant = s.requests[1]!.messages.find((m) => m.role === 'assistant') as { tool_calls?: { id: string; function: { arguments: string } }[] };
      expect(JSON.parse(assistant.tool_calls![0]!.function.arguments)).toEqual({ code: 'print(6 * 7)' });
    });

    it('text before a tool call is commentary on stderr; only the final answer reaches stdout', async () => {
      const s = await cli.serve({ script: [[{ text: 'Let me compute that.' }, { toolCall: { code: 'print(40 + 2)' } }], [{ text: 'It is 42.' }]] });
      const r = await codecellRun(s, cli.home, ['go']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('It is 42.\n');
      expect(r.stderr).toContain('Let me compute that.');
      expect(r.stderr.indexOf('Let me compute that.')).toBeLessThan(r.stderr.indexOf('print(40 + 2)'));
      const assistant = s.requests[1]!.messages.find((m) => m.role === 'assistant');
      expect(assistant?.content).toBe('Let me compute that.');
    });

    it('two tool calls in one reply run in order, each answered by its own id', async () => {
      const s = await cli.serve({
        script: [[{ toolCall: { code: "y = 1\nprint('first', y)" } }, { toolCall: { code: "print('second', y + 1)" } }], [{ text: 'Both ran.' }]],
      });
      const r = await codecellRun(s, cli.home, ['go']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.indexOf('first 1')).toBeGreaterThan(-1);
      expect(r.stderr.indexOf('second 2')).toBeGreaterThan(r.stderr.indexOf('first 1'));
      const next = s.requests[1]!.messages;
      const assistant = next.find((m) => m.role === 'assistant') as { tool_calls: { id: string }[] };
      const tools = next.filter((m) => m.role === 'tool') as { tool_call_id: string; content: string }[];
      expect(tools.map((t) => t.tool_call_id)).toEqual(assistant.tool_calls.map((c) => c.id));
      expect(tools.map((t) => t.content)).toEqual(['first 1\n', 'second 2\n']);
    });

    it('python arguments that are not valid JSON are reported as such, not as an unknown tool', async () => {
      const s = await cli.serve({ script: [[{ toolCall: { arguments: '{"code": "print(1+1)' } }], [{ text: 'ok' }]] });
      const r = await codecellRun(s, cli.home, ['go']);
      expect(r.code, r.stderr).toBe(0);
      const [view] = toolMessages(s.requests[1]);
      expect(view).not.toContain('Unknown tool "python"');
      expect(view).toMatch(/JSON|argument/i);
      expect(r.stderr).not.toContain('unknown tool "python"');
    });

    it('a usage-only last chunk is counted', async () => {
      const s = await cli.serve({ script: [[{ text: 'Hi.' }, { usage: { prompt: 123, completion: 45 } }]] });
      const r = await codecellRun(s, cli.home, ['hi', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const lines = jsonLines(r.stdout) as JsonLine[];
      const usage = lines.find((l) => l.stream_type === 'usage');
      expect(usage).toMatchObject({ usage: { promptTokens: 123, completionTokens: 45, totalTokens: 168 } });
      expect(lines.at(-1)).toMatchObject({ stream_type: 'done', status: 'ok', answer: 'Hi.', usage: { totalTokens: 168 } });
    });

    it('reasoning_content is shown as reasoning, never as the answer', async () => {
      const s = await cli.serve({ script: [[{ reasoning: 'The user wants a number; 6*7.' }, { text: '42' }]] });
      const plain = await codecellRun(s, cli.home, ['think']);
      expect(plain.code, plain.stderr).toBe(0);
      expect(plain.stdout).toBe('42\n');
      s.push([{ reasoning: 'Again 6*7.' }, { text: '42' }]);
      const json = await codecellRun(s, cli.home, ['think', '--json']);
      expect(json.code, json.stderr).toBe(0);
      const lines = jsonLines(json.stdout) as JsonLine[];
      const reasoning = lines
        .filter((l) => l.stream_type === 'reasoning_delta')
        .map((l) => (l.stream_type === 'reasoning_delta' ? l.content : ''))
        .join('');
      expect(reasoning).toBe('Again 6*7.');
      expect(lines.at(-1)).toMatchObject({ stream_type: 'done', answer: '42' });
      // What the model reasoned is not sent back to it as the assistant's content.
      expect(s.requests.every((q) => !JSON.stringify(q.messages).includes('6*7'))).toBe(true);
    });
  });

  it('--quiet prints only the answer; --verbose adds the session, usage and timings', async () => {
    const code = "open('/mnt/data/q.txt', 'w').write('q')\nprint('noise')";
    const s = await cli.serve({ script: [[{ text: 'Working.' }, { toolCall: { code } }], [{ text: 'Quiet answer.' }]] });
    const quiet = await codecellRun(s, cli.home, ['go', '--quiet']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe('Quiet answer.\n');
    expect(quiet.stderr).toBe('');
    expect(fs.existsSync(path.join(cli.home.outDir, 'q.txt'))).toBe(true); // quiet, not idle

    s.push(
      [{ toolCall: { code: 'print(1)' } }, { usage: { prompt: 50, completion: 5 } }],
      [{ text: 'Loud answer.' }, { usage: { prompt: 70, completion: 3 } }],
    );
    const loud = await codecellRun(s, cli.home, ['go', '-v']);
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stdout).toBe('Loud answer.\n');
    expect(loud.stderr).toMatch(/^session \S+ · fake-model · files → /m);
    expect(loud.stderr).toContain('tokens: 120 in / 8 out');
    expect(loud.stderr).toMatch(/^\(ok in \d+\.\d\d s\)$/m);
    expect(loud.stderr).toContain('done (ok): 0 file(s), 128 tokens');
  });

  it('--timeout interrupts a long cell, keeps state, and the model is told', async () => {
    const slow = 'import time\nz = 5\ntime.sleep(30)';
    const s = await cli.serve({ script: [[{ toolCall: { code: slow } }], [{ toolCall: { code: 'print(z * 2)' } }], [{ text: 'Timed out, then 10.' }]] });
    const started = Date.now();
    const r = await codecellRun(s, cli.home, ['go', '--timeout', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stderr).toContain('the cell ran longer than 1 s and was interrupted; variables were kept');
    expect(toolMessages(s.requests[1])[0]).toMatch(/longer than 1 s/);
    expect(toolMessages(s.requests[2])[1]).toBe('10\n');
  });

  it('keeps files already saved when a later model call fails', async () => {
    const code = "import pandas as pd\npd.DataFrame({'a': [1, 2], 'b': [3, 4]}).to_csv('/mnt/data/result.csv', index=False)\nprint('written')";
    const fail = [{ status: 500 }];
    const s = await cli.serve({ script: [[{ toolCall: { code } }], fail, fail, fail, fail] });
    const r = await codecellRun(s, cli.home, ['make a csv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/codecell: the model server failed \(500/);
    expect(r.stderr).toContain('saved ');
    const file = path.join(cli.home.outDir, 'result.csv');
    expect(fs.readFileSync(file, 'utf8')).toBe('a,b\n1,3\n2,4\n');
    expect(manifest(cli.home.outDir)).toEqual([
      expect.objectContaining({ name: 'result.csv', source: 'result.csv', path: file, sha256: sha256(fs.readFileSync(file)) }),
    ]);
    expect(s.requests).toHaveLength(5); // one call, then the first try and three retries of the next
  });
});
