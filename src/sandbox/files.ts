// Checks what comes out of the sandbox before the host trusts it: file bytes and PNG sizes (names: shared/safe-name.ts).
import { createHash } from 'node:crypto';
import { nameProblem, safeName } from '../shared/safe-name.js';
import type { CellFile } from './types.js';

/** Images larger than this are not decoded or drawn (a small PNG can inflate to gigabytes). */
export const MAX_IMAGE_PIXELS = 40_000_000;

/** Width and height from a PNG's IHDR chunk, or null when the bytes are not a PNG. */
export function pngSize(data: Buffer): { width: number; height: number } | null {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (data.length < 24 || !data.subarray(0, 8).equals(signature) || data.toString('latin1', 12, 16) !== 'IHDR') return null;
  const width = data.readUInt32BE(16);
  const height = data.readUInt32BE(20);
  if (width === 0 || height === 0) return null;
  return { width, height };
}

/** Why a PNG must not be shown, or null when it is a PNG of acceptable size. */
export function imageProblem(data: Buffer, maxPixels = MAX_IMAGE_PIXELS): string | null {
  const size = pngSize(data);
  if (!size) return 'not a valid PNG';
  if (size.width * size.height > maxPixels) {
    return `${size.width}×${size.height} pixels is over the ${Math.round(maxPixels / 1e6)} megapixel limit`;
  }
  return null;
}

interface Incoming {
  name: string;
  /** The kernel's own name for it (a pulled file is read under it). */
  raw: string;
  /** The host reads the bytes itself (file_start with `pull`), no chunks follow. */
  pull: boolean;
  size: number;
  received: number;
  /** The file's bytes, allocated on its first chunk (its size is announced and capped), filled chunk by chunk. */
  data?: Buffer;
  hash: ReturnType<typeof createHash>;
}

export type AssemblyOutcome = { ok: true; file: CellFile } | { ok: false; name: string; reason: string };

/**
 * Puts files back together from file_start / file_chunk / file_end, enforcing the promised size,
 * the size cap, the per-cell file count and the sha256. Chunks for unknown or rejected files are
 * ignored. The kernel sends one file at a time, so only one may be in progress: forged lines that
 * open many files at once cannot make the host buffer more than one file's worth of bytes.
 */
export class FileAssembler {
  private files = new Map<number, Incoming>();
  private rejected = new Set<number>();
  private started = 0;

  constructor(
    private readonly maxFileBytes: number,
    private readonly maxFiles = Number.POSITIVE_INFINITY,
  ) {}

  /** Returns a rejection when the announced file is not acceptable. */
  start(fid: number, name: string, size: number, pull = false): AssemblyOutcome | null {
    const safe = safeName(name);
    const problem = safe === null ? (nameProblem(name) ?? 'unsafe name') : null;
    let reason: string | null = problem;
    if (!reason && size > this.maxFileBytes) reason = `too large (${size} bytes; limit ${this.maxFileBytes})`;
    if (!reason && (this.files.has(fid) || this.rejected.has(fid))) reason = 'duplicate file id';
    if (!reason && this.files.size > 0) reason = 'another file was still arriving (only one at a time)';
    if (!reason && this.started >= this.maxFiles) reason = `too many files (limit ${this.maxFiles} per cell)`;
    if (reason) {
      this.rejected.add(fid);
      return { ok: false, name: safe ?? '(unsafe name)', reason };
    }
    this.started++;
    // A pulled file is read under its own name, so that name must need no cleaning.
    if (pull && safe !== name) {
      this.rejected.add(fid);
      return { ok: false, name: safe ?? '(unsafe name)', reason: 'unsafe name for a pulled file' };
    }
    this.files.set(fid, { name: safe!, raw: name, pull, size, received: 0, hash: createHash('sha256') });
    return null;
  }

  /** A chunk's bytes (in the pieces they arrived in), or their base64 (a chunk sent as a JSON line). */
  chunk(fid: number, chunk: string | readonly Buffer[]): AssemblyOutcome | null {
    const file = this.files.get(fid);
    if (!file || file.pull) return null;
    const parts = typeof chunk === 'string' ? [Buffer.from(chunk, 'base64')] : chunk;
    let size = 0;
    for (const part of parts) size += part.length;
    if (file.received + size > file.size) {
      this.files.delete(fid);
      this.rejected.add(fid);
      return { ok: false, name: file.name, reason: `more bytes than the announced ${file.size}` };
    }
    // Allocated on the first bytes, not at file_start: an announced file that never sends any costs nothing.
    file.data ??= Buffer.allocUnsafe(file.size);
    for (const part of parts) {
      file.hash.update(part);
      part.copy(file.data, file.received);
      file.received += part.length;
    }
    return null;
  }

  /**
   * For a pulled file, at its file_end: takes it out of the one-at-a-time slot (the next file may
   * start while its bytes are read) and returns what to read and check; null for any other file.
   */
  takePull(fid: number): { raw: string; size: number; finish: (read: { data: Buffer; sha256: string }, sha256: string) => AssemblyOutcome } | null {
    const file = this.files.get(fid);
    if (!file?.pull) return null;
    this.files.delete(fid);
    return {
      raw: file.raw,
      size: file.size,
      // `read.sha256` is the digest of `read.data` as the host received it (hashed while reading).
      finish: (read, sha256) => {
        const { data } = read;
        file.received = data.length;
        if (data.length !== file.size) return { ok: false, name: file.name, reason: `got ${data.length} of ${file.size} bytes` };
        if (read.sha256 !== sha256) return { ok: false, name: file.name, reason: 'sha256 mismatch' };
        return { ok: true, file: { name: file.name, data, sha256 } };
      },
    };
  }

  /**
   * `sha256` is checked when the kernel sent one; without it the digest is the host's own over the
   * chunks, which were each signed and numbered (so they are the kernel's bytes, whole and in order).
   */
  end(fid: number, sha256?: string): AssemblyOutcome | null {
    const file = this.files.get(fid);
    this.files.delete(fid);
    if (!file) return null;
    if (file.received !== file.size) return { ok: false, name: file.name, reason: `got ${file.received} of ${file.size} bytes` };
    const digest = file.hash.digest('hex');
    if (sha256 !== undefined && digest !== sha256) return { ok: false, name: file.name, reason: 'sha256 mismatch' };
    return { ok: true, file: { name: file.name, data: file.data ?? Buffer.alloc(0), sha256: digest } };
  }

  /** Drops half-received files (the cell ended or the kernel died). */
  clear(): void {
    this.files.clear();
    this.rejected.clear();
  }
}
