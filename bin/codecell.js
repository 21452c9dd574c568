#!/usr/bin/env node
// Entry point: load the compiled CLI (run `npm run build` first when working from a checkout).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('codecell: the CLI is not built yet. Run `npm run build` in the codecell folder.\n');
    process.exit(2);
  }
  throw err;
});
