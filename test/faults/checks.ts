// What every fault test checks afterwards: saved files and their manifest rows, the session log, and how to time a fault.
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { expect } from 'vitest';
import { manifest, sha256, type Home } from '../e2e/harness.js';
import type { SessionRecord } from '../../src/store/session-log.js';

/** The one session recorded in this home, every line parsed (a line that is not JSON fails the test). */
export function sessionLog(home: Home): { id: string; records: SessionRecord[]; events: { type: string; [k: string]: unknown }[] } {
  const dir = path.join(home.env.CODECELL_HOME!, 'sessions');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl')) : [];
  expect(files, `session logs in ${dir}`).toHaveLength(1);
  const text = fs.readFileSync(path.join(dir, files[0]!), 'utf8');
  expect(text.endsWith('\n'), 'the session log ends with a whole line').toBe(true);
  const records = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l, i) => {
      try {
        return JSON.parse(l) as SessionRecord;
      } catch {
        throw new Error(`session log line ${i + 1} is not JSON: ${l.slice(0, 200)}`);
      }
    });
  const events = records.filter((r) => r.kind === 'event').map((r) => r.data as { type: string; [k: string]: unknown });
  return { id: files[0]!.slice(0, -'.jsonl'.length), records, events };
}

/** Each file is in the output folder with exactly this content, and has one manifest row whose sha256 and size match. */
export function expectSaved(outDir: string, files: Record<string, string | Buffer>): void {
  const rows = manifest(outDir);
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const file = path.join(outDir, name);
    expect(fs.existsSync(file), `${name} is on disk`).toBe(true);
    expect(fs.readFileSync(file).equals(data), `${name} has its content`).toBe(true);
    const matching = rows.filter((r) => r.name === name);
    expect(matching, `manifest rows for ${name}`).toHaveLength(1);
    expect(matching[0]).toMatchObject({ path: file, size: data.length, sha256: sha256(data) });
  }
}

/** Every manifest row points at a complete file: its size and sha256 match what is on disk. */
export function expectManifestTrue(outDir: string): void {
  for (const row of manifest(outDir)) {
    expect(fs.existsSync(row.path), `${row.name} listed in the manifest is on disk`).toBe(true);
    const data = fs.readFileSync(row.path);
    expect({ name: row.name, size: data.length, sha256: sha256(data) }).toEqual({ name: row.name, size: row.size, sha256: row.sha256 });
  }
}

/** Calls `act` once when the child's stderr (or stdout) has shown `marker`. */
export function onOutput(child: ChildProcessWithoutNullStreams, marker: RegExp, act: () => void, stream: 'stderr' | 'stdout' = 'stderr'): void {
  let seen = '';
  let done = false;
  child[stream].on('data', (d: Buffer) => {
    seen += d.toString();
    if (!done && marker.test(seen)) {
      done = true;
      act();
    }
  });
}

/** Polls `ready` every 20 ms and calls `act` once it is true (or never, if the child exits first). */
export function when(child: ChildProcessWithoutNullStreams, ready: () => boolean, act: () => void): void {
  const timer = setInterval(() => {
    if (ready()) {
      clearInterval(timer);
      act();
    }
  }, 20);
  child.on('close', () => clearInterval(timer));
}

export const sigint = (child: ChildProcessWithoutNullStreams): void => {
  if (child.pid) process.kill(child.pid, 'SIGINT');
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
