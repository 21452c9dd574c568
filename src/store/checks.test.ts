import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfigFile, checkDataDir, checkOutDir } from './checks.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-checks-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('file checks', () => {
  it('config: absent is fine, private is ok, readable by others warns with chmod, damaged JSON fails', () => {
    const env = { CODECELL_CONFIG_DIR: path.join(dir, 'cfg') };
    const file = path.join(dir, 'cfg', 'config.json');
    expect(checkConfigFile(env)).toMatchObject({ status: 'ok', data: { exists: false, path: file } });
    fs.mkdirSync(path.join(dir, 'cfg'), { mode: 0o700 });
    fs.writeFileSync(file, '{"model": "x"}', { mode: 0o600 });
    expect(checkConfigFile(env)).toMatchObject({ status: 'ok', detail: `${file} (0600, private)` });
    fs.chmodSync(file, 0o640);
    expect(checkConfigFile(env)).toMatchObject({ status: 'warn', required: false, fix: expect.stringContaining(`chmod 600 ${file}`) });
    fs.writeFileSync(file, '{"model": ');
    expect(checkConfigFile(env)).toMatchObject({ status: 'fail', required: true, fix: expect.stringContaining('Fix the JSON') });
  });

  it('output: a missing folder is ok and not created; a file in its place fails', () => {
    const out = path.join(dir, 'a', 'b');
    expect(checkOutDir(out)).toMatchObject({ status: 'ok', required: true, detail: `${out} (created on the first saved file)` });
    expect(fs.existsSync(path.join(dir, 'a'))).toBe(false);
    fs.mkdirSync(out, { recursive: true });
    expect(checkOutDir(out)).toMatchObject({ status: 'ok', detail: `${out} writable` });
    expect(fs.readdirSync(out)).toEqual([]); // the write probe is removed
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, 'x');
    expect(checkOutDir(file)).toMatchObject({ status: 'fail', detail: `${file} is a file, not a folder`, fix: expect.stringContaining('--out-dir') });
  });

  it('data: writable folder is ok; a file in its way warns (sessions are not kept)', () => {
    expect(checkDataDir({ CODECELL_HOME: path.join(dir, 'data') })).toMatchObject({ status: 'ok' });
    fs.writeFileSync(path.join(dir, 'blocked'), 'x');
    expect(checkDataDir({ CODECELL_HOME: path.join(dir, 'blocked') })).toMatchObject({
      status: 'warn',
      required: false,
      fix: expect.stringContaining('CODECELL_HOME'),
    });
  });
});
