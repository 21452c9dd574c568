import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { PlainRenderer } from './plain.js';
import type { SessionEvent } from '../core/events.js';

function setup(over: Partial<ConstructorParameters<typeof PlainRenderer>[0]> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const r = new PlainRenderer({
    stdout,
    stderr,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    color: false,
    images: false,
    quiet: false,
    verbose: false,
    cellStdoutTo: 'stderr',
    ...over,
  });
  return { r, out: () => out, err: () => err };
}

const entry = { id: 'f', session: 's', turn: 1, name: 'a.csv', source: 'a.csv', mime: 'text/csv', path: '/o/a.csv', size: 2048, sha256: '', created_at: '' };

describe('PlainRenderer (run)', () => {
  it('puts only the final answer on stdout; code, commentary, output and files go to stderr', async () => {
    const { r, out, err } = setup();
    const events: SessionEvent[] = [
      { type: 'turn_start', turn: 1 },
      { type: 'text_delta', turn: 1, text: 'Let me look.' },
      { type: 'code_start', turn: 1, callId: 'c' },
      { type: 'code_delta', turn: 1, callId: 'c', text: 'print(1)' },
      { type: 'code_end', turn: 1, callId: 'c', code: 'print(1)' },
      { type: 'text', turn: 1, text: 'Let me look.' },
      { type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: '1\n' },
      { type: 'file_saved', turn: 1, callId: 'c', file: entry },
      { type: 'text_delta', turn: 1, text: 'The answer is 1.' },
      { type: 'text', turn: 1, text: 'The answer is 1.' },
    ];
    for (const e of events) await r.handle(e);
    expect(out()).toBe('The answer is 1.\n');
    expect(err()).toContain('Let me look.');
    expect(err()).toContain('print(1)');
    expect(err()).toContain('1\n');
    expect(err()).toContain('saved /o/a.csv (2 KiB)');
  });

  it('strips terminal control sequences that came from the sandbox', async () => {
    const { r, err } = setup();
    await r.handle({ type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: 'ok\x1b]52;c;ZXZpbA==\x07\n' });
    expect(err()).not.toContain('\x1b]52');
  });

  it('reports errors with their fix and counts failures', async () => {
    const { r, err } = setup();
    await r.handle({ type: 'error', kind: 'model_auth', message: 'the API key was refused', fix: 'set OPENAI_API_KEY' });
    await r.handle({
      type: 'cell_end',
      turn: 1,
      callId: 'c',
      status: 'timeout',
      durationMs: 1,
      stateLost: true,
      message: 'the cell ran too long',
      modelView: '',
    });
    expect(err()).toContain('codecell: the API key was refused\n  fix: set OPENAI_API_KEY');
    expect(err()).toContain('✗ the cell ran too long');
  });
});

describe('PlainRenderer (exec)', () => {
  it('sends program stdout to stdout and stderr to stderr', async () => {
    const { r, out, err } = setup({ cellStdoutTo: 'stdout' });
    await r.handle({ type: 'cell_output', turn: 1, callId: 'c', stream: 'stdout', text: 'hello\n' });
    await r.handle({ type: 'cell_output', turn: 1, callId: 'c', stream: 'stderr', text: 'warn\n' });
    expect(out()).toBe('hello\n');
    expect(err()).toBe('warn\n');
  });
});

describe('PlainRenderer: rich displays and progress', () => {
  const cell = { turn: 1, callId: 'c' };

  it('renders Markdown displays on a terminal and shows HTML tables as text', async () => {
    const { r, out } = setup({ cellStdoutTo: 'stdout', stdoutIsTTY: true, markdown: (t) => `[md]${t}` });
    await r.handle({ type: 'cell_display', ...cell, mime: 'text/markdown', text: '# Title', bundle: { 'text/markdown': '# Title' } });
    await r.handle({ type: 'cell_display', ...cell, mime: 'text/html', text: 'a  b\n1  2', bundle: { 'text/html': '<table/>' } });
    expect(out()).toBe('[md]# Title\na  b\n1  2\n');
  });

  it('keeps a progress bar on one line: repainted on a terminal, final state in a pipe', async () => {
    const tty = setup({ cellStdoutTo: 'stdout', stdoutIsTTY: true, stderrIsTTY: true });
    const pipe = setup({ cellStdoutTo: 'stdout' });
    for (const { r } of [tty, pipe]) {
      for (const p of ['\r 10%', '\r 60%', '\r100%']) await r.handle({ type: 'cell_output', ...cell, stream: 'stderr', text: p });
      await r.handle({ type: 'cell_end', ...cell, status: 'ok', durationMs: 1, stateLost: false, modelView: '' });
    }
    expect(tty.err()).toBe('\r\x1b[2K 10%\r\x1b[2K 60%\r\x1b[2K100%');
    expect(pipe.err()).toBe('100%');
  });

  it('erases what the cell printed on clear_output(wait=True) when the next output comes, on a terminal only', async () => {
    const tty = setup({ cellStdoutTo: 'stdout', stdoutIsTTY: true });
    const pipe = setup({ cellStdoutTo: 'stdout' });
    for (const { r } of [tty, pipe]) {
      await r.handle({ type: 'cell_output', ...cell, stream: 'stdout', text: 'step 1\nstep 1b\n' });
      await r.handle({ type: 'cell_clear', ...cell, wait: true });
      await r.handle({ type: 'cell_output', ...cell, stream: 'stdout', text: 'step 2\n' });
    }
    expect(tty.out()).toBe('step 1\nstep 1b\n\x1b[2F\x1b[Jstep 2\n');
    expect(pipe.out()).toBe('step 1\nstep 1b\nstep 2\n');
  });
});

describe('PlainRenderer: a turn without a model (exec)', () => {
  const usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

  it('says nothing of a missing answer after a cell run without the model, but does when the model said nothing', async () => {
    const exec = setup({ cellStdoutTo: 'stdout' });
    for (const e of [
      { type: 'turn_start', turn: 1 },
      { type: 'cell_start', turn: 1, callId: 'exec-1' },
      { type: 'cell_output', turn: 1, callId: 'exec-1', stream: 'stdout', text: 'hi\n' },
      { type: 'cell_end', turn: 1, callId: 'exec-1', status: 'ok', durationMs: 1, stateLost: false, modelView: 'hi\n' },
      { type: 'done', status: 'ok', answer: '', usage, files: [] },
    ] satisfies SessionEvent[])
      await exec.r.handle(e);
    expect(exec.out()).toBe('hi\n');
    expect(exec.err()).not.toContain('without an answer');

    const run = setup();
    for (const e of [
      { type: 'turn_start', turn: 1 },
      { type: 'text', turn: 1, text: '' },
      { type: 'done', status: 'ok', answer: '', usage, files: [] },
    ] satisfies SessionEvent[])
      await run.r.handle(e);
    expect(run.err()).toContain('note: the model ended without an answer');
  });
});
