// Turns a sandbox-reported file path into safe host path parts: no `..`, no absolute paths, no control characters, bounded length.
import { extname } from 'node:path';

/** Room below NAME_MAX (255 bytes) for a `-NNNN` collision suffix. */
export const MAX_NAME_BYTES = 200;

const UNSAFE = /[\x00-\x1f\x7f-\x9f\\\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export class UnsafePathError extends Error {
  readonly code = 'EINVAL';
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePathError';
  }
}

/** Shortens a name to `maxBytes` of UTF-8, keeping its extension and whole code points. */
export function truncateName(name: string, maxBytes: number = MAX_NAME_BYTES): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  let ext = extname(name);
  if (Buffer.byteLength(ext) > 32) ext = '';
  const chars = Array.from(name.slice(0, name.length - ext.length));
  const budget = maxBytes - Buffer.byteLength(ext);
  let used = 0;
  let kept = '';
  for (const ch of chars) {
    const size = Buffer.byteLength(ch);
    if (used + size > budget) break;
    kept += ch;
    used += size;
  }
  return kept + ext;
}

/** One path component made safe: control, bidi and backslash characters become `_`; long names are truncated. */
export function safeComponent(part: string): string {
  const cleaned = part.replace(LONE_SURROGATE, '_').replace(UNSAFE, '_');
  return truncateName(cleaned === '' ? '_' : cleaned);
}

/**
 * Splits a sandbox path (relative to /mnt/data, `/` separated) into safe components.
 * Refuses absolute paths and `..` rather than repairing them: such a name means something tried to escape.
 */
export function safeParts(source: string): string[] {
  if (source.startsWith('/')) throw new UnsafePathError(`refusing the absolute path ${JSON.stringify(source)}`);
  const parts = source.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafePathError(`refusing the path ${JSON.stringify(source)}: it contains ".."`);
  if (parts.length === 0) throw new UnsafePathError(`refusing the empty path ${JSON.stringify(source)}`);
  return parts.map(safeComponent);
}

/** The i-th name to try for `name` when earlier ones exist: name.ext, name-1.ext, name-2.ext ... */
export function candidateName(name: string, i: number): string {
  if (i === 0) return name;
  const ext = extname(name);
  return `${name.slice(0, name.length - ext.length)}-${i}${ext}`;
}
