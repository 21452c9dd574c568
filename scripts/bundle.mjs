// Bundles the compiled CLI (dist/) into dist/bundle/: one minified entry and lazily loaded chunks, which
// bin/codecell.js runs. Loading ~1,500 separate modules from node_modules was most of the launch time.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lazyRequires, SEPARATE } from './lazy-requires.mjs';

/** What both bundles share: minified ESM for Node 22 in dist/bundle/. */
const common = {
  outdir: 'dist/bundle',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  // Stack traces map back to the sources through the linked source maps (bin/codecell.js turns them on
  // under CODECELL_DEBUG); keepNames would cost a call per function at load.
  sourcemap: 'linked',
  // Stack traces need file names and lines only; the sources themselves would triple the package.
  sourcesContent: false,
  logLevel: 'warning',
};

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { main: 'dist/cli/main.js' },
  // Each `await import()` stays a separate chunk, loaded only when reached.
  splitting: true,
  // Chunks sit beside main.js: code that finds guest/ and package.json relative to its own file
  // (two folders up from dist/cli/…) finds them from dist/bundle/… too.
  chunkNames: '[name]-[hash]',
  // React picks its production build from NODE_ENV when first loaded; decided at run time (see chat).
  // Optional native add-ons of ssh2 (via dockerode); it falls back to JavaScript without them.
  // ink loads react-devtools-core only under DEV=true; it is not a dependency.
  // sixel's bundled PNG decoder assigns an undeclared global, which strict ESM refuses: loaded from node_modules.
  // BuildKit's session code (gRPC, protobuf) is required from node_modules on first use (lazy-requires.mjs).
  external: ['cpu-features', '*.node', 'react-devtools-core', 'sixel', ...SEPARATE],
  // CommonJS packages call require() and read __dirname/__filename; an ESM bundle has none of its own.
  banner: {
    js:
      "import{createRequire as __cc_cr}from'node:module';import{fileURLToPath as __cc_fu}from'node:url';import{dirname as __cc_dn}from'node:path';" +
      // Made on first use: most chunks never call require, and making one starts Node's CommonJS loader.
      'var __cc_rq;const require=Object.assign((id)=>(__cc_rq??=__cc_cr(import.meta.url))(id),{resolve:(id,o)=>(__cc_rq??=__cc_cr(import.meta.url)).resolve(id,o)});' +
      'const __filename=__cc_fu(import.meta.url);const __dirname=__cc_dn(__filename);',
  },
  plugins: [lazyRequires],
  metafile: false,
});

// `codecell [command...] --help` answered from the table below without loading the CLI (bin/codecell.js):
// one file, with only commander's Help class (lib/help.js needs nothing else), not all of commander.
const helpOnly = {
  name: 'commander-help-only',
  setup(b) {
    b.onResolve({ filter: /^commander$/ }, () => ({ path: fileURLToPath(new URL('../node_modules/commander/lib/help.js', import.meta.url)) }));
  },
};
await build({ ...common, entryPoints: { help: 'dist/cli/fast-help.js' }, plugins: [helpOnly] });

// The help of every command, laid out by the real program, for dist/bundle/help.js
// (src/cli/help-layout.test.ts checks it against commander's output).
const { helpTable } = await import('../dist/cli/help-table.js');
writeFileSync('dist/bundle/help.json', JSON.stringify(await helpTable()));
