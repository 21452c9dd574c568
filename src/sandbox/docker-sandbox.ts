// The Sandbox on a local or remote Docker engine: cells run in a hardened kernel container, results never throw.
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { imageRef } from './image.js';
import { debugLog } from '../shared/debug.js';
import { nameProblem, safeName, safeText } from '../shared/safe-name.js';
import { FileAssembler } from './files.js';
import { displayEvents, textBundle } from './display.js';
import { startKernelContainer, type ContainerHandlers, type ContainerSpec, type Death } from './kernel-container.js';
import type { HostMessage, KernelMessage } from './kernel-client.js';
import { formatBytes } from '../shared/format.js';
import { resolveLimits } from './limits.js';
import { reapOrphans } from './reaper.js';
import { LABEL_INSTANCE } from './labels.js';
import {
  SandboxError,
  type CellEvent,
  type CellResult,
  type CellStatus,
  type RunOptions,
  type Sandbox,
  type SandboxLimits,
  type SandboxOptions,
  type SandboxState,
} from './types.js';

/** Upload chunk size (raw bytes); base64 lines stay far below the kernel's line cap. */
const UPLOAD_CHUNK = 256 * 1024;
/**
 * Files at least this large are read by the host with `docker exec cat` (raw bytes) instead of as
 * base64 lines on the kernel channel; the kernel signs their size and sha256.
 */
export const PULL_MIN_BYTES = 8 * 1024 * 1024;

/** A running kernel, in a container or a process sandbox: what the host side needs of it. */
export interface KernelHandle {
  readonly id: string;
  readonly alive: boolean;
  send(message: HostMessage): Promise<void>;
  /** Ends the kernel and everything it started; safe to call twice. */
  remove(): Promise<void>;
  /** Process exit: end it synchronously. */
  dropConnection(): void;
  /**
   * A fresh kernel in the same sandbox, as good as new (guest/PROTOCOL.md, Reset); rejects when it
   * cannot be made so. Kernels without it (the process sandbox) are never recycled.
   */
  reset?(): Promise<void>;
  /**
   * Reads a large file's raw bytes out of the sandbox (containers: `docker exec cat`); kernels without it
   * (the process sandbox) get every file as signed chunks over the protocol instead.
   */
  readFile?(path: string, size: number): Promise<{ data: Buffer; sha256: string }>;
  /**
   * `socket`: the kernel speaks on its own unix socket, fast enough that every file comes as raw chunks
   * (nothing is pulled); `attach`: the engine's stdio stream. Process sandboxes use pipes (undefined).
   */
  readonly channel?: 'socket' | 'attach';
}

/** Starts kernels somewhere other than a Docker-API engine (the process sandbox). */
export interface KernelLauncher {
  /** Short name for messages ("bubblewrap"). */
  readonly name: string;
  start(spec: ContainerSpec, handlers: ContainerHandlers): Promise<{ kernel: KernelHandle; readyMs: number }>;
}

let reaped: Promise<number> | undefined;
const live = new Set<DockerSandbox>();
let exitHookInstalled = false;

/** Why the host is stopping a cell. */
type StopReason = 'timeout' | 'interrupted';

interface Cell {
  id: string;
  started: number;
  emit: (event: CellEvent) => void;
  resolve: (result: CellResult) => void;
  /** Infrastructure failure (the engine is gone): the run rejects, per the Sandbox contract. */
  reject: (error: SandboxError) => void;
  files: FileAssembler;
  /** File results in the kernel's order; pulled files make it wait for their bytes. The reply waits for it. */
  fileChain: Promise<void>;
  /** Reads of pulled files, one after another (one file's bytes in memory at a time), by fid. */
  pulls: Map<number, { pull: NonNullable<ReturnType<FileAssembler['takePull']>>; read: Promise<{ data: Buffer; sha256: string }> }>;
  pullChain: Promise<unknown>;
  /** Output bytes the host has forwarded (a second cap in case user code writes to the protocol fd). */
  bytes: number;
  hostTruncated: boolean;
  /** Rich output passed the output budget: later displays are dropped without another notice. */
  displaysCapped: boolean;
  stopping?: StopReason;
  timeoutMs: number;
  error?: CellResult['error'];
  oomNoticed: boolean;
  timers: NodeJS.Timeout[];
  done: boolean;
}

