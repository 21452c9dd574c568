// Shows the first-run screen until the user chooses, then restores the terminal for whatever comes next.
import { render } from 'ink';
import { FirstRun, type FirstRunChoice, type OfferedServer } from './FirstRun.js';

export type { FirstRunChoice, OfferedServer } from './FirstRun.js';

export async function askFirstRun(options: {
  servers: OfferedServer[];
  configPath: string;
  probed: string;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}): Promise<FirstRunChoice> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  let done: (choice: FirstRunChoice) => void = () => undefined;
  const chosen = new Promise<FirstRunChoice>((resolve) => (done = resolve));
  const onSignal = (): void => done({ kind: 'quit' });
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  const instance = render(<FirstRun servers={options.servers} configPath={options.configPath} probed={options.probed} onDone={(c) => done(c)} />, {
    stdin,
    stdout,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  try {
    return await chosen;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    // The chat (or the manual steps) comes next: leave no half of this screen behind.
    instance.clear();
    instance.unmount();
    await instance.waitUntilExit().catch(() => undefined);
    try {
      if (stdin.isTTY) stdin.setRawMode(false);
    } catch {
      // stdin already closed
    }
    stdout.write('\x1b[?25h\x1b[?2004l');
  }
}
