// `codecell run [prompt...]`: one shot. The answer goes to stdout; code, output and files to stderr.
// Only light modules are imported at the top: `codecell --help` loads this file. The model SDK, Docker
// client and renderers are imported inside runCommand (see "Adding a command" in src/cli/program.ts).
import fs from 'node:fs';
import type { Command } from 'commander';
import type { Upload } from '../../core/uploads.js';
import type { SessionEvent } from '../../core/events.js';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError, reportFatal } from '../errors.js';
import type { handleInterrupts } from '../interrupts.js';
import { addModelFlags, addSandboxFlags, loadSettings, type CommonFlags } from '../settings.js';

interface RunFlags extends CommonFlags {
  file?: string[];
  stdinName?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('answer one prompt (from the arguments, or piped stdin), save the files, exit with a status')
    .argument('[prompt...]', 'the question; with no argument, stdin is the prompt')
    .option('-f, --file <path>', 'upload a file to /mnt/data (repeatable)', collect)
    .option('--stdin-name <name>', 'file name for piped data in /mnt/data (default stdin.<sniffed type>)')
    .option('--json', 'print one JSON event per line (see README: JSON events)')
    .option('--images <mode>', 'how to draw figures: auto, kitty, iterm, sixel, blocks or off (default auto)')
    .option('--no-images', 'do not draw figures in the terminal (they are still saved)')
    .option('-q, --quiet', 'print only the answer (and errors)')
    .option('-v, --verbose', 'also print usage, timings and sandbox state');
  addModelFlags(cmd);
  addSandboxFlags(cmd);
  cmd.action(async (words: string[], flags: RunFlags) => {
    // If the event loop ever drains while a promise is pending (nothing left to wake it), Node exits
    // without resolving runCommand; that must not look like success.
    process.exitCode = EXIT_FAILURE;
    process.exitCode = await runCommand(words, flags, cmd);
  });
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The prompt and any piped data, following the rule: no prompt argument → stdin is the prompt. */
async function promptAndData(words: string[], flags: RunFlags): Promise<{ prompt: string; stdinData?: Upload }> {
  const { stdinUpload } = await import('../../core/uploads.js');
  let prompt = words.join(' ').trim();
  const piped = !process.stdin.isTTY;
  if (!prompt) {
    if (!piped) throw new UsageError('no prompt given', 'Pass a question, e.g. `codecell run "summarise data.csv" -f data.csv`, or pipe one in.');
    prompt = (await readStdin()).toString('utf8').trim();
    if (!prompt) throw new UsageError('stdin was empty, so there is no prompt', 'Pass the question as an argument or pipe it in.');
    return { prompt };
  }
  if (piped) {
    const data = await readStdin();
    if (data.length === 0) return { prompt };
    try {
      return { prompt, stdinData: stdinUpload(data, flags.stdinName) };
    } catch (err) {
      throw new UsageError((err as Error).message, 'Use a plain relative file name such as sales.csv.');
    }
  }
  return { prompt };
}

/** An output folder that is a file would fail every save after the model was paid for: say so first. */
function checkOutDir(outDir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(outDir);
  } catch {
    return; // created on the first save; other problems are reported there with their own fix
  }
  if (!stat.isDirectory())
    throw new UsageError(`the output folder ${outDir} is a file, not a folder`, 'Choose a folder with --out-dir (or `codecell config set outDir <dir>`).');
}

/**
 * conf's file writer (atomically → when-exit) hooks SIGINT/SIGTERM/SIGHUP at import time and re-sends
 * each signal to this process, so one Ctrl-C arrived twice: the cell was not interrupted, the sandbox
 * was torn down as if Ctrl-C had been pressed again. From here on `run` decides what a signal does.
 */
/** With --json, a failure before the session starts is also a JSON line, so a consumer of stdout sees why. */
async function jsonErrorLine(err: unknown): Promise<Record<string, unknown>> {
  if (err instanceof UsageError) return { stream_type: 'error', kind: 'usage', message: err.message, ...(err.fix ? { fix: err.fix } : {}) };
  const { errorEvent } = await import('../../core/error-event.js');
  const { kind, message, fix } = errorEvent(err);
  return { stream_type: 'error', kind, message, ...(fix ? { fix } : {}) };
}

