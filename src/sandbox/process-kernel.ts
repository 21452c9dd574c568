// One kernel in a process sandbox (bubblewrap or firejail): spawned with the kernel protocol on plain pipes, limited by a cgroup or watched for memory, killed whole.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { bwrapCommand, KERNEL_FD, SECCOMP_FD } from './bwrap.js';
import { joinCgroupCommand, reapCgroups, SandboxCgroup } from './cgroup.js';
import { FIREJAIL_KERNEL_FD, firejailCommand, SANDBOX_UID } from './firejail.js';
import type { ContainerHandlers, Death } from './kernel-container.js';
import { encodeHostMessage, type HostMessage, type KernelMessage } from './kernel-client.js';
import { KernelReader } from './kernel-reader.js';
import { formatBytes } from '../shared/format.js';
import { seccompFilter } from './seccomp.js';
import { SandboxError, type SandboxLimits } from './types.js';
import { ReadyWait } from './ready-wait.js';

export const PROCESS_READY_TIMEOUT_MS = 30_000;
const STDERR_TAIL = 4096;
/** How often the memory watchdog sums the sandbox's resident memory. */
export const WATCHDOG_MS = 100;
/** A kernel that dies this soon after an OOM kill in its cgroup was that kill's victim. */
const OOM_DEATH_WINDOW_MS = 2000;

export type ProcessBackend = 'bubblewrap' | 'firejail';

export interface ProcessSpec {
  /** Which jail starts the kernel (default bubblewrap). */
  backend?: ProcessBackend;
  rootfs: string;
  kernelSource: Buffer;
  limits: SandboxLimits;
  labels?: Record<string, string>;
  /** Put the sandbox in a cgroup of its own when the host allows (default: unless CODECELL_PROCESS_CGROUP=off). */
  cgroup?: boolean;
}

/** Whether process sandboxes try a cgroup: CODECELL_PROCESS_CGROUP=off turns it off (rlimits and the watchdog then). */
export function cgroupWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return !/^(off|0|no|false)$/i.test(env.CODECELL_PROCESS_CGROUP?.trim() ?? '');
}

let reapedCgroups = false;

/** Every process kernel of this codecell process, so tests and `exit` can find what is still running. */
export const liveProcessKernels = new Set<ProcessKernel>();

/** Starts bwrap → kernel, sends hello, waits for ready. */
export async function startProcessKernel(spec: ProcessSpec, handlers: ContainerHandlers): Promise<{ kernel: ProcessKernel; readyMs: number }> {
  const started = performance.now();
  const backend = spec.backend ?? 'bubblewrap';
  const uid = process.getuid?.() ?? 1000;
  // bubblewrap loads codecell's own seccomp program; firejail installs its own filter.
  const filter = backend === 'bubblewrap' ? seccompFilter() : null;
  const jail =
    backend === 'firejail'
      ? firejailCommand({ rootfs: spec.rootfs, limits: spec.limits, userProcesses: userProcessCount(SANDBOX_UID) })
      : bwrapCommand({ rootfs: spec.rootfs, limits: spec.limits, seccomp: filter !== null, uid, userProcesses: uid === 0 ? 0 : userProcessCount(uid) }).argv;
  if (!reapedCgroups) {
    reapedCgroups = true;
    reapCgroups();
  }
  const id = `${backend === 'firejail' ? 'firejail' : 'bwrap'}-${randomBytes(6).toString('hex')}`;
  const cgroup = spec.cgroup === false || !cgroupWanted() ? null : SandboxCgroup.create(id, spec.limits).cgroup;
  const argv = [...(cgroup ? joinCgroupCommand(cgroup.procsFiles) : []), ...jail];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  const kernel = new ProcessKernel(id, child, spec, handlers, cgroup);
  // bwrap reads both fds to their end before it starts the kernel; under firejail the bootstrap reads fd 4.
  const seccompPipe = child.stdio[SECCOMP_FD] as NodeJS.WritableStream | null;
  const kernelPipe = child.stdio[backend === 'firejail' ? FIREJAIL_KERNEL_FD : KERNEL_FD] as NodeJS.WritableStream | null;
  seccompPipe?.on('error', () => {});
  kernelPipe?.on('error', () => {});
  if (filter) seccompPipe?.end(filter);
  else seccompPipe?.end();
  kernelPipe?.end(spec.kernelSource);
  try {
    const ready = kernel.waitForReady(PROCESS_READY_TIMEOUT_MS);
    // When the hello fails first, remove() settles this too; the failure reported is the hello's.
    ready.catch(() => undefined);
    await kernel.send({ type: 'hello', token: kernel.token });
    await ready;
    kernel.findKernelPid();
    if (backend === 'firejail') kernel.checkConfined();
    return { kernel, readyMs: performance.now() - started };
  } catch (err) {
    await kernel.remove();
    if (err instanceof SandboxError) throw err;
    throw new SandboxError(`could not start the process sandbox: ${(err as Error).message}`, tryJail(backend), 'container_dead');
  }
}