export class DockerSandbox implements Sandbox {
  readonly limits: SandboxLimits;
  /** Heavy modules the kernel finished pre-importing (from its `warm` message). */
  warmed?: { modules: string[]; ms: number };

  private kernel?: KernelHandle;
  private current?: Cell;
  private queue: Promise<unknown> = Promise.resolve();
  private stateValue: SandboxState = 'stopped';
  private listeners = new Set<(state: SandboxState) => void>();
  private closed = false;
  private starting?: Promise<void>;
  private uploads = new Map<string, (outcome: { ok: true } | { ok: false; message: string }) => void>();
  /** Removals of dead kernels still in flight. */
  private removals = new Set<Promise<unknown>>();
  /**
   * Why this sandbox may no longer be reset for another task: its kernel was restarted or died, a cell
   * was stopped (timeout, interrupt, output cap), or a process in it was killed for memory.
   */
  private spoiled?: string;
  private readonly image: string;
  /** Put on every container this sandbox starts, so close() can find one a race left behind. */
  private readonly instance = randomUUID();

  /** `launcher` replaces the engine: the same host side (limits, interrupts, files, restarts) on another backend. */
  constructor(
    private readonly docker: Docker | null,
    private readonly options: SandboxOptions = {},
    private readonly launcher?: KernelLauncher,
  ) {
    this.limits = resolveLimits(options.limits);
    this.image = options.image ?? imageRef();
  }

  get id(): string {
    return this.kernel?.id ?? '';
  }

  get state(): SandboxState {
    return this.stateValue;
  }

  /**
   * How the running kernel talks to the host: `socket` (its own unix socket), `attach` (the engine's
   * stdio stream) or `pipe` (a process sandbox); undefined while no kernel runs.
   */
  get channel(): 'socket' | 'attach' | 'pipe' | undefined {
    if (!this.kernel) return undefined;
    return this.kernel.channel ?? 'pipe';
  }

