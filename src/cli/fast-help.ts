// `codecell [command...] --help` answered from the help table built with the bundle (dist/bundle/help.json),
// without loading the commands: bin/codecell.js tries this first and runs the CLI when it returns false.
import { readFileSync } from 'node:fs';
import { formatLayout, type HelpLayout } from './help-layout.js';
import { README_PATH } from './version.js';

/**
 * Prints the help `args` ask for and returns true, when they are exactly command words followed by
 * --help or -h and the table has that command; else returns false and prints nothing.
 */
export function printHelp(args: string[], tableUrl: URL = new URL('./help.json', import.meta.url)): boolean {
  const last = args.at(-1);
  if (last !== '--help' && last !== '-h') return false;
  const path = args.slice(0, -1);
  if (!path.every((word) => /^[a-z][\w-]*$/.test(word))) return false;
  let table: Record<string, HelpLayout>;
  try {
    table = JSON.parse(readFileSync(tableUrl, 'utf8')) as Record<string, HelpLayout>;
  } catch {
    return false;
  }
  const key = path.join(' ');
  if (!Object.hasOwn(table, key)) return false;
  const layout = table[key]!;
  // Commander's width: the terminal's columns when stdout is one, else 80.
  const width = (process.stdout.isTTY ? process.stdout.columns : undefined) ?? 80;
  process.stdout.write(formatLayout(layout, width, README_PATH));
  return true;
}
