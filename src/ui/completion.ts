// Tab completion for the prompt: slash command names, and file paths for /upload or a path-like word.
import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { SLASH_COMMANDS } from './slash.js';

export interface Completion {
  /** Where the replaced word starts in the text. */
  start: number;
  /** The text to put from start to the cursor (the longest common prefix of all candidates). */
  replacement: string;
  /** Every candidate, for showing a list when there are several. */
  candidates: string[];
}

function commonPrefix(words: string[]): string {
  if (words.length === 0) return '';
  let p = words[0]!;
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1);
  return p;
}

function completePath(word: string, cwd: string): string[] {
  const expanded = word.startsWith('~/') ? join(homedir(), word.slice(2)) : word;
  const slash = expanded.lastIndexOf('/');
  const dirPart = slash === -1 ? '' : expanded.slice(0, slash + 1);
  const base = slash === -1 ? expanded : expanded.slice(slash + 1);
  const shownDir = slash === -1 ? '' : word.slice(0, word.lastIndexOf('/') + 1);
  let names: Array<{ name: string; dir: boolean }>;
  try {
    names = readdirSync(resolve(cwd, dirPart || '.'), { withFileTypes: true }).map((e) => ({ name: e.name, dir: e.isDirectory() }));
  } catch {
    return [];
  }
  return names
    .filter((e) => e.name.startsWith(base) && (base.startsWith('.') || !e.name.startsWith('.')))
    .map((e) => shownDir + e.name + (e.dir ? '/' : ''))
    .sort();
}

/** Completes the word before the cursor; null when there is nothing to offer. */
export function complete(text: string, cursor: number, cwd: string): Completion | null {
  const before = text.slice(0, cursor);
  const cmd = /^\/(\w*)$/.exec(before);
  if (cmd) {
    const names = SLASH_COMMANDS.map((c) => '/' + c.name + (c.args ? ' ' : '')).filter((n) => n.startsWith(before));
    if (names.length === 0) return null;
    return { start: 0, replacement: commonPrefix(names), candidates: names.map((n) => n.trim()) };
  }
  const wordMatch = /(\S*)$/.exec(before);
  const word = wordMatch ? wordMatch[1]! : '';
  const start = cursor - word.length;
  const isUploadArg = /^\/upload\s+\S*$/.test(before);
  const pathLike = word.startsWith('./') || word.startsWith('../') || word.startsWith('~/') || word.startsWith('/') || word.includes('/');
  if (!isUploadArg && !(pathLike && !/^\/\w*$/.test(before))) return null;
  const found = completePath(word, cwd);
  if (found.length === 0) return null;
  return { start, replacement: commonPrefix(found), candidates: found };
}
