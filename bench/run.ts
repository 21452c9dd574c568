// `npm run bench`: runs each benchmark in its own process (so memory figures are its own), one after another.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const suites = ['launch', 'sandbox', 'agent', 'ui', 'batch', 'extras', 'onboarding', 'fidelity'];

let failed = 0;
let ran = 0;
for (const name of suites) {
  if (only.length && !only.includes(name)) continue;
  const file = path.join(here, `${name}.ts`);
  if (!fs.existsSync(file)) continue;
  console.log(`\n== ${name} ==`);
  const tsx = path.join(here, '..', 'node_modules', '.bin', 'tsx');
  const r = spawnSync(tsx, [file], { stdio: 'inherit' });
  ran++;
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${name} failed (exit ${r.status ?? r.signal})`);
  }
}
console.log(`\n${ran - failed} benchmark(s) done, ${failed} failed`);
process.exit(failed ? 1 : 0);
