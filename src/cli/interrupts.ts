// Ctrl-C and SIGTERM for the non-interactive commands: first Ctrl-C interrupts, second gives up; always clean up.

export interface InterruptHandle {
  readonly signal: AbortSignal;
  /** True once the user pressed Ctrl-C at least once. */
  readonly interrupted: boolean;
  dispose(): void;
}

export interface InterruptOptions {
  /** Said on stderr when a second Ctrl-C gives up. */
  quitMessage?: string;
  /**
   * Ignore a SIGINT within this many ms of the first. Terminal libraries' exit hooks (signal-exit, loaded
   * by Ink for the batch view) re-raise the signal they saw, and that echo must not count as a second Ctrl-C.
   */
  echoMs?: number;
  /** Remove other listeners of these signals first (default true); false leaves Ink's exit hooks in place. */
  ownSignals?: boolean;
}

/**
 * First SIGINT aborts the work (the sandbox turns it into KeyboardInterrupt and keeps state).
 * A second SIGINT, or SIGTERM, runs `cleanup` (remove containers) and exits with 130 / 143 (SIGHUP: 129).
 */
export function handleInterrupts(cleanup: () => Promise<void>, onFirst?: () => void, options: InterruptOptions = {}): InterruptHandle {
  const { quitMessage = 'stopping and removing the sandbox', echoMs, ownSignals = true } = options;
  const controller = new AbortController();
  let first = 0;
  let exiting = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    const timer = setTimeout(() => process.exit(code), 5000);
    timer.unref();
    cleanup().finally(() => process.exit(code));
  };
  const onSigint = (): void => {
    const now = Date.now();
    if (!first) {
      first = now;
      onFirst?.();
      controller.abort(new Error('interrupted by the user'));
    } else if (echoMs === undefined || now - first > echoMs) {
      process.stderr.write(`\ncodecell: ${quitMessage}\n`);
      exit(130);
    }
  };
  const onSigterm = (): void => exit(143);
  // Libraries may hook these signals and re-raise them (conf → atomically → when-exit does), which
  // would turn one Ctrl-C into two. While codecell handles them itself, its handlers are the only ones.
  if (ownSignals) for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  const onSighup = (): void => exit(129);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.on('SIGHUP', onSighup);
  return {
    signal: controller.signal,
    get interrupted() {
      return first !== 0;
    },
    dispose() {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      process.off('SIGHUP', onSighup);
    },
  };
}
