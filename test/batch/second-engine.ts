// Starts a second dockerd on a loopback TCP port beside the main one (its own data, exec root and pidfile), for multi-engine tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { dockerFor, pingEngine } from '../../src/sandbox/engines.js';
import type Docker from 'dockerode';

export interface SecondEngine {
  url: string;
  docker: Docker;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * A second engine, or a reason it cannot run here (not root, no dockerd). Docker 20.10 runs two daemons
 * side by side when each has its own --data-root, --exec-root (its own containerd lives there) and
 * --pidfile; --bridge none and --iptables=false keep it off the host's network setup, which sandboxes
 * (NetworkMode none) do not need.
 */
export async function startSecondEngine(): Promise<SecondEngine | string> {
  if (process.getuid?.() !== 0) return 'not running as root';
  if (spawnSync('which', ['dockerd']).status !== 0) return 'dockerd is not installed';
  const port = await freePort();
  const root = `/var/lib/codecell-test-engine-${port}`;
  const exec = `/var/run/codecell-test-engine-${port}`;
  const pidfile = `/var/run/codecell-test-engine-${port}.pid`;
  const log = fs.openSync(`/tmp/codecell-test-engine-${port}.log`, 'w');
  const child: ChildProcess = spawn(
    'dockerd',
    ['--host', `tcp://127.0.0.1:${port}`, '--data-root', root, '--exec-root', exec, '--pidfile', pidfile, '--bridge', 'none', '--iptables=false', '--ip-masq=false'],
    { stdio: ['ignore', log, log], detached: false },
  );
  fs.closeSync(log);
  const url = `tcp://127.0.0.1:${port}`;
  const docker = dockerFor(url);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(exec, { recursive: true, force: true });
    fs.rmSync(pidfile, { force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      return `dockerd exited with ${child.exitCode} (see /tmp/codecell-test-engine-${port}.log)`;
    }
    try {
      await pingEngine(docker, url, 1000);
      return { url, docker, stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        return 'the second dockerd did not answer within 30 s';
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
