// Starts a second dockerd on a loopback TCP port beside the main one (its own data, exec root and pidfile), for multi-engine and engine-restart tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { dockerFor, pingEngine } from '../../src/sandbox/engines.js';
import type Docker from 'dockerode';
import { closedPort } from './ports.js';

export interface SecondEngine {
  /** tcp://127.0.0.1:PORT, for DOCKER_HOST or --engine. */
  url: string;
  docker: Docker;
  /**
   * Ends the daemon the way a crash or `systemctl restart docker` would (SIGKILL or SIGTERM) and keeps
   * its data, so `start` brings the same engine back (images and stopped containers included).
   */
  halt(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts the daemon again on the same port and data; resolves when it answers. */
  start(): Promise<void>;
  /** Stops the daemon and deletes its data. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A second engine, or a reason it cannot run here (not root, no dockerd). Docker 20.10 runs two daemons
 * side by side when each has its own --data-root, --exec-root (its own containerd lives there) and
 * --pidfile; --bridge none and --iptables=false keep it off the host's network setup, which sandboxes
 * (NetworkMode none) do not need.
 */
export async function startSecondEngine(): Promise<SecondEngine | string> {
  if (process.getuid?.() !== 0) return 'not running as root';
  if (spawnSync('which', ['dockerd']).status !== 0) return 'dockerd is not installed';
  const port = await closedPort();
  const root = `/var/lib/codecell-test-engine-${port}`;
  const exec = `/var/run/codecell-test-engine-${port}`;
  const pidfile = `/var/run/codecell-test-engine-${port}.pid`;
  const logPath = `/tmp/codecell-test-engine-${port}.log`;
  const url = `tcp://127.0.0.1:${port}`;
  const docker = dockerFor(url);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = (): void => {
    const log = fs.openSync(logPath, 'a');
    child = spawn(
      'dockerd',
      ['--host', url, '--data-root', root, '--exec-root', exec, '--pidfile', pidfile, '--bridge', 'none', '--iptables=false', '--ip-masq=false'],
      { stdio: ['ignore', log, log], detached: false },
    );
    fs.closeSync(log);
    const current = child;
    exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
  };

  const containerdPidfile = `${exec}/containerd/containerd.pid`;
  /** The containerd this dockerd started under its exec root (found by pidfile, never by name: other engines run one too). */
  const endContainerd = async (signal: NodeJS.Signals): Promise<void> => {
    let pid = 0;
    try {
      pid = Number(fs.readFileSync(containerdPidfile, 'utf8').trim());
    } catch {
      return;
    }
    if (!(pid > 0)) return;
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await sleep(100);
    }
    // A dead containerd can linger as a zombie, which dockerd mistakes for a live one on its next start.
    fs.rmSync(containerdPidfile, { force: true });
  };

  const halt = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const current = child;
    const timer = setTimeout(() => current.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
    // A crash takes containerd with it (it would die of a broken log pipe soon anyway); the containers'
    // shims live on, as they do after a real crash, and the next dockerd stops their containers.
    if (signal === 'SIGKILL') await endContainerd('SIGKILL');
    // A killed dockerd leaves its pidfile; the next start refuses to run while it exists.
    fs.rmSync(pidfile, { force: true });
  };

  const stop = async (): Promise<void> => {
    await halt('SIGTERM');
    await endContainerd('SIGTERM');
    // Container file systems still mounted (a shim outlived its engine) would make the data root busy.
    for (const line of fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').reverse()) {
      const target = line.split(' ')[1];
      if (target && (target === root || target.startsWith(root + '/') || target === exec || target.startsWith(exec + '/'))) spawnSync('umount', ['-l', target]);
    }
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(exec, { recursive: true, force: true });
    fs.rmSync(pidfile, { force: true });
  };

  const waitUp = async (): Promise<string | undefined> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!child || child.exitCode !== null) return `dockerd exited with ${child?.exitCode} (see ${logPath})`;
      try {
        await pingEngine(docker, url, 1000);
        return undefined;
      } catch {
        if (Date.now() > deadline) return `the second dockerd did not answer within 30 s (see ${logPath})`;
        await sleep(300);
      }
    }
  };

  const start = async (): Promise<void> => {
    launch();
    const problem = await waitUp();
    if (problem) throw new Error(problem);
  };

  launch();
  const problem = await waitUp();
  if (problem) {
    await stop();
    return problem;
  }
  return { url, docker, halt, start, stop };
}
