// The command line that starts the kernel under bubblewrap: namespaces, mounts, environment and rlimits, as pure data.
import { randomInt } from 'node:crypto';
import { NOFILE, SHM_BYTES, TMP_BYTES } from './limits.js';
import type { SandboxLimits } from './types.js';

const MiB = 1024 * 1024;

/** fds the launcher passes to bwrap besides stdio: the seccomp program and kernel.py's bytes. */
export const SECCOMP_FD = 3;
export const KERNEL_FD = 4;

/**
 * The kernel's environment: the Dockerfile's ENV lines and PATH, nothing from the host (bwrap
 * --clearenv runs first). A unit test holds this equal to the Dockerfile.
 */
export const SANDBOX_ENV: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/tmp',
  LANG: 'C.UTF-8',
  PYTHONDONTWRITEBYTECODE: '1',
  PYTHONUNBUFFERED: '1',
  MPLCONFIGDIR: '/tmp/.mpl',
  CODECELL_MPL_CACHE: '/opt/codecell/mplcache',
};

export interface BwrapPlan {
  /** Root filesystem folder (mmdebstrap output). */
  rootfs: string;
  limits: SandboxLimits;
  /** Load the seccomp program from SECCOMP_FD. */
  seccomp: boolean;
  /** Our uid on the host: when 0, the sandbox runs under `hostUid` instead (see below). */
  uid: number;
  /** The unprivileged host uid a root caller runs the sandbox as (default: a random one per sandbox). */
  hostUid?: number;
  /** Processes the host user already runs (RLIMIT_NPROC counts them too when the sandbox shares our uid). */
  userProcesses?: number;
}

/**
 * argv for spawn(): [setpriv …] prlimit … bwrap … python3 -u /opt/codecell/kernel.py.
 *
 * Run as root, the sandbox drops to a random unused uid first: RLIMIT_NPROC is not enforced for a
 * user namespace root creates (measured: a fork bomb ran to 32 000 processes under nproc=64), and a
 * uid of its own means the count is the sandbox's alone. Run as a normal user, the sandbox is that
 * user (nproc is then the user's count plus the pids limit).
 */
export function bwrapCommand(plan: BwrapPlan): { argv: string[]; hostUid: number } {
  const { limits } = plan;
  const hostUid = plan.uid === 0 ? (plan.hostUid ?? randomInt(0x5000_0000, 0x5fff_ffff)) : plan.uid;
  const disk = Math.max(1 * MiB, Math.floor(limits.diskBytes));
  const quarter = Math.max(16 * MiB, Math.floor(limits.memoryBytes / 4));
  const tmp = Math.min(TMP_BYTES, quarter);
  const shm = Math.min(SHM_BYTES, quarter);
  const pids = Math.max(16, Math.floor(limits.pids));
  const nproc = plan.uid === 0 ? pids : pids + (plan.userProcesses ?? 0);
  const argv: string[] = [];
  if (plan.uid === 0) argv.push('setpriv', `--reuid=${hostUid}`, `--regid=${hostUid}`, '--clear-groups', '--');
  argv.push('prlimit', `--nproc=${nproc}`, `--nofile=${NOFILE}`, `--fsize=${disk}`, '--core=0', '--');
  argv.push(
    'bwrap',
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(limits.network ? ['--share-net'] : ['--unshare-net']),
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--uid',
    '1000',
    '--gid',
    '1000',
    '--hostname',
    'codecell',
    '--cap-drop',
    'ALL',
    '--ro-bind',
    plan.rootfs,
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--perms',
    '0755',
    '--size',
    String(disk),
    '--tmpfs',
    '/mnt/data',
    '--perms',
    '1777',
    '--size',
    String(tmp),
    '--tmpfs',
    '/tmp',
    '--perms',
    '1777',
    '--size',
    String(shm),
    '--tmpfs',
    '/dev/shm',
    '--perms',
    '0644',
    '--ro-bind-data',
    String(KERNEL_FD),
    '/opt/codecell/kernel.py',
    ...(limits.network ? ['--ro-bind-try', '/etc/resolv.conf', '/etc/resolv.conf'] : []),
    ...(plan.seccomp ? ['--seccomp', String(SECCOMP_FD)] : []),
    '--chdir',
    '/mnt/data',
    '--clearenv',
    ...Object.entries({
      ...SANDBOX_ENV,
      CODECELL_MAX_FILES: String(limits.maxFiles),
      CODECELL_MAX_FILE_BYTES: String(limits.maxFileBytes),
    }).flatMap(([k, v]) => ['--setenv', k, v]),
    '--',
    'python3',
    '-u',
    '/opt/codecell/kernel.py',
  );
  return { argv, hostUid };
}
