// Ctrl-C for a batch: the first stops scheduling and cancels running tasks, a later one quits at once; SIGTERM/SIGHUP quit.
export interface StopHandle {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * Like cli/interrupts.ts, with one difference: a SIGINT that arrives within `echoMs` of the first is
 * ignored. Terminal libraries' exit hooks (signal-exit, loaded by Ink) re-raise the signal they saw,
 * and that echo must not count as the user's second Ctrl-C.
 */
export function handleStopSignals(cleanup: () => Promise<void>, onFirst: () => void, echoMs = 500): StopHandle {
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
      onFirst();
      controller.abort(new Error('interrupted by the user'));
    } else if (now - first > echoMs) {
      process.stderr.write('\ncodecell: quitting now; the running sandboxes are removed\n');
      exit(130);
    }
  };
  const onSigterm = (): void => exit(143);
  const onSighup = (): void => exit(129);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.on('SIGHUP', onSighup);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      process.off('SIGHUP', onSighup);
    },
  };
}
