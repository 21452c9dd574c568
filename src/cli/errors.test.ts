// Every user-facing error class reaches the CLI through the one base: message, fix and exit status as each class sets them.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/file.js';
import { errorEvent } from '../core/error-event.js';
import { ModelError } from '../llm/types.js';
import { PackageSpecError } from '../sandbox/extras.js';
import { SandboxError } from '../sandbox/types.js';
import { UserError } from '../shared/user-error.js';
import { StoreError } from '../store/output-store.js';
import { SessionLogError } from '../store/session-log.js';
import { EXIT_FAILURE, EXIT_USAGE, formatError, UsageError } from './errors.js';

const cases: { err: UserError; code: number; kind: string }[] = [
  { err: new UsageError('--budget must be a number', 'Give e.g. --budget 0.5.'), code: EXIT_USAGE, kind: 'usage' },
  { err: new ConfigError('timeout must be a number of seconds', 'Fix it with `codecell config set timeout 60`.'), code: EXIT_USAGE, kind: 'usage' },
  { err: new PackageSpecError('"Bad Name" is not a Debian package name', 'Use lower case.'), code: EXIT_USAGE, kind: 'usage' },
  { err: new ModelError('no_api_key', 'no API key is set', 'Set OPENAI_API_KEY.'), code: EXIT_USAGE, kind: 'model_no_api_key' },
  { err: new ModelError('auth', 'the model server refused the API key', 'Check the key.', 401), code: EXIT_FAILURE, kind: 'model_auth' },
  { err: new SandboxError('cannot reach Docker', 'Start Docker.', 'no_engine'), code: EXIT_FAILURE, kind: 'sandbox_no_engine' },
  { err: new SandboxError('the engine failed', 'Try again.'), code: EXIT_FAILURE, kind: 'sandbox_engine_error' },
  { err: new StoreError('no space left on the disk to save "a.csv" in out', 'ENOSPC', 'Free some space.'), code: EXIT_FAILURE, kind: 'output_enospc' },
  { err: new SessionLogError('no session matches "x"', 'ENOENT', 'Run `codecell sessions list`.'), code: EXIT_FAILURE, kind: 'session_log_enoent' },
];

describe('user-facing errors', () => {
  it.each(cases)('$kind: one base, its message, fix and exit status', ({ err, code, kind }) => {
    expect(err).toBeInstanceOf(UserError);
    expect(formatError(err)).toEqual({ message: err.message, fix: err.fix, code });
    expect(errorEvent(err)).toEqual({ type: 'error', kind, message: err.message, fix: err.fix });
  });

  it('an error without a fix has none in its event, and a plain Error is internal', () => {
    expect(errorEvent(new StoreError('cannot save "a": bad', 'EINVAL'))).toEqual({ type: 'error', kind: 'output_einval', message: 'cannot save "a": bad' });
    expect(formatError(new Error('boom'))).toEqual({ message: 'boom', code: EXIT_FAILURE });
    expect(errorEvent(new Error('boom'))).toEqual({ type: 'error', kind: 'internal', message: 'boom' });
  });

  it('an object that merely looks like an error with a fix is not taken for one', () => {
    const lookalike = Object.assign(new Error('from elsewhere'), { fix: 'not ours' });
    expect(formatError(lookalike)).toEqual({ message: 'from elsewhere', code: EXIT_FAILURE });
  });
});

describe('OS errors that reach the top without a context', () => {
  const errno = (code: string, message: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

  it('the CLI and the error event say the same thing', () => {
    const full = errno('ENOSPC', 'ENOSPC: no space left on device, write');
    expect(formatError(full)).toEqual({
      message: 'the disk is full (ENOSPC: no space left on device, write)',
      fix: 'Free some space or choose another output folder with --out-dir.',
      code: EXIT_FAILURE,
    });
    expect(errorEvent(full)).toEqual({ type: 'error', kind: 'disk_full', message: formatError(full).message, fix: formatError(full).fix });
    const denied = errno('EACCES', "EACCES: permission denied, open '/out/a'");
    expect(formatError(denied)).toMatchObject({
      message: "permission denied (EACCES: permission denied, open '/out/a')",
      fix: 'Choose a folder you can write with --out-dir.',
    });
    expect(errorEvent(denied)).toMatchObject({ kind: 'not_writable', message: formatError(denied).message });
  });
});
