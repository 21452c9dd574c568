// `codecell run` against each model dialect: no tool calling, calls written as text, <think> and reasoning fields.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { jsonLines } from '../support/cli.js';
import { DIALECTS, dialectScript, type Dialect } from '../support/fake-openai.js';
import { jsonLine, type JsonLine } from '../../src/render/json-events.js';
import { codecellRun, manifest, runChild, savedFiles, useCliFixture } from './harness.js';

const docker = await engineOrSkip();

/** Writes a file and prints the number the answer must carry (so the answer proves the model saw the output). */
const CODE = 'n = 6 * 7\nopen("/mnt/data/answer.txt", "w").write(str(n))\nprint(n)';
const script = (dialect: Dialect) =>
  dialectScript(
    dialect,
    () => CODE,
    (_user, result) => `The answer is ${/\b42\b/.test(result) ? '42' : 'unknown'}.`,
  );

/** Text-protocol reasoning, the raw tags and JSON of calls: none may reach an answer. */
const LEAKS = /<think>|<\/think>|<tool_call>|"arguments"|```python|The user wants a computation|I have the result/;

function sessionLog(home: string): { kind: string; data: Record<string, unknown> }[] {
  const dir = path.join(home, 'data', 'sessions');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')) : [];
  expect(files).toHaveLength(1);
  return fs
    .readFileSync(path.join(dir, files[0]!), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { kind: string; data: Record<string, unknown> });
}

describe.skipIf(!docker)('codecell run with every model dialect (built CLI, fake model, real sandbox)', () => {
  const cli = useCliFixture(docker!);

  for (const dialect of DIALECTS) {
    it(`${dialect}: runs the code once, saves its file, prints only the answer; --json streams the code and keeps reasoning apart`, async () => {
      const s = await cli.serve({ script: script(dialect) });
      const r = await codecellRun(s, cli.home, ['what is 6 times 7?', '-v']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('The answer is 42.\n');
      expect(r.stderr).toContain('open("/mnt/data/answer.txt", "w")');
      expect(r.stderr).not.toMatch(/<think>|<tool_call>/);
      if (dialect === 'think' || dialect === 'reasoning-content') expect(r.stderr).toContain('The user wants a computation');
      const files = manifest(cli.home.outDir);
      expect(files.map((f) => f.name)).toEqual(['answer.txt']);
      expect(fs.readFileSync(files[0]!.path, 'utf8')).toBe('42');
      const log = sessionLog(cli.home.dir);
      const protocol = dialect === 'no-tools' ? 'text' : 'native';
      expect(log.filter((l) => l.kind === 'meta' && 'toolProtocol' in l.data).map((l) => l.data.toolProtocol)).toEqual([protocol]);
      expect(JSON.stringify(log.filter((l) => l.kind === 'message'))).not.toMatch(/<think>|The user wants a computation/);

      const out = path.join(cli.home.dir, 'out-json');
      const j = await codecellRun(s, { ...cli.home, outDir: out }, ['what is 6 times 7?', '--json']);
      expect(j.code, j.stderr).toBe(0);
      const lines = jsonLines(j.stdout).map((l) => jsonLine.parse(l)) as JsonLine[];
      const hot = lines.flatMap((l) => (l.stream_type === 'code_execution' && l.chunk.type === 'hot_code' ? [l.chunk.content] : []));
      expect(hot.join('')).toBe(CODE);
      expect(hot.length, 'code streams in pieces').toBeGreaterThan(1);
      const done = lines.at(-1)!;
      expect(done).toMatchObject({ stream_type: 'done', status: 'ok', answer: 'The answer is 42.' });
      const texts = lines.flatMap((l) => (l.stream_type === 'text' || l.stream_type === 'text_delta' ? [l.content] : []));
      expect(texts.join('')).not.toMatch(LEAKS);
      const reasoning = lines.filter((l) => l.stream_type === 'reasoning');
      if (dialect === 'think' || dialect === 'reasoning-content') {
        expect(reasoning.map((l) => (l.stream_type === 'reasoning' ? l.content : '')).join('\n')).toContain('The user wants a computation');
      } else expect(reasoning).toEqual([]);
      expect(savedFiles(out)).toEqual(['answer.txt']);
    });
  }

  it('a template that opened <think> itself: only </think> in the content, and still none of the reasoning in the answer', async () => {
    const late = (reasoning: string, answer: string): string => `${reasoning}\n</think>\n\n${answer}`;
    const s = await cli.serve({
      script: (request) =>
        request.messages.at(-1)!.role === 'tool'
          ? [{ text: late('The cell printed 42.', 'The answer is 42.'), chunk: 5 }]
          : [{ text: late('I should compute this.', ''), chunk: 5 }, { toolCall: { code: CODE } }],
    });
    const r = await codecellRun(s, cli.home, ['what is 6 times 7?']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('The answer is 42.\n');
    const j = await codecellRun(s, { ...cli.home, outDir: path.join(cli.home.dir, 'out-json') }, ['what is 6 times 7?', '--json']);
    const lines = jsonLines(j.stdout).map((l) => jsonLine.parse(l)) as JsonLine[];
    expect(lines.at(-1)).toMatchObject({ stream_type: 'done', status: 'ok', answer: 'The answer is 42.' });
    expect(lines.filter((l) => l.stream_type === 'text').map((l) => (l.stream_type === 'text' ? l.content : ''))).toEqual(['', 'The answer is 42.']);
    expect(lines.filter((l) => l.stream_type === 'reasoning').map((l) => (l.stream_type === 'reasoning' ? l.content : ''))).toEqual([
      'I should compute this.',
      'The cell printed 42.',
    ]);
    // What goes back to the model has no reasoning either.
    expect(JSON.stringify(s.requests.at(-1)!.messages)).not.toMatch(/I should compute this|<\/think>/);
  });

  it('auto remembers a model without tool calling: the next run starts in text mode without asking again', async () => {
    const s = await cli.serve({ script: script('no-tools') });
    const first = await codecellRun(s, cli.home, ['what is 6 times 7?']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/refused tools for fake-model \(.*does not support tools\); switched to the text protocol/);
    expect(s.requests.filter((r) => r.tools)).toHaveLength(1);
    const remembered = JSON.parse(fs.readFileSync(path.join(cli.home.dir, 'data', 'tool-protocols.json'), 'utf8')) as Record<string, { protocol: string }>;
    expect(remembered[`${s.url} fake-model`]?.protocol).toBe('text');

    const before = s.requests.length;
    const second = await codecellRun(s, { ...cli.home, outDir: path.join(cli.home.dir, 'out2') }, ['what is 6 times 7?']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe('The answer is 42.\n');
    expect(second.stderr).not.toMatch(/refused tools/);
    expect(s.requests.slice(before).filter((r) => r.tools)).toEqual([]);
    // The user's config is untouched: what was learned lives in codecell's data folder.
    expect(fs.existsSync(path.join(cli.home.dir, 'config', 'config.json'))).toBe(false);
  });

  it('--tools text with a budget: a reply cut at its block still counts toward the budget', async () => {
    const s = await cli.serve({ script: script('no-tools') });
    const r = await codecellRun(s, cli.home, ['what is 6 times 7?', '--tools', 'text', '--budget', '0.0001'], {
      env: { CODECELL_PRICES: JSON.stringify({ 'fake-model': { input: 1000, output: 1000 } }) },
    });
    expect(r.stderr).toMatch(/budget of \$0\.0001 exceeded/);
    expect(s.requests.every((q) => !q.tools)).toBe(true);
  });

  it('a model that never closes a readable block ends at --max-turns with a clear message', async () => {
    // Each reply hits the token limit inside its block: the code is cut off, so it is never run.
    const s = await cli.serve({ script: () => [{ text: 'Let me try.\n```python\nprint(1', chunk: 8 }, { finish: 'length' }] });
    const r = await codecellRun(s, cli.home, ['loop', '--tools', 'text', '--max-turns', '3']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/stopped after 3 model calls \(--max-turns\): the model's last 3 replies held code that could not be read/);
    expect(savedFiles(cli.home.outDir)).toEqual([]);
  });

  it('sessions export shows the text-mode session with its code and without reasoning', async () => {
    const s = await cli.serve({ script: script('no-tools') });
    const r = await codecellRun(s, cli.home, ['what is 6 times 7?', '--tools', 'text']);
    expect(r.code, r.stderr).toBe(0);
    const id = sessionLog(cli.home.dir).length
      ? fs
          .readdirSync(path.join(cli.home.dir, 'data', 'sessions'))
          .find((f) => f.endsWith('.jsonl'))!
          .replace(/\.jsonl$/, '')
      : '';
    const exported = await runChild(['sessions', 'export', id], cli.home.env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('open("/mnt/data/answer.txt", "w")');
    expect(exported.stdout).toContain('The answer is 42.');
    expect(exported.stdout).not.toMatch(/<python-output>/);
  });
});
