// The build progress printer: plain lines off a terminal, one redrawn status line on one, never raw escapes.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressPrinter, plainLine } from './build-progress.js';

function sink(columns?: number): { out: PassThrough & { columns?: number }; text: () => string } {
  const out = new PassThrough() as PassThrough & { columns?: number };
  out.columns = columns;
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { out, text: () => chunks.join('') };
}

describe('plainLine', () => {
  it('drops escape sequences and control bytes from container output', () => {
    const hostile = 'a\u001b]52;c;ZXZpbA==\u0007b\u001b[31mc\u001b[0m\u009b2Jd\re\u001b_Gkitty\u001b\\f\u0000g';
    // The bare \r overwrites what came before it, as it would on a terminal.
    expect(plainLine(hostile)).toBe('efg');
    expect(plainLine(hostile.replace('\r', ''))).toBe('abcdefg');
  });

  it('truncates to the width with an ellipsis', () => {
    expect(plainLine('0123456789', 5)).toBe('0123…');
    expect(plainLine('01234', 5)).toBe('01234');
  });
});

describe('createProgressPrinter', () => {
  it('prints plain lines when not on a terminal: phases, steps, indented output, one line per layer state', () => {
    const { out, text } = sink();
    const printer = createProgressPrinter(out, { live: false, env: {} });
    printer.onProgress({ type: 'phase', text: 'pulling debian:trixie-slim' });
    printer.onProgress({ type: 'layer', id: 'l1', status: 'Downloading', current: 1, total: 10 });
    printer.onProgress({ type: 'layer', id: 'l1', status: 'Downloading', current: 5, total: 10 });
    printer.onProgress({ type: 'layer', id: 'l1', status: 'Pull complete' });
    printer.onProgress({ type: 'step', step: 4, total: 16, text: 'RUN apt-get update' });
    printer.onProgress({ type: 'output', text: 'Get:1 http://deb.debian.org \u001b[31mred' });
    printer.onProgress({ type: 'done', ref: 'codecell-sandbox:abc', id: 'sha256:1', built: true, ms: 41_500 });
    printer.close();
    expect(text()).toBe(
      [
        'codecell: pulling debian:trixie-slim',
        '  l1: Downloading',
        '  l1: Pull complete',
        'Step 4/16 : RUN apt-get update',
        '  Get:1 http://deb.debian.org red',
        'codecell: image codecell-sandbox:abc built in 42 s',
        '',
      ].join('\n'),
    );
  });

  it('keeps one live status line on a terminal, with the latest output dimmed and cut to the width', () => {
    const { out, text } = sink(60);
    const printer = createProgressPrinter(out, { live: true, env: {} });
    printer.onProgress({ type: 'step', step: 2, total: 9, text: 'RUN apt-get install ' + 'python3-x '.repeat(20) });
    printer.onProgress({ type: 'output', text: 'Unpacking python3-numpy (1:2.2.4) ... ' + 'x'.repeat(100) });
    printer.onProgress({ type: 'step', step: 3, total: 9, text: 'USER 1000' });
    printer.close();
    const screen = text();
    // Step lines are permanent and fit the terminal.
    const permanent = screen.split('\n').map((l) => l.replace(/^[\s\S]*\u001b\[2K/, ''));
    expect(permanent).toContain('\u001b[1mStep 2/9\u001b[22m : RUN apt-get install python3-x python3-x python3…');
    expect(permanent.some((l) => l.startsWith('\u001b[1mStep 3/9'))).toBe(true);
    // The live line is redrawn in place (carriage return + erase line), never scrolled.
    expect(screen).toContain('\r\u001b[2K');
    expect(screen).toMatch(/\[2\/9\] 0s {2}\u001b\[2mUnpacking python3-numpy/);
    // close() erases the live line last.
    expect(screen.endsWith('\r\u001b[2K')).toBe(true);
  });

  it('says nothing when the image was simply there', () => {
    const { out, text } = sink();
    const printer = createProgressPrinter(out, { live: false, env: {} });
    printer.onProgress({ type: 'done', ref: 'codecell-sandbox:abc', id: 'sha256:1', built: false, ms: 3 });
    printer.close();
    expect(text()).toBe('');
  });
});
