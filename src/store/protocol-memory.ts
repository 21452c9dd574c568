// Remembers which models a server refused tools for, so `--tools auto` starts the next run in text mode.
import fs from 'node:fs';
import path from 'node:path';
import { dataDir } from './paths.js';

export type Protocol = 'native' | 'text';

interface Entry {
  protocol: Protocol;
  /** The server's own words when it refused tools. */
  reason: string;
  learnedAt: string;
}

/** codecell's own data folder, not the user's config: this is learned, not chosen. */
export function protocolMemoryPath(env: Record<string, string | undefined> = process.env): string {
  return path.join(dataDir(env), 'tool-protocols.json');
}

const keyOf = (baseURL: string, model: string): string => `${baseURL.replace(/\/+$/, '')} ${model}`;

function load(file: string): Record<string, Entry> {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, Entry>) : {};
  } catch {
    return {}; // Missing or damaged: nothing learned yet (it is only a cache).
  }
}

/** The memory for one base URL, in the shape the model client takes. */
export function protocolMemory(baseURL: string, file: string = protocolMemoryPath()) {
  return {
    get(model: string): Protocol | undefined {
      const entry = load(file)[keyOf(baseURL, model)];
      return entry?.protocol === 'text' || entry?.protocol === 'native' ? entry.protocol : undefined;
    },
    set(model: string, protocol: Protocol, reason: string): void {
      const all = load(file);
      all[keyOf(baseURL, model)] = { protocol, reason, learnedAt: new Date().toISOString() };
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // Write then rename, so a concurrent reader (batch runs many sessions) never sees half a file.
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
      fs.renameSync(tmp, file);
    },
  };
}
