// Saves files that came out of the sandbox into the host output folder: never overwriting, never following links, never half-written.
import { constants, promises as nodeFs } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import { StoreError, type ManifestEntry } from './types.js';
import { mimeFor } from './mime.js';
import { candidateName, safeParts } from '../shared/safe-name.js';
import { osProblem } from '../shared/os-error.js';

export const MANIFEST_NAME = 'manifest.jsonl';
const TEMP_PREFIX = '.codecell-';
const MAX_CANDIDATES = 10_000;
const { O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_RDONLY } = constants;

/** The file system calls the store makes; tests replace one to inject errors such as EACCES. */
export interface StoreFs {
  lstat: typeof nodeFs.lstat;
  mkdir: typeof nodeFs.mkdir;
  open: typeof nodeFs.open;
  link: typeof nodeFs.link;
  rename: typeof nodeFs.rename;
  unlink: typeof nodeFs.unlink;
}

export interface OutputStoreOptions {
  /** Session id written into every manifest row (empty for `exec`). */
  session: string;
  /** Most files this store saves; later saves fail with code ELIMIT. */
  maxFiles?: number;
  /** Most bytes this store saves in total; later saves fail with code ELIMIT. */
  maxBytes?: number;
  fs?: Partial<StoreFs>;
}

export interface SaveInput {
  turn: number;
  /** Path the code gave the file, relative to /mnt/data; subfolders are kept. */
  source: string;
  data: Uint8Array;
  mime?: string;
}

export { StoreError };

const OUT_DIR_FIX = 'Choose another output folder with --out-dir (or `codecell config set outDir PATH`).';
const OUT_DIR_FIX_LOWER = 'choose another output folder with --out-dir (or `codecell config set outDir PATH`).';

/** Wraps a file system error in a message that says what happened and what to do. */
function explain(err: unknown, what: string, outDir: string): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? 'EIO';
  // EINVAL here is a refused name (safe-name.ts), not an OS error.
  if (code === 'EINVAL') return new StoreError(`cannot save ${what}: ${e.message}`, code);
  const problem = osProblem(err);
  switch (problem?.kind) {
    case 'disk_full':
      return new StoreError(`no space left on the disk to save ${what} in ${outDir}`, code, `The disk is full: free some space. ${OUT_DIR_FIX}`);
    case 'not_writable':
      if (code === 'EROFS') return new StoreError(`cannot save ${what}: ${outDir} is on a read-only file system`, code, OUT_DIR_FIX);
      return new StoreError(`permission denied saving ${what} in ${outDir}`, code, OUT_DIR_FIX);
    case 'not_a_folder':
      return new StoreError(`cannot save ${what}: a part of ${outDir} is not a folder`, code, OUT_DIR_FIX);
    default:
      return new StoreError(`cannot save ${what} in ${outDir}: ${e?.message ?? String(err)}`, code, problem?.fix);
  }
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException)?.code ?? '');
}

export class OutputStore {
  private readonly entries: ManifestEntry[] = [];
  private readonly fs: StoreFs;
  private savedBytes = 0;
  /** Saves run one at a time so limits, collision names and manifest order stay consistent. */
  private queue: Promise<unknown> = Promise.resolve();
  private outDirReady = false;
  private stopped = false;

  constructor(
    readonly outDir: string,
    private readonly options: OutputStoreOptions,
  ) {
    this.fs = { ...nodeFs, ...options.fs } as StoreFs;
  }

  get manifestPath(): string {
    return join(this.outDir, MANIFEST_NAME);
  }

