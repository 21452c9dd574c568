// `codecell sessions list | show <id> | export <id>`: recorded sessions, read from the session log.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SessionHistory, SessionSummary } from '../../store/session-log.js';
import { EXPORT_FORMATS, exportSession, type ExportFormat } from '../../render/export.js';
import { sanitize } from '../../render/sanitize.js';
import { UsageError } from '../errors.js';
import { colorEnabled } from '../color.js';

/** One line per session for `sessions list` and the chat's /sessions. */
export function sessionLine(s: SessionSummary): string {
  const when = s.started ? s.started.slice(0, 16).replace('T', ' ') : '';
  // A session without prompts (codecell exec) counts its cells instead.
  const turns = s.turns === 0 && s.cells > 0 ? `${s.cells} cell${s.cells === 1 ? '' : 's'}` : `${s.turns} turn${s.turns === 1 ? '' : 's'}`;
  const files = s.files ? ` · ${s.files} file${s.files === 1 ? '' : 's'}` : '';
  return sanitize(`${s.id}  ${when}  ${s.model || '?'}  ${turns}${files}  ${s.title}`);
}

/**
 * Runs `work` with the session log, loaded on use (not for `--help`). Session log errors are the user's
 * to fix (wrong id): exit 2 with the log's own fix.
 */
async function withLog<T>(work: (log: typeof import('../../store/session-log.js').SessionLog) => Promise<T>): Promise<T> {
  const { SessionLog, SessionLogError } = await import('../../store/session-log.js');
  try {
    return await work(SessionLog);
  } catch (err) {
    if (err instanceof SessionLogError) throw new UsageError(err.message, err.fix);
    throw err;
  }
}

/** Reads a session for show/export; lines this version cannot read are left out, and the user is told. */
async function readSession(id: string): Promise<SessionHistory> {
  const history = await withLog((log) => log.history(id));
  if (history.skipped > 0) {
    const lines = `${history.skipped} line${history.skipped === 1 ? '' : 's'}`;
    process.stderr.write(
      `codecell: left out ${lines} of session ${history.id || id} that this version cannot read (a crash mid-write, or another version's records)\n`,
    );
  }
  return history;
}

export function registerSessions(program: Command): void {
  const sessions = program.command('sessions').description('list, show and export recorded chat sessions');

  sessions
    .command('list')
    .description('recorded sessions, newest first')
    .action(async () => {
      const all = await withLog((log) => log.list());
      if (all.length === 0) {
        process.stdout.write('no recorded sessions yet (start one with `codecell`)\n');
        return;
      }
      process.stdout.write(all.map(sessionLine).join('\n') + '\n');
    });

  sessions
    .command('show <id>')
    .description('print a session: prompts, code, full output and answers (any unique prefix of the id works)')
    .action(async (id: string) => {
      const md = exportSession(await readSession(id), 'md');
      const { renderMarkdown } = await import('../../render/markdown.js');
      const out = process.stdout.isTTY ? renderMarkdown(md, { width: Math.min(process.stdout.columns || 100, 120), color: colorEnabled(process.stdout) }) : md;
      process.stdout.write(sanitize(out).replace(/\n?$/, '\n'));
    });

  sessions
    .command('export <id>')
    .description('export a session as Markdown, a Jupyter notebook or a Python script')
    .option('-f, --format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, 'md')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (id: string, opts: { format: string; output?: string }) => {
      if (!EXPORT_FORMATS.includes(opts.format as ExportFormat)) {
        throw new UsageError(`unknown export format ${JSON.stringify(opts.format)}`, `Use --format ${EXPORT_FORMATS.join(', --format ')}.`);
      }
      const text = exportSession(await readSession(id), opts.format as ExportFormat);
      if (opts.output) {
        const path = resolve(opts.output);
        try {
          writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          throw new UsageError(`${path} already exists`, 'Choose another file name with -o; export never overwrites.');
        }
        process.stderr.write(`codecell: wrote ${path}\n`);
      } else {
        process.stdout.write(text);
      }
    });
}
