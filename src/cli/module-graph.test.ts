// What each command line loads before it answers: help and --version must not pull in Ink, the model SDK,
// the Docker client, image decoding, markdown or highlighting (they cost seconds of launch together).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../test/support/cli.js';

/** Packages too heavy for a launch that does not use them. */
const HEAVY = [
  'ink',
  'react',
  'openai',
  'dockerode',
  'docker-modem',
  'ssh2',
  'terminal-image',
  'jimp',
  'marked',
  'marked-terminal',
  'cli-highlight',
  'highlight.js',
  'conf',
  'ajv',
  'zod',
  'sixel',
];

/**
 * Heavy packages a command line may load, when it needs them to answer. Every command `codecell --help`
 * lists is checked with `<command> --help` (a new command is covered without an entry here); add an
 * entry only when a command's help truly needs a package, and say why.
 */
const ALLOWED: Record<string, string[]> = {
  '--version': [],
  '--help': [],
};

const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const RECORDER = path.join(ROOT, 'test', 'support', 'record-modules.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-graph-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The packages (from node_modules) loaded by `codecell <args>`, run from the compiled modules (not the bundle, whose chunks hide package names). */
function packagesLoaded(args: string[]): { packages: Set<string>; stdout: string } {
  const log = path.join(tmp, `${args.join('_').replace(/[^\w-]/g, '')}.json`);
  const r = spawnSync(process.execPath, ['--import', RECORDER, MAIN, ...args], {
    env: { ...process.env, CODECELL_MODULE_LOG: log, CODECELL_HOME: tmp, CODECELL_CONFIG_DIR: path.join(tmp, 'config') },
    encoding: 'utf8',
  });
  expect(r.status, `codecell ${args.join(' ')}: ${r.stderr}`).toBe(0);
  const urls = JSON.parse(fs.readFileSync(log, 'utf8')) as string[];
  const packages = new Set<string>();
  for (const url of urls) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) packages.add(m[1]!);
  }
  return { packages, stdout: r.stdout };
}

function heavyIn(packages: Set<string>, allowed: string[]): string[] {
  return HEAVY.filter((p) => packages.has(p) && !allowed.includes(p));
}

describe('module graph of the launch (compiled CLI)', () => {
  it('--version loads no heavy package', () => {
    const { packages, stdout } = packagesLoaded(['--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(heavyIn(packages, ALLOWED['--version']!)).toEqual([]);
  });

  const help = packagesLoaded(['--help']);
  const commands = [...help.stdout.slice(help.stdout.indexOf('Commands:')).matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');

  it('--help lists every command and loads no heavy package', () => {
    expect(commands).toEqual(expect.arrayContaining(['chat', 'run', 'batch', 'exec', 'sandbox', 'config', 'sessions']));
    expect(heavyIn(help.packages, ALLOWED['--help']!)).toEqual([]);
  });

  it.each(commands)('%s --help loads only the heavy packages its help needs', (command) => {
    const key = `${command} --help`;
    const { packages, stdout } = packagesLoaded([command, '--help']);
    expect(stdout).toContain(`Usage: codecell ${command}`);
    expect(heavyIn(packages, ALLOWED[key] ?? [])).toEqual([]);
  });

  it('the check itself sees a heavy package when one is loaded', () => {
    // `config list` loads the key table: the recorder must report zod, or every test above proves nothing.
    const { packages } = packagesLoaded(['config', 'list']);
    expect(heavyIn(packages, [])).toContain('zod');
  });
});
