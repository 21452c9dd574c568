// `codecell doctor`: the command and its flags; the checks load when it runs (see doctor-run.ts).
import type { Command } from 'commander';
import { EXIT_FAILURE } from '../errors.js';
import type { DoctorFlags } from './doctor-run.js';

export function registerDoctor(program: Command): void {
  const cmd = program
    .command('doctor')
    .description('check the sandbox, the model server, the terminal and folders; a fix for each problem')
    .option('--json', 'print one JSON object (checks with status ok, warn, fail or skip)')
    .option('--no-probe', 'skip the tiny tool-calling request to the model')
    .option('-m, --model <name>', 'check this model instead of the configured one')
    .option('--base-url <url>', 'check this OpenAI-compatible server')
    .option('--image <ref>', 'check this sandbox image instead of the bundled one')
    .option('-o, --out-dir <dir>', 'check this output folder');
  cmd.action(async (flags: DoctorFlags) => {
    process.exitCode = EXIT_FAILURE;
    const { doctorCommand } = await import('./doctor-run.js');
    process.exitCode = await doctorCommand(flags, cmd);
  });
}
