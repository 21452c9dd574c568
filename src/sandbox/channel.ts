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
 * One socket in a fresh private folder, for one kernel. The folder is searchable but not listable by
 * others (0711) and the socket writable by all (the container's user may map to any host uid); the
 * kernel proves itself with the per-container key on its first line, so a stranger who connects gets
 * nowhere. Once the kernel is connected, the socket and its folder are removed from the host at once.
 */
export class ChannelListener {
  private server?: net.Server;
  /** Connections made before anyone asked for them (they are handed over, never lost). */
  private early: net.Socket[] = [];
  private handler?: (socket: net.Socket) => void;

  private constructor(readonly dir: string) {}

  static async open(): Promise<ChannelListener | undefined> {
    let dir: string | undefined;
    try {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-ch-'));
      fs.chmodSync(dir, 0o711);
      const listener = new ChannelListener(dir);
      const server = net.createServer({ pauseOnConnect: false });
      listener.server = server;
      const socket = path.join(dir, SOCKET_NAME);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socket, () => {
          server.off('error', reject);
          resolve();
        });
      });
      fs.chmodSync(socket, 0o666);
      server.on('connection', (connection) => {
        if (listener.handler) listener.handler(connection);
        else listener.early.push(connection);
      });
      server.on('error', (err) => debugLog('kernel channel', err.message));
      return listener;
    } catch (err) {
      debugLog('kernel channel', `cannot listen (${(err as Error).message}); using the attach stream`);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      return undefined;
    }
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

  /** Stops listening and removes the socket and folder; connections already made stay open. */
  close(): void {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.close();
    for (const socket of this.early.splice(0)) socket.destroy();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