  /** Saves one file and appends its manifest row. Rejects with a StoreError; a partial temp file is removed. */
  save(input: SaveInput): Promise<ManifestEntry> {
    const run = this.queue.then(() => this.saveNow(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Lets the save in progress finish (file and manifest row) and refuses the ones still waiting: codecell
   * is exiting (a second Ctrl-C), and a file published without its manifest row would look unaccounted for.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
  }

  /** The files this store saved, in order. */
  list(): ManifestEntry[] {
    return [...this.entries];
  }

  private async saveNow(input: SaveInput): Promise<ManifestEntry> {
    const what = JSON.stringify(input.source);
    if (this.stopped) throw new StoreError(`not saving ${what}: codecell is stopping`, 'ECANCELED');
    let parts: string[];
    try {
      parts = safeParts(input.source);
    } catch (err) {
      throw explain(err, what, this.outDir);
    }
    const { maxFiles, maxBytes } = this.options;
    if (maxFiles !== undefined && this.entries.length >= maxFiles) {
      throw new StoreError(`not saving ${what}: this session already saved ${maxFiles} files, the limit`, 'ELIMIT', 'Start a new session to save more files.');
    }
    if (maxBytes !== undefined && this.savedBytes + input.data.length > maxBytes) {
      throw new StoreError(
        `not saving ${what}: it would pass this session's limit of ${maxBytes} bytes of saved files`,
        'ELIMIT',
        'Start a new session to save more files.',
      );
    }

    let tmp: string | undefined;
    let finalPath: string;
    try {
      const dir = await this.folderFor(parts.slice(0, -1));
      tmp = join(dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}.tmp`);
      await this.writeTemp(tmp, input.data);
      finalPath = await this.publish(tmp, dir, parts[parts.length - 1]!);
      tmp = undefined;
      await this.syncDir(dir);
    } catch (err) {
      if (tmp) await this.fs.unlink(tmp).catch(() => undefined);
      throw explain(err, what, this.outDir);
    }

    const entry: ManifestEntry = {
      id: `f_${randomBytes(5).toString('hex')}`,
      session: this.options.session,
      turn: input.turn,
      name: relative(this.outDir, finalPath).split(sep).join('/'),
      source: input.source,
      mime: input.mime ?? mimeFor(finalPath, input.data),
      path: finalPath,
      size: input.data.length,
      sha256: createHash('sha256').update(input.data).digest('hex'),
      created_at: new Date().toISOString(),
    };
    this.entries.push(entry);
    this.savedBytes += entry.size;
    try {
      await this.appendManifest(entry);
    } catch (err) {
      // The file itself is saved and stays; only its manifest row is missing.
      const e = explain(err, MANIFEST_NAME, this.outDir);
      throw new StoreError(`saved ${entry.path}, but could not add it to ${this.manifestPath}: ${e.message}`, e.code, e.fix);
    }
    return entry;
  }

  /** Creates the output folder on first use (0755), then each subfolder, refusing symbolic links. */
  private async folderFor(subdirs: string[]): Promise<string> {
    if (!this.outDirReady) {
      try {
        await this.fs.mkdir(this.outDir, { recursive: true, mode: 0o755 });
      } catch (err) {
        if (isCode(err, 'EEXIST', 'ENOTDIR'))
          throw new StoreError(`the output folder ${this.outDir} is not a folder (a file has its name)`, 'ENOTDIR', OUT_DIR_FIX);
        throw err;
      }
      this.outDirReady = true;
    }
    let dir = this.outDir;
    for (const part of subdirs) dir = await this.subfolder(dir, part);
    return dir;
  }

  /** Uses `parent/part` if it is a real folder, creates it if missing, tries `part-1`... if a file has the name. */
  private async subfolder(parent: string, part: string): Promise<string> {
    for (let i = 0; i < MAX_CANDIDATES; i++) {
      const name = candidateName(part, i);
      if (parent === this.outDir && this.reserved(name)) continue;
      const path = join(parent, name);
      try {
        const st = await this.fs.lstat(path);
        if (st.isSymbolicLink()) {
          throw new StoreError(`refusing to save into ${path}: it is a symbolic link`, 'ELOOP', `Remove the link, or ${OUT_DIR_FIX_LOWER}`);
        }
        if (st.isDirectory()) return path;
        continue; // a file has this name: never write through or over it
      } catch (err) {
        if (!isCode(err, 'ENOENT')) throw err;
      }
      try {
        await this.fs.mkdir(path, { mode: 0o755 });
        return path;
      } catch (err) {
        if (!isCode(err, 'EEXIST')) throw err;
        i--; // created meanwhile: look at it again
      }
    }
    throw new StoreError(`no free folder name for ${part} in ${parent}`, 'EEXIST');
  }

  private reserved(name: string): boolean {
    return name === MANIFEST_NAME || name.startsWith(TEMP_PREFIX);
  }

  private async writeTemp(tmp: string, data: Uint8Array): Promise<void> {
    const fh = await this.fs.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /**
   * Gives the complete temp file its final name. link() fails with EEXIST instead of replacing a file,
   * so the first free name wins atomically. Where hard links are unsupported, the name is reserved with
   * O_EXCL and the temp file renamed over that (empty) reservation.
   */
  private async publish(tmp: string, dir: string, name: string): Promise<string> {
    let useRename = false;
    for (let i = 0; i < MAX_CANDIDATES; i++) {
      const candidate = candidateName(name, i);
      if (dir === this.outDir && this.reserved(candidate)) continue;
      const path = join(dir, candidate);
      if (!useRename) {
        try {
          await this.fs.link(tmp, path);
          await this.fs.unlink(tmp);
          return path;
        } catch (err) {
          if (isCode(err, 'EEXIST')) continue;
          if (!isCode(err, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV')) throw err;
          useRename = true;
        }
      }
      try {
        const fh = await this.fs.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
        await fh.close();
      } catch (err) {
        if (isCode(err, 'EEXIST')) continue;
        throw err;
      }
      await this.fs.rename(tmp, path);
      return path;
    }
    throw new StoreError(`no free file name for ${name} in ${dir}`, 'EEXIST');
  }

  /** fsync of the folder makes the new name itself durable; some platforms cannot, which is harmless. */
  private async syncDir(dir: string): Promise<void> {
    let fh: Awaited<ReturnType<StoreFs['open']>> | undefined;
    try {
      fh = await this.fs.open(dir, O_RDONLY);
      await fh.sync();
    } catch {
      // not supported here (e.g. some network file systems)
    } finally {
      await fh?.close();
    }
  }

  private async appendManifest(entry: ManifestEntry): Promise<void> {
    const fh = await this.fs.open(this.manifestPath, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o644);
    try {
      await fh.write(JSON.stringify(entry) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

/** Reads a manifest.jsonl; a torn last line (crash mid-write) and lines that are not rows are skipped. */
export async function readManifest(outDir: string): Promise<ManifestEntry[]> {
  let text: string;
  try {
    text = await nodeFs.readFile(join(outDir, MANIFEST_NAME), 'utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return [];
    throw err;
  }
  const rows: ManifestEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const row = JSON.parse(line) as ManifestEntry;
      if (row && typeof row.id === 'string' && typeof row.path === 'string') rows.push(row);
    } catch {
      // torn or foreign line
    }
  }
  return rows;
}
