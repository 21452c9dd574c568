// Integration: the order of a container's first start on the real engine (what lets the chat load Ink while it runs).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
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

  it("sends the kernel's hello before asking the engine to start the container (Docker), after it on Podman", async () => {
    const order: string[] = [];
    const send = KernelContainer.prototype.send;
    vi.spyOn(KernelContainer.prototype, 'send').mockImplementation(function (this: KernelContainer, message: HostMessage) {
      order.push(message.type);
      return send.call(this, message);
    });
    // dockerode's Container class, as createContainer hands it back.
    const containerClass = Object.getPrototypeOf(docker!.getContainer('none')) as { start: (...args: unknown[]) => Promise<unknown> };
    const start = containerClass.start;
    vi.spyOn(containerClass, 'start').mockImplementation(function (this: unknown, ...args: unknown[]) {
      order.push('start');
      return start.apply(this, args);
    });
    const { kernel } = await startKernelContainer(
      docker!,
      { image: await sandboxImage(docker!), limits: resolveLimits(TEST_LIMITS), labels: { 'dev.codecell.test': 'start-order' } },
      { onMessage: () => undefined, onProblem: () => undefined, onOom: () => undefined, onDeath: () => undefined },
    );
    try {
      expect(order).toEqual((await isPodman(docker!)) ? ['start', 'hello'] : ['hello', 'start']);
    } finally {
      await kernel.remove();
    }
  });
});
