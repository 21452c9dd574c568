// `codecell` / `codecell chat`: runs the interactive chat (the command and its flags are in chat.ts).
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatSession, ApprovalHandler } from '../../core/session-api.js';
import type { Settings } from '../../config/keys.js';
import type { ExtraPackages } from '../../sandbox/extras.js';
import { SessionLog, SessionLogError } from '../../store/session-log.js';
import { exportSession, type ExportFormat } from '../../render/export.js';
import { historyPath } from '../../store/paths.js';
import { ApprovalBridge } from '../../ui/approval.js';
import type { ChatHost } from '../../ui/commands.js';
import { PromptHistory } from '../../ui/history.js';
import { replayTranscript } from '../../ui/replay.js';
import { drawSavedImages, graphicsTarget } from '../../ui/images.js';
import type { BuildFeed, BuildUpdate } from '../../ui/build-state.js';
import type { TerminalImages } from '../../render/terminal-graphics.js';
import type { NewItem } from '../../ui/transcript.js';
import { EXIT_USAGE, UsageError } from '../errors.js';
import { NOT_A_TERMINAL } from './chat.js';
import { colorEnabled, terminalImages } from '../terminal.js';
import type { Runtime } from '../runtime.js';
import type { Sandbox, SandboxState } from '../../sandbox/types.js';
import type { ProgressListener } from '../../sandbox/build-stream.js';
import { loadTextRenderers } from '../../render/text-renderers.js';
import { LoggedSession, PendingSession } from '../chat-session.js';
import { sessionLine } from './sessions.js';
import { loadSettings, type CommonFlags } from '../settings.js';

export interface ChatFlags extends CommonFlags {
  resume?: string | boolean;
}

/**
 * Opens chat sessions; the engine and image are prepared once, on the first. `boot()` starts the first
 * session's container early (the chat calls it before drawing: the engine boots it while Ink loads).
 */
function sessionOpener(settings: Settings, extras: ExtraPackages, approve: ApprovalHandler, onProgress?: ProgressListener) {
  let runtime: Promise<Runtime> | undefined;
  let booted: Promise<{ sandbox: Sandbox; runtime: Runtime }> | undefined;
  const fake = process.env.CODECELL_FAKE_SESSION === '1';
  // Settles when an image build starts: the chat then draws at once and shows the build's progress.
  let buildStarted!: () => void;
  const building = new Promise<void>((resolve) => (buildStarted = resolve));
  const progress: ProgressListener | undefined =
    onProgress &&
    ((p) => {
      if (p.type !== 'done') buildStarted();
      onProgress(p);
    });

  // Loaded here, not at the top: every other command (even --version) would pay for Docker and the model SDK.
  const bootSandbox = async (): Promise<{ sandbox: Sandbox; runtime: Runtime }> => {
    const { createRuntime } = await import('../runtime.js');
    runtime ??= createRuntime(settings, { extras, ...(progress ? { onProgress: progress } : {}) });
    const ready = await runtime;
    // Built before the session so its container boots while the model SDK and the session load.
    const sandbox = ready.sandbox();
    // openSession awaits this same start (start() is shared while in progress) and reports its failure.
    sandbox.start().catch(() => undefined);
    return { sandbox, runtime: ready };
  };

  const open = async (resumeId?: string): Promise<{ session: ChatSession; resumedCells: number }> => {
    if (fake) {
      // The scripted session, for working on the screen without a model or Docker.
      const { FakeSession } = await import('../../ui/testing/fake-session.js');
      return { session: new FakeSession({ approve, delayMs: 40, model: settings.model, outDir: settings.outDir, id: resumeId }), resumedCells: 0 };
    }
    // The container boots in the engine while the model SDK and the session load.
    const early = booted;
    booted = undefined;
    const { sandbox, runtime: prepared } = await (early ?? bootSandbox());
    let opened: Awaited<ReturnType<typeof import('../open-session.js').openSession>>;
    try {
      const { openSession } = await import('../open-session.js');
      opened = await openSession({ settings, engine: prepared.engine, approve, sandbox, ...(resumeId ? { resumeId } : {}), cwd: process.cwd() });
    } catch (err) {
      // No key, an unreadable session: the container started for nothing must not outlive the chat.
      await sandbox.close().catch(() => undefined);
      throw err;
    }
    const session = new LoggedSession(opened.session, opened.log, opened.resumedCells);
    return { session, resumedCells: opened.resumedCells.length };
  };

  let first: Sandbox | undefined;
  const bootListeners = new Set<(state: SandboxState) => void>();
  const boot = (): void => {
    if (fake || booted) return;
    booted = bootSandbox();
    booted
      .then((b) => {
        first = b.sandbox;
        b.sandbox.onStateChange?.((state) => {
          for (const listener of bootListeners) listener(state);
        });
        for (const listener of bootListeners) listener(b.sandbox.state);
      })
      .catch(() => undefined); // a failure is reported by the open() that takes it
  };
  /**
   * Settles once the early boot has checked the engine and the image and asked for the container (or failed,
   * or an image build started; at once when there is none): the chat loads Ink after that, so the container
   * starts while Ink loads instead of its every step waiting for Ink's.
   */
  const bootSent = async (): Promise<void> => {
    const b = booted;
    if (b) await Promise.race([b.then(noop, noop), building]);
  };
  /** The early container's state, for the header while the session around it still loads. */
  const bootState = (): SandboxState | undefined => first?.state;
  /** Tells `listener` each state of the early container (from when it exists); returns the unsubscribe. */
  const onBootState = (listener: (state: SandboxState) => void): (() => void) => {
    bootListeners.add(listener);
    return () => bootListeners.delete(listener);
  };
  /** Settles when the early container has started (or failed to), at once when there is none. */
  const booting = async (): Promise<void> => {
    const b = await booted?.catch(() => undefined);
    await b?.sandbox.start().catch(() => undefined);
  };
  return { open, boot, bootState, onBootState, booting, bootSent };
}

