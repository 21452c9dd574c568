import { describe, expect, it } from 'vitest';
import { headTail, modelView } from './model-view.js';
import { runCell } from './cell-runner.js';
import type { Sandbox } from '../sandbox/types.js';
import type { ManifestEntry } from '../store/types.js';
import { makePng } from '../ui/testing/png.js';

describe('headTail', () => {
  it('returns short text unchanged', () => {
    expect(headTail('abc', 10)).toBe('abc');
  });
  it('keeps head and tail and says how much was cut and where the rest is', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n');
    const out = headTail(text, 200, '/tmp/full.txt');
    expect(out.startsWith('line 0\n')).toBe(true);
    expect(out.endsWith('line 999')).toBe(true);
    expect(out).toMatch(/characters \(\d+ lines\) omitted; full output saved at \/tmp\/full.txt/);
    expect(out.length).toBeLessThan(320);
  });
});

describe('modelView', () => {
  it('includes output, result, traceback, figures and files', () => {
    const view = modelView(
      {
        status: 'error',
        output: 'hello\n',
        result: '42',
        error: { ename: 'ValueError', evalue: 'bad', traceback: ['Traceback', 'ValueError: bad'] },
        files: [{ source: 'out/a.csv', name: 'a.csv' }],
        images: ['figure-1.png'],
      },
      8000,
    );
    expect(view).toContain('hello');
    expect(view).toContain('Out: 42');
    expect(view).toContain('ValueError: bad');
    expect(view).toContain('/mnt/data/out/a.csv');
    expect(view).toContain('figure-1.png');
  });

  it('never gives the model the bytes of a figure or a saved image, only their names', async () => {
    const png = makePng(40, 30, (x, y) => [x * 6, y * 8, 128]);
    const base64 = png.toString('base64');
    const sandbox = {
      state: 'ready',
      async run(_code: string, opts: { onEvent?: (e: never) => void } = {}) {
        const emit = opts.onEvent as (e: unknown) => void;
        emit({ type: 'stdout', text: 'drawn\n' });
        emit({ type: 'image', mime: 'image/png', data: png, width: 40, height: 30, text: '<Figure size 40x30>' });
        emit({ type: 'file', file: { name: 'out/chart.png', data: png, sha256: 'x' } });
        return { status: 'ok', count: 1, durationMs: 1, stateLost: false };
      },
    } as unknown as Sandbox;
    const saved: ManifestEntry[] = [];
    const files = {
      outDir: '/out',
      async save(f: { turn: number; source: string; data: Buffer; mime?: string }) {
        const name = f.source.split('/').pop()!;
        const entry = { id: `f${saved.length}`, session: 's', turn: f.turn, name, source: f.source, mime: f.mime ?? 'image/png', path: `/out/${name}` };
        saved.push({ ...entry, size: f.data.length, sha256: '', created_at: '' });
        return saved[saved.length - 1]!;
      },
      list: () => saved,
    };
    const cell = runCell({ sandbox, files, turn: 1, callId: 'c', code: 'plot()', modelOutputChars: 8000 });
    let step = await cell.next();
    const events: unknown[] = [];
    while (!step.done) {
      events.push(step.value);
      step = await cell.next();
    }
    const view = step.value.view;
    // The user's side does carry the picture; the model's side names it.
    expect(events).toContainEqual(expect.objectContaining({ type: 'cell_image', data: png }));
    expect(view).toContain('drawn');
    expect(view).toContain('figure-1-1.png');
    expect(view).toContain('/mnt/data/out/chart.png');
    expect(view).not.toContain(base64.slice(0, 40));
    expect(view).not.toContain(base64.slice(-40));
    expect(view).not.toContain('iVBOR');
  });
  it('tells the model when the user skipped a cell', () => {
    expect(modelView({ status: 'skipped', output: '', files: [], images: [] }, 100)).toMatch(/chose not to run/);
  });
});
