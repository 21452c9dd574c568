import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionLog } from './session-log.js';
import { exportSession } from './export.js';
import { makePng } from '../ui/testing/png.js';
import type { SessionEvent } from '../core/events.js';

/** Records a realistic session through the real SessionLog, the way the Session writes it. */
async function recordedSession() {
  const dir = mkdtempSync(join(tmpdir(), 'cc-export-'));
  const png = makePng(4, 3, () => [255, 0, 0]);
  const pngPath = join(dir, 'figure-1.png');
  writeFileSync(pngPath, png);
  const file = { id: 'f1', session: 's', turn: 1, name: 'figure-1.png', source: 'figure-1.png', mime: 'image/png', path: pngPath, size: png.length, sha256: 'x', created_at: '' };
  const log = SessionLog.create({ model: 'gpt-test', cwd: dir, outDir: dir }, { dir });
  const ev = (e: SessionEvent | Record<string, unknown>) => log.append('event', e);
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
  ev({ type: 'cell_error', turn: 2, callId: 'b', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['Traceback', 'ZeroDivisionError: division by zero'] });
  ev({ type: 'cell_end', turn: 2, callId: 'b', status: 'error', durationMs: 5, stateLost: false, modelView: '' });
  log.append('message', { role: 'user', content: 'undone prompt' });
  ev({ type: 'code_end', turn: 3, callId: 'c', code: 'secret = 1' });
  log.append('undo', { keep: 4 });
  log.close();
  return { records: await SessionLog.read(log.id, { dir }), id: log.id, png, dir };
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
    expect(code[1].outputs[0]).toEqual({ output_type: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['Traceback', 'ZeroDivisionError: division by zero'] });
    expect(text).not.toContain('secret');
    // Jupyter's own validator, where it is installed (Debian: python3-nbformat).
    const nbPath = join(dir, 's.ipynb');
    writeFileSync(nbPath, text);
    const check = spawnSync('/usr/bin/python3', ['-c', 'import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print("valid")', nbPath], { encoding: 'utf8' });
    if (check.status === 0) expect(check.stdout.trim()).toBe('valid');
    else if (/No module named/.test(check.stderr ?? '') || check.error) console.warn('!!! nbformat not installed: notebook checked structurally only');
    else throw new Error(`nbformat rejected the notebook: ${check.stderr}`);
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
    expect(exportSession(records, 'md')).toContain('````\n```\n````');
  });
});
