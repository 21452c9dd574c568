// The commander program: its commands, each loaded only when the command line needs it.
import { Command } from 'commander';
import { README_PATH, VERSION } from './version.js';

type Register = (program: Command) => void;

/**
 * Every command, by name, and how to load the module that registers it. Only the command being run is
 * loaded (all of them for `--help`; none for `--version`), so launch time is paid per command.
 *
 * Adding a command: write src/cli/commands/<name>.ts exporting `register<Name>(program)` and add a line
 * here. Adding a flag: add it in that file's register function, as usual. Either way, keep the top of a
 * command file light (commander types, ../settings.js, ../errors.js, small helpers): import the model
 * SDK, the Docker client, Ink, renderers and the config layer with `await import()` inside the action.
 * src/cli/module-graph.test.ts fails when `--help` or a command's help pulls in a heavy package; add the
 * new command to its table.
 */
export const COMMANDS: Record<string, () => Promise<Register>> = {
  chat: async () => (await import('./commands/chat.js')).registerChat,
  run: async () => (await import('./commands/run.js')).registerRun,
  batch: async () => (await import('./commands/batch.js')).registerBatch,
  exec: async () => (await import('./commands/exec.js')).registerExec,
  sandbox: async () => (await import('./commands/sandbox.js')).registerSandbox,
  config: async () => (await import('./commands/config.js')).registerConfig,
  sessions: async () => (await import('./commands/sessions.js')).registerSessions,
  doctor: async () => (await import('./commands/doctor.js')).registerDoctor,
};

/** The default command: `codecell` and `codecell --model x` open the chat. */
const DEFAULT_COMMAND = 'chat';

/**
 * The commands to load for these arguments: none for --version, the one named, all for the program's
 * help (it lists them), else the default command (the chat, which also answers unknown words).
 */
export function commandsFor(argv: string[]): string[] {
  const args = argv.slice(2);
  const first = args[0];
  if (first === '--version' || first === '-V') return [];
  if (first && Object.hasOwn(COMMANDS, first)) return [first];
  if (first === 'help' || args.includes('--help') || args.includes('-h')) return Object.keys(COMMANDS);
  return [DEFAULT_COMMAND];
}

export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const program = new Command();
  program
    .name('codecell')
    .description('A terminal code interpreter: your model writes Python, a hardened local sandbox runs it.')
    .version(VERSION, '-V, --version')
    .addHelpText(
      'after',
      () =>
        '\nStart with `codecell doctor`: it checks the sandbox, the model server and the terminal, with fixes.\n' +
        `Every command, flag, config key, environment variable and JSON event: ${README_PATH}`,
    )
    .showHelpAfterError('(run `codecell --help` for usage)')
    .exitOverride();
  const names = commandsFor(argv);
  const registers = await Promise.all(names.map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program);
  return program;
}
