// Unit tests for limit defaults and the hardened HostConfig.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, hostConfig, hostProcessLimit, resolveLimits } from './limits.js';

describe('limits', () => {
  it('builds a hardened HostConfig from the limits', () => {
    const config = hostConfig(resolveLimits({ memoryBytes: 256 * 1024 * 1024, pids: 64, cpus: 0.5 }), { hostNproc: 500 });
    expect(config).toMatchObject({
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Init: true,
      PidsLimit: 64,
      Memory: 256 * 1024 * 1024,
      MemorySwap: 256 * 1024 * 1024,
      NanoCpus: 500_000_000,
      IpcMode: 'private',
      LogConfig: { Type: 'none' },
    });
    expect(config.Tmpfs?.['/mnt/data']).toBe(`rw,size=${DEFAULT_LIMITS.diskBytes},uid=1000,gid=1000,mode=0755`);
    expect(config.Ulimits).toContainEqual({ Name: 'nproc', Soft: 500, Hard: 500 });
    expect(config.Ulimits).toContainEqual({ Name: 'core', Soft: 0, Hard: 0 });
    expect(config.Runtime).toBeUndefined();
  });

  it('loosens only what is asked', () => {
    const config = hostConfig(resolveLimits({ network: true }), { runtime: 'runsc' });
    expect(config.NetworkMode).toBe('bridge');
    expect(config.Runtime).toBe('runsc');
    expect(config.ReadonlyRootfs).toBe(true);
  });

  it('ignores nonsense values', () => {
    expect(resolveLimits({ memoryBytes: -1, cpus: Number.NaN }).memoryBytes).toBe(DEFAULT_LIMITS.memoryBytes);
  });

  it('reads the host process limit', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units\nMax processes             96365                96365                processes\n';
    expect(hostProcessLimit(() => text)).toBe(96365);
    expect(hostProcessLimit(() => text.replace(/96365/g, 'unlimited'))).toBeUndefined();
  });

  it('gives Podman its own tmpfs owner option (it refuses uid=/gid=)', () => {
    const docker = hostConfig(resolveLimits({}), { hostNproc: 4096 });
    const podman = hostConfig(resolveLimits({}), { hostNproc: 4096, podman: true });
    expect(docker.Tmpfs!['/mnt/data']).toContain('uid=1000,gid=1000');
    expect(podman.Tmpfs!['/mnt/data']).toMatch(/,U,mode=0755$/);
    expect(podman.Tmpfs!['/tmp']).not.toContain('uid=');
  });
});
