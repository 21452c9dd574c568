// The codecell command line: builds the commander program and hands off to a front end.
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { registerChat } from './commands/chat.js';
import { registerRun } from './commands/run.js';
import { registerBatch } from './commands/batch.js';
import { registerExec } from './commands/exec.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerConfig } from './commands/config.js';
import { registerSessions } from './commands/sessions.js';
import { EXIT_USAGE, reportFatal } from './errors.js';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('codecell')
    .description('A terminal code interpreter: your model writes Python, a hardened local Docker kernel runs it.')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError('(run `codecell --help` for usage)')
    .exitOverride();
  registerChat(program);
  registerRun(program);
  registerBatch(program);
  registerExec(program);
  registerSandbox(program);
  registerConfig(program);
  registerSessions(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
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
