// Writes SessionEvents as JSON lines to a stream (stdout for --json, a file for batch event logs).
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import type { SessionEvent } from '../core/events.js';
import type { ManifestEntry } from '../store/types.js';
import { INLINE_BASE64_LIMIT, toJsonLine } from './json-events.js';

/** Reads a saved file back for inline base64, within the size limit. */
export function readSaved(entry: ManifestEntry): Buffer | undefined {
  if (entry.size > INLINE_BASE64_LIMIT) return undefined;
  try {
    return fs.readFileSync(entry.path);
  } catch {
    return undefined;
  }
}

export class JsonWriter {
  constructor(private readonly out: Writable) {}

  write(event: SessionEvent): void {
    const line = toJsonLine(event, readSaved);
    if (line) this.out.write(JSON.stringify(line) + '\n');
  }

  /** Writes a line that is not a SessionEvent (e.g. exec's own summary). */
  writeRaw(line: Record<string, unknown>): void {
    this.out.write(JSON.stringify(line) + '\n');
  }
}
