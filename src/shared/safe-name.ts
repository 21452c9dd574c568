// The one place names from elsewhere (the sandbox, the model, the user) are checked and made safe to show and to save on the host.
import { extname } from 'node:path';

/** Longest kernel-reported name, in characters. */
export const MAX_NAME_CHARS = 1024;
/** Longest path component of a kernel-reported name, in UTF-8 bytes (NAME_MAX). */
export const MAX_COMPONENT_BYTES = 255;
/** Deepest folder nesting of a kernel-reported name. */
export const MAX_DEPTH = 16;
/** Room below NAME_MAX (255 bytes) for a `-NNNN` collision suffix. */
export const MAX_NAME_BYTES = 200;

// C0 controls, DEL, C1 controls, and the bidi and zero-width format characters that make a name lie on screen.
const UNSAFE_CHARS = /[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
const UNSAFE_CHARS_ALL = new RegExp(UNSAFE_CHARS.source, 'g');
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Every unsafe character, and every half of a broken UTF-16 pair, replaced by `_`. */
function replaceUnsafe(text: string): string {
  return text.replace(LONE_SURROGATE, '_').replace(UNSAFE_CHARS_ALL, '_');
}

/**
 * Why a kernel-reported name is unsafe, or null when it is fine: it must be relative, with no empty,
 * `.` or `..` components, no backslashes, no control or bidi characters, and within length caps.
 */
export function nameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'empty name';
  if (name.length > MAX_NAME_CHARS) return `name longer than ${MAX_NAME_CHARS} characters`;
  if (name.startsWith('/')) return 'absolute path';
  if (name.includes('\\')) return 'backslash in name';
  if (UNSAFE_CHARS.test(name)) return 'control or formatting character in name';
  if (/[\ud800-\udfff]/.test(name.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) return 'invalid Unicode in name';
  const parts = name.split('/');
  if (parts.length > MAX_DEPTH) return `more than ${MAX_DEPTH} folders deep`;
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..') return `invalid path component ${JSON.stringify(part)}`;
    if (Buffer.byteLength(part) > MAX_COMPONENT_BYTES) return `path component longer than ${MAX_COMPONENT_BYTES} bytes`;
  }
  return null;
}

/**
 * A kernel-reported name made safe to show and save: control, bidi and zero-width characters,
 * backslashes and broken UTF-16 become `_`. Null when the structure itself is unsafe (absolute,
 * `..`, empty components, too long or deep), which a real file in /mnt/data cannot produce.
 */
export function safeName(name: unknown): string | null {
  if (typeof name !== 'string') return null;
  const cleaned = replaceUnsafe(name).replace(/\\/g, '_');
  return nameProblem(cleaned) === null ? cleaned : null;
}

/** Short text from the kernel (a skip reason) cut to `max` characters, control and formatting characters replaced. */
export function safeText(text: string, max = 200): string {
  return replaceUnsafe(text.slice(0, max));
}

/** An id (a tool call's, chosen by the model) as a portable file name: anything but letters, digits, `_`, `.` and `-` becomes `_`. */
export function portableName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_');
}

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
  const cleaned = replaceUnsafe(part).replace(/\\/g, '_');
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
