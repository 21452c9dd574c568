// Turns any failure into an error event with a fix, in the user's words.
import { SandboxError } from '../sandbox/types.js';
import { ModelError } from '../llm/types.js';
import { SessionLogError, StoreError } from '../store/types.js';
import type { SessionEvent } from './events.js';

export function errorEvent(err: unknown): Extract<SessionEvent, { type: 'error' }> {
  if (err instanceof ModelError) return { type: 'error', kind: `model_${err.kind}`, message: err.message, fix: err.fix };
  if (err instanceof SandboxError) return { type: 'error', kind: `sandbox_${err.code}`, message: err.message, fix: err.fix };
  if (err instanceof StoreError || err instanceof SessionLogError) {
    const kind = err instanceof StoreError ? 'output' : 'session_log';
    return { type: 'error', kind: `${kind}_${err.code.toLowerCase()}`, message: err.message, ...(err.fix ? { fix: err.fix } : {}) };
  }
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
