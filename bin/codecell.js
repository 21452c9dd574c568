#!/usr/bin/env -S node --max-semi-space-size=2
// (The flag: a young generation of at most 2 MB keeps the chat's resident memory about 30 MB lower once a
// long transcript has been drawn, at the cost of a few more short garbage collections.)
// Entry point: runs the bundled CLI (dist/bundle, from `npm run build`), or the compiled modules in
// dist/cli when there is no bundle (CODECELL_UNBUNDLED=1 forces them, e.g. to debug with real file names).
import { readFileSync } from 'node:fs';
import module from 'node:module';

// `codecell --version` is answered here, as commander would answer it, without loading the CLI.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
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
