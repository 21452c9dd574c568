// `codecell batch <tasks>`: many prompts, each in its own sandbox, over one or more engines; results as durable JSONL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type Docker from 'dockerode';
import type { ModelClient } from '../../llm/types.js';
import type { Settings } from '../../config/keys.js';
import type { EngineSpec } from '../../sandbox/engines.js';
import type { SandboxPool } from '../../sandbox/pool.js';
import type { ResultsFile, TaskResult } from '../../batch/results.js';
import type { SchedulerEngine } from '../../batch/scheduler.js';
import type { Task } from '../../batch/tasks.js';
import { sanitize } from '../../render/sanitize.js';
import { EXIT_INTERRUPTED, EXIT_OK, UsageError, reportFatal } from '../errors.js';
import type { InterruptHandle } from '../interrupts.js';
import { addModelFlags, addSandboxFlags, loadSettings, type CommonFlags } from '../settings.js';

/** Exit status when the batch ran but at least one task did not end ok (or was not run). */
export const EXIT_TASKS_FAILED = 3;

interface BatchFlags extends CommonFlags {
  out?: string;
  concurrency?: string;
  engine?: string[];
  resume?: boolean;
  failFast?: boolean;
  taskTimeout?: string;
  taskBudget?: string;
  pool?: boolean;
  recycle?: boolean;
  plain?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerBatch(program: Command): void {
  const cmd = program
    .command('batch')
    .description('run many prompts (JSONL or one per line), each in its own sandbox; results go to DIR/results.jsonl')
    .argument('<tasks>', 'tasks file (.jsonl: {id?, prompt, files?, model?, timeout?, max_turns?, budget?}; otherwise one prompt per line), or - for stdin')
    .option('--out <dir>', 'batch folder: results.jsonl and DIR/<id>/ per task (default ./codecell-batch-<time>)')
    .option('-c, --concurrency <n>', 'tasks at once per engine (default: min(cores, free memory / sandbox memory))')
    .option('--engine <url[=n]>', 'a Docker engine to use, with its own concurrency; repeatable (unix:///path, tcp://host:port, ssh://user@host)', collect)
    .option('--resume', 'skip tasks already ok in DIR/results.jsonl and run the rest')
    .option('--fail-fast', 'start no new task after the first one fails')
    .option('--task-timeout <seconds>', 'wall-clock limit per task (a task line\'s "timeout" wins)')
    .option('--task-budget <usd>', 'USD limit per task (a task line\'s "budget" wins); --budget is for the whole batch')
    .option('--no-pool', 'start each sandbox when its task starts instead of keeping started ones ready')
    .option('--no-recycle', "remove each task's container instead of resetting it for the next task (also CODECELL_RECYCLE=0)")
    .option('--plain', 'one line per finished task even on a terminal');
  addModelFlags(cmd);
  addSandboxFlags(cmd);
  cmd.action(async (input: string, flags: BatchFlags) => {
    process.exitCode = await batchCommand(input, flags, cmd);
  });
}

function positive(value: string | undefined, what: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < (integer ? 1 : 0) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${what} must be ${integer ? 'a whole number of at least 1' : 'a number of at least 0'}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * Whether the pools reset a finished task's container for the next task: on unless `--no-recycle` or
 * CODECELL_RECYCLE is 0, false, no or off.
 */
export function recycleWanted(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flag === false) return false;
  const value = env.CODECELL_RECYCLE?.trim().toLowerCase();
  if (!value) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  throw new UsageError(`CODECELL_RECYCLE must be 1 or 0 (true/false, yes/no, on/off), not ${JSON.stringify(env.CODECELL_RECYCLE)}`);
}

/** As many sandboxes as there are cores and as fit into free memory at their memory limit; at least 1. */
export function defaultConcurrency(sandboxMemory: number): number {
  const cores = os.availableParallelism();
  const fit = Math.floor(os.freemem() / Math.max(1, sandboxMemory));
  return Math.max(1, Math.min(cores, fit));
}

function readInput(input: string): { text: string; baseDir: string; name?: string } {
  if (input === '-') return { text: fs.readFileSync(0, 'utf8'), baseDir: process.cwd() };
  try {
    return { text: fs.readFileSync(input, 'utf8'), baseDir: path.dirname(path.resolve(input)), name: input };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read the tasks file ${input}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      'Pass a .jsonl or text file, or - to read stdin.',
    );
  }
}

