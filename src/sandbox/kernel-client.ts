// The host side of the kernel protocol (guest/PROTOCOL.md): line framing with a length cap and zod-checked messages.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Longest kernel line accepted: a 1 MiB file chunk or a 16 MiB figure, base64-encoded, fits with room. */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;

const id = z.string().max(200);
const text = z.string();
const int = z.number().int().nonnegative();
/** A display's forms by mime type: text as strings, images base64, JSON mime types as any value. */
const bundle = z.record(z.string().max(100), z.unknown());

const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), version: z.string(), python: z.string(), pid: z.number() }),
  z.object({ type: z.literal('warm'), modules: z.array(z.string()), ms: z.number() }),
  z.object({ type: z.literal('stream'), id, name: z.enum(['stdout', 'stderr']), text }),
  z.object({
    type: z.literal('display'),
    id,
    data: bundle,
    metadata: z.record(z.string(), z.unknown()).optional(),
    display_id: z.string().max(200).optional(),
    update: z.boolean().optional(),
  }),
  z.object({ type: z.literal('result'), id, text, count: int.optional(), data: bundle.optional() }),
  z.object({ type: z.literal('clear'), id, wait: z.boolean() }),
  z.object({ type: z.literal('error'), id, ename: z.string(), evalue: z.string(), traceback: z.array(z.string()) }),
  z.object({ type: z.literal('truncated'), id, bytes: int }),
  z.object({ type: z.literal('oom_kill'), id, count: int }),
  z.object({ type: z.literal('file_start'), id, fid: int, name: z.string(), size: int, pull: z.boolean().optional() }),
  z.object({ type: z.literal('file_chunk'), fid: int, data: z.string() }),
  // Without sha256 for chunked files (each chunk is signed, the host hashes them); a pulled file's bytes come another way, so its end must carry one.
  z.object({
    type: z.literal('file_end'),
    fid: int,
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  }),
  z.object({ type: z.literal('file_skipped'), id, name: z.string(), reason: z.string() }),
  z.object({
    type: z.literal('reply'),
    id,
    status: z.enum(['ok', 'error', 'interrupted']),
    count: int,
    ms: z.number(),
    truncated: z.boolean().optional(),
  }),
  z.object({ type: z.literal('pong'), id: z.unknown() }),
  z.object({ type: z.literal('put_done'), name: z.string(), size: int }),
  z.object({ type: z.literal('put_error'), name: z.unknown(), message: z.string() }),
  z.object({ type: z.literal('log'), text }),
  z.object({ type: z.literal('resetting') }),
  z.object({ type: z.literal('reset_failed'), message: z.string() }),
]);

/**
 * A checked kernel message. A `file_chunk` carries base64 text when it came as a JSON line, or the
 * chunk's bytes when they came raw after a signed head (see PayloadHead), as the pieces they arrived
 * in: the file's buffer takes them with one copy.
 */
export type KernelMessage =
  | Exclude<z.infer<typeof messageSchema>, { type: 'file_chunk' }>
  | { type: 'file_chunk'; fid: number; data: string | readonly Buffer[] };

/** Host → kernel messages. */
export type HostMessage =
  | { type: 'hello'; token: string }
  | { type: 'execute'; id: string; code: string; max_output?: number; max_files?: number; max_file_bytes?: number; pull_min?: number }
  | { type: 'interrupt' }
  | { type: 'warm' }
  | { type: 'ping'; id: string }
  | { type: 'put_file'; name: string; data: string; last: boolean }
  | { type: 'reset' };

/**
 * The signed line in front of a raw payload: `size` bytes follow the line's newline as they are (UTF-8
 * text for `stream`), checked against `mac` (see KernelLineAuth.checkPayload) before they are used.
 */
export type PayloadHead =
  | { type: 'stream'; id: string; name: 'stdout' | 'stderr'; size: number; mac: string }
  | { type: 'file_chunk'; fid: number; size: number; mac: string };

export type ParsedLine = { ok: true; message: KernelMessage } | { ok: true; head: PayloadHead } | { ok: false; problem: string };

/** Validates one line; anything malformed or unknown is a problem to log, never an exception. */
export function parseKernelLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, problem: `not JSON: ${preview(line)}` };
  }
  const stream = streamMessage(value);
  if (stream) return { ok: true, message: stream };
  const head = payloadHead(value);
  if (head) return { ok: true, head };
  const parsed = messageSchema.safeParse(value);
  if (!parsed.success) {
    const type = (value as { type?: unknown } | null)?.type;
    return { ok: false, problem: `invalid ${typeof type === 'string' ? preview(type) : 'untyped'} message: ${parsed.error.issues[0]?.message ?? 'bad shape'}` };
  }
  return { ok: true, message: parsed.data };
}

