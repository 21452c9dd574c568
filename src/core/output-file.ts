// Keeps a cell's full output on disk so the model's capped view can point at it.
import fs from 'node:fs';
import path from 'node:path';

export class OutputFile {
  private stream: fs.WriteStream | undefined;
  private failed = false;
  private bytes = 0;

  constructor(private readonly file: string) {}

  write(text: string): void {
    if (this.failed) return;
    if (!this.stream) {
      try {
        fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
        this.stream = fs.createWriteStream(this.file, { flags: 'wx', mode: 0o600 });
        this.stream.on('error', () => {
          this.failed = true;
        });
      } catch {
        this.failed = true;
        return;
      }
    }
    this.bytes += text.length;
    this.stream.write(text);
  }

  /** Resolves true when the file holds the complete output. */
  close(): Promise<boolean> {
    const stream = this.stream;
    if (!stream) return Promise.resolve(false);
    return new Promise((resolve) => stream.end(() => resolve(!this.failed && this.bytes > 0)));
  }
}
