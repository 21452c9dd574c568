import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionLog } from '../store/session-log.js';
import { exportSession } from './export.js';
import { makePng } from '../ui/testing/png.js';
import type { LoggedEvent } from '../core/records.js';
import { readHistory, type SessionHistory } from '../store/session-history.js';
import { parseRecords } from '../store/session-record.js';

/** Hand-written records, read the way a session file is (each must be a valid record, or it would be skipped). */
function historyOf(records: { t: string; kind: string; data: unknown }[]): SessionHistory {
  const { records: read, skipped } = parseRecords(records.map((r) => JSON.stringify(r)).join('\n'));
  expect(skipped).toBe(0);
  return readHistory(read);
}

/** Jupyter's own validator on the notebook text, where it is installed (Debian: python3-nbformat). */
function expectValidNotebook(nbPath: string, text: string): void {
  writeFileSync(nbPath, text);
  const check = spawnSync(
    '/usr/bin/python3',
    ['-c', 'import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print("valid")', nbPath],
    { encoding: 'utf8' },
  );
  if (check.status === 0) expect(check.stdout.trim()).toBe('valid');
  else if (/No module named/.test(check.stderr ?? '') || check.error) console.warn('!!! nbformat not installed: notebook checked structurally only');
  else throw new Error(`nbformat rejected the notebook: ${check.stderr}`);
}

/** Records a realistic session through the real SessionLog, the way the Session writes it. */
async function recordedSession() {
  const dir = mkdtempSync(join(tmpdir(), 'cc-export-'));
  const png = makePng(4, 3, () => [255, 0, 0]);
  const pngPath = join(dir, 'figure-1.png');
  writeFileSync(pngPath, png);
  const file = {
    id: 'f1',
    session: 's',
    turn: 1,
    name: 'figure-1.png',
    source: 'figure-1.png',
    mime: 'image/png',
    path: pngPath,
    size: png.length,
    sha256: 'x',
    created_at: '',
  };
  const log = SessionLog.create({ model: 'gpt-test', cwd: dir, outDir: dir }, { dir });
  const ev = (e: LoggedEvent) => log.append('event', e);
  log.append('message', { role: 'user', content: 'plot 1,2,3' });
  ev({ type: 'turn_start', turn: 1 });
  ev({ type: 'code_end', turn: 1, callId: 'a', code: 'import matplotlib.pyplot as plt\nplt.plot([1,2,3])\nprint("hi")\n' });
  ev({ type: 'cell_start', turn: 1, callId: 'a' });
  ev({ type: 'cell_output', turn: 1, callId: 'a', stream: 'stdout', text: 'h' });
  ev({ type: 'cell_output', turn: 1, callId: 'a', stream: 'stdout', text: 'i\n' });
  ev({ type: 'cell_image', turn: 1, callId: 'a', mime: 'image/png', width: 4, height: 3, file, bytes: png.length });
  ev({ type: 'file_saved', turn: 1, callId: 'a', file });
  ev({ type: 'cell_result', turn: 1, callId: 'a', text: '[<Line2D>]' });
  ev({ type: 'cell_end', turn: 1, callId: 'a', status: 'ok', durationMs: 5, stateLost: false, modelView: '' });
  ev({ type: 'text', turn: 1, text: 'Here is the **plot**.' });
  log.append('message', { role: 'user', content: 'divide by zero' });
  ev({ type: 'code_end', turn: 2, callId: 'b', code: '1/0' });
  ev({ type: 'cell_start', turn: 2, callId: 'b' });
  ev({
    type: 'cell_error',
    turn: 2,
    callId: 'b',
    ename: 'ZeroDivisionError',
    evalue: 'division by zero',
    traceback: ['Traceback', 'ZeroDivisionError: division by zero'],
  });
  ev({ type: 'cell_end', turn: 2, callId: 'b', status: 'error', durationMs: 5, stateLost: false, modelView: '' });
  log.append('message', { role: 'user', content: 'undone prompt' });
  ev({ type: 'code_end', turn: 3, callId: 'c', code: 'secret = 1' });
  log.append('undo', { keep: 4 });
  log.close();
  return { records: await SessionLog.history(log.id, { dir }), id: log.id, png, dir };
}

