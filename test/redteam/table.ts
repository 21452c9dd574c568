// Prints the red-team cases as a markdown table for the README: `npx tsx test/redteam/table.ts`.
import { CASES } from './cases.js';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const lines = [
  '| id | category | hostile payload | expected safe outcome (and the next cell works) | test |',
  '|---|---|---|---|---|',
  ...CASES.map((c) => `| ${c.id} | ${c.category} | ${cell(c.payload)} | ${cell(c.expected)} | test/redteam/${c.file} |`),
];
console.log(lines.join('\n'));