const noop = (): void => undefined;

/** Long enough for the header to draw the ready state (it follows the sandbox's state events) before loading takes the thread. */
const HEADER_SETTLE_MS = 40;

function resumeNotice(id: string, cells: number): string {
  const rerun = cells ? ` ${cells} cell${cells === 1 ? '' : 's'} ran in it: type /rerun to run them again and get their variables back.` : '';
  return `resumed session ${id}: the conversation is back, the kernel is new.${rerun}`;
}

/** Transcript items for a recorded session, its figures drawn again from the saved files; empty when it cannot be read. */
async function transcriptOf(id: string, images: boolean, graphics: TerminalImages): Promise<NewItem[]> {
  try {
    const items = replayTranscript(await SessionLog.history(id));
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

export async function runChat(words: string[], flags: ChatFlags, cmd: Command): Promise<number> {
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
  let { settings, extras } = await loadSettings(flags, cmd);
  const color = colorEnabled(process.stdout);
  // Ink, cli-highlight and marked-terminal all colour through chalk, which reads FORCE_COLOR when loaded.
  if (!color) process.env.FORCE_COLOR = '0';

  const { needsModelSetup } = await import('../model-server.js');
  if (needsModelSetup(settings) && process.env.CODECELL_FAKE_SESSION !== '1') {
    // No key for OpenAI and no other server: the first-run screen instead of an error.
    const { firstRun } = await import('../first-run.js');
    if ((await firstRun()) === 'quit') return EXIT_USAGE;
    // The first-run screen saved a key or a server: read the settings again.
    ({ settings, extras } = await loadSettings(flags, cmd));
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

  const approvals = new ApprovalBridge();
  // A first run builds the image behind the prompt; stderr would garble the screen, so the chat shows the
  // build's progress (the feed stays hidden unless a build really starts). A resumed chat opens its
  // session before drawing, so its build progress still goes to stderr.
  let building = false;
  let settled = false;
  let feed: (BuildFeed & { push(update: BuildUpdate): void }) | undefined;
  if (!resumeId) feed = (await import('../../ui/build-state.js')).createBuildFeed();
  const { open, boot, bootState, onBootState, booting, bootSent } = sessionOpener(
    settings,
    extras,
    approvals.handler,
    resumeId
      ? undefined
      : (p) => {
          if (p.type !== 'done') building = true;
          else settled = true;
          feed?.push(p);
        },
  );
  // The container is the slowest part to get ready: its boot starts as soon as the settings are known, so
  // the engine works while the terminal answers its query and Ink loads.
  boot();

  // Asked before Ink owns the input, so the terminal's answer never reaches the prompt.
  const graphics = await terminalImages(settings.images, process.stdout);
  const showImages = graphics.method !== 'none' && color;

  let session: ChatSession;
  let startOpening: (() => void) | undefined;
  let failed: Promise<unknown> | undefined;
  let initialItems: NewItem[] | undefined;
  let initialNotice: string | undefined;
  if (resumeId) {
    // The resumed transcript and its notice are drawn with the first frame, so they wait for the session.
    const [opened] = await Promise.all([open(resumeId), loadTextRenderers()]);
    session = opened.session;
    initialItems = await transcriptOf(resumeId, showImages, graphics);
    initialNotice = resumeNotice(resumeId, opened.resumedCells);
  } else {
    // Draw the prompt first: the model SDK, Docker client, engine check and container start behind it.
    let opened!: (value: ChatSession | PromiseLike<ChatSession>) => void;
    const pending = new PendingSession(
      new Promise<ChatSession>((resolve) => (opened = resolve)),
      // The build's progress is on screen (the feed), so a prompt sent meanwhile needs no note of its own.
      { model: settings.model, outDir: settings.outDir, sandboxState: bootState, onSandboxState: onBootState },
    );
    startOpening = () => {
      // Markdown and highlighting (hundreds of ms of CPU on a busy machine) load once the container has
      // started: the kernel's handshake needs this thread. A prompt sent earlier waits for them (useTurn).
      // So does the session (the model SDK, the session log); a failed start is reported by open(). Both
      // wait a moment more, so the header can say "ready" before loading them takes the thread.
      const starting = booting().then(() => new Promise<void>((resolve) => setTimeout(resolve, HEADER_SETTLE_MS)));
      opened(starting.then(() => open()).then((r) => r.session));
      void starting.then(() => loadTextRenderers());
    };
    session = pending;
    failed = pending.failed;
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
      const [next] = await Promise.all([open(id), loadTextRenderers()]);
      return { session: next.session, items: await transcriptOf(id, showImages, graphics), notice: resumeNotice(id, next.resumedCells) };
    },
    rerun: async (s) => {
      const real = s instanceof PendingSession ? await s.ready() : s;
      return real instanceof LoggedSession ? real.rerun() : ['nothing to re-run in this session'];
    },
    save: async (s, format) => saveExport(s.outDir, s.id, format, exportSession(await SessionLog.history(s.id), format)),
  };

  await bootSent();
  // React's development build costs several times more per frame; it is chosen when react is first loaded.
  process.env.NODE_ENV ??= 'production';
  const { startChat } = await import('../../ui/start.js');
  const chat = startChat({
    session,
    host,
    approvals,
    history: PromptHistory.load(historyPath()),
    color,
    images: showImages,
    graphics: graphicsTarget(graphics),
    initialItems,
    initialNotice,
    ...(failed ? { failed } : {}),
    ...(feed ? { build: feed } : {}),
  });
  // Ink has drawn the first frame synchronously inside startChat; the heavy loading starts after it.
  if (startOpening) setImmediate(startOpening);
  await chat;
  if (building && !settled) {
    // Left during the build: closing the connection stops it on the engine; the next start builds again.
    process.stderr.write('codecell: the sandbox image build was stopped; it starts again next time (or run `codecell sandbox build`)\n');
    process.exit(0);
  }
  return 0;
}
