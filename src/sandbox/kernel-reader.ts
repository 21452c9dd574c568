// Turns the kernel's output bytes into checked messages: signed lines, and the raw payloads that follow `stream` heads (guest/PROTOCOL.md).
import { ByteLineSplitter, KernelLineAuth, MAX_LINE_BYTES, parseKernelBytes, type KernelMessage, type PayloadHead } from './kernel-client.js';

/**
 * One per kernel, fed the bytes of its protocol channel in order (the Docker attach stream's stdout, or
 * the process sandbox's pipe). Every line's signature and sequence number are checked before it is
 * parsed; a verified `stream` or `file_chunk` head switches the splitter to read the next `size` bytes raw, and those
 * are handed on (as the `stream` message's text, or the chunk's bytes) only when their own MAC (signed inside the head) holds.
 * Nothing unverified reaches `onMessage`.
 */
export class KernelReader {
  private readonly auth: KernelLineAuth;
  private readonly splitter: ByteLineSplitter;

  constructor(
    key: string,
    private readonly onMessage: (message: KernelMessage) => void,
    private readonly onProblem: (text: string) => void,
    maxLineBytes = MAX_LINE_BYTES,
  ) {
    this.auth = new KernelLineAuth(key);
    this.splitter = new ByteLineSplitter(
      (line) => this.line(line),
      (bytes) => onProblem(`dropped a kernel line of ${bytes} bytes (over the line limit)`),
      maxLineBytes,
      0x1e, // every kernel line starts with a record separator (see KernelLineAuth)
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  /** Bytes of an unfinished line or payload (the kernel died in the middle of one). */
  get pending(): number {
    return this.splitter.pending;
  }

  private line(raw: Buffer): void {
    // Lines written to /proc/1/fd/1 by user code carry no valid signature and are dropped here.
    const opened = this.auth.openBytes(raw);
    if (!opened.ok) {
      this.onProblem(opened.problem);
      return;
    }
    const parsed = parseKernelBytes(opened.json);
    if (!parsed.ok) this.onProblem(parsed.problem);
    else if ('head' in parsed) {
      const head = parsed.head;
      this.splitter.expectRaw(head.size, (payload) => this.payload(opened.seq, head, payload));
    } else this.onMessage(parsed.message);
  }

  private payload(seq: number, head: PayloadHead, parts: Buffer[]): void {
    if (!this.auth.checkPayload(seq, parts, head.mac)) {
      this.onProblem(`bad payload signature on line ${seq}`);
      // Bytes stolen from (or forged into) the channel shifted the payload: what was counted into it
      // may hold the kernel's next lines, so it is read again as lines (each still checked).
      for (const part of parts) this.splitter.push(part);
      return;
    }
    if (head.type === 'file_chunk') this.onMessage({ type: 'file_chunk', fid: head.fid, data: parts });
    else {
      // The kernel encodes decoded text, so the bytes are valid UTF-8.
      const text = parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts, head.size).toString('utf8');
      this.onMessage({ type: 'stream', id: head.id, name: head.name, text });
    }
  }
}