export async function runCommand(words: string[], flags: RunFlags, cmd?: Command): Promise<number> {
  let close: (() => Promise<void>) | undefined;
  let interrupts: ReturnType<typeof handleInterrupts> | undefined;
  try {
    // The session module (and the model SDK with it) loads while the engine answers, below.
    const [{ fileUploads }, { createRuntime, checkModelSettings }, { handleInterrupts }] = await Promise.all([
      import('../../core/uploads.js'),
      import('../runtime.js'),
      import('../interrupts.js'),
    ]);
    const loaded = await loadSettings(flags, cmd);
    const { settings } = loaded;
    const modelServer = await import('../model-server.js');
    await modelServer.useLocalServerIfUnset(loaded, { quiet: flags.quiet === true });
    checkModelSettings(settings);
    checkOutDir(settings.outDir);
    const { prompt, stdinData } = await promptAndData(words, flags);
    let uploads: Upload[];
    try {
      uploads = await fileUploads(flags.file ?? []);
    } catch (err) {
      throw new UsageError((err as Error).message, 'Check the --file paths.');
    }
    if (stdinData) uploads.push(stdinData);

    const approve = settings.confirm ? (await import('../tty-approval.js')).askOnTerminal() : undefined;
    // While the engine answers (the run's longest wait before the request), load what comes next: the
    // renderer, and fetch's HTTP client, which Node loads on first use and the model client needs first.
    const renderer = flags.json
      ? import('../../render/json-writer.js').then(({ JsonWriter }) => ({ json: new JsonWriter(process.stdout), plain: undefined }))
      : Promise.all([import('../../render/plain.js'), import('../terminal.js')]).then(([{ PlainRenderer }, { plainTerminal }]) => ({
          json: undefined,
          plain: new PlainRenderer(plainTerminal({ ...flags, images: settings.images }, 'stderr')),
        }));
    renderer.catch(() => undefined); // awaited below, after the session is open
    setImmediate(() => void globalThis.Headers);
    const preparing = createRuntime(settings, { quiet: flags.json === true || flags.quiet === true, extras: loaded.extras });
    const sessionModule = import('../open-session.js');
    sessionModule.catch(() => undefined); // awaited below, after the engine
    const { engine } = await preparing;
    const { openSession } = await sessionModule;
    const opened = await openSession({ settings, engine, uploads, ...(approve ? { approve } : {}) });
    const { session } = opened;
    close = opened.close;
    interrupts = handleInterrupts(close);

    let finalPrompt = prompt;
    if (stdinData) finalPrompt += `\n\n(The data piped to codecell is saved as /mnt/data/${stdinData.name}.)`;

    // Only the front end in use is loaded (the JSON one brings zod schemas).
    const { json, plain } = await renderer;
    const emit = async (event: SessionEvent): Promise<void> => {
      if (json) json.write(event);
      else await plain!.handle(event);
    };
    let status = 'error';
    // An error that did not end the turn (a file that could not be saved) still fails the run:
    // scripts that use the output folder after `codecell run ... &&` must not be told all went well.
    let errors = 0;
    for await (const event of session.send(finalPrompt, interrupts.signal)) {
      await emit(event);
      if (event.type === 'done') status = event.status;
      if (event.type === 'error') errors++;
    }
    if (status === 'ok') return errors > 0 ? EXIT_FAILURE : EXIT_OK;
    if (status === 'cancelled' || interrupts.interrupted) return EXIT_INTERRUPTED;
    return EXIT_FAILURE;
  } catch (err) {
    if (flags.json) process.stdout.write(JSON.stringify(await jsonErrorLine(err)) + '\n');
    const code = reportFatal(err);
    return code === EXIT_USAGE ? EXIT_USAGE : code;
  } finally {
    interrupts?.dispose();
    await close?.().catch(() => undefined);
  }
}
