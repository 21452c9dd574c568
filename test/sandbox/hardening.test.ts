// Integration: the container is locked down (no network, read-only root, non-root, no caps) and orphans are reaped.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../support/engine.js';
import type { DockerSandbox } from '../../src/sandbox/docker-sandbox.js';
import { LABEL_APP, LABEL_HOST, LABEL_PID } from '../../src/sandbox/labels.js';
import { reapOrphans } from '../../src/sandbox/reaper.js';
import { isPodman } from '../../src/sandbox/engine.js';
import { hostConfig, resolveLimits } from '../../src/sandbox/limits.js';
import { makeSandbox, ourContainers, runCollect, sandboxImage } from './sandbox-image.js';
import os from 'node:os';

const docker = await engineOrSkip();

describe.skipIf(!docker)('sandbox hardening', () => {
  let sandbox: DockerSandbox;
  beforeAll(async () => {
    sandbox = await makeSandbox(docker!);
  });
  afterAll(async () => {
    await sandbox?.close();
    await sandbox?.close(); // idempotent
    expect(await ourContainers(docker!)).toEqual([]);
  });

  it('creates the container with the hardened host config and labels', async () => {
    const info = await docker!.getContainer(sandbox.id).inspect();
    expect(info.HostConfig).toMatchObject({
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      SecurityOpt: ['no-new-privileges'],
      Init: true,
      PidsLimit: 128,
      Memory: 512 * 1024 * 1024,
      MemorySwap: 512 * 1024 * 1024,
    });
    if (await isPodman(docker!)) {
      // Podman reports "drop ALL" as the list of its default capabilities, and a private IPC namespace as shareable.
      expect(info.HostConfig.CapAdd ?? []).toEqual([]);
      expect(info.HostConfig.CapDrop).toEqual(expect.arrayContaining(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'NET_RAW', 'SETGID', 'SETUID', 'SYS_CHROOT']));
      expect(info.HostConfig.IpcMode).toBe('shareable');
    } else {
      expect(info.HostConfig.CapDrop).toEqual(['ALL']);
      expect(info.HostConfig.IpcMode).toBe('private');
    }
    expect(info.HostConfig.LogConfig?.Type).toBe('none');
    expect(info.Config.User).toBe('1000:1000');
    expect(info.Config.Labels[LABEL_APP]).toBe('codecell');
    expect(info.Config.Labels[LABEL_PID]).toBe(String(process.pid));
  });

  it('has no network', async () => {
    const out = await runCollect(
      sandbox,
      'import socket\ntry:\n    socket.create_connection(("1.1.1.1", 53), timeout=2)\n    print("connected")\nexcept OSError as e:\n    print("blocked", e.errno)\n[n for n in __import__("os").listdir("/sys/class/net") if n != "lo"]',
    );
    expect(out.stdout).toMatch(/^blocked/);
    expect(out.events).toContainEqual({ type: 'result', text: '[]' });
  });

  it('runs as a non-root user with no capabilities and no new privileges', async () => {
    const out = await runCollect(
      sandbox,
      'import os\nstatus = dict(l.split(":", 1) for l in open("/proc/self/status"))\n(os.getuid(), os.getgid(), status["CapEff"].strip(), status["NoNewPrivs"].strip())',
    );
    expect(out.events).toContainEqual({ type: 'result', text: "(1000, 1000, '0000000000000000', '1')" });
  });

  it('has a read-only root filesystem and size-limited writable areas', async () => {
    const out = await runCollect(
      sandbox,
      'import os\n(bool(os.statvfs("/").f_flag & os.ST_RDONLY), bool(os.statvfs("/mnt/data").f_flag & os.ST_RDONLY), os.statvfs("/mnt/data").f_blocks * os.statvfs("/mnt/data").f_frsize)',
    );
    expect(out.events).toContainEqual({ type: 'result', text: `(True, False, ${128 * 1024 * 1024})` });
    const write = await runCollect(sandbox, 'open("/usr/lib/evil", "w")');
    expect(write.status).toBe('error');
  });

  it('caps the number of processes', async () => {
    const out = await runCollect(
      sandbox,
      'import subprocess\nprocs = []\ntry:\n    for _ in range(400):\n        procs.append(subprocess.Popen(["sleep", "30"]))\nexcept OSError as e:\n    print("refused after", len(procs))',
    );
    expect(out.stdout).toMatch(/refused after \d+/);
    const count = Number(/refused after (\d+)/.exec(out.stdout)![1]);
    expect(count).toBeLessThan(128);
    const after = await runCollect(sandbox, 'print("still fine")');
    expect(after.stdout).toBe('still fine\n');
  });
});

describe.skipIf(!docker)('orphan reaping', () => {
  it('removes containers whose codecell process is gone, and only those', async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    const image = await sandboxImage(docker!);
    const podman = await isPodman(docker!);
    const make = (pid: number) =>
      docker!.createContainer({
        Image: image,
        Cmd: ['true'],
        Labels: { [LABEL_APP]: 'codecell', [LABEL_HOST]: os.hostname(), [LABEL_PID]: String(pid) },
        HostConfig: hostConfig(resolveLimits({ memoryBytes: 64 * 1024 * 1024, pids: 16 }), { podman }),
      });
    const orphan = await make(deadPid);
    const mine = await make(process.pid);
    try {
      expect(await reapOrphans(docker!)).toBeGreaterThanOrEqual(1);
      await expect(orphan.inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect((await mine.inspect()).Id).toBe(mine.id);
    } finally {
      await orphan.remove({ force: true }).catch(() => undefined);
      await mine.remove({ force: true }).catch(() => undefined);
    }
  });
});
