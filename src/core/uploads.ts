// Turns piped stdin and --file paths into uploads for /mnt/data, with a type sniffed and a preview for the model.
import fs from 'node:fs/promises';
import path from 'node:path';
import mimeTypes from 'mime-types';
import { sniffMime } from '../store/mime.js';
import { nameProblem } from '../shared/safe-name.js';

/** A file to put into /mnt/data before the first cell. */
export interface Upload {
  /** Name under /mnt/data. */
  name: string;
  data: Buffer;
  /** The first lines, shown to the model in the system prompt (text files only). */
  preview?: string;
}

const PREVIEW_LINES = 6;
const PREVIEW_CHARS = 800;

function isText(data: Buffer): boolean {
  const head = data.subarray(0, 64 * 1024);
  if (head.includes(0)) return false;
  return !new TextDecoder('utf-8', { fatal: false }).decode(head).includes('\ufffd');
}

/** Extension for piped data: binary formats by magic bytes, text as json / jsonl / csv / tsv / txt. */
export function sniffExtension(data: Buffer): string {
  const mime = sniffMime(data);
  if (mime) return mimeTypes.extension(mime) || 'bin';
  if (!isText(data)) return 'bin';
  const text = data
    .subarray(0, 256 * 1024)
    .toString('utf8')
    .replace(/^\ufeff/, '')
    .trim();
  if (!text) return 'txt';
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      JSON.parse(data.toString('utf8'));
      return 'json';
    } catch {
      const lines = text.split('\n').filter((l) => l.trim());
      const jsonLines = lines.slice(0, 20).every((l) => {
        try {
          JSON.parse(l);
          return true;
        } catch {
          return false;
        }
      });
      if (jsonLines) return 'jsonl';
    }
  }
  const lines = text
    .split(/\r?\n/)
    .slice(0, 20)
    .filter((l) => l.length > 0);
  if (lines.length >= 2) {
    for (const [sep, ext] of [
      ['\t', 'tsv'],
      [',', 'csv'],
      [';', 'csv'],
    ] as const) {
      const counts = lines.map((l) => l.split(sep).length - 1);
      if (counts[0]! > 0 && counts.every((c) => c === counts[0])) return ext;
    }
  }
  return 'txt';
}

export function previewOf(data: Buffer): string | undefined {
  if (!isText(data)) return undefined;
  const text = data.subarray(0, 64 * 1024).toString('utf8');
  return text.split(/\r?\n/).slice(0, PREVIEW_LINES).join('\n').slice(0, PREVIEW_CHARS);
}

/** Throws (marked `usage`) for a --stdin-name the sandbox would refuse, before any container or model call. */
export function stdinUpload(data: Buffer, name?: string): Upload {
  const problem = name === undefined ? null : nameProblem(name);
  if (problem) throw Object.assign(new Error(`--stdin-name ${JSON.stringify(name)}: ${problem}`), { usage: true });
  const finalName = name ?? `stdin.${sniffExtension(data)}`;
  const preview = previewOf(data);
  return { name: finalName, data, ...(preview !== undefined ? { preview } : {}) };
}

/** Reads --file paths; a missing file is a usage problem with its own message. */
export async function fileUploads(paths: string[]): Promise<Upload[]> {
  const seen = new Set<string>();
  const out: Upload[] = [];
  for (const p of paths) {
    let data: Buffer;
    try {
      data = await fs.readFile(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (err as Error).message;
      throw Object.assign(new Error(`--file ${p}: ${why}`), { usage: true });
    }
    let name = path.basename(p);
    for (let i = 1; seen.has(name); i++) name = `${path.parse(p).name}-${i}${path.extname(p)}`;
    seen.add(name);
    const preview = previewOf(data);
    out.push({ name, data, ...(preview !== undefined ? { preview } : {}) });
  }
  return out;
}
