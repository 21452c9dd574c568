// End to end: IPython cells (magics, shell lines, display(), progress bars) through `codecell run --json` and `exec`, built CLI, fake model, real sandbox.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { jsonLines } from '../support/cli.js';
import { jsonLine, type JsonLine } from '../../src/render/json-events.js';
import { codecellRun, pinnedImage, runChild, toolMessages, useCliFixture } from './harness.js';

const docker = await engineOrSkip();

const CELL = [
  '%matplotlib inline',
  'import matplotlib.pyplot as plt, pandas as pd',
  'from IPython.display import display, Markdown, HTML',
  'display(Markdown("## Report"))',
  'display(HTML("<table><tr><th>city</th><th>n</th></tr><tr><td>Oslo</td><td>3</td></tr></table>"))',
  'df = pd.DataFrame({"n": [1, 2]})',
  'display(df)',
  'import sys',
  'for i in range(0, 101, 25):',
  '    sys.stderr.write(f"\\r{i:3d}%|{\'#\' * (i // 25)}")',
  'sys.stderr.write("\\n")',
  '!echo from the shell',
  'plt.plot([1, 2, 3]);',
].join('\n');

describe.skipIf(!docker)('IPython cells through the CLI', () => {
  const cli = useCliFixture(docker!);

  it('run --json carries display events with their bundles; the model reads text, a note for the image and the final progress line', async () => {
    const s = await cli.serve({ script: [[{ toolCall: { code: CELL } }], [{ text: 'Done.' }]] });
    const r = await codecellRun(s, cli.home, ['report', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout).map((l) => {
      const parsed = jsonLine.safeParse(l);
      expect(parsed.success, JSON.stringify(l).slice(0, 300)).toBe(true);
      return parsed.data as JsonLine;
    });
    const displays = lines.flatMap((l) => (l.stream_type === 'display' ? [l] : []));
    expect(displays.map((d) => d.mime)).toEqual(['text/markdown', 'text/html', 'text/plain']);
    expect(displays[0]!.content).toBe('## Report');
    expect(displays[1]!.content).toBe('city  n\nOslo  3');
    expect(displays[1]!.bundle['text/html']).toContain('<table>');
    expect(displays[2]!.bundle['text/html']).toContain('dataframe');
    const image = lines.find((l) => l.stream_type === 'code_execution' && l.chunk.type === 'code_interpreter_stream');
    expect(image).toMatchObject({ chunk: { content: { mime_type: 'image/png', text: '<Figure size 640x480 with 1 Axes>' } } });

    const view = toolMessages(s.requests[1])[0]!;
    expect(view).toContain('## Report');
    expect(view).toContain('city  n\nOslo  3');
    expect(view).toContain('   n\n0  1\n1  2');
    expect(view).toContain('from the shell');
    expect(view).toContain('100%|####');
    expect(view).not.toContain(' 25%');
    expect(view).toMatch(/figure\(s\) shown to the user and saved: figure-1-1\.png/);
    expect(view).not.toContain('Line2D');
    expect(view).not.toContain('iVBORw0KGgo');
    const end = lines.find((l) => l.stream_type === 'cell_end');
    expect(end).toMatchObject({ status: 'ok', model_view: view });
  });

  it('exec prints display text and the final state of a progress bar into a pipe', async () => {
    const r = await runChild(['exec', '-', '--out-dir', cli.home.outDir], { ...cli.home.env, CODECELL_IMAGE: pinnedImage() }, { input: CELL });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('## Report\ncity  n\nOslo  3\n   n\n0  1\n1  2\n');
    expect(r.stdout).toContain('from the shell\n');
    expect(r.stderr).toContain('100%|####\n');
    expect(r.stderr).not.toContain(' 25%');
    expect(fs.readdirSync(cli.home.outDir).filter((f) => f.endsWith('.png'))).toHaveLength(1);
  });

  it('run fails pip install fast without a network and tells the model how to get more', async () => {
    const s = await cli.serve({ script: [[{ toolCall: { code: '%pip install polars' } }], [{ text: 'No network.' }]] });
    const started = performance.now();
    const r = await codecellRun(s, cli.home, ['install polars']);
    expect(r.code, r.stderr).toBe(0);
    expect(performance.now() - started).toBeLessThan(60_000);
    const view = toolMessages(s.requests[1])[0]!;
    expect(view).toContain('this sandbox has no network');
    expect(view).toContain('polars is not installed');
    expect(view).toContain('--network');
  });
});
