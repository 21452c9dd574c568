// Draws the doctor's checks as a short screen: one line per check under its group, a fix under each problem, a verdict.
import { readyToRun, type Check, type CheckGroup, type CheckStatus } from '../shared/check.js';
import { sanitize } from './sanitize.js';

const GROUPS: { group: CheckGroup; title: string }[] = [
  { group: 'sandbox', title: 'sandbox' },
  { group: 'model', title: 'model server' },
  { group: 'terminal', title: 'terminal' },
  { group: 'files', title: 'files' },
];

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };
const COLOUR: Record<CheckStatus, number> = { ok: 32, warn: 33, fail: 31, skip: 90 };

/** Word-wraps `text` to `width` columns; continuation lines start with `indent`. */
export function hang(text: string, width: number, indent: string): string[] {
  const room = Math.max(20, width - indent.length);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && [...line].length + 1 + [...word].length > room) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l));
}

export function formatDoctor(checks: readonly Check[], options: { color?: boolean; version?: string; width?: number } = {}): string[] {
  const paint = (code: number, s: string): string => (options.color ? `\u001b[${code}m${s}\u001b[39m` : s);
  const bold = (s: string): string => (options.color ? `\u001b[1m${s}\u001b[22m` : s);
  const width = Math.max(...checks.map((c) => c.title.length), 8);
  const lines: string[] = [bold(`codecell doctor${options.version ? ` ${options.version}` : ''}`)];
  for (const { group, title } of GROUPS) {
    const inGroup = checks.filter((c) => c.group === group);
    if (inGroup.length === 0) continue;
    lines.push('', bold(title));
    const indent = ' '.repeat(width + 6);
    // Long details and fixes wrap under the detail column rather than back to the left edge.
    const wrap = (text: string): string[] => (options.width ? hang(text, options.width, indent) : [text]);
    for (const c of inGroup) {
      const [first = '', ...rest] = wrap(sanitize(c.detail));
      lines.push(`  ${paint(COLOUR[c.status], MARK[c.status])} ${c.title.padEnd(width)}  ${first}`, ...rest);
      if (c.fix && (c.status === 'fail' || c.status === 'warn')) {
        const [head = '', ...more] = wrap(`fix: ${sanitize(c.fix)}`);
        lines.push(`${indent}${paint(COLOUR[c.status], 'fix:')}${head.slice(4)}`, ...more);
      }
    }
  }
  const blocking = checks.filter((c) => c.required && c.status === 'fail');
  const warnings = checks.filter((c) => c.status === 'warn' || (!c.required && c.status === 'fail'));
  lines.push('');
  if (readyToRun(checks)) {
    lines.push(
      paint(32, `ready: \`codecell run\` has what it needs${warnings.length ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'} above)` : ''}`),
    );
  } else {
    lines.push(
      paint(
        31,
        `not ready: ${blocking.length} problem${blocking.length === 1 ? '' : 's'} stop${blocking.length === 1 ? 's' : ''} \`codecell run\` (${blocking.map((c) => c.title).join(', ')}); each has its fix above`,
      ),
    );
  }
  return lines;
}
