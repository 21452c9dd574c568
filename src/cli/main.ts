// The codecell command line: builds the commander program and hands off to a front end.
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { EXIT_USAGE, reportFatal } from './errors.js';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

type Register = (program: Command) => void;

/** Each command's module, loaded only when needed: most pull in Docker, the model SDK or Ink. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  chat: async () => (await import('./commands/chat.js')).registerChat,
  run: async () => (await import('./commands/run.js')).registerRun,
  batch: async () => (await import('./commands/batch.js')).registerBatch,
  exec: async () => (await import('./commands/exec.js')).registerExec,
  sandbox: async () => (await import('./commands/sandbox.js')).registerSandbox,
  config: async () => (await import('./commands/config.js')).registerConfig,
  sessions: async () => (await import('./commands/sessions.js')).registerSessions,
  doctor: async () => (await import('./commands/doctor.js')).registerDoctor,
};

/** The commands to load for these arguments: just the one named, none for --version, else all (help, chat). */
function commandsFor(argv: string[]): string[] {
  const first = argv[2];
  if (first === '--version' || first === '-V') return [];
  if (first && Object.hasOwn(COMMANDS, first)) return [first];
  return Object.keys(COMMANDS);
}

export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const program = new Command();
  program
    .name('codecell')
    .description('A terminal code interpreter: your model writes Python, a hardened local Docker kernel runs it.')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError('(run `codecell --help` for usage)')
    .exitOverride();
  const names = commandsFor(argv);
  const registers = await Promise.all(names.map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.exitCode = reportFatal(err);
  }
}

await main(process.argv);
