// `codecell` / `codecell chat`: the interactive chat (the default command), with --resume.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatSession, ApprovalHandler } from '../../core/session-api.js';
import type { Settings } from '../../config/keys.js';
import { SessionLog, SessionLogError } from '../../store/session-log.js';
import { exportSession, type ExportFormat } from '../../store/export.js';
import { historyPath } from '../../store/paths.js';
import { ApprovalBridge } from '../../ui/approval.js';
import type { ChatHost } from '../../ui/commands.js';
import { PromptHistory } from '../../ui/history.js';
import { replayTranscript } from '../../ui/replay.js';
import type { NewItem } from '../../ui/transcript.js';
import { EXIT_USAGE, UsageError } from '../errors.js';
import { colorEnabled } from '../terminal.js';
import type { Engine } from '../sandbox-setup.js';
import { LoggedSession } from '../chat-session.js';
import { sessionLine } from './sessions.js';
import { addModelFlags, addSandboxFlags, loadSettings, type CommonFlags } from '../settings.js';

interface ChatFlags extends CommonFlags {
  resume?: string | boolean;
}

export const NOT_A_TERMINAL = 'codecell: the chat needs a terminal; for scripts use `codecell run`\n';

/** Opens chat sessions; the engine and image are prepared once, on the first. */
function sessionOpener(settings: Settings, approve: ApprovalHandler) {
  let engine: Promise<Engine> | undefined;
  return async (resumeId?: string): Promise<{ session: ChatSession; resumedCells: number }> => {
    if (process.env.CODECELL_FAKE_SESSION === '1') {
      // The scripted session, for working on the screen without a model or Docker.
      const { FakeSession } = await import('../../ui/testing/fake-session.js');
      return { session: new FakeSession({ approve, delayMs: 40, model: settings.model, outDir: settings.outDir, id: resumeId }), resumedCells: 0 };
    }
    // Loaded here, not at the top: every other command (even --version) would pay for Docker and the model SDK.
    const [{ prepareEngine }, { openSession }, { DockerSandbox }, { sandboxOptionsFrom }] = await Promise.all([
      import('../sandbox-setup.js'),
      import('../../core/open-session.js'),
      import('../../sandbox/docker-sandbox.js'),
      import('../../config/sandbox-options.js'),
    ]);
    engine ??= prepareEngine({ backend: settings.backend, ...(settings.image ? { image: settings.image } : {}) });
    const prepared = await engine;
    const { docker, image } = prepared;
    // Built here, as openSession would, so /rerun can run the resumed cells in it without the model.
    const options = sandboxOptionsFrom(settings);
    const sandbox = new DockerSandbox(docker, { ...options, image: options.image ?? image }, prepared.launcher);
    const opened = await openSession({ settings, engine: prepared, approve, sandbox, ...(resumeId ? { resumeId } : {}), cwd: process.cwd() });
    const session = new LoggedSession(opened.session, opened.log, { sandbox, cells: opened.resumedCells });
    return { session, resumedCells: opened.resumedCells.length };
  };
}

function resumeNotice(id: string, cells: number): string {
  const rerun = cells ? ` ${cells} cell${cells === 1 ? '' : 's'} ran in it: type /rerun to run them again and get their variables back.` : '';
  return `resumed session ${id}: the conversation is back, the kernel is new.${rerun}`;
}

/** Transcript items for a recorded session; empty when it cannot be read. */
async function transcriptOf(id: string): Promise<NewItem[]> {
  try {
    return replayTranscript(await SessionLog.read(id));
  } catch {
    return [];
  }
}

/** Writes the export next to the session's outputs without overwriting anything. */
function saveExport(dir: string, id: string, format: ExportFormat, text: string): string {
  for (let n = 0; ; n++) {
    const path = join(dir, `session-${id}${n ? `-${n}` : ''}.${format}`);
    try {
      writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) throw err;
    }
  }
}

async function runChat(words: string[], flags: ChatFlags, cmd: Command): Promise<number> {
  if (words.length > 0) {
    const word = words[0]!;
    throw new UsageError(
      `unknown command "${word}"`,
      `Commands: run, batch, exec, sandbox, config, sessions (see \`codecell --help\`). To ask a question in one go: codecell run "${words.join(' ')}"`,
    );
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write(NOT_A_TERMINAL);
    return EXIT_USAGE;
  }
  const { settings } = loadSettings(flags, cmd);
  const color = colorEnabled(process.stdout);
  // Ink, cli-highlight and marked-terminal all colour through chalk, which reads FORCE_COLOR when loaded.
  if (!color) process.env.FORCE_COLOR = '0';

  let resumeId: string | undefined;
  if (flags.resume !== undefined && flags.resume !== false) {
    try {
      resumeId = typeof flags.resume === 'string' ? await SessionLog.resolve(flags.resume) : (await SessionLog.latest())?.id;
    } catch (err) {
      if (err instanceof SessionLogError) throw new UsageError(err.message, err.fix);
      throw err;
    }
    if (!resumeId) throw new UsageError('there is no recorded session to resume', 'Start one with `codecell`.');
  }

  const approvals = new ApprovalBridge();
  const open = sessionOpener(settings, approvals.handler);
  const { session, resumedCells } = await open(resumeId);
  let initialItems: NewItem[] | undefined;
  let initialNotice: string | undefined;
  if (resumeId) {
    initialItems = await transcriptOf(resumeId);
    initialNotice = resumeNotice(resumeId, resumedCells);
  }

  const host: ChatHost = {
    listSessions: async () => (await SessionLog.list()).slice(0, 20).map(sessionLine),
    resume: async (idOrPrefix) => {
      let id: string;
      try {
        id = await SessionLog.resolve(idOrPrefix);
      } catch (err) {
        if (err instanceof SessionLogError) throw new UsageError(err.message, err.fix);
        throw err;
      }
      const next = await open(id);
      return { session: next.session, items: await transcriptOf(id), notice: resumeNotice(id, next.resumedCells) };
    },
    rerun: async (s) => (s instanceof LoggedSession ? s.rerun() : ['nothing to re-run in this session']),
    save: async (s, format) => saveExport(s.outDir, s.id, format, exportSession(await SessionLog.read(s.id), format)),
  };

  // React's development build costs several times more per frame; it is chosen when react is first loaded.
  process.env.NODE_ENV ??= 'production';
  const { startChat } = await import('../../ui/start.js');
  await startChat({
    session,
    host,
    approvals,
    history: PromptHistory.load(historyPath()),
    color,
    images: settings.images && color,
    initialItems,
    initialNotice,
  });
  return 0;
}

export function registerChat(program: Command): void {
  const cmd = program
    .command('chat', { isDefault: true })
    .description('interactive chat (the default command): `codecell` opens it')
    .argument('[words...]')
    .option('--resume [id]', 'bring back a recorded session (the latest without an id)')
    .option('--no-images', 'do not draw images inline');
  addModelFlags(cmd);
  addSandboxFlags(cmd);
  cmd.action(async (words: string[], flags: ChatFlags) => {
    process.exitCode = await runChat(words, flags, cmd);
  });
}
