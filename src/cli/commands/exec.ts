// `codecell exec <file.py | ->`: run Python in a fresh sandbox as one cell of a recorded session, no model involved.
// Heavy modules (Docker client, renderers) are imported inside execCommand: `--help` loads this file.
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, UsageError, reportFatal } from '../errors.js';
import type { handleInterrupts } from '../interrupts.js';
import { addSandboxFlags, loadSettings, type CommonFlags } from '../settings.js';

interface ExecFlags extends CommonFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export function registerExec(program: Command): void {
  const cmd = program
    .command('exec')
    .description('run a Python file (or - for stdin) in a fresh sandbox, without a model')
    .argument('<file>', 'Python file to run, or - to read the code from stdin')
    .option('--json', 'print one JSON event per line instead of plain output')
    .option('--images <mode>', 'how to draw figures: auto, kitty, iterm, sixel, blocks or off (default auto)')
    .option('--no-images', 'do not draw figures in the terminal (they are still saved)')
    .option('-q, --quiet', 'print only the program output')
    .option('-v, --verbose', 'also print sandbox state and timings');
  addSandboxFlags(cmd);
  cmd.action(async (file: string, flags: ExecFlags) => {
    process.exitCode = await execCommand(file, flags, cmd);
  });
}

async function readCode(file: string): Promise<string> {
  if (file === '-') {
    if (process.stdin.isTTY)
      throw new UsageError(
        '`codecell exec -` reads code from stdin, but stdin is a terminal',
        'Pipe code in, e.g. `echo "print(1)" | codecell exec -`, or pass a file name.',
      );
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`no such file: ${file}`, 'Check the path, or use - to read code from stdin.');
    if (code === 'EISDIR') throw new UsageError(`${file} is a folder, not a Python file`, 'Pass a .py file, or - to read code from stdin.');
    throw err;
  }
}

export async function execCommand(file: string, flags: ExecFlags, cmd?: Command): Promise<number> {
  let close: (() => Promise<void>) | undefined;
  let interrupts: ReturnType<typeof handleInterrupts> | undefined;
  try {
    const [{ PlainRenderer }, { JsonWriter }, { createRuntime, NO_MODEL }, { openSession }, { handleInterrupts }, { plainTerminal }] = await Promise.all([
      import('../../render/plain.js'),
      import('../../render/json-writer.js'),
      import('../runtime.js'),
      import('../open-session.js'),
      import('../interrupts.js'),
      import('../terminal.js'),
    ]);
    const code = await readCode(file);
    const loaded = await loadSettings(flags, cmd);
    // No model runs here: the session's model field says so (in session_start and `codecell sessions list`).
    const settings = { ...loaded.settings, model: 'exec' };
    const { engine } = await createRuntime(settings, { quiet: flags.json === true, extras: loaded.extras });
    const opened = await openSession({ settings, engine, client: NO_MODEL });
    const { session } = opened;
    close = opened.close;
    interrupts = handleInterrupts(close);
    const json = flags.json ? new JsonWriter(process.stdout) : undefined;
    const plain = json ? undefined : new PlainRenderer(plainTerminal({ ...flags, images: settings.images }, 'stdout'));
    let status: string | undefined;
    for await (const event of session.runCell(code, { source: 'exec', signal: interrupts.signal })) {
      if (json) json.write(event);
      else await plain!.handle(event);
      if (event.type === 'cell_end') status = event.status;
    }
    if (status === 'ok') return EXIT_OK;
    if (status === 'interrupted' || interrupts.interrupted) return EXIT_INTERRUPTED;
    return EXIT_FAILURE;
  } catch (err) {
    return reportFatal(err);
  } finally {
    interrupts?.dispose();
    await close?.().catch(() => undefined);
  }
}
