// Mounts the chat in the terminal and guarantees cleanup: Ink unmounted, raw mode off, cursor shown, session closed.
import { render } from 'ink';
import { loadTextRenderers } from '../render/text-renderers.js';
import type { ChatSession } from '../core/session-api.js';
import { App } from './App.js';
import type { ApprovalBridge } from './approval.js';
import type { ChatHost } from './commands.js';
import type { PromptHistory } from './history.js';
import { imageWriter } from './image-writer.js';
import { DisplayContext, type GraphicsTarget } from './settings.js';
import type { NewItem } from './transcript.js';
import type { BuildFeed } from './build-state.js';

export interface StartChatOptions {
  session: ChatSession;
  host: ChatHost;
  approvals: ApprovalBridge;
  history: PromptHistory;
  color: boolean;
  images: boolean;
  /** The terminal's graphics protocol for figures; half-blocks without one. */
  graphics?: GraphicsTarget;
  cwd?: string;
  initialItems?: NewItem[];
  initialNotice?: string;
  /** The image build in progress, when the chat starts before its sandbox image exists. */
  build?: BuildFeed;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  /** Benchmarks: force Ink's interactive mode on fake streams, and get each frame's render time. */
  interactive?: boolean;
  onRender?: (renderMs: number) => void;
  /**
   * Rejects when the session, opened behind the prompt, cannot be (no Docker, no key): the chat then
   * leaves and startChat throws that error, as if it had been raised before the chat was drawn.
   */
  failed?: Promise<unknown>;
}

/** Runs the chat until the user leaves; resolves after the terminal is restored and the session closed. */
export async function startChat(options: StartChatOptions): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  // Figures drawn with a graphics protocol reach the screen through the image writer (see image-writer.ts).
  const inkStdout = options.images && options.graphics?.protocol ? imageWriter.wrap(stdout) : stdout;
  let current: ChatSession = options.session;
  let resolveLeft: () => void = () => undefined;
  const left = new Promise<void>((resolve) => (resolveLeft = resolve));
  let leaving = false;
  const finish = (): void => {
    leaving = true;
    resolveLeft();
  };
  let failure: { error: unknown } | undefined;
  options.failed?.catch((error: unknown) => {
    if (leaving) return; // the user had already left; nothing was waiting for the session
    failure = { error };
    finish();
  });

  // The session may be swapped by /resume: always close the one in use.
  const trackingHost: ChatHost = {
    ...options.host,
    resume: async (id) => {
      const r = await options.host.resume(id);
      current = r.session;
      return r;
    },
  };

  // A closed terminal (SIGHUP) makes writes fail with EIO; that must not stop the cleanup below.
  const ignore = (): void => undefined;
  stdout.on('error', ignore);
  stdin.on('error', ignore);

  const restoreTerminal = (): void => {
    try {
      if (stdin.isTTY) stdin.setRawMode(false);
    } catch {
      // stdin already closed
    }
    stdout.write('\x1b[?25h\x1b[?2004l');
  };

  // A resumed transcript is drawn in the first frame, with markdown and highlighting.
  if (options.initialItems?.length) await loadTextRenderers();
  const instance = render(
    <DisplayContext.Provider value={{ color: options.color, images: options.images, ...(options.graphics ? { graphics: options.graphics } : {}) }}>
      <App
        session={options.session}
        host={trackingHost}
        approvals={options.approvals}
        history={options.history}
        cwd={options.cwd ?? process.cwd()}
        initialItems={options.initialItems}
        initialNotice={options.initialNotice}
        build={options.build}
        onExit={() => finish()}
      />
    </DisplayContext.Provider>,
    {
      stdin,
      stdout: inkStdout,
      exitOnCtrlC: false,
      patchConsole: true,
      maxFps: 30,
      ...(options.interactive !== undefined ? { interactive: options.interactive } : {}),
      ...(options.onRender ? { onRender: (m: { renderTime: number }) => options.onRender!(m.renderTime) } : {}),
    },
  );

  // Signals from outside (kill, a closed terminal) take the same way out as /exit.
  const onSignal = (): void => finish();
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  // A bug must not leave the terminal raw and the container running: clean up, then report it.
  let crash: unknown;
  const onCrash = (err: unknown): void => {
    crash ??= err;
    finish();
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  instance.waitUntilExit().then(
    () => finish(),
    () => finish(),
  );

  try {
    await left;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    // Containers first: the terminal may already be gone, the engine is not.
    const closing = current.close().catch(() => undefined);
    try {
      instance.unmount();
    } catch {
      // already unmounted
    }
    restoreTerminal();
    await closing;
  }
  if (crash !== undefined) throw crash;
  if (failure) throw failure.error;
}
