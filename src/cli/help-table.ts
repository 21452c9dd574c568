// Builds the table of help layouts that `codecell [command...] --help` answers from (written beside the
// bundle at build time by scripts/bundle.mjs): each command's help as the real command line builds it.
import type { Command } from 'commander';
import { layoutOf, type HelpLayout } from './help-layout.js';
import { buildProgram, COMMANDS } from './program.js';
import { README_PATH } from './version.js';

/** Help layouts by command path ('' for the program, 'run', 'sandbox build', ...). */
export type HelpTable = Record<string, HelpLayout>;

/** The command at `path` under `program`, if there is one. */
export function commandAt(program: Command, path: string[]): Command | undefined {
  let cmd: Command | undefined = program;
  for (const name of path) cmd = (cmd?.commands as Command[] | undefined)?.find((c) => c.name() === name);
  return cmd;
}

/** Every command path's help layout, each from the program `codecell <path> --help` builds. */
export async function helpTable(): Promise<HelpTable> {
  const table: HelpTable = { '': layoutOf(await buildProgram(['node', 'codecell', '--help']), README_PATH) };
  const walk = (cmd: Command, path: string[]): void => {
    table[path.join(' ')] = layoutOf(cmd, README_PATH);
    for (const sub of cmd.commands as Command[]) walk(sub, [...path, sub.name()]);
  };
  for (const name of Object.keys(COMMANDS)) {
    const program = await buildProgram(['node', 'codecell', name, '--help']);
    walk(commandAt(program, [name])!, [name]);
  }
  return table;
}