  onStateChange(listener: (state: SandboxState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.closed) throw new SandboxError('this sandbox was closed', 'Create a new sandbox.', 'container_dead');
    if (this.kernel?.alive) return;
    this.starting ??= this.boot('starting').finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  run(code: string, options: RunOptions = {}): Promise<CellResult> {
    const result = this.queue.then(() => this.runNow(code, options));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async interrupt(): Promise<void> {
    const cell = this.current;
    if (cell && !cell.done) this.stop(cell, 'interrupted');
  }

  async restart(): Promise<void> {
    if (this.closed) throw new SandboxError('this sandbox was closed', 'Create a new sandbox.', 'container_dead');
    await this.replaceKernel();
  }

  upload(name: string, data: Buffer): Promise<void> {
    const result = this.queue.then(() => this.uploadNow(name, data));
    this.queue = result.catch(() => undefined);
    return result;
  }

  warm(): void {
    if (this.options.deferWarm) void this.kernel?.send({ type: 'warm' }).catch(() => undefined);
  }

  /**
   * Gives this sandbox a fresh kernel in the same container, for the next task of a batch pool (after any
   * queued cell or upload). False when it cannot be made as good as new: a kernel that was restarted or
   * died, a cell that was stopped, a process killed for memory, a backend without reset, or a reset that
   * failed (its container is then removed at once). The caller then closes it.
   */
  reset(): Promise<boolean> {
    const result = this.queue.then(() => this.resetNow());
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async resetNow(): Promise<boolean> {
    const kernel = this.kernel;
    const why = this.closed
      ? 'closed'
      : (this.spoiled ??
        (!kernel?.alive ? 'no running kernel' : !kernel.reset ? 'this backend cannot reset a kernel' : this.current || this.uploads.size ? 'busy' : undefined));
    if (why || !kernel?.reset) {
      debugLog('sandbox', `not reset for another task: ${why}`);
      return false;
    }
    this.setState('restarting');
    this.warmed = undefined;
    try {
      await kernel.reset();
    } catch (err) {
      // Whatever state the kernel is in now, no task gets it: its container goes.
      debugLog('sandbox', `reset failed: ${(err as Error).message}`);
      this.spoiled ??= 'its reset failed';
      if (this.kernel === kernel) this.kernel = undefined;
      await kernel.remove().catch(() => undefined);
      this.setState('stopped');
      return false;
    }
    if (this.closed || this.kernel !== kernel || !kernel.alive) return false;
    this.setState('ready');
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    const kernel = this.kernel;
    this.kernel = undefined;
    if (this.current && !this.current.done)
      this.finish(this.current, { status: 'killed', stateLost: true, message: 'the sandbox was closed while the cell ran' });
    this.setState('stopped');
    await kernel?.remove().catch(() => undefined);
    await Promise.all([...this.removals]);
    await this.sweepLeftovers();
  }

  /**
   * Removes any container of this sandbox still on the engine: a kernel that died while it was being
   * started (Podman can report it after the start returned) has no handle to remove it by.
   */
  private async sweepLeftovers(): Promise<void> {
    if (!this.docker || this.launcher) return;
    try {
      const left = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${this.instance}`] } });
      await Promise.all(
        left.map((c) =>
          this.docker!.getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => undefined),
        ),
      );
    } catch {
      // the engine is gone: the reaper removes them at the next start
    }
  }

  // ----- lifecycle -----

  private async boot(state: 'starting' | 'restarting'): Promise<void> {
    this.setState(state);
    const docker = this.docker;
    // The orphan sweep runs beside the new container's start, not before it (it removes only containers of
    // dead processes, never this one): start() still settles after both, one engine round trip sooner.
    if (docker) reaped ??= reapOrphans(docker).catch(() => 0);
    installExitHook();
    let holder: KernelHandle | undefined;
    const launch = (spec: ContainerSpec, handlers: ContainerHandlers): Promise<{ kernel: KernelHandle; readyMs: number }> => {
      if (this.launcher) return this.launcher.start(spec, handlers);
      if (!docker) throw new SandboxError('no engine and no launcher for this sandbox', 'Pick a backend with --backend.', 'no_engine');
      return startKernelContainer(docker, spec, handlers);
    };
    try {
      const { kernel } = await launch(
        {
          image: this.image,
          limits: this.limits,
          ...(this.options.runtime ? { runtime: this.options.runtime } : {}),
          labels: { ...(this.options.labels ?? {}), [LABEL_INSTANCE]: this.instance },
          ...(this.options.deferWarm ? { deferWarm: true } : {}),
        },
        {
          onMessage: (message) => this.message(message),
          // A malformed or forged line from inside the sandbox is ignored (nothing on the host depends on it) and shown to a debugging user.
          onProblem: (text) => debugLog('kernel channel', text),
          onOom: () => this.childOom(),
          onDeath: (death) => {
            if (!holder) return;
            // A dead container stays on the engine until removed; its record was read already. close()
            // waits for the removal, so no container outlives the sandbox.
            const removal = holder.remove().catch(() => undefined);
            this.removals.add(removal);
            void removal.finally(() => this.removals.delete(removal));
            if (this.kernel === holder) void this.kernelDied(death);
          },
        },
      );
      holder = kernel;
      // The sweep started beside the launch; start() settles after it too.
      if (docker) await reaped;
      if (this.closed) {
        await kernel.remove();
        return;
      }
      this.kernel = kernel;
      live.add(this);
      if (!kernel.alive) {
        // died between ready and now: the next run starts another
        this.kernel = undefined;
        this.setState('stopped');
        return;
      }
      this.setState('ready');
    } catch (err) {
      this.setState('stopped');
      throw err;
    }
  }

  private async replaceKernel(): Promise<void> {
    this.spoiled ??= 'its kernel was restarted';
    const old = this.kernel;
    this.kernel = undefined;
    this.warmed = undefined;
    this.setState('restarting');
    await old?.remove().catch(() => undefined);
    await this.boot('restarting');
  }

  private setState(state: SandboxState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    for (const listener of this.listeners) {
      try {
        listener(state);
      } catch {
        // a listener's bug must not stop the sandbox
      }
    }
  }

  // ----- cells -----

  private async runNow(code: string, options: RunOptions): Promise<CellResult> {
    if (this.closed) throw new SandboxError('this sandbox was closed', 'Create a new sandbox.', 'container_dead');
    if (!this.kernel?.alive) await this.start();
    const kernel = this.kernel;
    if (!kernel) throw new SandboxError('the sandbox is not running', 'Retry; if it keeps failing, check `codecell sandbox status`.', 'container_dead');
    const timeoutMs = options.timeoutMs ?? this.limits.timeoutMs;
    return new Promise<CellResult>((resolve, reject) => {
      const cell: Cell = {
        id: randomUUID(),
        started: performance.now(),
        emit: (event) => {
          try {
            options.onEvent?.(event);
          } catch {
            // the caller's handler failing must not break the cell
          }
        },
        resolve,
        reject,
        files: new FileAssembler(this.limits.maxFileBytes, this.limits.maxFiles),
        fileChain: Promise.resolve(),
        pulls: new Map(),
        pullChain: Promise.resolve(),
        bytes: 0,
        hostTruncated: false,
        displaysCapped: false,
        timeoutMs,
        oomNoticed: false,
        timers: [],
        done: false,
      };
      this.current = cell;
      this.setState('running');
      if (options.signal?.aborted) {
        this.finish(cell, { status: 'interrupted', stateLost: false, message: 'the cell was cancelled before it started' });
        return;
      }
      const onAbort = (): void => this.stop(cell, 'interrupted');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanupAbort = (): void => options.signal?.removeEventListener('abort', onAbort);
      const originalResolve = cell.resolve;
      cell.resolve = (result) => {
        cleanupAbort();
        originalResolve(result);
      };
      const originalReject = cell.reject;
      cell.reject = (error) => {
        cleanupAbort();
        originalReject(error);
      };
      if (timeoutMs > 0) cell.timers.push(setTimeout(() => this.stop(cell, 'timeout'), timeoutMs));
      kernel
        .send({
          type: 'execute',
          id: cell.id,
          code,
          max_output: this.limits.maxOutputBytes,
          max_files: this.limits.maxFiles,
          max_file_bytes: this.limits.maxFileBytes,
          // Large files are pulled as raw bytes only where the kernel handle can read them.
          pull_min: kernel.readFile && kernel.channel !== 'socket' ? PULL_MIN_BYTES : 0,
        })
        .catch(() => {
          // the death handler resolves the cell
        });
    });
  }

  /** Interrupt, then kill and restart when the cell does not stop within the grace period. */
  private stop(cell: Cell, reason: StopReason): void {
    if (cell.done || cell.stopping) return;
    cell.stopping = reason;
    this.spoiled ??= `a cell was stopped (${reason})`;
    const kernel = this.kernel;
    void kernel?.send({ type: 'interrupt' }).catch(() => undefined);
    cell.timers.push(
      setTimeout(() => {
        if (cell.done) return;
        const message =
          reason === 'timeout'
            ? `the cell ran longer than ${seconds(cell.timeoutMs)} and was stopped; the kernel was restarted, so variables were lost`
            : `the cell did not stop within ${seconds(this.limits.interruptGraceMs)} of the interrupt; the kernel was restarted, so variables were lost`;
        void this.killAndFinish(cell, { status: reason, stateLost: true, message });
      }, this.limits.interruptGraceMs),
    );
  }

  private async killAndFinish(cell: Cell, result: Omit<CellResult, 'count' | 'durationMs'>): Promise<void> {
    let finalResult = result;
    try {
      await this.replaceKernel();
    } catch (err) {
      const why = err instanceof SandboxError ? `${err.message}. ${err.fix}` : String(err);
      finalResult = { ...result, message: `${result.message ?? ''}; restarting the kernel failed: ${why}` };
    }
    this.finish(cell, finalResult);
  }

  private fail(cell: Cell, error: SandboxError): void {
    if (cell.done) return;
    cell.done = true;
    for (const timer of cell.timers) clearTimeout(timer);
    cell.files.clear();
    if (this.current === cell) this.current = undefined;
    cell.reject(error);
  }

  private finish(cell: Cell, result: Omit<CellResult, 'count' | 'durationMs'> & { count?: number }): void {
    if (cell.done) return;
    cell.done = true;
    for (const timer of cell.timers) clearTimeout(timer);
    cell.files.clear();
    if (this.current === cell) this.current = undefined;
    if (this.kernel?.alive && this.stateValue === 'running') this.setState('ready');
    const full: CellResult = {
      count: result.count ?? 0,
      durationMs: Math.round(performance.now() - cell.started),
      ...result,
      ...(cell.error && !result.error ? { error: cell.error } : {}),
    };
    cell.resolve(full);
  }

  private message(message: KernelMessage): void {
    switch (message.type) {
      case 'warm':
        this.warmed = { modules: message.modules, ms: message.ms };
        return;
      case 'put_done':
        this.uploads.get(message.name)?.({ ok: true });
        return;
      case 'put_error':
        if (typeof message.name === 'string') this.uploads.get(message.name)?.({ ok: false, message: message.message });
        return;
      case 'log':
        debugLog('kernel', message.text);
        return;
      case 'ready':
      case 'pong':
      case 'resetting': // the container's kernel handle takes these
      case 'reset_failed':
        return;
      default:
        break;
    }
    const cell = this.current;
    if (!cell || cell.done) return;
    if ('id' in message && message.id !== cell.id) return;
    switch (message.type) {
      case 'stream': {
        if (cell.hostTruncated) return;
        const size = Buffer.byteLength(message.text);
        // The kernel enforces max_output itself; this cap catches lines forged through the protocol fd.
        if (cell.bytes + size > this.limits.maxOutputBytes + 64 * 1024) {
          cell.hostTruncated = true;
          cell.emit({
            type: 'notice',
            text: `output passed the ${formatBytes(this.limits.maxOutputBytes)} limit; the rest was dropped and the cell was interrupted`,
          });
          this.stop(cell, 'interrupted');
          return;
        }
        cell.bytes += size;
        cell.emit({ type: message.name, text: message.text });
        return;
      }
      case 'display': {
        // Rich output counts against the same per-cell budget as printed text.
        const size = Buffer.byteLength(JSON.stringify(message.data));
        if (cell.hostTruncated || cell.displaysCapped) return;
        if (cell.bytes + size > this.limits.maxOutputBytes + 64 * 1024 && !('image/png' in message.data)) {
          cell.displaysCapped = true;
          cell.emit({
            type: 'notice',
            text: `rich output passed the ${formatBytes(this.limits.maxOutputBytes)} output limit; later displays of this cell were not shown`,
          });
          return;
        }
        cell.bytes += 'image/png' in message.data ? 0 : size;
        for (const event of displayEvents(message.data, message.display_id, message.update)) cell.emit(event);
        return;
      }
      case 'clear':
        cell.emit({ type: 'clear', wait: message.wait });
        return;
      case 'result': {
        const bundle = message.data ? textBundle(message.data) : undefined;
        if (message.data && typeof message.data['image/png'] === 'string') {
          // A value whose best form is an image (a figure, IPython.display.Image): drawn and saved like a figure.
          // Jupyter shows only the image for such a value; its text/plain rides on the image event.
          for (const event of displayEvents({ ...message.data, 'text/plain': message.text })) cell.emit(event);
          return;
        }
        cell.emit({ type: 'result', text: message.text, ...(bundle ? { bundle } : {}) });
        return;
      }
      case 'error':
        cell.error = { ename: message.ename, evalue: message.evalue, traceback: message.traceback };
        cell.emit({ type: 'error', ...cell.error });
        return;
      case 'truncated':
        this.spoiled ??= 'a cell passed the output limit';
        cell.hostTruncated = true;
        cell.emit({ type: 'notice', text: `output passed the ${formatBytes(message.bytes)} limit; the rest was dropped and the cell was interrupted` });
        return;
      case 'oom_kill':
        this.childOom();
        return;
      case 'file_start': {
        const rejected = cell.files.start(message.fid, message.name, message.size, message.pull === true);
        if (rejected && !rejected.ok) cell.emit({ type: 'file_skipped', name: rejected.name, reason: rejected.reason });
        else if (message.pull === true) this.startPull(cell, message.fid);
        return;
      }
      case 'file_chunk': {
        const rejected = cell.files.chunk(message.fid, message.data);
        if (rejected && !rejected.ok) cell.emit({ type: 'file_skipped', name: rejected.name, reason: rejected.reason });
        return;
      }
      case 'file_end': {
        const fileEvent = (outcome: ReturnType<FileAssembler['end']>): void => {
          if (cell.done) return;
          if (outcome?.ok) cell.emit({ type: 'file', file: outcome.file });
          else if (outcome) cell.emit({ type: 'file_skipped', name: outcome.name, reason: outcome.reason });
        };
        const pulled = cell.pulls.get(message.fid);
        if (!pulled) {
          const outcome = cell.files.end(message.fid, message.sha256);
          cell.fileChain = cell.fileChain.then(() => fileEvent(outcome));
          return;
        }
        cell.pulls.delete(message.fid);
        const sha256 = message.sha256;
        cell.fileChain = cell.fileChain.then(async () => {
          const { pull, read } = pulled;
          try {
            if (!sha256) throw new Error('the kernel sent no sha256 to check it against');
            fileEvent(pull.finish(await read, sha256));
          } catch (err) {
            fileEvent({ ok: false, name: safeName(pull.raw) ?? '(unsafe name)', reason: `could not read it from the sandbox: ${(err as Error).message}` });
          }
        });
        return;
      }
      case 'file_skipped':
        cell.emit({ type: 'file_skipped', name: safeName(message.name) ?? '(unsafe name)', reason: safeText(message.reason) });
        return;
      case 'reply': {
        const result = this.replyResult(cell, message);
        void cell.fileChain.then(() => this.finish(cell, result));
        return;
      }
      default: {
        const unexpected: never = message;
        void unexpected;
      }
    }
  }

  /**
   * Starts reading a pulled file as soon as the kernel announces it (overlapping the kernel's own
   * hashing), after any earlier pull of the cell has finished.
   */
  private startPull(cell: Cell, fid: number): void {
    const pull = cell.files.takePull(fid);
    const kernel = this.kernel;
    if (!pull || !kernel) return;
    const read = cell.pullChain.then(() =>
      cell.done
        ? Promise.reject(new Error('the cell ended'))
        : kernel.readFile
          ? kernel.readFile(`/mnt/data/${pull.raw}`, pull.size)
          : Promise.reject(new Error('this sandbox cannot pull files')),
    );
    read.catch(() => undefined); // reported at file_end
    cell.pullChain = read.catch(() => undefined);
    cell.pulls.set(fid, { pull, read });
  }

  private replyResult(cell: Cell, reply: Extract<KernelMessage, { type: 'reply' }>): Omit<CellResult, 'durationMs'> {
    let status: CellStatus = reply.status;
    let message: string | undefined;
    if (reply.truncated || cell.hostTruncated) {
      status = 'output_limit';
      message = `the cell printed more than ${formatBytes(this.limits.maxOutputBytes)} of output; the rest was dropped and the cell was interrupted (variables were kept)`;
    } else if (cell.stopping === 'timeout') {
      status = 'timeout';
      message = `the cell ran longer than ${seconds(cell.timeoutMs)} and was interrupted; variables were kept`;
    } else if (cell.stopping === 'interrupted' && status !== 'ok') {
      status = 'interrupted';
      message = 'the cell was interrupted; variables were kept';
    }
    return { status, count: reply.count, stateLost: false, ...(message ? { message } : {}), ...(cell.error ? { error: cell.error } : {}) };
  }

  private childOom(): void {
    this.spoiled ??= 'a process in it was killed for memory';
    const cell = this.current;
    if (!cell || cell.done || cell.oomNoticed) return;
    cell.oomNoticed = true;
    cell.emit({ type: 'notice', text: `a process in the sandbox ran out of memory (${formatBytes(this.limits.memoryBytes)} limit)` });
  }

  private async kernelDied(death: Death): Promise<void> {
    this.spoiled ??= 'its kernel died';
    this.kernel = undefined;
    this.warmed = undefined;
    for (const settle of this.uploads.values()) settle({ ok: false, message: 'the sandbox stopped during the upload' });
    const cell = this.current;
    if (!cell || cell.done) {
      this.setState('stopped');
      return;
    }
    if (death.engineGone) {
      this.setState('stopped');
      this.fail(
        cell,
        new SandboxError(
          'lost the connection to the Docker engine while the cell ran; the sandbox and its variables are gone',
          'Start Docker again (or check DOCKER_HOST), then retry; files saved so far are kept.',
          'no_engine',
        ),
      );
      return;
    }
    if (death.oom) {
      await this.killAndFinish(cell, {
        status: 'oom',
        stateLost: true,
        message: `the sandbox ran out of memory (${formatBytes(this.limits.memoryBytes)} limit); the kernel was restarted and variables were lost`,
      });
      return;
    }
    if (cell.stopping) return; // the grace timer restarts it and reports
    this.setState('stopped');
    const code = death.exitCode !== undefined ? ` (exit code ${death.exitCode})` : '';
    this.finish(cell, {
      status: 'killed',
      stateLost: true,
      message: `the sandbox stopped while the cell ran${code}; it will restart on the next cell and variables were lost`,
    });
  }

  // ----- uploads -----

  private async uploadNow(name: string, data: Buffer): Promise<void> {
    const problem = nameProblem(name);
    if (problem)
      throw new SandboxError(`cannot upload ${JSON.stringify(name)}: ${problem}`, 'Use a plain relative file name such as data.csv.', 'upload_failed');
    if (this.closed) throw new SandboxError('this sandbox was closed', 'Create a new sandbox.', 'container_dead');
    if (!this.kernel?.alive) await this.start();
    const kernel = this.kernel;
    if (!kernel) throw new SandboxError('the sandbox is not running', 'Retry.', 'container_dead');
    if (this.uploads.has(name)) throw new SandboxError(`an upload of ${name} is already running`, 'Wait for it to finish.', 'upload_failed');
    const outcome = new Promise<{ ok: true } | { ok: false; message: string }>((resolve) => this.uploads.set(name, resolve));
    try {
      for (let offset = 0; offset < data.length || offset === 0; offset += UPLOAD_CHUNK) {
        const last = offset + UPLOAD_CHUNK >= data.length;
        await kernel.send({ type: 'put_file', name, data: data.subarray(offset, offset + UPLOAD_CHUNK).toString('base64'), last });
        if (last) break;
      }
    } catch {
      this.uploads.get(name)?.({ ok: false, message: 'the sandbox stopped during the upload' });
    }
    const result = await outcome;
    this.uploads.delete(name);
    if (!result.ok) {
      throw new SandboxError(
        `could not upload ${name} into the sandbox: ${result.message}`,
        'Pick another name, or check the free space in /mnt/data (the disk limit).',
        'upload_failed',
      );
    }
  }

  /** Process exit: drop every connection synchronously so each kernel sees EOF and its container stops. */
  static dropAllConnections(): void {
    for (const sandbox of live) sandbox.kernel?.dropConnection();
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work is possible here; close() is the real cleanup, the reaper the last resort.
  process.once('exit', () => DockerSandbox.dropAllConnections());
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
