// Red team, output: endless output, a gigantic line, binary bytes, and escape sequences on the way to the terminal.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sandboxEngineOrSkip } from '../support/engine.js';
import { PlainRenderer } from '../../src/render/plain.js';
import { caseName } from './cases.js';
import { MiB, expectNextCellWorks, notices, result, runCollect, useHostileSandbox } from './hostile.js';

const docker = await sandboxEngineOrSkip();

describe.skipIf(!docker)('red team: output', () => {
  const box = useHostileSandbox(docker!);

  for (const [id, code] of [
    ['O01', 'kept = 1\nwhile True:\n    print("x" * 100)'],
    ['O02', 'import sys\nkept = 1\nsys.stdout.write("y" * 10_000_000)\nimport time\ntime.sleep(30)'],
  ] as const) {
    it(caseName(id), async () => {
      global.gc?.();
      const rss = process.memoryUsage().rss;
      let peak = rss;
      const out = await runCollect(box.sandbox, code, { timeoutMs: 20_000, onEvent: () => (peak = Math.max(peak, process.memoryUsage().rss)) });
      expect(out.status).toBe('output_limit');
      expect(out.stateLost).toBe(false);
      expect(Buffer.byteLength(out.stdout)).toBeLessThanOrEqual(1 * MiB);
      expect(Buffer.byteLength(out.stdout)).toBeGreaterThan(0.9 * MiB);
      expect(notices(out)).toContain('output passed the 1 MiB limit; the rest was dropped and the cell was interrupted');
      expect(peak - rss).toBeLessThan(100 * MiB);
      expect(result(await runCollect(box.sandbox, 'kept'))).toBe('1');
      await expectNextCellWorks(box.sandbox);
    }, 40_000);
  }

  it(caseName('O03'), async () => {
    const out = await runCollect(
      box.sandbox,
      'import os, sys, subprocess\nos.write(1, bytes(range(256)) + b"\\n")\nos.write(2, b"\\xff\\xfe\\xc3(\\n")\nsys.stdout.buffer.write(b"\\x80abc\\n")\nsubprocess.run("head -c 4096 /dev/urandom", shell=True)\nprint("\\nend")',
    );
    expect(out.status).toBe('ok');
    expect(out.stdout).toContain('\ufffd');
    expect(out.stdout).toContain('\ufffdabc\n');
    expect(out.stdout.endsWith('\nend\n')).toBe(true);
    expect(out.stderr).toBe('\ufffd\ufffd\ufffd(\n');
    await expectNextCellWorks(box.sandbox);
  });

  it(caseName('O04'), async () => {
    const hostile = [
      '"\\x1b]52;c;ZWNobyBwd25lZA==\\x07"', // OSC 52 clipboard write
      '"\\x1b]0;evil title\\x07"', // window title
      '"\\x1b]8;;https://evil.example\\x1b\\\\link\\x1b]8;;\\x1b\\\\"', // hyperlink
      '"\\x1b[2J\\x1b[H\\x1b[10A\\x1b[?1049h"', // clear, home, cursor up, alternate screen
      '"\\x1b_Gi=1;AAAA\\x1b\\\\"', // kitty APC
      '"\\x1bP+q544e\\x1b\\\\"', // DCS
      '"\\u009b31m\\u009d0;c1 title\\u0007"', // C1 CSI and OSC
      '"fake progress\\rOVERWRITTEN"',
      '"\\x1b[31mred\\x1b[0m"', // plain colour: allowed
    ];
    const out = await runCollect(
      box.sandbox,
      `import sys\nfor s in [${hostile.join(', ')}]:\n    print(s)\n    print(s, file=sys.stderr)\n${hostile.join(' + ')}`,
    );
    expect(out.status).toBe('ok');
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let screen = '';
    stdout.on('data', (d: Buffer) => (screen += d.toString()));
    stderr.on('data', (d: Buffer) => (screen += d.toString()));
    const renderer = new PlainRenderer({
      stdout,
      stderr,
      stdoutIsTTY: true,
      stderrIsTTY: true,
      color: true,
      images: false,
      quiet: false,
      verbose: false,
      cellStdoutTo: 'stdout',
    });
    for (const e of out.events) {
      if (e.type === 'stdout' || e.type === 'stderr') await renderer.handle({ type: 'cell_output', turn: 1, callId: 'c', stream: e.type, text: e.text });
    }
    const printed = screen;
    // The repr of the last expression shows the escapes as inert text (\x1b), which is fine.
    await renderer.handle({ type: 'cell_result', turn: 1, callId: 'c', text: result(out)! });
    expect(out.stdout).toContain('\x1b]52;'); // the raw output really was hostile
    expect(screen).toContain('red');
    expect(screen).toContain('OVERWRITTEN');
    // Nothing but SGR may start with ESC; no C1, BEL, bare CR or other C0 besides \n and \t. The one
    // exception is the renderer's own repaint for a bare CR on a terminal (CR + erase line), which it
    // writes itself between sanitized pieces, so a progress bar stays one line.
    expect(screen.replace(/\r\x1b\[2K/g, '').replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(screen).toContain("'\\x1b]52;c;");
    expect(printed).not.toContain('ZWNobyBwd25lZA==');
    expect(printed).not.toContain('evil title');
    await expectNextCellWorks(box.sandbox);
  });
});
