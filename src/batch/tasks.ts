// Reads a batch's tasks from JSONL or plain text (one prompt a line) and gives every task a stable id.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';

export interface Task {
  id: string;
  prompt: string;
  /** Host paths (absolute) uploaded into /mnt/data before the task starts. */
  files: string[];
  model?: string;
  /** Wall-clock limit for the whole task, seconds. */
  timeout?: number;
  maxTurns?: number;
  /** USD limit for this task. */
  budget?: number;
  /** 1-based line in the input, for messages. */
  line: number;
}

/** A problem in the task file, with every bad line listed; the CLI turns it into a usage error. */
export class TaskFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems in the tasks:\n  ${problems.slice(0, 20).join('\n  ')}`);
    this.name = 'TaskFileError';
  }
}

/** Ids become folder names under --out: keep them to a portable, unsurprising set. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const taskLine = z
  .object({
    id: z.union([z.string(), z.number().int()]).optional(),
    prompt: z.string().refine((s) => s.trim().length > 0, 'must not be empty'),
    files: z.array(z.string().min(1)).optional(),
    model: z.string().regex(/^\S+$/, 'must be a model name without spaces').optional(),
    timeout: z.number().positive().optional(),
    max_turns: z.number().int().min(1).optional(),
    budget: z.number().nonnegative().optional(),
  })
  .loose();

export type InputFormat = 'jsonl' | 'text';

/** JSONL when the name says so or the first non-blank line is a JSON object; otherwise one prompt a line. */
export function detectFormat(text: string, name?: string): InputFormat {
  if (name && /\.jsonl?$/i.test(name)) return 'jsonl';
  if (name && /\.txt$/i.test(name)) return 'text';
  const first = text.split('\n').find((l) => l.trim());
  return first?.trim().startsWith('{') ? 'jsonl' : 'text';
}

/** Same prompt, files and model → same id, wherever the line sits in the file. */
export function derivedId(prompt: string, files: string[], model: string | undefined): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([prompt, files, model ?? '']))
    .digest('hex');
  return `t-${hash.slice(0, 10)}`;
}

export interface ParseOptions {
  /** Relative `files` are resolved against this folder (the task file's own folder). */
  baseDir: string;
  format?: InputFormat;
  name?: string;
}

export function parseTasks(text: string, options: ParseOptions): Task[] {
  const format = options.format ?? detectFormat(text, options.name);
  const problems: string[] = [];
  const raw: (Omit<Task, 'id'> & { id?: string; given: string[] })[] = [];
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  lines.forEach((lineText, index) => {
    const line = index + 1;
    if (!lineText.trim()) return;
    if (format === 'text') {
      raw.push({ prompt: lineText.trim(), files: [], given: [], line });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch (err) {
      problems.push(`line ${line}: not JSON (${(err as Error).message})`);
      return;
    }
    const parsed = taskLine.safeParse(value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'the line'} ${i.message}`).join('; ');
      problems.push(`line ${line}: ${issues}`);
      return;
    }
    const t = parsed.data;
    const id = t.id === undefined ? undefined : String(t.id);
    if (id !== undefined && !ID_PATTERN.test(id)) {
      problems.push(`line ${line}: id ${JSON.stringify(id)} must be letters, digits, '.', '_' or '-' (it names a folder), at most 100 characters`);
      return;
    }
    const given = t.files ?? [];
    raw.push({
      ...(id !== undefined ? { id } : {}),
      prompt: t.prompt,
      files: given.map((f) => path.resolve(options.baseDir, f)),
      given,
      ...(t.model !== undefined ? { model: t.model } : {}),
      ...(t.timeout !== undefined ? { timeout: t.timeout } : {}),
      ...(t.max_turns !== undefined ? { maxTurns: t.max_turns } : {}),
      ...(t.budget !== undefined ? { budget: t.budget } : {}),
      line,
    });
  });
  if (problems.length) throw new TaskFileError(problems);

  const tasks: Task[] = [];
  const seen = new Map<string, number>();
  const explicit = new Set(raw.filter((t) => t.id !== undefined).map((t) => t.id!));
  for (const { given, ...t } of raw) {
    let id = t.id;
    if (id !== undefined) {
      if (seen.has(id)) problems.push(`line ${t.line}: id ${JSON.stringify(id)} is already used on line ${seen.get(id)}`);
    } else {
      const base = derivedId(t.prompt, given, t.model);
      id = base;
      // The same prompt twice is two tasks: number the repeats in file order, skipping ids in use.
      for (let n = 2; seen.has(id) || explicit.has(id); n++) id = `${base}-${n}`;
    }
    seen.set(id, t.line);
    tasks.push({ ...t, id });
  }
  if (problems.length) throw new TaskFileError(problems);
  if (tasks.length === 0) throw new TaskFileError(['the input holds no tasks (no non-blank lines)']);
  return tasks;
}
