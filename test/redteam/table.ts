// Prints the red-team cases as a markdown table for the README, one column per backend: `npx tsx test/redteam/table.ts`.
import { BACKEND_NOTES, CASES } from './cases.js';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const lines = [
  '| id | category | hostile payload | expected safe outcome (and the next cell works) | Docker | Podman | bubblewrap | firejail | test |',
  '|---|---|---|---|---|---|---|---|---|',
  ...CASES.map(
    (c) =>
      `| ${c.id} | ${c.category} | ${cell(c.payload)} | ${cell(c.expected)} | held | ${cell(BACKEND_NOTES.podman[c.id] ?? 'held')} | ${cell(BACKEND_NOTES.bubblewrap[c.id] ?? 'held')} | ${cell(BACKEND_NOTES.firejail[c.id] ?? 'held')} | test/redteam/${c.file} |`,
  ),
];
console.log(lines.join('\n'));
