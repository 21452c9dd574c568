// The build context: .dockerignore is honoured, the hash follows content, and the tar holds exactly those files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { contextHash, contextTar, readContext, guestDir } from './build-context.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function makeContext(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-ctx-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function untar(stream: NodeJS.ReadableStream): Promise<Record<string, string>> {
  const extract = tar.extract();
  const out: Record<string, string> = {};
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    out[entry.header.name] = Buffer.concat(chunks).toString('utf8');
  }
  return out;
}

describe('build context', () => {
  it('leaves out what .dockerignore excludes, and never follows links', () => {
    const dir = makeContext({
      Dockerfile: 'FROM x\n',
      'kernel.py': 'print(1)\n',
      'lib/util.py': 'x = 1\n',
      'README.md': 'docs\n',
      'build-base.sh': '#!/bin/sh\n',
      '__pycache__/kernel.cpython-313.pyc': 'bytes',
      '.dockerignore': '*.md\n*.sh\n__pycache__\n',
    });
    fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd'));
    expect(readContext(dir).map((f) => f.name)).toEqual(['.dockerignore', 'Dockerfile', 'kernel.py', 'lib/util.py']);
  });

  it('hashes content: same files give the same hash, one changed byte changes it, ignored files do not', () => {
    const a = makeContext({ Dockerfile: 'FROM x\n', 'kernel.py': 'print(1)\n', '.dockerignore': '*.md\n' });
    const b = makeContext({ Dockerfile: 'FROM x\n', 'kernel.py': 'print(1)\n', '.dockerignore': '*.md\n', 'NOTES.md': 'ignored' });
    const c = makeContext({ Dockerfile: 'FROM x\n', 'kernel.py': 'print(2)\n', '.dockerignore': '*.md\n' });
    const hash = contextHash(readContext(a));
    expect(hash).toMatch(/^[0-9a-f]{12}$/);
    expect(contextHash(readContext(b))).toBe(hash);
    expect(contextHash(readContext(c))).not.toBe(hash);
  });

  it('packs exactly the context files into the tar', async () => {
    const dir = makeContext({ Dockerfile: 'FROM x\n', 'sub/a.py': 'a = "ü"\n', 'x.md': 'no', '.dockerignore': '*.md\n' });
    expect(await untar(contextTar(readContext(dir)))).toEqual({ '.dockerignore': '*.md\n', Dockerfile: 'FROM x\n', 'sub/a.py': 'a = "ü"\n' });
  });

  it("finds the package's sandbox folder with its Dockerfile and kernel", () => {
    const names = readContext(guestDir()).map((f) => f.name);
    expect(names).toContain('Dockerfile');
    expect(names).toContain('kernel.py');
    expect(names).not.toContain('build-base.sh');
    expect(names).not.toContain('bench.Dockerfile');
    expect(names).not.toContain('PROTOCOL.md');
  });

  it('explains a missing Dockerfile', () => {
    expect(() => readContext(makeContext({ 'kernel.py': '' }))).toThrow(/no Dockerfile/);
  });
});