async function loadTasks(input: string): Promise<Task[]> {
  const { parseTasks, TaskFileError } = await import('../../batch/tasks.js');
  const { text, baseDir, name } = readInput(input);
  let tasks: Task[];
  try {
    tasks = parseTasks(text, { baseDir, ...(name ? { name } : {}) });
  } catch (err) {
    if (err instanceof TaskFileError) throw new UsageError(err.message, 'Each JSONL line needs at least {"prompt": "..."}; see `codecell batch --help`.');
    throw err;
  }
  const missing = tasks.flatMap((t) =>
    t.files.filter((f) => !fs.statSync(f, { throwIfNoEntry: false })?.isFile()).map((f) => `line ${t.line}: ${f} is not a file`),
  );
  if (missing.length)
    throw new UsageError(
      `files named by tasks are missing:\n  ${missing.slice(0, 20).join('\n  ')}`,
      'Paths in "files" are relative to the tasks file\'s folder.',
    );
  return tasks;
}

interface LiveEngine extends SchedulerEngine {
  docker: Docker;
  image: string;
  packages?: { apt: string[]; pip: string[] };
  pool: SandboxPool;
}

/** Connects to every engine; unreachable ones are reported and left out. */
async function connectEngines(
  specs: EngineSpec[],
  explicit: boolean,
  warn: (text: string) => void,
): Promise<{ url: string; docker: Docker; concurrency?: number }[]> {
  const [{ createDocker }, { dockerFor, pingEngine }, { SandboxError }] = await Promise.all([
    import('../../sandbox/engine.js'),
    import('../../sandbox/engines.js'),
    import('../../sandbox/types.js'),
  ]);
  const checked = await Promise.all(
    specs.map(async (spec) => {
      let docker: Docker;
      try {
        docker = explicit ? dockerFor(spec.url) : createDocker();
      } catch (err) {
        throw new UsageError(`--engine ${spec.url}: ${(err as Error).message}`);
      }
      try {
        await pingEngine(docker, spec.url, 5000);
        return { url: spec.url, docker, ...(spec.concurrency ? { concurrency: spec.concurrency } : {}) };
      } catch (err) {
        warn(`${(err as Error).message}; leaving it out of this batch`);
        return undefined;
      }
    }),
  );
  const live = checked.filter((e): e is NonNullable<typeof e> => e !== undefined);
  if (live.length === 0) {
    throw new SandboxError(
      `no Docker engine could be reached (${specs.map((s) => s.url).join(', ')})`,
      'Start Docker, or pass --engine with an engine that runs (unix:///var/run/docker.sock, tcp://HOST:PORT, ssh://USER@HOST).',
      'no_engine',
    );
  }
  return live;
}

