// Integration: the order of a container's first start on the real engine (what lets the chat load Ink while it runs).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import { connectEngine, isPodman } from '../../src/sandbox/engine.js';
import { KernelContainer, startKernelContainer } from '../../src/sandbox/kernel-container.js';
import { resolveLimits } from '../../src/sandbox/limits.js';
import type { HostMessage } from '../../src/sandbox/kernel-client.js';
import { sandboxImage, TEST_LIMITS } from './sandbox-image.js';

const docker = await engineOrSkip();

describe.skipIf(!docker)('first start of a container', () => {
  afterEach(() => vi.restoreAllMocks());

  it('the engine check already knows whether the engine is Podman: no second version round trip', async () => {
    const { docker: client, info } = await connectEngine();
    const version = vi.spyOn(client, 'version');
    expect(await isPodman(client)).toBe(info.name === 'Podman');
    expect(version).not.toHaveBeenCalled();
  });

  it("sends the kernel's hello before asking the engine to start the container (Docker), and reports the request", async () => {
    const order: string[] = [];
    const send = KernelContainer.prototype.send;
    vi.spyOn(KernelContainer.prototype, 'send').mockImplementation(function (this: KernelContainer, message: HostMessage) {
      order.push(message.type);
      return send.call(this, message);
    });
    const { kernel } = await startKernelContainer(
      docker!,
      { image: await sandboxImage(docker!), limits: resolveLimits(TEST_LIMITS), labels: { 'dev.codecell.test': 'start-order' } },
      { onMessage: () => undefined, onProblem: () => undefined, onOom: () => undefined, onDeath: () => undefined, onStartRequested: () => order.push('start') },
    );
    try {
      expect(order).toEqual((await isPodman(docker!)) ? ['start', 'hello'] : ['hello', 'start']);
    } finally {
      await kernel.remove();
    }
  });

  it('startRequested settles while the start is still in progress, before start() does; at once when none is', async () => {
    const sandbox = new DockerSandbox(docker!, { image: await sandboxImage(docker!), limits: TEST_LIMITS, labels: { 'dev.codecell.test': 'start-order' } });
    try {
      await sandbox.startRequested(); // nothing in progress: settles at once
      let started = false;
      const starting = sandbox.start().then(() => (started = true));
      await sandbox.startRequested();
      expect(started).toBe(false);
      expect(sandbox.state).toBe('starting');
      await starting;
      expect(sandbox.state).toBe('ready');
      expect((await sandbox.run('1 + 1')).status).toBe('ok');
    } finally {
      await sandbox.close();
    }
  });
});
