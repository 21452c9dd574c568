// Turns any failure into an error event with a fix, in the user's words.
import { explainOsError } from '../shared/os-error.js';
import { UserError } from '../shared/user-error.js';
import type { SessionEvent } from './events.js';

export function errorEvent(err: unknown): Extract<SessionEvent, { type: 'error' }> {
  if (err instanceof UserError) return { type: 'error', kind: err.eventKind, message: err.message, ...(err.fix ? { fix: err.fix } : {}) };
  const os = explainOsError(err);
  if (os) return { type: 'error', ...os };
  return { type: 'error', kind: 'internal', message: err instanceof Error ? err.message : String(err) };
}
