// `npm run bench`: runs every benchmark in one process, one after another, and prints their tables.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);

const suites: { name: string; file: string; fn: string }[] = [
  { name: 'sandbox', file: 'sandbox.ts', fn: 'benchSandbox' },
  { name: 'agent', file: 'agent.ts', fn: 'benchAgent' },
  { name: 'ui', file: 'ui.ts', fn: 'benchUi' },
  { name: 'batch', file: 'batch.ts', fn: 'benchBatch' },
];

const tables: string[] = [];
let failed = 0;
for (const s of suites) {
  if (only.length && !only.includes(s.name)) continue;
  if (!fs.existsSync(path.join(here, s.file))) continue;
  console.log(`\n== ${s.name} ==`);
  try {
    const mod = (await import(`./${s.file}`)) as Record<string, () => Promise<string>>;
    const fn = mod[s.fn];
    if (!fn) throw new Error(`bench/${s.file} does not export ${s.fn}`);
    tables.push(await fn());
  } catch (err) {
    failed++;
    console.error(`bench ${s.name} failed:`, err);
  }
}
console.log(`\n${tables.length} benchmark(s) done, ${failed} failed`);
process.exit(failed ? 1 : 0);
