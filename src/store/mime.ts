// The mime type of a saved file: by extension (mime-types), else by its first bytes for the common binary formats.
import mimeTypes from 'mime-types';

/** Extensions mime-types does not know that analysis code writes often. */
const EXTRA: Record<string, string> = {
  '.jsonl': 'application/jsonl',
  '.ndjson': 'application/x-ndjson',
  '.parquet': 'application/vnd.apache.parquet',
  '.py': 'text/x-python',
  '.ipynb': 'application/x-ipynb+json',
  '.feather': 'application/vnd.apache.arrow.file',
};

const OOXML: Array<[string, string]> = [
  ['word/', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xl/', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['ppt/', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
];

function startsWith(data: Uint8Array, magic: number[]): boolean {
  if (data.length < magic.length) return false;
  return magic.every((b, i) => data[i] === b);
}

/** Sniffs png, jpeg, gif, pdf and zip (telling docx/xlsx/pptx apart by their part names). */
export function sniffMime(data: Uint8Array): string | undefined {
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(data, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(data, [0x47, 0x49, 0x46, 0x38])) return 'image/gif';
  if (startsWith(data, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  if (startsWith(data, [0x50, 0x4b, 0x03, 0x04])) {
    // Office files are zips whose first entries are named word/..., xl/..., ppt/...; the names are
    // stored in plain text in the local headers, so the first few KB are enough.
    const head = Buffer.from(data.subarray(0, 64 * 1024)).toString('latin1');
    for (const [prefix, mime] of OOXML) if (head.includes(prefix)) return mime;
    return 'application/zip';
  }
  return undefined;
}

/** Mime type for a saved file name and its bytes; `application/octet-stream` when nothing matches. */
export function mimeFor(name: string, data: Uint8Array): string {
  const byName = mimeTypes.lookup(name);
  if (byName) return byName;
  const dot = name.lastIndexOf('.');
  const extra = dot > 0 ? EXTRA[name.slice(dot).toLowerCase()] : undefined;
  return extra ?? sniffMime(data) ?? 'application/octet-stream';
}
