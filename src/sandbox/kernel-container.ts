// One running kernel container: created hardened, attached before start, its protocol lines and death reported.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { ChannelListener, channelWanted, isMountRefusal, refuseChannel } from './channel.js';
import { DockerDemux, type DemuxChunk } from './demux.js';
import { isPodman, noEngineError } from './engine.js';
import { LineSplitter, encodeHostMessage, type HostMessage, type KernelMessage } from './kernel-client.js';
import { KernelReader } from './kernel-reader.js';
import { LABEL_KERNEL, ownerLabels } from './labels.js';
import { hostConfig } from './limits.js';
import { SandboxError, type SandboxLimits } from './types.js';
import { ReadyWait } from './ready-wait.js';
import { debugLog } from '../shared/debug.js';

/** How long a fresh container may take to say `ready` before start() gives up. */
export const READY_TIMEOUT_MS = 30_000;
/** How long a reset may take: the old kernel's clean-up, then the new kernel's `ready`. */
export const RESET_TIMEOUT_MS = 15_000;
const STDERR_TAIL = 4096;

export interface ContainerSpec {
  image: string;
  limits: SandboxLimits;
  runtime?: string;
  labels?: Record<string, string>;
  /** CODECELL_WARM=defer: the kernel warms only when sent `warm`. */
  deferWarm?: boolean;
}

export interface Death {
  /** The kernel was killed by the kernel OOM killer (container event or State.OOMKilled). */
  oom: boolean;
  exitCode?: number;
  /** Set when the engine itself could not be reached while finding out what happened. */
  engineGone?: boolean;
  /** What the container printed outside the protocol (a Python crash before the kernel started). */
  stderr: string;
}

export interface ContainerHandlers {
  onMessage: (message: KernelMessage) => void;
  /** A line that failed validation or was too long: logged, never fatal. */
  onProblem: (text: string) => void;
  /** A process inside the container was OOM-killed (container event). */
  onOom: () => void;
  /** The container or its stream is gone; called once. */
  onDeath: (death: Death) => void;
}

/** Runs `create → attach → start → ready` and hands back a live container, or throws SandboxError. */
export async function startKernelContainer(
  docker: Docker,
  spec: ContainerSpec,
  handlers: ContainerHandlers,
): Promise<{ kernel: KernelContainer; ready: Extract<KernelMessage, { type: 'ready' }>; readyMs: number }> {
  const started = performance.now();
  let container: Docker.Container;
  const [podman, opened] = await Promise.all([isPodman(docker), channelWanted(docker) ? ChannelListener.open() : undefined]);
  let channel = opened;
  const create = (): Promise<Docker.Container> => {
    const host = hostConfig(spec.limits, { ...(spec.runtime ? { runtime: spec.runtime } : {}), podman });
    if (channel) host.Mounts = [...(host.Mounts ?? []), channel.mount];
    return docker.createContainer({
      Image: spec.image,
      name: `codecell-${randomUUID().slice(0, 12)}`,
      User: '1000:1000',
      WorkingDir: '/mnt/data',
      Env: [
        `CODECELL_MAX_FILES=${spec.limits.maxFiles}`,
        `CODECELL_MAX_FILE_BYTES=${spec.limits.maxFileBytes}`,
        ...(spec.deferWarm ? ['CODECELL_WARM=defer'] : []),
        ...(channel ? [channel.env] : []),
      ],
      Labels: ownerLabels({ [LABEL_KERNEL]: spec.image, ...(spec.labels ?? {}) }),
      OpenStdin: true,
      // The container's stdin closes when our attach connection does, so the kernel sees EOF and exits
      // when this process dies without cleaning up (the reaper then removes the stopped container).
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      NetworkDisabled: !spec.limits.network,
      HostConfig: host,
    });
  };
  try {
    try {
      container = await create();
    } catch (err) {
      // An engine that cannot mount a folder of this machine (a remote or confined daemon) runs the
      // kernel on the attach stream alone, now and for the rest of this process.
      if (!channel || !isMountRefusal(err)) throw err;
      refuseChannel();
      channel.close();
      channel = undefined;
      container = await create();
    }
  } catch (err) {
    channel?.close();
    throw createError(err, spec);
  }
  const kernel = new KernelContainer(docker, container, handlers, randomBytes(16).toString('hex'), channel);
  try {
    await kernel.connect();
    const ready = kernel.waitForReady(READY_TIMEOUT_MS);
    // When a step below fails first, remove() settles this too; the failure reported is that step's.
    ready.catch(() => undefined);
    // The kernel reads the hello first, before any user code runs; its lines then start with the token.
    // Docker holds what is written to an attached stdin until the process reads it, so the hello goes
    // before the start: the kernel answers as soon as it is up, even while this thread is busy (the chat
    // loads Ink meanwhile). Podman passes the attach request's JSON body into stdin; a newline written
    // after the start ends it so the kernel can skip it, and the hello follows.
    const hello = (): Promise<void> => kernel.send({ type: 'hello', token: kernel.token });
    if (!podman) await hello();
    await container.start();
    if (podman) {
      await kernel.sendRaw('\n');
      await hello();
    }
    const message = await ready;
    return { kernel, ready: message, readyMs: performance.now() - started };
  } catch (err) {
    await kernel.remove();
    if (err instanceof SandboxError) throw err;
    if (isConnectionError(err)) throw noEngineError(err);
    throw new SandboxError(
      `could not start the sandbox container: ${engineMessage(err)}`,
      'Check `codecell sandbox status`; rebuild the image with `codecell sandbox build --force` if it is damaged.',
      'engine_error',
    );
  }
}