describe('exportSession', () => {
  it('writes an nbformat 4 notebook with streams, results, errors and the PNG embedded', async () => {
    const { records, png, dir } = await recordedSession();
    const text = exportSession(records, 'ipynb');
    const nb = JSON.parse(text);
    expect(nb.nbformat).toBe(4);
    const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code');
    expect(code).toHaveLength(2);
    expect(code[0].source.join('')).toBe('import matplotlib.pyplot as plt\nplt.plot([1,2,3])\nprint("hi")');
    expect(code[0].execution_count).toBe(1);
    expect(code[0].outputs.map((o: { output_type: string }) => o.output_type)).toEqual(['stream', 'display_data', 'execute_result']);
    expect(code[0].outputs[0].text.join('')).toBe('hi\n');
    expect(Buffer.from(code[0].outputs[1].data['image/png'], 'base64').equals(png)).toBe(true);
    expect(code[1].outputs[0]).toEqual({
      output_type: 'error',
      ename: 'ZeroDivisionError',
      evalue: 'division by zero',
      traceback: ['Traceback', 'ZeroDivisionError: division by zero'],
    });
    expect(text).not.toContain('secret');
    expectValidNotebook(join(dir, 's.ipynb'), text);
  });

  it('writes Markdown with prompts, fenced code, outputs and image links', async () => {
    const { records, id } = await recordedSession();
    const md = exportSession(records, 'md');
    expect(md).toContain(`# codecell session ${id}`);
    expect(md).toContain('## You\n\nplot 1,2,3');
    expect(md).toContain('```python\nimport matplotlib.pyplot as plt');
    expect(md).toContain('```\nhi\n```');
    expect(md).toMatch(/!\[figure 4×3\]\(.*figure-1\.png\)/);
    expect(md).toContain('Here is the **plot**.');
    expect(md).toContain('*cell error*');
    expect(md).not.toContain('undone prompt');
  });

  it('writes a percent-format Python script that compiles', async () => {
    const { records, dir } = await recordedSession();
    const py = exportSession(records, 'py');
    expect(py).toContain('# %%\nimport matplotlib.pyplot as plt');
    expect(py).toContain('# You: plot 1,2,3');
    const path = join(dir, 's.py');
    writeFileSync(path, py);
    const r = spawnSync('python3', ['-m', 'py_compile', path], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('keeps a fence unbreakable by backticks in output', () => {
    const records = [
      { t: '', kind: 'message', data: { role: 'user', content: 'x' } },
      { t: '', kind: 'event', data: { type: 'code_end', turn: 1, callId: 'a', code: 'print("```")' } },
      { t: '', kind: 'event', data: { type: 'cell_output', turn: 1, callId: 'a', stream: 'stdout', text: '```\n' } },
    ];
    expect(exportSession(historyOf(records), 'md')).toContain('````\n```\n````');
  });

  describe('rich outputs and magics', () => {
    const richRecords = () => {
      const ev = (data: Record<string, unknown>) => ({ t: '', kind: 'event', data });
      const cell = { turn: 1, callId: 'r' };
      const table = { 'text/plain': '   a\n0  1', 'text/html': '<table><tr><td>1</td></tr></table>' };
      return [
        { t: '', kind: 'message', data: { role: 'user', content: 'show me' } },
        ev({ type: 'code_end', ...cell, code: '%matplotlib inline\nfiles = !ls\n!echo hi\ndisplay(df)\ndf' }),
        ev({ type: 'cell_start', ...cell }),
        ev({ type: 'cell_output', ...cell, stream: 'stderr', text: '\r 10%\r 50%\r100%\n' }),
        ev({ type: 'cell_display', ...cell, mime: 'text/plain', text: '   a\n0  1', bundle: table }),
        ev({ type: 'cell_display', ...cell, mime: 'text/markdown', text: 'v1', bundle: { 'text/plain': '<Markdown>', 'text/markdown': 'v1' }, displayId: 'p' }),
        ev({
          type: 'cell_display',
          ...cell,
          mime: 'text/markdown',
          text: '**v2**',
          bundle: { 'text/plain': '<Markdown>', 'text/markdown': '**v2**' },
          displayId: 'p',
          update: true,
        }),
        ev({ type: 'cell_display', ...cell, mime: 'application/json', text: '{"k": 1}', bundle: { 'text/plain': '<JSON>', 'application/json': '{"k": 1}' } }),
        ev({ type: 'cell_result', ...cell, text: '   a\n0  1', bundle: table }),
        ev({ type: 'cell_end', ...cell, status: 'ok', durationMs: 1, stateLost: false, modelView: '' }),
        ev({ type: 'code_end', turn: 1, callId: 'q', code: 'for i in range(3):\n    clear_output(wait=True)\n    print(i)' }),
        ev({ type: 'cell_start', turn: 1, callId: 'q' }),
        ...[0, 1, 2].flatMap((i) => [
          ev({ type: 'cell_clear', turn: 1, callId: 'q', wait: true }),
          ev({ type: 'cell_output', turn: 1, callId: 'q', stream: 'stdout', text: `${i}\n` }),
        ]),
        ev({ type: 'cell_end', turn: 1, callId: 'q', status: 'ok', durationMs: 1, stateLost: false, modelView: '' }),
      ];
    };

    it('puts display_data and execute_result bundles in the notebook, with updates and clears applied', () => {
      const text = exportSession(historyOf(richRecords()), 'ipynb');
      const nb = JSON.parse(text);
      const [first, second] = nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code');
      expect(first.source.join('')).toContain('%matplotlib inline\nfiles = !ls');
      expect(first.outputs).toEqual([
        { output_type: 'stream', name: 'stderr', text: ['100%\n'] },
        { output_type: 'display_data', data: { 'text/plain': ['   a\n', '0  1'], 'text/html': ['<table><tr><td>1</td></tr></table>'] }, metadata: {} },
        { output_type: 'display_data', data: { 'text/plain': ['<Markdown>'], 'text/markdown': ['**v2**'] }, metadata: {} },
        { output_type: 'display_data', data: { 'text/plain': ['<JSON>'], 'application/json': { k: 1 } }, metadata: {} },
        {
          output_type: 'execute_result',
          execution_count: 1,
          data: { 'text/plain': ['   a\n', '0  1'], 'text/html': ['<table><tr><td>1</td></tr></table>'] },
          metadata: {},
        },
      ]);
      expect(second.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: ['2\n'] }]);
      expectValidNotebook(join(mkdtempSync(join(tmpdir(), 'cc-export-')), 'rich.ipynb'), text);
    });

    it('writes magics as get_ipython() calls in .py and renders Markdown displays in .md', () => {
      const py = exportSession(historyOf(richRecords()), 'py');
      expect(py).toContain('get_ipython().run_line_magic("matplotlib", "inline")\nfiles = get_ipython().getoutput("ls")\nget_ipython().system("echo hi")');
      const dir = mkdtempSync(join(tmpdir(), 'cc-export-'));
      writeFileSync(join(dir, 'rich.py'), py);
      const r = spawnSync('python3', ['-m', 'py_compile', join(dir, 'rich.py')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const md = exportSession(historyOf(richRecords()), 'md');
      expect(md).toContain('\n**v2**\n');
      expect(md).toContain('```\n100%\n```');
    });
  });
});
