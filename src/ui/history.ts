// Prompt history: up/down navigation over past prompts, persisted one JSON string per line.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

const KEEP = 1000;

export class PromptHistory {
  private readonly entries: string[];
  /** entries.length means "the draft being typed". */
  private index: number;
  private draft = '';

  constructor(
    entries: string[] = [],
    private readonly file?: string,
  ) {
    this.entries = entries.slice(-KEEP);
    this.index = this.entries.length;
  }

  /** Loads a history file; a missing or damaged file gives an empty history, never an error. */
  static load(file: string): PromptHistory {
    let entries: string[] = [];
    try {
      entries = readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          try {
            const v: unknown = JSON.parse(line);
            return typeof v === 'string' ? v : '';
          } catch {
            return '';
          }
        })
        .filter(Boolean);
    } catch {
      // first run: no history yet
    }
    return new PromptHistory(entries, file);
  }

  get all(): readonly string[] {
    return this.entries;
  }

  /** Records a submitted prompt (skipping an immediate repeat) and resets navigation. */
  add(prompt: string): void {
    const p = prompt.trim();
    this.index = this.entries.length;
    this.draft = '';
    if (!p || this.entries[this.entries.length - 1] === p) return;
    this.entries.push(p);
    this.index = this.entries.length;
    if (!this.file) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      appendFileSync(this.file, JSON.stringify(p) + '\n', { mode: 0o600 });
    } catch {
      // history is a convenience; a read-only home must not break the chat
    }
  }

  /** The older entry, or null at the oldest. `current` is kept as the draft when leaving it. */
  previous(current: string): string | null {
    if (this.index === 0) return null;
    if (this.index === this.entries.length) this.draft = current;
    this.index--;
    return this.entries[this.index] ?? null;
  }

  /** The newer entry, the saved draft past the newest, or null when already at the draft. */
  next(): string | null {
    if (this.index >= this.entries.length) return null;
    this.index++;
    return this.index === this.entries.length ? this.draft : (this.entries[this.index] ?? null);
  }
}
