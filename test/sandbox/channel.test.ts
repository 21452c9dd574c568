// Integration: the kernel's own unix socket on a local engine, its fallback to the attach stream, and callers that are not the kernel.
import fs from 'node:fs';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { isPodman } from '../../src/sandbox/engine.js';
import { ChannelListener, CHANNEL_TARGET } from '../../src/sandbox/channel.js';
import { KernelContainer } from '../../src/sandbox/kernel-container.js';
import type { KernelMessage } from '../../src/sandbox/kernel-client.js';
import { hostConfig, resolveLimits } from '../../src/sandbox/limits.js';
import type { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import { makeSandbox, runCollect, sandboxImage, TEST_LIMITS } from './sandbox-image.js';

const docker = await engineOrSkip();

/** The host folder bind-mounted at /run/codecell, from the engine's record of the container. */
async function channelSource(sandbox: DockerSandbox): Promise<string | undefined> {
  const info = await docker!.getContainer(sandbox.id).inspect();
  return info.Mounts?.find((m) => m.Destination === CHANNEL_TARGET)?.Source;
}

describe.skipIf(!docker)('the kernel channel', () => {
  const open: DockerSandbox[] = [];
  // CI runs the sandbox suites a second time with CODECELL_KERNEL_CHANNEL=attach; these tests set it themselves.
  const chosen = process.env.CODECELL_KERNEL_CHANNEL;
  beforeEach(() => {
    delete process.env.CODECELL_KERNEL_CHANNEL;
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    if (chosen === undefined) delete process.env.CODECELL_KERNEL_CHANNEL;
    else process.env.CODECELL_KERNEL_CHANNEL = chosen;
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('on a local engine the kernel speaks on its own socket, gone from its folder once it connected; the folder goes with the sandbox', async () => {
    const sandbox = await makeSandbox(docker!);
    open.push(sandbox);
    expect(sandbox.channel).toBe('socket');
    const source = await channelSource(sandbox);
    expect(source).toBeTruthy();
    expect(fs.readdirSync(source!)).toEqual([]);
    const out = await runCollect(sandbox, 'print("over the socket")\nopen("f.txt", "w").write("x" * 3_000_000)');
    expect(out.stdout).toBe('over the socket\n');
    const file = out.events.find((e) => e.type === 'file');
    expect(file?.type === 'file' && file.file.data.length).toBe(3_000_000);
    await sandbox.close();
    expect(fs.existsSync(source!)).toBe(false);
  });

  it('a reset kernel connects to a new socket in the same folder, and it is gone again once it has', async () => {
    const sandbox = await makeSandbox(docker!);
    open.push(sandbox);
    const source = await channelSource(sandbox);
    await runCollect(sandbox, 'x = 1');
    expect(await sandbox.reset()).toBe(true);
    expect(sandbox.channel).toBe('socket');
    expect(fs.readdirSync(source!)).toEqual([]);
    expect((await runCollect(sandbox, 'print("x" in globals())')).stdout).toBe('False\n');
  });

  it('CODECELL_KERNEL_CHANNEL=attach keeps the protocol on the attach stream, with no folder mounted', async () => {
    process.env.CODECELL_KERNEL_CHANNEL = 'attach';
    const sandbox = await makeSandbox(docker!);
    open.push(sandbox);
    expect(sandbox.channel).toBe('attach');
    expect(await channelSource(sandbox)).toBeUndefined();
    expect((await runCollect(sandbox, 'print(6 * 7)')).stdout).toBe('42\n');
  });

  it('a caller that is not the kernel is dropped at its first unsigned line, a silent one when the kernel connects', async () => {
    const callers: { socket: net.Socket; closed: Promise<void> }[] = [];
    const openChannel = ChannelListener.open.bind(ChannelListener);
    vi.spyOn(ChannelListener, 'open').mockImplementation(async () => {
      const listener = await openChannel();
      // Two strangers reach the socket before the container even starts: one forges a ready, one waits.
      for (const line of ['\x1e{"type":"ready","version":"x","python":"3","pid":1}\x1f1.00000000000000000000000000000000\n', '']) {
        const socket = net.connect(`${listener!.dir}/k.sock`);
        await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
        if (line) socket.write(line);
        socket.on('error', () => undefined);
        callers.push({ socket, closed: new Promise<void>((resolve) => socket.once('close', () => resolve())) });
      }
      return listener;
    });
    const sandbox = await makeSandbox(docker!);
    open.push(sandbox);
    expect(callers).toHaveLength(2);
    await Promise.all(callers.map((c) => c.closed));
    expect(sandbox.channel).toBe('socket');
    expect((await runCollect(sandbox, 'print("still mine")')).stdout).toBe('still mine\n');
  });

  it('a kernel that cannot reach its socket says why and stays on stdin/stdout', async () => {
    const image = await sandboxImage(docker!);
    // The variable names a socket that is not there (what a kernel sees where the mount does not carry sockets).
    const container = await docker!.createContainer({
      Image: image,
      User: '1000:1000',
      Env: [`CODECELL_CHANNEL=${CHANNEL_TARGET}/k.sock`],
      Labels: { 'dev.codecell.test': 'channel-fallback' },
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      NetworkDisabled: true,
      HostConfig: hostConfig(resolveLimits(TEST_LIMITS), { podman: await isPodman(docker!) }),
    });
    const messages: KernelMessage[] = [];
    const kernel = new KernelContainer(
      docker!,
      container,
      { onMessage: (m) => messages.push(m), onProblem: () => undefined, onOom: () => undefined, onDeath: () => undefined },
      randomBytes(16).toString('hex'),
    );
    try {
      await kernel.connect();
      const ready = kernel.waitForReady(30_000);
      if (await isPodman(docker!)) {
        await container.start();
        await kernel.sendRaw('\n');
        await kernel.send({ type: 'hello', token: kernel.token });
      } else {
        await kernel.send({ type: 'hello', token: kernel.token });
        await container.start();
      }
      expect((await ready).type).toBe('ready');
      expect(kernel.channel).toBe('attach');
      const logs = messages.flatMap((m) => (m.type === 'log' ? [m.text] : []));
      expect(logs.join('\n')).toMatch(/channel \/run\/codecell\/k\.sock: .*staying on stdin\/stdout/);
      const pong = (id: string): Promise<boolean> =>
        new Promise((resolve) => {
          const seen = setInterval(() => {
            if (messages.some((m) => m.type === 'pong' && m.id === id)) {
              clearInterval(seen);
              resolve(true);
            }
          }, 20);
        });
      await kernel.send({ type: 'ping', id: 'p1' });
      expect(await pong('p1')).toBe(true);
      // and it stays up on the attach stream
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(kernel.alive).toBe(true);
      await kernel.send({ type: 'ping', id: 'p2' });
      expect(await pong('p2')).toBe(true);
    } finally {
      await kernel.remove();
    }
  });
});