/** `parseKernelLine` on a line's bytes (file chunks come as raw payloads, not as base64 in lines). */
export function parseKernelBytes(json: Buffer): ParsedLine {
  return parseKernelLine(json.toString('utf8'));
}

/**
 * Fast path for `stream`, nearly all of the traffic when a cell prints a lot: the same checks as the
 * schema (id a string of at most 200 characters, name stdout/stderr, text a string), by hand, and a
 * fresh object with only those fields, as zod would return. Anything else goes through the schema.
 */
function streamMessage(value: unknown): Extract<KernelMessage, { type: 'stream' }> | null {
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  if (m.type !== 'stream' || typeof m.id !== 'string' || m.id.length > 200 || typeof m.text !== 'string') return null;
  if (m.name !== 'stdout' && m.name !== 'stderr') return null;
  return { type: 'stream', id: m.id, name: m.name, text: m.text };
}

/**
 * A `stream` or `file_chunk` head announcing a raw payload of at most MAX_LINE_BYTES, checked by hand
 * like streamMessage.
 */
function payloadHead(value: unknown): PayloadHead | null {
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  if (typeof m.size !== 'number' || !Number.isInteger(m.size) || m.size < 0 || m.size > MAX_LINE_BYTES) return null;
  if (typeof m.mac !== 'string' || !/^[0-9a-f]{32}$/.test(m.mac)) return null;
  if (m.type === 'file_chunk') {
    if (typeof m.fid !== 'number' || !Number.isInteger(m.fid) || m.fid < 0 || 'data' in m) return null;
    return { type: 'file_chunk', fid: m.fid, size: m.size, mac: m.mac };
  }
  if (m.type !== 'stream' || typeof m.id !== 'string' || m.id.length > 200 || 'text' in m) return null;
  if (m.name !== 'stdout' && m.name !== 'stderr') return null;
  return { type: 'stream', id: m.id, name: m.name, size: m.size, mac: m.mac };
}

export function encodeHostMessage(message: HostMessage): string {
  return JSON.stringify(message) + '\n';
}

/**
 * Checks the kernel's signature on each line: `\x1e<json>\x1f<seq>.<tag>` where tag is the first 16
 * bytes (hex) of HMAC-SHA256(key, "<seq>." + json) and seq only ever grows. The key is sent to the
 * kernel before user code runs and never written back, so a process that reads or writes the
 * container's stdout can neither forge a line nor replay one. Forged bytes glued in front of a kernel
 * line are cut off at the last `\x1e` (JSON escapes control characters, so none occurs inside).
 */
export class KernelLineAuth {
  private lastSeq = 0;
  private readonly key: Buffer;

  constructor(key: string) {
    this.key = Buffer.from(key);
  }

  /** The JSON of a genuine line, or a problem to log. */
  open(raw: string): { ok: true; json: string } | { ok: false; problem: string } {
    const opened = this.openBytes(Buffer.from(raw, 'utf8'));
    return opened.ok ? { ok: true, json: opened.json.toString('utf8') } : { ok: false, problem: opened.problem };
  }

  /**
   * The same on the line's bytes, as they came off the wire: the MAC is computed over them directly,
   * so a large line is never decoded to a string and encoded back just to be checked (profiled: that
   * round trip cost as much as the HMAC itself on file chunks).
   */
  openBytes(raw: Buffer): { ok: true; json: Buffer; seq: number } | { ok: false; problem: string } {
    const start = raw.lastIndexOf(0x1e);
    const sep = raw.lastIndexOf(0x1f);
    if (start < 0 || sep < start) return { ok: false, problem: `unsigned line: ${preview(raw.subarray(0, 100).toString('utf8'))}` };
    const trailer = /^(\d{1,15})\.([0-9a-f]{32})$/.exec(raw.toString('latin1', sep + 1));
    if (!trailer) return { ok: false, problem: 'malformed signature' };
    const seq = Number(trailer[1]);
    if (seq <= this.lastSeq) return { ok: false, problem: `replayed line ${seq}` };
    const json = raw.subarray(start + 1, sep);
    const expected = createHmac('sha256', this.key).update(`${trailer[1]}.`).update(json).digest().subarray(0, 16);
    if (!timingSafeEqual(expected, Buffer.from(trailer[2]!, 'hex'))) return { ok: false, problem: 'bad signature' };
    this.lastSeq = seq;
    return { ok: true, json, seq };
  }