/** The fix line for a jail that does not start. */
function tryJail(backend: ProcessBackend): string {
  return backend === 'firejail'
    ? 'Check that firejail can chroot here (`chroot yes` in /etc/firejail/firejail.config), then retry; or use --backend bubblewrap.'
    : 'Check that bubblewrap works here: `bwrap --ro-bind / / true`.';
}

export class ProcessKernel {
  readonly token = randomBytes(16).toString('hex');
  readonly labels: Record<string, string>;
  private dead = false;
  private oomKill = false;
  private stderrTail = '';
  private readonly ready = new ReadyWait();
  private readonly reader: KernelReader;
  private watchdog?: NodeJS.Timeout;
  /** The kernel's host pid (bwrap → init → kernel, firejail → init → kernel), found once it said ready. */
  private kernelPid?: number;
  /** The pid namespace's init: killing it takes every process of the sandbox with it. */
  private initPid?: number;
  private exited: Promise<void>;
  /** OOM kills counted in the cgroup so far, and when the last one was seen. */
  private oomSeen = 0;
  private lastOomAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly id: string,
    private readonly child: ChildProcess,
    private readonly spec: ProcessSpec,
    private readonly handlers: ContainerHandlers,
    /** The sandbox's own cgroup (CPU, memory, pids), or null: then rlimits and the memory watchdog. */
    readonly cgroup: SandboxCgroup | null = null,
  ) {
    this.labels = spec.labels ?? {};
    this.reader = new KernelReader(
      this.token,
      (message) => this.message(message),
      (text) => handlers.onProblem(text),
    );
    liveProcessKernels.add(this);
    child.stdout!.on('data', (chunk: Buffer) => this.reader.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.once('error', (err) => this.die(`cannot run ${this.jail}: ${err.message}`));
    // 'close', not 'exit': every line the kernel wrote before it died is read first.
    child.once('close', (code, signal) => this.die(signal ? `killed by ${signal}` : `exited with ${code}`, code ?? undefined));
    this.watchdog = setInterval(() => this.checkMemory(), WATCHDOG_MS);
    this.watchdog.unref();
  }

  /** The jail's name for messages. */
  get jail(): ProcessBackend {
    return this.spec.backend ?? 'bubblewrap';
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** The host pid of bwrap (its children are the sandbox). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  waitForReady(timeoutMs: number): Promise<Extract<KernelMessage, { type: 'ready' }>> {
    return this.ready.wait(
      timeoutMs,
      () => this.stderrTail,
      'Retry; rebuild the root filesystem with `codecell sandbox build --backend bubblewrap --force` if it keeps happening.',
    );
  }

  async send(message: HostMessage): Promise<void> {
    const stdin = this.child.stdin;
    if (!stdin || this.dead || stdin.destroyed) throw new Error('the kernel is not running');
    if (!stdin.write(encodeHostMessage(message))) {
      await new Promise<void>((resolve, reject) => {
        const ok = (): void => {
          stdin.off('close', closed);
          resolve();
        };
        const closed = (): void => {
          stdin.off('drain', ok);
          reject(new Error('the kernel pipe closed'));
        };
        stdin.once('drain', ok);
        stdin.once('close', closed);
      });
    }
  }

  /** Kills the whole sandbox (bwrap's pid namespace dies with it) and waits until it is gone. */
  async remove(): Promise<void> {
    this.dead = true;
    this.stop();
    this.ready.resolve(new Error('the sandbox was removed'));
    this.kill();
    await this.exited;
    await this.cgroup?.remove();
  }

  /** Process exit: kill synchronously (the pid namespace and everything in it goes with bwrap). */
  dropConnection(): void {
    this.kill();
  }

  /** Remembers the kernel's host pid: the memory watchdog treats it apart from the cell's processes. */
  findKernelPid(): void {
    if (!this.child.pid) return;
    const tree = processTree(this.child.pid);
    this.kernelPid = tree.find((p) => p.depth === 1)?.pid;
    this.initPid = tree.find((p) => p.depth === 0)?.pid;
  }

  /**
   * firejail runs a program unsandboxed when it may not sandbox it (a user not in firejail.users): before
   * any cell runs, the kernel must be in its own network namespace (unless --network) and in the root
   * filesystem, or the sandbox is refused.
   */
  checkConfined(): void {
    const pid = this.kernelPid;
    const fail = (what: string): never => {
      throw new SandboxError(`firejail did not confine the kernel (${what})`, tryJail('firejail'), 'container_dead');
    };
    if (!pid) fail('no kernel process found');
    try {
      if (!this.spec.limits.network && fs.readlinkSync(`/proc/${pid}/ns/net`) === fs.readlinkSync('/proc/self/ns/net')) fail("it shares codecell's network");
      if (fs.readlinkSync(`/proc/${pid}/ns/pid`) === fs.readlinkSync('/proc/self/ns/pid')) fail("it shares codecell's pid namespace");
      // The magic link leads into the process's own root (its path names firejail's mount point, not ours).
      const root = fs.statSync(`/proc/${pid}/root/`);
      const rootfs = fs.statSync(this.spec.rootfs);
      if (root.ino !== rootfs.ino || root.dev !== rootfs.dev) fail('its root is not the root filesystem');
    } catch (err) {
      if (err instanceof SandboxError) throw err;
      fail((err as Error).message);
    }
  }

  private kill(): void {
    // firejail's init outlives a SIGKILL of firejail itself; the namespace ends only with its init.
    for (const pid of [this.initPid]) {
      if (!pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private stop(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    liveProcessKernels.delete(this);
  }

  private message(message: KernelMessage): void {
    // A child the OOM killer took during the cell is told before the cell ends, not at the next poll.
    if (message.type === 'reply' && this.cgroup) this.checkOomKills();
    if (message.type === 'ready' && this.ready.waiting) this.ready.resolve(message);
    else this.handlers.onMessage(message);
  }

  /**
   * The memory limit without a cgroup: when the sandbox's processes together hold more resident memory
   * than the limit, the largest is SIGKILLed, as the kernel's OOM killer would pick it. The kernel
   * itself being the largest ends the sandbox with `oom`; a child is a notice and the cell goes on.
   */
  private checkMemory(): void {
    if (this.dead || !this.child.pid) return;
    if (this.cgroup) {
      this.checkOomKills();
      return;
    }
    const tree = processTree(this.child.pid);
    let total = 0;
    let largest: { pid: number; rss: number; kernel: boolean } | undefined;
    for (const p of tree) {
      total += p.rss;
      if (p.depth === 0) continue; // bwrap's init: never the one to kill
      if (!largest || p.rss > largest.rss) largest = { pid: p.pid, rss: p.rss, kernel: p.pid === this.kernelPid };
    }
    if (total <= this.spec.limits.memoryBytes || !largest) return;
    try {
      process.kill(largest.pid, 'SIGKILL');
    } catch {
      return;
    }
    if (largest.kernel) {
      this.oomKill = true;
      this.handlers.onProblem(`the kernel passed the ${formatBytes(this.spec.limits.memoryBytes)} memory limit and was killed`);
    } else {
      this.handlers.onOom();
    }
  }

  /**
   * With a cgroup, the kernel's OOM killer enforces the memory limit; this notices its kills: a child's is
   * a notice, the kernel's (it is gone) makes its death an `oom`.
   */
  private checkOomKills(): void {
    const kills = this.cgroup?.oomKills() ?? 0;
    if (kills <= this.oomSeen) return;
    this.oomSeen = kills;
    // A killed kernel can still be a zombie here: only a running kernel means a child was the victim.
    if (this.kernelPid && !processRunning(this.kernelPid)) this.oomKill = true;
    else this.handlers.onOom();
    this.lastOomAt = performance.now();
  }

  private die(reason: string, exitCode?: number): void {
    // After remove() the sandbox is being closed on purpose: nothing to report.
    if (this.dead) return;
    // The kernel killed by the OOM killer: a kill not seen yet, or one seen just before it died (as a child's).
    if (this.cgroup && (this.cgroup.oomKills() > this.oomSeen || performance.now() - this.lastOomAt < OOM_DEATH_WINDOW_MS) && exitCode !== 0)
      this.oomKill = true;
    this.dead = true;
    this.stop();
    // A dead kernel leaves nothing in its cgroup to keep; the cgroup goes now.
    void this.cgroup?.remove();
    const failure = new SandboxError(
      `the process sandbox stopped before the kernel was ready (${reason})${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`,
      tryJail(this.jail),
      'container_dead',
    );
    this.ready.resolve(failure);
    const death: Death = { oom: this.oomKill, stderr: this.stderrTail.trim(), ...(exitCode !== undefined ? { exitCode } : {}) };
    this.handlers.onDeath(death);
  }
}

interface TreeProcess {
  pid: number;
  rss: number;
  /** 0: bwrap's pid-1 init; 1: the kernel and orphans the init adopted; deeper: what cells started. */
  depth: number;
}

/** The descendants of `root` with their resident memory, read from /proc. */
export function processTree(root: number): TreeProcess[] {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const page = 4096;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * page);
    } catch {
      // gone meanwhile
    }
  }
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parent) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: TreeProcess[] = [];
  const walk = (pid: number, depth: number): void => {
    for (const child of children.get(pid) ?? []) {
      const pss = proportional(child);
      // A process that exited between the two reads holds nothing; an unreadable one counts at its RSS.
      out.push({ pid: child, rss: pss === 'gone' ? 0 : (pss ?? rss.get(child) ?? 0), depth });
      walk(child, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

/**
 * Proportional set size (shared pages split among their sharers), so forked copies of the kernel are
 * not counted in full each, as a cgroup would not; undefined when unreadable (a non-dumpable process
 * of our own uid when we are not root), and the caller falls back to RSS.
 */
function proportional(pid: number): number | 'gone' | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
    const match = /^Pss:\s+(\d+) kB/m.exec(text);
    // No Pss line: a zombie, or a process exiting (no memory left to count).
    return match ? Number(match[1]) * 1024 : 'gone';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH' ? 'gone' : undefined;
  }
}

/** True while `pid` runs (not gone, not a zombie waiting to be reaped). */
function processRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** Processes the user runs now (RLIMIT_NPROC counts them with the sandbox's when both share a uid). */
function userProcessCount(uid: number): number {
  let n = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.statSync(`/proc/${entry}`).uid === uid) n += 1;
    } catch {
      // gone
    }
  }
  return n;
}
