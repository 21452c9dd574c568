// Exit codes and the one place a fatal error is turned into a message with a fix.
import { sanitize } from '../render/sanitize.js';
import { explainOsError } from '../shared/os-error.js';
import { EXIT_FAILURE, UserError } from '../shared/user-error.js';

// The base and the exit codes live in shared/ (every layer throws these errors); commands import them from here.
export { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError } from '../shared/user-error.js';

export function formatError(err: unknown): { message: string; fix?: string; code: number } {
  if (err instanceof UserError) return { message: err.message, fix: err.fix, code: err.exitCode };
  const os = explainOsError(err);
  if (os) return { message: os.message, fix: os.fix, code: EXIT_FAILURE };
  return { message: err instanceof Error ? err.message : String(err), code: EXIT_FAILURE };
}

/** Prints `codecell: <message>` and the fix to stderr; returns the exit code. */
export function reportFatal(err: unknown): number {
  const { message, fix, code } = formatError(err);
  process.stderr.write(`codecell: ${sanitize(message)}\n`);
  if (fix) process.stderr.write(`  fix: ${sanitize(fix)}\n`);
  if (process.env.CODECELL_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  return code;
}
