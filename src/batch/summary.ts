// The plain text a batch prints: one line per finished task, and the summary table at the end.
import { stripAll } from '../render/sanitize.js';
import { formatDuration } from '../shared/format.js';
import type { TaskResult, TaskStatus } from './results.js';
import type { StopReason } from './scheduler.js';

/** One line of text with control characters and newlines removed, cut to `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = stripAll(text)
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return flat.length > max ? flat.slice(0, Math.max(0, max - 1)) + '…' : flat;
}

export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return '—';
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** `[3/20] ok       t-1a2b3c  4 s  $0.0003  the answer…` — what a non-terminal run prints per task. */
export function finishedLine(result: TaskResult, position: number, total: number, width = 100): string {
  const head = `[${position}/${total}] ${result.status.padEnd(7)} ${result.id}  ${formatDuration(result.timings.total_ms)}  ${formatCost(result.cost_usd)}`;
  const retry = result.attempts > 1 ? `  (attempt ${result.attempts})` : '';
  const tail = result.status === 'ok' ? result.answer : (result.error ?? '');
  const room = Math.max(20, width - head.length - retry.length - 2);
  return `${head}${retry}  ${oneLine(tail, room)}`;
}

export interface SummaryInput {
  /** Results of this run (not the skipped ones). */
  results: TaskResult[];
  total: number;
  skipped: number;
  notRun: number;
  stopped?: StopReason;
  wallMs: number;
  resultsPath: string;
  downEngines: { url: string; reason: string }[];
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const STOP_TEXT: Record<StopReason, string> = {
  fail_fast: 'stopped early: a task failed and --fail-fast was given',
  budget: 'stopped early: the --budget was used up',
  no_engine: 'stopped: no engine is left that can run tasks',
  interrupted: 'stopped by the user',
};

export function summary(input: SummaryInput): string {
  const { results } = input;
  const count = (s: TaskStatus): number => results.filter((r) => r.status === s).length;
  const sum = (pick: (r: TaskResult) => number): number => results.reduce((a, r) => a + pick(r), 0);
  const n = Math.max(1, results.length);
  const cost = results.some((r) => r.cost_usd !== null) ? sum((r) => r.cost_usd ?? 0) : null;
  const overhead = sum((r) => Math.max(0, r.timings.total_ms - r.timings.model_ms - r.timings.code_ms)) / n;
  const lines: string[] = [''];
  lines.push(
    table([
      ['tasks', 'ok', 'error', 'timeout', 'budget', 'not run', 'skipped', 'wall', 'tasks/min', 'cost'],
      [
        String(input.total),
        String(count('ok')),
        String(count('error')),
        String(count('timeout')),
        String(count('budget')),
        String(input.notRun),
        String(input.skipped),
        formatDuration(input.wallMs),
        ((results.length / Math.max(1, input.wallMs)) * 60_000).toFixed(1),
        formatCost(cost),
      ],
    ]),
  );
  if (results.length) {
    lines.push('');
    lines.push(
      table([
        ['per task (mean)', 'total', 'model', 'code', 'sandbox wait', 'codecell overhead'],
        [
          '',
          formatMs(sum((r) => r.timings.total_ms) / n),
          formatMs(sum((r) => r.timings.model_ms) / n),
          formatMs(sum((r) => r.timings.code_ms) / n),
          formatMs(sum((r) => r.timings.sandbox_ms) / n),
          formatMs(overhead),
        ],
      ]),
    );
    const engines = [...new Set(results.map((r) => r.engine))];
    if (engines.length > 1) {
      lines.push('');
      lines.push(
        table([
          ['engine', 'tasks', 'ok', 'retried'],
          ...engines.map((e) => {
            const mine = results.filter((r) => r.engine === e);
            return [e, String(mine.length), String(mine.filter((r) => r.status === 'ok').length), String(mine.filter((r) => r.attempts > 1).length)];
          }),
        ]),
      );
    }
  }
  const failed = results.filter((r) => r.status !== 'ok');
  if (failed.length) {
    lines.push('', 'failed:');
    for (const r of failed.slice(0, 20)) lines.push(`  ${r.id}  ${r.status}  ${oneLine(r.error ?? '', 100)}`);
    if (failed.length > 20) lines.push(`  … and ${failed.length - 20} more (see the results file)`);
  }
  for (const d of input.downEngines) lines.push(`engine ${d.url} was taken out of the batch: ${oneLine(d.reason, 120)}`);
  if (input.stopped) lines.push(STOP_TEXT[input.stopped] + (input.notRun ? `; ${input.notRun} task(s) not run (run again with --resume)` : ''));
  lines.push(`results: ${input.resultsPath}`);
  return lines.join('\n') + '\n';
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
