// Turns any failure into an error event with a fix, in the user's words.
import { UserError } from '../shared/user-error.js';
import type { SessionEvent } from './events.js';

export function errorEvent(err: unknown): Extract<SessionEvent, { type: 'error' }> {
  if (err instanceof UserError) return { type: 'error', kind: err.eventKind, message: err.message, ...(err.fix ? { fix: err.fix } : {}) };
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === 'ENOSPC')
    return {
      type: 'error',
      kind: 'disk_full',
      message: `the disk is full: ${e.message}`,
      fix: 'Free some space or choose another output folder with --out-dir.',
    };
  if (e?.code === 'EACCES' || e?.code === 'EROFS' || e?.code === 'EPERM') {
    return { type: 'error', kind: 'not_writable', message: `cannot write: ${e.message}`, fix: 'Choose a writable output folder with --out-dir.' };
  }
  return { type: 'error', kind: 'internal', message: err instanceof Error ? err.message : String(err) };
}
