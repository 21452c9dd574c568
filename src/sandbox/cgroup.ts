// A cgroup of its own for one process sandbox (cgroup v1, as root): CPU, memory and process limits the kernel enforces, removed at close.
import fs from 'node:fs';
import path from 'node:path';
import type { SandboxLimits } from './types.js';
import { processAlive } from '../shared/process.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';
const CONTROLLERS = ['cpu', 'memory', 'pids'] as const;
type Controller = (typeof CONTROLLERS)[number];
const CPU_PERIOD_US = 100_000;
/** Sandbox cgroups are named `codecell-<pid of the codecell that made it>-<id>`, so a later codecell can reap the ones a killed one left. */
const PREFIX = 'codecell-';

export type CgroupResult = { cgroup: SandboxCgroup; reason?: undefined } | { cgroup: null; reason: string };

/**
 * The folder of each controller's hierarchy that this process belongs to (from /proc/self/cgroup), so a
 * sandbox's cgroup is a child of codecell's own and stays within any limit set above it.
 */
export function ownCgroups(selfCgroup: string): Partial<Record<Controller, string>> {
  const out: Partial<Record<Controller, string>> = {};
  for (const line of selfCgroup.split('\n')) {
    const [, names, where] = line.split(':');
    if (!names || where === undefined) continue;
    for (const name of names.split(',')) if ((CONTROLLERS as readonly string[]).includes(name)) out[name as Controller] = where;
  }
  return out;
}

/**
 * Why cgroups cannot be used here, or null: they need root and cgroup v1 with the cpu, memory and pids
 * hierarchies mounted (cgroup v2 delegation and `systemd-run --user --scope` are not used yet).
 */
export function cgroupProblem(root: string = CGROUP_ROOT, uid: number | undefined = process.getuid?.()): string | null {
  if (uid !== 0) return 'codecell is not root (cgroup v2 delegation and systemd-run --user --scope are not used yet)';
  if (fs.existsSync(path.join(root, 'cgroup.controllers'))) return 'the host runs cgroup v2 only, which codecell does not use yet';
  const missing = CONTROLLERS.filter((c) => !fs.existsSync(path.join(root, c, 'cgroup.procs')));
  if (missing.length) return `the cgroup v1 hierarchies ${missing.join(', ')} are not mounted under ${root}`;
  return null;
}

export class SandboxCgroup {
  private removed = false;

  private constructor(readonly dirs: Record<Controller, string>) {}

  /**
   * Makes `codecell-<pid>-<id>` under codecell's own cgroup in each hierarchy and writes the limits: CPU quota
   * (cpus × 100 ms per 100 ms), memory with swap equal (no swap), pids. Nothing is left behind on failure.
   */
  static create(id: string, limits: SandboxLimits, root: string = CGROUP_ROOT, selfCgroup?: string): CgroupResult {
    const problem = cgroupProblem(root);
    if (problem) return { cgroup: null, reason: problem };
    let own: Partial<Record<Controller, string>>;
    try {
      own = ownCgroups(selfCgroup ?? fs.readFileSync('/proc/self/cgroup', 'utf8'));
    } catch (err) {
      return { cgroup: null, reason: `cannot read /proc/self/cgroup (${(err as Error).message})` };
    }
    const made: string[] = [];
    try {
      const dirs = {} as Record<Controller, string>;
      for (const c of CONTROLLERS) {
        dirs[c] = path.join(root, c, own[c] ?? '/', `${PREFIX}${process.pid}-${id}`);
        fs.mkdirSync(dirs[c]);
        made.push(dirs[c]);
      }
      const write = (c: Controller, file: string, value: string | number): void => fs.writeFileSync(path.join(dirs[c], file), String(value));
      write('cpu', 'cpu.cfs_period_us', CPU_PERIOD_US);
      write('cpu', 'cpu.cfs_quota_us', Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US)));
      write('memory', 'memory.limit_in_bytes', Math.floor(limits.memoryBytes));
      // Without swap accounting (a boot option) the file is missing and swap is not limited by the cgroup.
      if (fs.existsSync(path.join(dirs.memory, 'memory.memsw.limit_in_bytes'))) write('memory', 'memory.memsw.limit_in_bytes', Math.floor(limits.memoryBytes));
      write('pids', 'pids.max', Math.max(16, Math.floor(limits.pids)));
      return { cgroup: new SandboxCgroup(dirs) };
    } catch (err) {
      for (const dir of made) rmdirQuiet(dir);
      return { cgroup: null, reason: `cannot set up a cgroup (${(err as Error).message})` };
    }
  }

  /** The files a process writes its pid to, to join this cgroup (one per hierarchy). */
  get procsFiles(): string[] {
    return CONTROLLERS.map((c) => path.join(this.dirs[c], 'cgroup.procs'));
  }

  /** How many processes the kernel's OOM killer has killed in this cgroup (0 when unknown). */
  oomKills(): number {
    try {
      const text = fs.readFileSync(path.join(this.dirs.memory, 'memory.oom_control'), 'utf8');
      return Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  /** Pids still in the cgroup (the sandbox's whole process tree, wherever it forked to). */
  pids(): number[] {
    try {
      return fs.readFileSync(path.join(this.dirs.pids, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** SIGKILLs every process left in it, then removes it (a cgroup with processes cannot be removed). */
  async remove(): Promise<void> {
    if (this.removed) return;
    for (let i = 0; i < 50; i++) {
      const left = this.pids();
      if (!left.length) break;
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const dir of Object.values(this.dirs)) rmdirQuiet(dir);
    this.removed = !Object.values(this.dirs).some((d) => fs.existsSync(d));
  }
}

/**
 * Removes the sandbox cgroups a killed codecell left behind: each is named after the codecell process
 * that made it, and when that process is gone, whatever still runs in it is killed and it is removed.
 */
export function reapCgroups(root: string = CGROUP_ROOT): number {
  if (cgroupProblem(root)) return 0;
  let own: Partial<Record<Controller, string>>;
  try {
    own = ownCgroups(fs.readFileSync('/proc/self/cgroup', 'utf8'));
  } catch {
    return 0;
  }
  let removed = 0;
  for (const c of CONTROLLERS) {
    const parent = path.join(root, c, own[c] ?? '/');
    let names: string[] = [];
    try {
      names = fs.readdirSync(parent).filter((n) => n.startsWith(PREFIX));
    } catch {
      continue;
    }
    for (const name of names) {
      const owner = Number(/^codecell-(\d+)-/.exec(name)?.[1]);
      if (!owner || processAlive(owner)) continue;
      const dir = path.join(parent, name);
      try {
        for (const pid of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      if (rmdirQuiet(dir)) removed += 1;
    }
  }
  return removed;
}

function rmdirQuiet(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/** argv prefix that moves the process into the cgroup's hierarchies before it execs the rest (no fork can escape first). */
export function joinCgroupCommand(procsFiles: string[]): string[] {
  return ['sh', '-c', 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"', 'codecell-cgroup', ...procsFiles, '--'];
}
