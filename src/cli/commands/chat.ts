// `codecell` / `codecell chat`: the interactive chat (the default command), with --resume.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatSession, ApprovalHandler } from '../../core/session-api.js';
import type { BuildFeed } from '../../ui/build-state.js';
import type { Settings } from '../../config/keys.js';
import type { ExtraPackages } from '../../sandbox/extras.js';
import type { ResolveImageOptions } from '../../sandbox/derived.js';
import { SessionLog, SessionLogError } from '../../store/session-log.js';
import { exportSession, type ExportFormat } from '../../store/export.js';
import { historyPath } from '../../store/paths.js';
import { ApprovalBridge } from '../../ui/approval.js';
import type { ChatHost } from '../../ui/commands.js';
import { PromptHistory } from '../../ui/history.js';
import { replayTranscript } from '../../ui/replay.js';
import { drawSavedImages, graphicsTarget } from '../../ui/images.js';
import type { TerminalImages } from '../../render/terminal-graphics.js';
import type { NewItem } from '../../ui/transcript.js';
import { EXIT_USAGE, UsageError } from '../errors.js';
import { colorEnabled, terminalImages } from '../terminal.js';
import type { Engine } from '../sandbox-setup.js';
import { LoggedSession } from '../chat-session.js';
import { sessionLine } from './sessions.js';
import { addModelFlags, addSandboxFlags, loadSettings, type CommonFlags } from '../settings.js';

interface ChatFlags extends CommonFlags {
  resume?: string | boolean;
}

export const NOT_A_TERMINAL = 'codecell: the chat needs a terminal; for scripts use `codecell run`\n';

/** Opens chat sessions; the engine and image are prepared once, on the first. */
function sessionOpener(settings: Settings, extras: ExtraPackages, approve: ApprovalHandler, ready?: Promise<Engine>) {
  let engine: Promise<Engine> | undefined = ready;
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
    engine ??= prepareEngine({ ...(settings.image ? { image: settings.image } : {}), extras });
    const prepared = await engine;
    // Built here, as openSession would, so /rerun can run the resumed cells in it without the model.
    // The prepared image already honours the chosen one and adds the extra packages.
    const options = sandboxOptionsFrom(settings);
    const sandbox = new DockerSandbox(prepared.docker, { ...options, image: prepared.image });
    const opened = await openSession({ settings, engine: prepared, approve, sandbox, ...(resumeId ? { resumeId } : {}), cwd: process.cwd() });
    const session = new LoggedSession(opened.session, opened.log, { sandbox, cells: opened.resumedCells });
    return { session, resumedCells: opened.resumedCells.length };
  };
}

function resumeNotice(id: string, cells: number): string {
  const rerun = cells ? ` ${cells} cell${cells === 1 ? '' : 's'} ran in it: type /rerun to run them again and get their variables back.` : '';
  return `resumed session ${id}: the conversation is back, the kernel is new.${rerun}`;
}

