// Ctrl-C and SIGTERM for the non-interactive commands: first Ctrl-C interrupts, second gives up; always clean up.

export interface InterruptHandle {
  readonly signal: AbortSignal;
  /** True once the user pressed Ctrl-C at least once. */
  readonly interrupted: boolean;
  dispose(): void;
}

/**
 * First SIGINT aborts the work (the sandbox turns it into KeyboardInterrupt and keeps state).
 * A second SIGINT, or SIGTERM, runs `cleanup` (remove containers) and exits with 130 / 143.
 */
export function handleInterrupts(cleanup: () => Promise<void>, onFirst?: () => void): InterruptHandle {
  const controller = new AbortController();
  let count = 0;
  let exiting = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    const timer = setTimeout(() => process.exit(code), 5000);
    timer.unref();
    cleanup().finally(() => process.exit(code));
  };
  const onSigint = (): void => {
    count++;
    if (count === 1) {
      onFirst?.();
      controller.abort(new Error('interrupted by the user'));
    } else {
      process.stderr.write('\ncodecell: stopping and removing the sandbox\n');
      exit(130);
    }
  };
  const onSigterm = (): void => exit(143);
  // Libraries may hook these signals and re-raise them (conf → atomically → when-exit does), which
  // would turn one Ctrl-C into two. While codecell handles them itself, its handlers are the only ones.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  const onSighup = (): void => exit(129);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.on('SIGHUP', onSighup);
  return {
    signal: controller.signal,
    get interrupted() {
      return count > 0;
    },
    dispose() {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      process.off('SIGHUP', onSighup);
    },
  };
}
