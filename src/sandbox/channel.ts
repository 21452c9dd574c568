// The kernel's fast channel: a unix socket the host listens on, bind-mounted read-only into the container, so protocol bytes skip the engine's stdio copies.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { debugLog } from '../shared/debug.js';

/** Where the socket's folder appears inside the container. */
export const CHANNEL_TARGET = '/run/codecell';
const SOCKET_NAME = 'k.sock';

const FOLDER_PREFIX = 'codecell-ch-';

/**
 * Removes a channel folder that a codecell killed before it could clean up left in the temp folder
 * (the reaper finds it on the orphan container's mount). Anything not named like one is left alone.
 */
export function removeChannelFolder(dir: string): void {
  if (path.dirname(dir) !== os.tmpdir() || !path.basename(dir).startsWith(FOLDER_PREFIX)) return;
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The engine refused the bind mount once (a remote engine, a confined daemon): later starts skip it. */
let refused = false;

/**
 * Whether to offer the kernel a socket: only when the engine is on this machine (a unix socket, so
 * a host folder is the engine's folder too) and the user has not chosen the attach stream
 * (`CODECELL_KERNEL_CHANNEL=attach`). Where the kernel still cannot connect (Docker Desktop's VM,
 * gVisor, SELinux labels), it says why and stays on stdin/stdout.
 */
export function channelWanted(docker: Docker, env: NodeJS.ProcessEnv = process.env): boolean {
  if (refused || env.CODECELL_KERNEL_CHANNEL === 'attach') return false;
  const modem = (docker as unknown as { modem?: { socketPath?: unknown; host?: unknown } }).modem;
  return typeof modem?.socketPath === 'string' && !modem.host;
}

/** A create that failed because of the channel's mount: the caller retries without the channel. */
export function isMountRefusal(err: unknown): boolean {
  const message = (err as { json?: { message?: string }; message?: string })?.json?.message ?? (err as Error)?.message ?? '';
  return /bind|mount|source path/i.test(message);
}

export function refuseChannel(): void {
  refused = true;
}

/**
 * One socket in a fresh private folder, for one container's kernel. The folder is searchable but not
 * listable by others (0711) and the socket writable by all (the container's user may map to any host
 * uid); the kernel proves itself with the per-container key on its first line, so a stranger who
 * connects gets nowhere. Once the kernel is connected the socket is removed from the folder at once, so
 * nothing in the sandbox can connect; a reset listens again for the next kernel in the same container,
 * and the folder goes with the container.
 */
export class ChannelListener {
  private server?: net.Server;
  /** Connections made before anyone asked for them (they are handed over, never lost). */
  private early: net.Socket[] = [];
  private handler?: (socket: net.Socket) => void;
  private closed = false;

  private constructor(readonly dir: string) {}

  static async open(): Promise<ChannelListener | undefined> {
    let dir: string | undefined;
    try {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), FOLDER_PREFIX));
      fs.chmodSync(dir, 0o711);
      const listener = new ChannelListener(dir);
      await listener.listen();
      return listener;
    } catch (err) {
      debugLog('kernel channel', `cannot listen (${(err as Error).message}); using the attach stream`);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      return undefined;
    }
  }

  /** Listens on the folder's socket (again, after stop()); throws when it cannot. */
  async listen(): Promise<void> {
    if (this.closed) throw new Error('the channel is closed');
    if (this.server) return;
    const server = net.createServer({ pauseOnConnect: false });
    const socket = path.join(this.dir, SOCKET_NAME);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(socket, 0o666);
    server.on('connection', (connection) => {
      if (this.handler) this.handler(connection);
      else this.early.push(connection);
    });
    server.on('error', (err) => debugLog('kernel channel', err.message));
    this.server = server;
  }

  /** The environment variable that tells the kernel where to connect. */
  get env(): string {
    return `CODECELL_CHANNEL=${CHANNEL_TARGET}/${SOCKET_NAME}`;
  }

  get mount(): Docker.MountSettings {
    return { Type: 'bind', Source: this.dir, Target: CHANNEL_TARGET, ReadOnly: true };
  }

  onConnection(handler: (socket: net.Socket) => void): void {
    this.handler = handler;
    for (const socket of this.early.splice(0)) handler(socket);
  }

  /** Stops listening and removes the socket from the folder; connections already made stay open. */
  stop(): void {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.close(); // removes the socket file too
      fs.rmSync(path.join(this.dir, SOCKET_NAME), { force: true });
    }
    for (const socket of this.early.splice(0)) socket.destroy();
  }

  /** stop(), and the folder goes too (the container is gone, or its kernel cannot use the socket). */
  close(): void {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