  /**
   * Checks the raw payload that follows the line numbered `seq`: `mac` (signed inside that line) is the
   * first 16 bytes of HMAC-SHA256(key, "<seq>:" + payload). The colon keeps a payload's MAC from ever
   * standing in for a line's (those cover "<seq>." + JSON).
   */
  checkPayload(seq: number, parts: readonly Buffer[], mac: string): boolean {
    const hmac = createHmac('sha256', this.key).update(`${seq}:`);
    for (const part of parts) hmac.update(part);
    const expected = hmac.digest().subarray(0, 16);
    return timingSafeEqual(expected, Buffer.from(mac, 'hex'));
  }

  /** Signs a line the way the kernel does (tests). */
  static sign(key: string, seq: number, json: string): string {
    const tag = createHmac('sha256', Buffer.from(key)).update(`${seq}.`).update(json).digest().subarray(0, 16).toString('hex');
    return `\x1e${json}\x1f${seq}.${tag}`;
  }

  /** A payload's MAC the way the kernel computes it (tests). */
  static signPayload(key: string, seq: number, payload: Buffer): string {
    return createHmac('sha256', Buffer.from(key)).update(`${seq}:`).update(payload).digest().subarray(0, 16).toString('hex');
  }
}

/**
 * Splits a byte stream into `\n`-terminated lines, handed over as bytes. A line longer than
 * `maxBytes` is dropped whole (reported through onOverflow) and reading resumes at the next newline,
 * so a hostile or runaway line costs bounded memory.
 */
export class ByteLineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;
  private raw?: { parts: Buffer[]; size: number; left: number; onRaw: (parts: Buffer[]) => void };

  /**
   * With `restartAt` (the kernel's record separator 0x1e), a line restarts at the last such byte:
   * what came before it in the same line is forged garbage, however long, and is dropped without
   * costing the kernel line that follows it.
   */
  constructor(
    private readonly onLine: (line: Buffer) => void,
    private readonly onOverflow: (bytes: number) => void,
    private readonly maxBytes = MAX_LINE_BYTES,
    private readonly restartAt?: number,
  ) {}

  /**
   * Called from onLine: the next `size` bytes after that line are a payload, handed to onRaw whole (as
   * the pieces of the chunks they arrived in, not joined: a file chunk is copied once, into its file),
   * without looking for newlines or record separators in them.
   */
  expectRaw(size: number, onRaw: (parts: Buffer[]) => void): void {
    if (size === 0) onRaw([]);
    else this.raw = { parts: [], size, left: size, onRaw };
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const raw = this.raw;
      if (raw) {
        const take = Math.min(raw.left, chunk.length - start);
        raw.parts.push(chunk.subarray(start, start + take));
        raw.left -= take;
        start += take;
        if (raw.left > 0) return;
        this.raw = undefined;
        raw.onRaw(raw.parts);
        continue;
      }
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      let piece = chunk.subarray(start, end);
      if (this.restartAt !== undefined) {
        const restart = piece.lastIndexOf(this.restartAt);
        if (restart >= 0) {
          piece = piece.subarray(restart);
          this.parts = [];
          this.size = 0;
          this.skipping = false;
        }
      }
      if (!this.skipping) {
        if (this.size + piece.length > this.maxBytes) {
          this.skipping = true;
          this.parts = [];
        } else if (piece.length > 0) {
          this.parts.push(piece);
        }
      }
      this.size += piece.length;
      if (nl === -1) return;
      if (this.skipping) this.onOverflow(this.size);
      else this.onLine(this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size));
      this.parts = [];
      this.size = 0;
      this.skipping = false;
      start = nl + 1;
    }
  }

  /** Bytes of an unterminated last line, if any (the kernel died mid-line). */
  get pending(): number {
    return this.raw ? this.raw.size - this.raw.left : this.size;
  }
}

/** `ByteLineSplitter` handing over each line decoded as UTF-8. */
export class LineSplitter extends ByteLineSplitter {
  constructor(onLine: (line: string) => void, onOverflow: (bytes: number) => void, maxBytes = MAX_LINE_BYTES, restartAt?: number) {
    super((line) => onLine(line.toString('utf8')), onOverflow, maxBytes, restartAt);
  }
}

function preview(text: string): string {
  const cut = text.length > 80 ? text.slice(0, 80) + '…' : text;
  return JSON.stringify(cut);
}