function stamp(date = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

export async function batchCommand(input: string, flags: BatchFlags, cmd?: Command): Promise<number> {
  const pools: SandboxPool[] = [];
  let results: ResultsFile | undefined;
  let interrupts: InterruptHandle | undefined;
  let view: { stop(): Promise<void> } | undefined;
  const warn = (text: string): void => void process.stderr.write(`codecell: ${sanitize(text)}\n`);
  try {
    // Loaded here, not at the top of the file: `codecell --help` must not pay for Docker and the model SDK.
    const [
      { checkModelSettings, modelClientFrom, sandboxFrom },
      { openSession },
      { defaultEngineUrl, parseEngineSpec },
      { createProgressPrinter },
      { SandboxPool, poolPlan },
      { reapOrphans },
      { SandboxError },
      { ensureImageEverywhere },
      { BatchProgress },
      { ResultsFile, RESULTS_NAME, finishedIds, readResults },
      { LABEL_BATCH, runTask },
      { schedule },
      { finishedLine, summary },
      { handleInterrupts },
    ] = await Promise.all([
      import('../runtime.js'),
      import('../open-session.js'),
      import('../../sandbox/engines.js'),
      import('../../render/build-progress.js'),
      import('../../sandbox/pool.js'),
      import('../../sandbox/reaper.js'),
      import('../../sandbox/types.js'),
      import('../../batch/images.js'),
      import('../../batch/progress.js'),
      import('../../batch/results.js'),
      import('../../batch/run-task.js'),
      import('../../batch/scheduler.js'),
      import('../../batch/summary.js'),
      import('../interrupts.js'),
    ]);
    const loaded = await loadSettings(flags, cmd);
    const { settings, extras } = loaded;
    if (settings.confirm && flags.confirm) throw new UsageError('--confirm does not work in batch (no one is there to answer)', 'Drop --confirm.');
    await (await import('../model-server.js')).useLocalServerIfUnset(loaded);
    checkModelSettings(settings);
    const concurrency = positive(flags.concurrency, '--concurrency', true) ?? defaultConcurrency(settings.memory);
    const taskTimeout = positive(flags.taskTimeout, '--task-timeout', false);
    const taskBudget = positive(flags.taskBudget, '--task-budget', false);
    const recycle = recycleWanted(flags.recycle);
    if (settings.backend === 'bubblewrap' || settings.backend === 'firejail') {
      throw new UsageError(
        `batch runs its tasks on container engines; the ${settings.backend} backend works with run, exec and the chat`,
        'Use --backend docker or podman, or --engine URL.',
      );
    }
    let specs: EngineSpec[];
    try {
      const fallback =
        settings.backend === 'podman' && !process.env.DOCKER_HOST?.trim() ? (await import('../../sandbox/backend.js')).podmanUrl() : defaultEngineUrl();
      specs = flags.engine?.length ? flags.engine.map(parseEngineSpec) : [{ url: fallback }];
    } catch (err) {
      throw new UsageError(`--engine: ${(err as Error).message}`, 'Example: --engine unix:///var/run/docker.sock=2 --engine tcp://10.0.0.5:2376=4');
    }

    const tasks = await loadTasks(input);
    const outDir = path.resolve(flags.out ?? (cmd?.getOptionValueSource('outDir') === 'cli' ? flags.outDir! : `codecell-batch-${stamp()}`));
    if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new UsageError(`--out ${outDir} is a file, not a folder`);
    const earlier = readResults(outDir);
    if (earlier.length && !flags.resume) {
      throw new UsageError(
        `${path.join(outDir, RESULTS_NAME)} already holds ${earlier.length} result(s)`,
        'Pass --resume to skip the finished tasks and run the rest, or choose another --out folder.',
      );
    }
    const done = flags.resume ? finishedIds(earlier) : new Set<string>();
    const todo = tasks.filter((t) => !done.has(t.id));
    const skipped = tasks.length - todo.length;

    const connected = await connectEngines(specs, Boolean(flags.engine?.length) || settings.backend === 'podman', warn);
    // Each engine's own orphans (a sandbox reaps only the engine it meets first).
    await Promise.all(connected.map((e) => reapOrphans(e.docker).catch(() => 0)));
    const printer = createProgressPrinter(process.stderr);
    let image: Awaited<ReturnType<typeof ensureImageEverywhere>>;
    try {
      image = await ensureImageEverywhere(connected, {
        ...(settings.image ? { image: settings.image } : {}),
        extras,
        onProgress: printer.onProgress,
        onNote: warn,
      });
    } finally {
      printer.close();
    }
    const label = path.basename(outDir);
    const engines: LiveEngine[] = [];
    for (const e of connected) {
      const put = image.report.find((r) => r.url === e.url);
      if (put?.how === 'failed') {
        warn(`${e.url} has no sandbox image (${put.error}); leaving it out of this batch`);
        continue;
      }
      const slots = e.concurrency ?? concurrency;
      // A remote engine has cores of its own; this machine's count is the one known here.
      const plan = poolPlan(slots, os.availableParallelism());
      const pool = new SandboxPool({
        create: ({ deferWarm }) => sandboxFrom({ docker: e.docker, image: image.ref }, settings, { labels: { [LABEL_BATCH]: label }, deferWarm }),
        size: flags.pool === false ? 0 : plan.size,
        warmOnAcquire: plan.warmOnAcquire,
        recycle,
      });
      pools.push(pool);
      engines.push({
        url: e.url,
        docker: e.docker,
        image: image.ref,
        ...(image.packages ? { packages: image.packages } : {}),
        concurrency: slots,
        pool,
        expect: (n) => pool.expect(n),
      });
    }
    if (engines.length === 0)
      throw new SandboxError('no engine has the sandbox image', 'Build it with `codecell sandbox build` on the first engine.', 'no_image');

    const client: ModelClient = await modelClientFrom(settings);
    results = ResultsFile.open(outDir);
    const progress = new BatchProgress(tasks.length, skipped);
    const finished: TaskResult[] = [];
    interrupts = handleInterrupts(
      async () => {
        await view?.stop();
        await Promise.all(pools.map((p) => p.close()));
      },
      () => warn('stopping: no new tasks start; running tasks are cancelled (Ctrl-C again to quit now)'),
      // Other listeners stay; the SIGINT echo from Ink's exit hook within 500 ms is not a second Ctrl-C.
      { quitMessage: 'quitting now; the running sandboxes are removed', echoMs: 500, ownSignals: false },
    );
    const tty = process.stdout.isTTY === true && !flags.plain;
    if (tty) {
      const { startBatchView } = await import('../../ui/batch/start.js');
      view = startBatchView(progress, () => finished);
    } else if (skipped) {
      process.stdout.write(`skipping ${skipped} task(s) already ok in ${path.join(outDir, RESULTS_NAME)}\n`);
    }

    const started = performance.now();
    const outcome = await schedule<LiveEngine>({
      tasks: todo,
      engines,
      failFast: flags.failFast === true,
      ...(settings.budget !== undefined ? { budgetUsd: settings.budget } : {}),
      signal: interrupts.signal,
      record: (result) => {
        results!.append(result);
        finished.push(result);
        if (!tty) process.stdout.write(finishedLine(result, finished.length, todo.length, process.stdout.columns || 120) + '\n');
      },
      events: {
        started: (task, engine, attempt) => progress.start(task.id, engine, attempt),
        finished: (result) => progress.finished(result),
        retrying: (task, engine, reason) => {
          progress.retrying(task.id);
          const text = `task ${task.id} failed on ${engine} (${reason}); retrying on another engine`;
          if (tty) progress.note(text);
          else warn(text);
        },
        engineDown: (engine, reason) => {
          const text = `engine ${engine} is taken out of the batch: ${reason}`;
          if (tty) progress.note(text);
          else warn(text);
        },
      },
      run: (attempt, engine) => {
        const own = attempt.task.budget ?? taskBudget;
        const budgetUsd = own !== undefined && attempt.budgetLeft !== undefined ? Math.min(own, attempt.budgetLeft) : (own ?? attempt.budgetLeft);
        const timeout = attempt.task.timeout ?? taskTimeout;
        return runTask({
          task: attempt.task,
          outDir,
          settings: settings as Settings,
          engine: { url: engine.url, docker: engine.docker, image: engine.image, ...(engine.packages ? { packages: engine.packages } : {}) },
          acquire: () => engine.pool.acquire(),
          client,
          open: openSession,
          ...(budgetUsd !== undefined ? { budgetUsd } : {}),
          ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
          signal: interrupts!.signal,
          attempt: attempt.attempt,
          onLine: (line) => progress.line(attempt.task.id, line),
        });
      },
    });
    await Promise.all(pools.map((p) => p.close()));
    await view?.stop();
    view = undefined;
    process.stdout.write(
      summary({
        results: outcome.results,
        total: tasks.length,
        skipped,
        notRun: outcome.notRun.length,
        ...(outcome.stopped ? { stopped: outcome.stopped } : {}),
        wallMs: performance.now() - started,
        resultsPath: results.path,
        downEngines: outcome.downEngines,
      }),
    );
    if (outcome.stopped === 'interrupted') return EXIT_INTERRUPTED;
    const bad = outcome.results.some((r) => r.status !== 'ok') || outcome.notRun.length > 0;
    return bad ? EXIT_TASKS_FAILED : EXIT_OK;
  } catch (err) {
    await view?.stop();
    return reportFatal(err);
  } finally {
    interrupts?.dispose();
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
    results?.close();
  }
}
