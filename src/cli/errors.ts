// Exit codes and the one place a fatal error is turned into a message with a fix.
import { SandboxError } from '../sandbox/types.js';
import { ModelError } from '../llm/types.js';
import { sanitize } from '../render/sanitize.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** A mistake in how codecell was called; exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export function formatError(err: unknown): { message: string; fix?: string; code: number } {
  if (err instanceof UsageError) return { message: err.message, fix: err.fix, code: EXIT_USAGE };
  if (err instanceof SandboxError) return { message: err.message, fix: err.fix, code: EXIT_FAILURE };
  // A missing API key is a setup problem the user fixes before running again, like bad usage.
  if (err instanceof ModelError) return { message: err.message, fix: err.fix, code: err.kind === 'no_api_key' ? EXIT_USAGE : EXIT_FAILURE };
  // Store and session-log errors carry their own fix.
  const withFix = err as { message?: unknown; fix?: unknown } | undefined;
  if (err instanceof Error && typeof withFix?.fix === 'string') return { message: err.message, fix: withFix.fix, code: EXIT_FAILURE };
  const e = err as NodeJS.ErrnoException;
  if (e && (e.code === 'ENOSPC' || e.code === 'EDQUOT')) {
    return { message: `the disk is full (${e.message})`, fix: 'Free some space or choose another output folder with --out-dir.', code: EXIT_FAILURE };
  }
  if (e && (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS')) {
    return { message: `permission denied (${e.message})`, fix: 'Choose a folder you can write with --out-dir.', code: EXIT_FAILURE };
  }
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
