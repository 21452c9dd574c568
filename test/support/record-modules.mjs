// Loaded with `node --import` by the module-graph test: writes every module URL the program loaded to
// $CODECELL_MODULE_LOG when it exits (synchronous loader hooks, Node >= 22.15).
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';

const out = process.env.CODECELL_MODULE_LOG;
if (!out) throw new Error('record-modules.mjs needs CODECELL_MODULE_LOG');
const loaded = new Set();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => writeFileSync(out, JSON.stringify([...loaded])));
