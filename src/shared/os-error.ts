// The one map from operating-system error codes (ENOSPC, EACCES, EROFS, ENOENT, EMFILE …) to what they mean for the user.

/** What went wrong, as the `kind` of a JSON `error` event when nothing more specific explained it. */
export type OsProblemKind = 'disk_full' | 'not_writable' | 'not_a_folder' | 'not_found' | 'too_many_open_files';

export interface OsProblem {
  /** The errno name, e.g. ENOSPC. */
  code: string;
  kind: OsProblemKind;
  /** What happened, in a few plain words ("the disk is full"). */
  words: string;
  /** What to do when the caller knows nothing better; a caller that knows which folder failed names it instead. */
  fix: string;
}

const OUT_DIR_SPACE = 'Free some space or choose another output folder with --out-dir.';
const OUT_DIR_WRITE = 'Choose a folder you can write with --out-dir.';

const PROBLEMS: Record<string, Omit<OsProblem, 'code'>> = {
  ENOSPC: { kind: 'disk_full', words: 'the disk is full', fix: OUT_DIR_SPACE },
  EDQUOT: { kind: 'disk_full', words: 'the disk is full', fix: OUT_DIR_SPACE },
  EACCES: { kind: 'not_writable', words: 'permission denied', fix: OUT_DIR_WRITE },
  EPERM: { kind: 'not_writable', words: 'permission denied', fix: OUT_DIR_WRITE },
  EROFS: { kind: 'not_writable', words: 'the file system is read-only', fix: OUT_DIR_WRITE },
  ENOTDIR: { kind: 'not_a_folder', words: 'a part of the path is not a folder', fix: 'Check the path: one of its folders is a file.' },
  ENOENT: { kind: 'not_found', words: 'no such file or folder', fix: 'Check the path.' },
  EMFILE: { kind: 'too_many_open_files', words: 'too many open files', fix: 'Close other programs, or raise the open-file limit (ulimit -n).' },
  ENFILE: { kind: 'too_many_open_files', words: 'too many open files', fix: 'Close other programs, or raise the open-file limit (ulimit -n).' },
};

/** What an error's errno code means, or undefined when it has no code this map knows. */
export function osProblem(err: unknown): OsProblem | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  const problem = PROBLEMS[code];
  return problem ? { code, ...problem } : undefined;
}

/** A message and fix for an OS error that reached the top without a context of its own: "the disk is full (ENOSPC: …)". */
export function explainOsError(err: unknown): { kind: OsProblemKind; message: string; fix: string } | undefined {
  const problem = osProblem(err);
  if (!problem) return undefined;
  return { kind: problem.kind, message: `${problem.words} (${(err as Error).message})`, fix: problem.fix };
}
