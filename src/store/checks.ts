// Doctor checks for codecell's own files: the config file (readable, private) and the data and output folders (writable).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { check, type Check } from '../shared/check.js';
import { configDir, dataDir } from './paths.js';

type Env = Record<string, string | undefined>;

const octal = (mode: number): string => `0${(mode & 0o777).toString(8)}`;

/** The config file: where it is, that it parses, and that only its owner can read it (it may hold the API key). */
export function checkConfigFile(env: Env = process.env): Check {
  const base = { id: 'config', group: 'files' as const, title: 'config' };
  const dir = configDir(env);
  const file = path.join(dir, 'config.json');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return check({
      ...base,
      required: false,
      status: 'ok',
      detail: `${file} does not exist yet (\`codecell config set\` creates it, private to you)`,
      data: { path: file, exists: false },
    });
  }
  let values: Record<string, unknown>;
  try {
    values = JSON.parse(fs.readFileSync(file, 'utf8') || '{}') as Record<string, unknown>;
  } catch (err) {
    return check({
      ...base,
      required: true,
      status: 'fail',
      detail: `${file} cannot be read: ${(err as Error).message}`,
      fix: 'Fix the JSON by hand, or delete the file to start over.',
      data: { path: file, exists: true },
    });
  }
  const mode = stat.mode & 0o777;
  const dirMode = fs.statSync(dir).mode & 0o777;
  const data = { path: file, exists: true, mode: octal(mode), dirMode: octal(dirMode), keys: Object.keys(values) };
  const secret = typeof values.apiKey === 'string' ? ', holds the API key' : '';
  if (mode & 0o077 || dirMode & 0o077) {
    return check({
      ...base,
      required: false,
      status: 'warn',
      detail: `${file} (${octal(mode)}, folder ${octal(dirMode)}) can be read by other users${secret}`,
      fix: `\`chmod 600 ${file} && chmod 700 ${dir}\` (codecell also does this on its next write).`,
      data,
    });
  }
  return check({ ...base, required: false, status: 'ok', detail: `${file} (${octal(mode)}, private${secret})`, data });
}

/** Writes and removes a small file in `dir` (created if missing); undefined when that works, else why not. */
function tryWrite(dir: string, create: boolean): string | undefined {
  try {
    if (create) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const probe = path.join(dir, `.codecell-doctor-${randomBytes(4).toString('hex')}`);
    fs.writeFileSync(probe, 'ok', { flag: 'wx' });
    fs.unlinkSync(probe);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
}

/** The nearest folder of `p` that exists. */
function existingAncestor(p: string): string {
  let dir = p;
  while (!fs.existsSync(dir)) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

/** Session logs and prompt history: a failure only costs the record, so it warns. */
export function checkDataDir(env: Env = process.env): Check {
  const dir = dataDir(env);
  const problem = tryWrite(dir, true);
  const base = { id: 'data', group: 'files' as const, title: 'data', required: false, data: { path: dir } };
  if (problem)
    return check({
      ...base,
      status: 'warn',
      detail: `${dir} is not writable (${problem}): sessions and history will not be kept`,
      fix: 'Make it writable, or point CODECELL_HOME at a folder you can write.',
    });
  return check({ ...base, status: 'ok', detail: `${dir} writable (sessions, history)` });
}

/** The output folder: saving files is part of every run, so a folder that cannot be written fails. Never creates it. */
export function checkOutDir(outDir: string): Check {
  const base = { id: 'output', group: 'files' as const, title: 'output', required: true, data: { path: outDir } };
  const fix = 'Choose a folder you can write with --out-dir (or `codecell config set outDir <dir>`).';
  if (fs.existsSync(outDir)) {
    if (!fs.statSync(outDir).isDirectory()) return check({ ...base, status: 'fail', detail: `${outDir} is a file, not a folder`, fix });
    const problem = tryWrite(outDir, false);
    if (problem) return check({ ...base, status: 'fail', detail: `${outDir} is not writable (${problem})`, fix });
    return check({ ...base, status: 'ok', detail: `${outDir} writable` });
  }
  const parent = existingAncestor(outDir);
  try {
    fs.accessSync(parent, fs.constants.W_OK);
  } catch (err) {
    return check({ ...base, status: 'fail', detail: `${outDir} cannot be created: ${parent} is not writable (${(err as NodeJS.ErrnoException).code})`, fix });
  }
  return check({ ...base, status: 'ok', detail: `${outDir} (created on the first saved file)` });
}
