#!/usr/bin/env node
// Entry point: runs the bundled CLI (dist/bundle, from `npm run build`), or the compiled modules in
// dist/cli when there is no bundle (CODECELL_UNBUNDLED=1 forces them, e.g. to debug with real file names).
import { readFileSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// `codecell --version` is answered here, as commander would answer it, without loading the CLI.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}

// The chat runs with a young generation of at most 2 MB: its resident memory stays about 20 MB lower once
// a long transcript has been drawn, for a few more short garbage collections. Only the chat: any heap flag
// makes Node compile its own modules again (their built-in code cache is made for the default flags),
// which costs every other command 10 % of its start. The process replaces itself (same pid, same
// terminal); where it cannot (Node without process.execve), the chat runs without the flag.
const SEMI_SPACE = '--max-semi-space-size=2';
const commandWords = ['run', 'batch', 'exec', 'sandbox', 'config', 'sessions', 'doctor', 'help'];
// (The terminal checks come last: touching process.stdin costs other commands time.)
const isChat =
  !commandWords.includes(args[0]) &&
  !args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V') &&
  process.stdin.isTTY &&
  process.stdout.isTTY;
if (isChat && !process.execArgv.includes(SEMI_SPACE) && typeof process.execve === 'function' && process.env.CODECELL_REEXEC !== '0') {
  process.execve(process.execPath, [process.execPath, SEMI_SPACE, ...process.execArgv, fileURLToPath(import.meta.url), ...args], process.env);
}

// Node keeps V8's compiled code for the bundle in its cache folder: later launches skip most parsing.
// CODECELL_COMPILE_CACHE=0 turns it off; NODE_COMPILE_CACHE=<dir> chooses the folder.
if (process.env.CODECELL_COMPILE_CACHE !== '0') {
  try {
    module.enableCompileCache?.();
  } catch {
    // a read-only or full disk only costs speed
  }
}

// Stack traces (CODECELL_DEBUG) name the TypeScript sources, not the minified bundle.
if (process.env.CODECELL_DEBUG) process.setSourceMapsEnabled(true);

const notBuilt = (err) => err && err.code === 'ERR_MODULE_NOT_FOUND' && /dist\/(bundle|cli)\/main\.js/.test(String(err.message));

// `codecell [command...] --help`: answered from the help table built with the bundle, when it has the command.
const helpAsked = args.length > 0 && (args.at(-1) === '--help' || args.at(-1) === '-h');

async function start() {
  if (process.env.CODECELL_UNBUNDLED !== '1') {
    if (helpAsked) {
      try {
        if ((await import('../dist/bundle/help.js')).printHelp(args)) return;
      } catch (err) {
        if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
      }
    }
    try {
      return await import('../dist/bundle/main.js');
    } catch (err) {
      if (!notBuilt(err) || !String(err.message).includes('dist/bundle/main.js')) throw err;
    }
  }
  return import('../dist/cli/main.js');
}

start().catch((err) => {
  if (notBuilt(err)) {
    process.stderr.write('codecell: the CLI is not built yet. Run `npm run build` in the codecell folder.\n');
    process.exit(2);
  }
  throw err;
});
