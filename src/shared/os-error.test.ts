// The one OS-error map: which codes mean what, and the message and fix when no caller knew better.
import { describe, expect, it } from 'vitest';
import { explainOsError, osProblem } from './os-error.js';

const errno = (code: string, message: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

describe('osProblem', () => {
  it('groups the codes that mean the same thing to the user', () => {
    expect(['ENOSPC', 'EDQUOT'].map((c) => osProblem(errno(c, c))?.kind)).toEqual(['disk_full', 'disk_full']);
    expect(['EACCES', 'EPERM', 'EROFS'].map((c) => osProblem(errno(c, c))?.kind)).toEqual(['not_writable', 'not_writable', 'not_writable']);
    expect(['EMFILE', 'ENFILE'].map((c) => osProblem(errno(c, c))?.kind)).toEqual(['too_many_open_files', 'too_many_open_files']);
    expect(osProblem(errno('ENOTDIR', 'x'))).toMatchObject({ code: 'ENOTDIR', kind: 'not_a_folder', words: 'a part of the path is not a folder' });
    expect(osProblem(errno('ENOENT', 'x'))).toMatchObject({ kind: 'not_found', words: 'no such file or folder' });
  });

  it('knows nothing of other codes, codeless errors or non-errors', () => {
    expect(osProblem(errno('ECONNRESET', 'reset'))).toBeUndefined();
    expect(osProblem(new Error('plain'))).toBeUndefined();
    expect(osProblem(undefined)).toBeUndefined();
    expect(osProblem('ENOSPC')).toBeUndefined();
  });
});

describe('explainOsError', () => {
  it('says what happened, keeps the system message, and names a fix', () => {
    expect(explainOsError(errno('ENOSPC', "ENOSPC: no space left on device, write '/out/a.csv'"))).toEqual({
      kind: 'disk_full',
      message: "the disk is full (ENOSPC: no space left on device, write '/out/a.csv')",
      fix: 'Free some space or choose another output folder with --out-dir.',
    });
    expect(explainOsError(errno('EROFS', "EROFS: read-only file system, open '/out/a'"))).toEqual({
      kind: 'not_writable',
      message: "the file system is read-only (EROFS: read-only file system, open '/out/a')",
      fix: 'Choose a folder you can write with --out-dir.',
    });
    expect(explainOsError(errno('EMFILE', 'EMFILE: too many open files'))?.fix).toMatch(/ulimit -n/);
    expect(explainOsError(new Error('plain'))).toBeUndefined();
  });
});
