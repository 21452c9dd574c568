// The help answered from the table built with the bundle must be the help commander prints: same text at
// every width, for every command, and the fast path must not load the CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../../test/support/cli.js';
import { printHelp } from './fast-help.js';
import { captureHelp, formatLayout, type HelpLayout } from './help-layout.js';
import { commandAt, helpTable } from './help-table.js';
import { buildProgram, COMMANDS } from './program.js';
import { README_PATH } from './version.js';

const TABLE = path.join(ROOT, 'dist', 'bundle', 'help.json');
const BIN = path.join(ROOT, 'bin', 'codecell.js');
const WIDTHS = [0, 20, 39, 40, 50, 64, 80, 100, 120, 160, 250];

function shipped(): Record<string, HelpLayout> {
  expect(fs.existsSync(TABLE), 'dist/bundle/help.json is missing: run `npm run build`').toBe(true);
  return JSON.parse(fs.readFileSync(TABLE, 'utf8')) as Record<string, HelpLayout>;
}

/** The command `codecell <words> --help` describes, from the program that command line builds. */
async function realCommand(words: string[]): Promise<Command> {
  const program = await buildProgram(['node', 'codecell', ...words, '--help']);
  const cmd = commandAt(program, words);
  expect(cmd, `no command ${words.join(' ')}`).toBeDefined();
  return cmd!;
}

describe('help table', () => {
  it('has every command of the program (rebuild with `npm run build` when this fails)', async () => {
    expect(Object.keys(shipped()).sort()).toEqual(Object.keys(await helpTable()).sort());
  });

  it('lays out every command exactly as commander does, at every width', async () => {
    const table = shipped();
    for (const [key, layout] of Object.entries(table)) {
      const cmd = await realCommand(key ? key.split(' ') : []);
      for (const width of WIDTHS) {
        expect(formatLayout(layout, width, README_PATH), `codecell ${key} --help at ${width} columns`).toBe(captureHelp(cmd, width));
      }
    }
  });
});

describe('printHelp', () => {
  const tableUrl = new URL(`file://${TABLE}`);
  const written: string[] = [];
  const stdout = process.stdout as { isTTY?: boolean; columns?: number };
  const saved = { isTTY: stdout.isTTY, columns: stdout.columns };
  afterEach(() => {
    vi.restoreAllMocks();
    Object.assign(stdout, saved);
    written.length = 0;
  });
  const capture = (): void =>
    void vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      written.push(String(s));
      return true;
    });

  it("uses the terminal's width the way commander does", async () => {
    for (const [isTTY, columns] of [
      [true, 57],
      [true, 132],
      [false, 57],
    ] as const) {
      Object.assign(stdout, { isTTY, columns });
      capture();
      expect(printHelp(['sandbox', '--help'], tableUrl)).toBe(true);
      const cmd = await realCommand(['sandbox']);
      let real = '';
      cmd.configureOutput({
        writeOut: (s) => {
          real += s;
        },
      });
      cmd.outputHelp();
      vi.restoreAllMocks();
      expect(written.join(''), `isTTY ${isTTY}, ${columns} columns`).toBe(real);
      written.length = 0;
    }
  });

  it('declines anything but command words followed by --help or -h', () => {
    capture();
    for (const args of [
      [],
      ['run'],
      ['--help', 'run'],
      ['run', '--model', 'x', '--help'],
      ['help', '--help'],
      ['constructor', '--help'],
      ['nosuch', '-h'],
      ['run', '--help', 'x'],
    ]) {
      expect(printHelp(args, tableUrl), args.join(' ')).toBe(false);
    }
    expect(printHelp(['--help'], new URL('file:///nonexistent/help.json'))).toBe(false);
    expect(written).toEqual([]);
  });
});

describe('the binary', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-help-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, args, { env: { ...process.env, CODECELL_HOME: tmp, ...env }, encoding: 'utf8' });

  it('knows every command, so only the chat gets its memory flag (a heap flag slows every other start)', () => {
    const source = fs.readFileSync(BIN, 'utf8');
    const listed = /const commandWords = \[([^\]]*)\]/.exec(source)?.[1];
    expect(listed, 'commandWords in bin/codecell.js').toBeDefined();
    const words = [...listed!.matchAll(/'([\w-]+)'/g)].map((m) => m[1]);
    expect(words.sort()).toEqual([...Object.keys(COMMANDS).filter((c) => c !== 'chat'), 'help'].sort());
  });

  it('answers help without loading the CLI, with the same text and status as the CLI', () => {
    for (const words of [[], ['run'], ['config'], ['sandbox', 'build']]) {
      for (const flag of ['--help', '-h']) {
        const log = path.join(tmp, 'modules.json');
        const fast = run(['--import', path.join(ROOT, 'test', 'support', 'record-modules.mjs'), BIN, ...words, flag], { CODECELL_MODULE_LOG: log });
        const cli = run([BIN, ...words, flag], { CODECELL_UNBUNDLED: '1' });
        expect(fast.status).toBe(0);
        expect(cli.status).toBe(0);
        expect(fast.stdout).toBe(cli.stdout);
        expect(fast.stderr).toBe(cli.stderr);
        const loaded = JSON.parse(fs.readFileSync(log, 'utf8')) as string[];
        expect(loaded.filter((u) => /dist\/(bundle\/main|cli\/main)\.js$/.test(u))).toEqual([]);
      }
    }
  });
});