/** Transcript items for a recorded session, its figures drawn again from the saved files; empty when it cannot be read. */
async function transcriptOf(id: string, images: boolean, graphics: TerminalImages): Promise<NewItem[]> {
  try {
    const items = replayTranscript(await SessionLog.read(id));
    const size = { columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
    return await drawSavedImages(items, { color: true, images, graphics: graphicsTarget(graphics) }, size);
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
      `Commands: run, batch, exec, sandbox, config, sessions, doctor (see \`codecell --help\`). To ask a question in one go: codecell run "${words.join(' ')}"`,
    );
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write(NOT_A_TERMINAL);
    return EXIT_USAGE;
  }
  let { settings } = loadSettings(flags, cmd);
  const { extras } = loadSettings(flags, cmd);
  const color = colorEnabled(process.stdout);
  // Ink, cli-highlight and marked-terminal all colour through chalk, which reads FORCE_COLOR when loaded.
  if (!color) process.env.FORCE_COLOR = '0';
  // React's development build costs several times more per frame; it is chosen when react is first loaded.
  process.env.NODE_ENV ??= 'production';

  const { needsModelSetup } = await import('../model-server.js');
  if (needsModelSetup(settings) && process.env.CODECELL_FAKE_SESSION !== '1') {
    // No key for OpenAI and no other server: the first-run screen instead of an error.
    const { firstRun } = await import('../first-run.js');
    if ((await firstRun()) === 'quit') return EXIT_USAGE;
    ({ settings } = loadSettings(flags, cmd));
  }

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

  // Asked before Ink owns the input, so the terminal's answer never reaches the prompt.
  const graphics = await terminalImages(settings.images, process.stdout);
  const showImages = graphics.method !== 'none' && color;

  const approvals = new ApprovalBridge();
  const building = process.env.CODECELL_FAKE_SESSION === '1' ? undefined : await startImageBuild(settings, extras);
  const open = sessionOpener(settings, extras, approvals.handler, building?.engine);
  let session: ChatSession;
  let resumedCells = 0;
  if (building?.feed) {
    // The image is missing: the chat starts now, shows the build, and a prompt waits for the sandbox.
    const { PendingSession } = await import('../pending-session.js');
    session = new PendingSession(
      open(resumeId).then((r) => r.session),
      { model: settings.model, outDir: settings.outDir },
    );
  } else {
    ({ session, resumedCells } = await open(resumeId));
  }
  let initialItems: NewItem[] | undefined;
  let initialNotice: string | undefined;
  if (resumeId) {
    initialItems = await transcriptOf(resumeId, showImages, graphics);
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
      return { session: next.session, items: await transcriptOf(id, showImages, graphics), notice: resumeNotice(id, next.resumedCells) };
    },
    rerun: async (s) => (s instanceof LoggedSession ? s.rerun() : ['nothing to re-run in this session']),
    save: async (s, format) => saveExport(s.outDir, s.id, format, exportSession(await SessionLog.read(s.id), format)),
  };

  const { startChat } = await import('../../ui/start.js');
  await startChat({
    session,
    host,
    approvals,
    history: PromptHistory.load(historyPath()),
    color,
    images: showImages,
    graphics: graphicsTarget(graphics),
    initialItems,
    initialNotice,
    ...(building?.feed ? { build: building.feed } : {}),
  });
  if (building?.feed && !building.settled()) {
    // Left during the build: closing the connection stops it on the engine; the next start builds again.
    process.stderr.write('codecell: the sandbox image build was stopped; it starts again next time (or run `codecell sandbox build`)\n');
    process.exit(0);
  }
  return 0;
}

/**
 * Connects to the engine. When the image the chat runs is missing (codecell's own, or the derived one
 * with the configured extra packages), starts building it and returns a feed of its progress for the
 * chat's screen; otherwise the engine is simply ready.
 */
async function startImageBuild(settings: Settings, extras: ExtraPackages): Promise<{ engine: Promise<Engine>; feed?: BuildFeed; settled: () => boolean }> {
  const [{ connectEngine }, { bundledImageRef, findImage }, { derivedRef, resolveSandboxImage }, { hasExtras }, { createBuildFeed }] = await Promise.all([
    import('../../sandbox/engine.js'),
    import('../../sandbox/image.js'),
    import('../../sandbox/derived.js'),
    import('../../sandbox/extras.js'),
    import('../../ui/build-state.js'),
  ]);
  const { docker } = await connectEngine();
  const resolve = (onProgress?: ResolveImageOptions['onProgress']): Promise<Engine> =>
    resolveSandboxImage(docker, { ...(settings.image ? { image: settings.image } : {}), extras, ...(onProgress ? { onProgress } : {}) }).then((image) => ({
      docker,
      image: image.ref,
      ...(image.packages ? { packages: image.packages } : {}),
    }));
  const base = await findImage(docker, settings.image ?? bundledImageRef());
  // A chosen image that is missing is an error, not a build: resolving reports it with its fix.
  const ready = settings.image && !base ? true : base !== null && (!hasExtras(extras) || (await findImage(docker, derivedRef(base.id, extras))) !== null);
  if (ready) return { engine: resolve(), settled: () => true };
  const feed = createBuildFeed();
  let settled = false;
  const engine = resolve(feed.push).then(
    (prepared) => {
      settled = true;
      return prepared;
    },
    (err: unknown) => {
      settled = true;
      const e = err as { message?: string; fix?: string };
      feed.push({ type: 'failed', message: e.message ?? String(err), ...(e.fix ? { fix: e.fix } : {}) });
      throw err;
    },
  );
  engine.catch(() => undefined); // reported in the chat, and by the first prompt
  return { engine, feed, settled: () => settled };
}

export function registerChat(program: Command): void {
  const cmd = program
    .command('chat', { isDefault: true })
    .description('interactive chat (the default command): `codecell` opens it')
    .argument('[words...]')
    .option('--resume [id]', 'bring back a recorded session (the latest without an id)')
    .option('--images <mode>', 'how to draw figures: auto, kitty, iterm, sixel, blocks or off (default auto)')
    .option('--no-images', 'do not draw images inline');
  addModelFlags(cmd);
  addSandboxFlags(cmd);
  cmd.action(async (words: string[], flags: ChatFlags) => {
    process.exitCode = await runChat(words, flags, cmd);
  });
}