export class KernelContainer {
  readonly id: string;
  private stream?: Duplex;
  /** The kernel's socket once it has connected and signed its first line; all protocol goes there then. */
  private socket?: Socket;
  /** Connections to the channel that have not signed a line yet. */
  private readonly callers = new Set<Socket>();
  private events?: NodeJS.ReadableStream;
  private stderrTail = '';
  private dead = false;
  private oomSeen = false;
  private readonly ready = new ReadyWait();
  private reader: KernelReader;
  /** A reset waiting for the old kernel's answer; `token` is the next kernel's key. */
  private resetting?: { token: string; settle: (outcome: Error | undefined) => void; relisten?: boolean };

  constructor(
    private readonly docker: Docker,
    readonly container: Docker.Container,
    private readonly handlers: ContainerHandlers,
    /** The key that signs every genuine kernel line; it never leaves the kernel process again. */
    private key: string = randomBytes(16).toString('hex'),
    /** Where the kernel may connect instead of speaking over the attach stream (see channel.ts). */
    private listener?: ChannelListener,
  ) {
    this.id = container.id;
    this.reader = this.readerFor(key);
  }

  /** The current kernel's key (a reset gives the next kernel a new one). */
  get token(): string {
    return this.key;
  }

  private readerFor(key: string): KernelReader {
    return new KernelReader(
      key,
      (message) => this.message(message),
      (text) => this.handlers.onProblem(text),
    );
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Which way the protocol goes: the kernel's socket, or the engine's attach stream. */
  get channel(): 'socket' | 'attach' {
    return this.socket ? 'socket' : 'attach';
  }

  /** Attaches stdin/stdout/stderr and subscribes to the container's oom/die events, before start. */
  async connect(): Promise<void> {
    const [stream, events] = await Promise.all([
      this.container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }) as Promise<unknown>,
      this.docker.getEvents({ filters: JSON.stringify({ type: ['container'], container: [this.id], event: ['oom', 'die'] }) }),
    ]);
    this.stream = stream as Duplex;
    this.events = events;
    const demux = new DockerDemux();
    demux.on('data', (chunk: DemuxChunk) => {
      // Once the kernel speaks on its socket, the container's stdout carries nothing of the protocol:
      // whatever arrives there was written by user code (through /proc/1/fd/1) and is dropped.
      if (chunk.stream === 'stdout') {
        if (!this.socket) this.reader.push(chunk.data);
      } else this.stderrTail = (this.stderrTail + chunk.data.toString('utf8')).slice(-STDERR_TAIL);
    });
    demux.on('error', (err: Error) => void this.die(`stream error: ${err.message}`));
    this.stream.on('error', (err: Error) => void this.die(`stream error: ${err.message}`));
    this.stream.on('close', () => void this.die('stream closed'));
    this.stream.on('end', () => void this.die('stream ended'));
    this.stream.pipe(demux);
    this.listener?.onConnection((socket) => this.adopt(socket));
    const eventLines = new LineSplitter(
      (line) => {
        let event: { status?: string; Action?: string };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          return;
        }
        const action = event.Action ?? event.status;
        if (action === 'oom') {
          this.oomSeen = true;
          this.handlers.onOom();
        } else if (action === 'die') {
          void this.die('container exited');
        }
      },
      () => {},
      1024 * 1024,
    );
    events.on('data', (chunk: Buffer) => eventLines.push(chunk));
    events.on('error', () => {});
  }

  /**
   * A connection to the channel becomes the kernel's when its first line carries a valid signature
   * (see claim). A connection whose first bytes do not verify is dropped.
   */
  private adopt(socket: Socket): void {
    if (this.socket || this.dead) {
      socket.destroy();
      return;
    }
    this.callers.add(socket);
    const reader = new KernelReader(
      this.token,
      (message) => {
        if (this.socket === socket || this.claim(socket)) this.message(message);
      },
      (text) => {
        if (this.socket !== socket) socket.destroy();
        this.handlers.onProblem(text);
      },
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    // Only the kernel's current socket going away is its death (a reset retires the socket first).
    socket.on('error', (err: Error) => {
      if (this.socket === socket) void this.die(`channel error: ${err.message}`);
    });
    socket.on('close', () => {
      this.callers.delete(socket);
      if (this.socket === socket) void this.die('channel closed');
    });
  }

  /**
   * Makes a verified connection the kernel's: the listener stops (the socket file is gone from its
   * folder), so later connections are refused, and any other caller still waiting is dropped.
   */
  private claim(socket: Socket): boolean {
    if (this.socket || this.dead) {
      socket.destroy();
      return false;
    }
    this.socket = socket;
    this.callers.delete(socket);
    this.listener?.stop();
    for (const other of this.callers) other.destroy();
    this.callers.clear();
    return true;
  }

  waitForReady(timeoutMs: number): Promise<Extract<KernelMessage, { type: 'ready' }>> {
    return this.ready.wait(
      timeoutMs,
      () => this.stderrTail,
      'Check that the Docker engine is not overloaded (`docker ps`), then retry; rebuild the image with `codecell sandbox build --force` if it keeps happening.',
    );
  }

  /** Writes one protocol message to the kernel's stdin, waiting when the pipe is full. */
  send(message: HostMessage): Promise<void> {
    return this.sendRaw(encodeHostMessage(message));
  }

  async sendRaw(text: string): Promise<void> {
    const stream: Duplex | undefined = this.socket ?? this.stream;
    if (!stream || this.dead || stream.destroyed) throw new Error('the kernel is not running');
    if (!stream.write(text)) {
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error): void => {
          stream.off('drain', ok);
          stream.off('close', closed);
          if (err) reject(err);
          else resolve();
        };
        const ok = (): void => done();
        const closed = (): void => done(new Error('the kernel stream closed'));
        stream.once('drain', ok);
        stream.once('close', closed);
      });
    }
  }

  /**
   * A file's raw bytes through `docker exec cat` (works on remote engines and a read-only root): no
   * base64 or JSON on the way. At most `size` bytes are kept; the caller checks size and sha256
   * against what the kernel signed.
   */
  async readFile(path: string, size: number): Promise<{ data: Buffer; sha256: string }> {
    const exec = await this.container.exec({ Cmd: ['cat', '--', path], AttachStdout: true, AttachStderr: true, User: '1000:1000' });
    const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
    const data = Buffer.allocUnsafe(size);
    // Hashed as it arrives, so checking it costs no second pass over 100 MB after the transfer.
    const hash = createHash('sha256');
    let got = 0;
    let over = false;
    const demux = new DockerDemux();
    await new Promise<void>((resolve, reject) => {
      demux.on('data', (chunk: DemuxChunk) => {
        if (chunk.stream !== 'stdout' || over) return;
        if (got + chunk.data.length > size) {
          over = true;
          stream.destroy();
          resolve();
          return;
        }
        chunk.data.copy(data, got);
        hash.update(chunk.data);
        got += chunk.data.length;
      });
      demux.on('end', resolve);
      demux.on('error', reject);
      stream.on('error', reject);
      stream.pipe(demux);
    });
    if (over) throw new Error(`more bytes than the announced ${size}`);
    return { data: data.subarray(0, got), sha256: hash.digest('hex') };
  }

  /**
   * Replaces the kernel with a fresh one in the same container (guest/PROTOCOL.md, Reset): `reset`,
   * the old kernel's signed `resetting`, then a hello with a new key and the new kernel's `ready`. It
   * rejects when the kernel refused (`reset_failed`), died (its clean-up failed) or did not answer in
   * time; the caller then removes the container. Only between cells.
   */
  async reset(timeoutMs = RESET_TIMEOUT_MS): Promise<void> {
    if (this.dead || this.resetting) throw new Error(this.dead ? 'the kernel is not running' : 'a reset is already running');
    const token = randomBytes(16).toString('hex');
    let timer: NodeJS.Timeout | undefined;
    let settle: (outcome: Error | undefined) => void = () => undefined;
    const answered = new Promise<Error | undefined>((resolve) => {
      settle = resolve;
      timer = setTimeout(() => resolve(new Error(`the kernel did not answer the reset within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    }).finally(() => {
      clearTimeout(timer);
      this.resetting = undefined;
    });
    const reset: NonNullable<KernelContainer['resetting']> = { token, settle };
    this.resetting = reset;
    try {
      await this.send({ type: 'reset' });
    } catch (err) {
      settle(err as Error);
    }
    const refused = await answered;
    if (refused) throw refused;
    // The old kernel spoke on its socket: the next one connects to a new socket in the same folder once
    // it has its hello (which goes on stdin). Where that cannot be set up it stays on stdin/stdout.
    if (reset.relisten && this.listener) await this.listener.listen().catch((err: Error) => debugLog('kernel channel', err.message));
    // The reader already checks lines against the new key (switched as `resetting` arrived).
    const ready = this.waitForReady(timeoutMs);
    ready.catch(() => undefined);
    await this.send({ type: 'hello', token });
    await ready;
  }

  /** Force-removes the container and drops the streams; safe to call more than once. */
  async remove(): Promise<void> {
    this.dead = true;
    this.ready.resolve(new Error('the container was removed'));
    this.closeChannel();
    this.resetting?.settle(new Error('the container was removed'));
    this.stream?.destroy();
    (this.events as { destroy?: () => void } | undefined)?.destroy?.();
    // 409 is a removal already in progress (Docker), or a container Podman is still stopping after a
    // kill (or 500 "state improper" when it stopped meanwhile): asked again until it is gone (404) or
    // removed, for up to ~3 s, so none outlives the sandbox.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.container.remove({ force: true, v: true });
        return;
      } catch (err) {
        const code = (err as { statusCode?: number }).statusCode;
        if (code === 404) return;
        // Podman answers 500 "container state improper" when the container stopped while it was killing it.
        if (code !== 409 && !(code === 500 && /state improper/.test(engineMessage(err)))) throw err;
        if (attempt >= 30) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Destroys the socket synchronously (process exit): stdin closes, the kernel exits, the reaper removes it. */
  dropConnection(): void {
    this.closeChannel();
    this.stream?.destroy();
    (this.events as { destroy?: () => void } | undefined)?.destroy?.();
  }

  private closeChannel(): void {
    this.listener?.close();
    this.listener = undefined;
    this.socket?.destroy();
    for (const caller of this.callers) caller.destroy();
    this.callers.clear();
  }

  private message(message: KernelMessage): void {
    if (message.type === 'ready' && !this.socket) {
      // The kernel could not connect (it logged why) and speaks on the attach stream: stop listening.
      this.closeChannel();
    }
    if (message.type === 'ready' && this.ready.waiting) {
      this.ready.resolve(message);
      return;
    }
    if (message.type === 'resetting' || message.type === 'reset_failed') {
      const reset = this.resetting;
      if (!reset) return;
      if (message.type === 'reset_failed') {
        reset.settle(new Error(`the kernel refused the reset: ${message.message}`));
        return;
      }
      // The old kernel's last line: whatever follows is the new kernel's, signed with the new key and
      // numbered from 1. A child OOM-kill seen before belongs to the old task. The new kernel speaks on
      // stdin/stdout (its hello goes there): the old one's socket closes as it re-executes.
      const socket = this.socket;
      this.socket = undefined;
      socket?.destroy();
      reset.relisten = socket !== undefined;
      this.key = reset.token;
      this.reader = this.readerFor(reset.token);
      this.oomSeen = false;
      this.stderrTail = '';
      reset.settle(undefined);
      return;
    }
    this.handlers.onMessage(message);
  }

  private async die(reason: string): Promise<void> {
    if (this.dead) return;
    this.dead = true;
    this.closeChannel();
    this.stream?.destroy();
    (this.events as { destroy?: () => void } | undefined)?.destroy?.();
    const death: Death = { oom: this.oomSeen, stderr: this.stderrTail.trim() };
    try {
      // The oom event can trail the stream's end; the container's own record settles it.
      let info = await this.container.inspect();
      // Podman can end the attach stream before it has recorded the exit (still "running", no exit code).
      for (let i = 0; i < 20 && info.State?.Running; i++) {
        await new Promise((r) => setTimeout(r, 50));
        info = await this.container.inspect();
      }
      death.oom ||= Boolean(info.State?.OOMKilled);
      if (typeof info.State?.ExitCode === 'number' && !info.State.Running) death.exitCode = info.State.ExitCode;
    } catch (err) {
      if (isConnectionError(err)) death.engineGone = true;
    }
    const failure = new SandboxError(
      `the sandbox container stopped before the kernel was ready (${reason})${death.stderr ? `: ${death.stderr}` : ''}`,
      'Rebuild the image with `codecell sandbox build --force`, then retry.',
      'container_dead',
    );
    this.ready.resolve(failure);
    this.resetting?.settle(failure);
    this.handlers.onDeath(death);
  }
}

export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT';
}

export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return e?.json?.message ?? e?.message ?? String(err);
}

function createError(err: unknown, spec: ContainerSpec): SandboxError {
  if (isConnectionError(err)) return noEngineError(err);
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 404) {
    return new SandboxError(`the sandbox image ${spec.image} is not on the Docker engine`, 'Build it with `codecell sandbox build`.', 'no_image');
  }
  const text = engineMessage(err);
  if (/catatonit/.test(text)) {
    // Podman runs its init (for Init: true) from the catatonit package, which Debian's podman only recommends.
    return new SandboxError(`Podman cannot start the sandbox's init: ${text}`, 'Install it: `sudo apt-get install catatonit`.', 'engine_error');
  }
  if (spec.runtime && /runtime/i.test(text)) {
    return new SandboxError(
      `the engine refused the ${spec.runtime} runtime: ${text}`,
      `Install and register ${spec.runtime} with the engine, or drop the runtime setting.`,
      'engine_error',
    );
  }
  return new SandboxError(
    `the engine refused to create the sandbox container: ${text}`,
    'Check `codecell sandbox status` and the engine logs.',
    'engine_error',
  );
}
