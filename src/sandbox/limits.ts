// Hardened sandbox defaults and the Docker HostConfig that enforces them.
import fs from 'node:fs';
import type Docker from 'dockerode';
import type { SandboxLimits } from './types.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const DEFAULT_LIMITS: SandboxLimits = {
  memoryBytes: 1 * GiB,
  cpus: 1,
  pids: 256,
  diskBytes: 512 * MiB,
  timeoutMs: 120_000,
  maxOutputBytes: 2 * MiB,
  maxFiles: 50,
  maxFileBytes: 100 * MiB,
  network: false,
  interruptGraceMs: 3_000,
};

export const TMP_BYTES = 256 * MiB;
export const SHM_BYTES = 64 * MiB;
export const NOFILE = 1024;

/** Defaults overlaid with the given limits, with nonsense (negative, NaN) replaced by the default. */
export function resolveLimits(partial: Partial<SandboxLimits> = {}): SandboxLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof SandboxLimits)[]) {
    const value = partial[key];
    if (value === undefined) continue;
    if (key === 'network') out.network = Boolean(value);
    else if (typeof value === 'number' && Number.isFinite(value) && value >= 0) (out[key] as number) = value;
  }
  return out;
}

/**
 * The host's hard RLIMIT_NPROC (from /proc/self/limits), or undefined when unknown/unlimited.
 * nproc counts every process of uid 1000 on the host, so it is a backstop; PidsLimit is the real cap.
 */
export function hostProcessLimit(read: () => string = () => fs.readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  try {
    const line = read()
      .split('\n')
      .find((l) => l.startsWith('Max processes'));
    const hard = line?.trim().split(/\s{2,}/)[2];
    const value = Number(hard);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface HostConfigOptions {
  runtime?: string;
  /** Override for tests; defaults to the host's hard limit. */
  hostNproc?: number;
  /** Podman refuses `uid=`/`gid=` tmpfs options and has its own `U` (owned by the container's user). */
  podman?: boolean;
}

export function hostConfig(limits: SandboxLimits, options: HostConfigOptions = {}): Docker.HostConfig {
  const hostNproc = options.hostNproc ?? hostProcessLimit();
  const nproc = Math.min(Math.max(limits.pids * 4, 1024), hostNproc ?? 65_536);
  const disk = Math.max(1 * MiB, Math.floor(limits.diskBytes));
  // tmpfs pages are charged to the container's memory: a full /tmp or /dev/shm must fail with ENOSPC,
  // not OOM-kill the kernel, so neither may take more than a quarter of the memory limit.
  const quarter = Math.max(16 * MiB, Math.floor(limits.memoryBytes / 4));
  const tmp = Math.min(TMP_BYTES, quarter);
  const owner = options.podman ? 'U' : 'uid=1000,gid=1000';
  const config: Docker.HostConfig = {
    NetworkMode: limits.network ? 'bridge' : 'none',
    ReadonlyRootfs: true,
    Tmpfs: {
      '/mnt/data': `rw,size=${disk},${owner},mode=0755`,
      '/tmp': `rw,size=${tmp},${owner},mode=1777`,
    },
    ShmSize: Math.min(SHM_BYTES, quarter),
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    Init: true,
    PidsLimit: Math.max(16, Math.floor(limits.pids)),
    Memory: Math.floor(limits.memoryBytes),
    MemorySwap: Math.floor(limits.memoryBytes),
    NanoCpus: Math.max(1, Math.round(limits.cpus * 1e9)),
    Ulimits: [
      { Name: 'nofile', Soft: NOFILE, Hard: NOFILE },
      { Name: 'nproc', Soft: nproc, Hard: nproc },
      { Name: 'fsize', Soft: disk, Hard: disk },
      { Name: 'core', Soft: 0, Hard: 0 },
    ],
    IpcMode: 'private',
    LogConfig: { Type: 'none', Config: {} },
    AutoRemove: false,
  };
  if (options.runtime) config.Runtime = options.runtime;
  return config;
}
