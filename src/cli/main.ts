// The codecell command line: builds the commander program and hands off to a front end.
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { EXIT_USAGE, reportFatal } from './errors.js';

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
