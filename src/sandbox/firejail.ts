// The command line that starts the kernel under firejail in the root filesystem (--chroot), and whether firejail can do that here.
import fs from 'node:fs';
import { SANDBOX_ENV } from './bwrap.js';
import { NOFILE } from './limits.js';
import type { SandboxLimits } from './types.js';

export const FIREJAIL_CONFIG = '/etc/firejail/firejail.config';
/** The fd the launcher writes kernel.py's bytes to; firejail keeps it open (--keep-fd) for the bootstrap. */
export const FIREJAIL_KERNEL_FD = 4;
/** The sandbox user: uid 1000, as in the image (the root filesystem's /mnt/data belongs to it). */
export const SANDBOX_UID = 1000;

/**
 * Python reads kernel.py from the kept fd and runs it as /opt/codecell/kernel.py: firejail cannot bind a
 * file into a chroot, and the root filesystem holds no copy (kernel.py is bound in at each start).
 */
const BOOTSTRAP = [
  // Run in this very __main__ module, as `python3 kernel.py` would (the kernel registers sys.modules[__name__]).
  'import os, sys',
  '__file__ = "/opt/codecell/kernel.py"',
  'sys.argv = [__file__]',
  `with os.fdopen(${FIREJAIL_KERNEL_FD}, "rb") as _f:`,
  '    _code = compile(_f.read(), __file__, "exec")',
  'del _f',
  'exec(_code)',
].join('\n');

export interface FirejailPlan {
  rootfs: string;
  limits: SandboxLimits;
  /** Processes uid 1000 already runs on the host (RLIMIT_NPROC counts them with the sandbox's). */
  userProcesses?: number;
}

/**
 * argv for spawn(): prlimit … setpriv --pdeathsig … firejail --chroot … setpriv (to uid 1000) env -i … python3 -c BOOTSTRAP.
 *
 * firejail runs as root (a chroot needs it, and only root may mount the private /mnt/data); the sandbox's
 * own process drops to uid 1000 with setpriv from the root filesystem, keeping no capability and with
 * no_new_privs. The root filesystem is mounted read-only; /mnt/data, /tmp and /dev/shm are private tmpfs.
 * firejail has no size option for them: the cgroup's memory limit (which tmpfs pages are charged to) is
 * what bounds them, see cgroup.ts.
 */
export function firejailCommand(plan: FirejailPlan): string[] {
  const { limits } = plan;
  const disk = Math.max(1024 * 1024, Math.floor(limits.diskBytes));
  const pids = Math.max(16, Math.floor(limits.pids));
  const env = { ...SANDBOX_ENV, CODECELL_MAX_FILES: String(limits.maxFiles), CODECELL_MAX_FILE_BYTES: String(limits.maxFileBytes) };
  return [
    'prlimit',
    `--nproc=${pids + (plan.userProcesses ?? 0)}`,
    `--nofile=${NOFILE}`,
    `--fsize=${disk}`,
    '--core=0',
    '--',
    // bwrap's --die-with-parent: firejail (whose own init dies with it) goes when codecell is SIGKILLed.
    'setpriv',
    '--pdeathsig=KILL',
    '--',
    'firejail',
    '--quiet',
    '--noprofile',
    `--chroot=${plan.rootfs}`,
    '--read-only=/',
    '--private-dev',
    '--private-tmp',
    '--tmpfs=/mnt/data',
    '--read-write=/mnt/data',
    limits.network ? '--net=host' : '--net=none',
    '--ipc-namespace',
    '--hostname=codecell',
    '--nonewprivs',
    '--seccomp',
    '--seccomp.block-secondary',
    '--restrict-namespaces',
    // setpriv needs these to become uid 1000 and to empty the bounding set; it keeps none of them.
    '--caps.keep=setuid,setgid,setpcap',
    `--keep-fd=${FIREJAIL_KERNEL_FD}`,
    '--',
    'setpriv',
    `--reuid=${SANDBOX_UID}`,
    `--regid=${SANDBOX_UID}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
    'env',
    '-i',
    '-C',
    '/mnt/data',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    'python3',
    '-u',
    '-c',
    BOOTSTRAP,
  ];
}

/** The `chroot` setting of firejail.config: firejail's default (and Debian's) is no. */
export function firejailChrootEnabled(config: string): boolean {
  let enabled = false;
  for (const line of config.split('\n')) {
    const match = /^\s*chroot\s+(yes|no)\s*$/.exec(line);
    if (match) enabled = match[1] === 'yes';
  }
  return enabled;
}

/**
 * What keeps the firejail backend from running here, with its fix, or null when it can run: firejail
 * installed, chroot enabled in firejail.config, codecell running as root.
 */
export function firejailProblem(
  installed: (command: string) => boolean,
  uid: number | undefined = process.getuid?.(),
  readConfig: () => string = () => fs.readFileSync(FIREJAIL_CONFIG, 'utf8'),
): string | null {
  const missing = ['firejail', 'prlimit'].filter((c) => !installed(c));
  if (missing.length) return `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed (sudo apt-get install firejail util-linux mmdebstrap)`;
  let config: string;
  try {
    config = readConfig();
  } catch {
    config = '';
  }
  if (!firejailChrootEnabled(config)) {
    return (
      `firejail's chroot is disabled (no \`chroot yes\` line in ${FIREJAIL_CONFIG}), so it cannot run the root filesystem's Python. ` +
      `As an admin, change \`# chroot no\` to \`chroot yes\` there, or use --backend bubblewrap`
    );
  }
  if (uid !== 0)
    return 'the firejail backend runs only as root (firejail mounts the private /mnt/data and drops to uid 1000 only for root); as a normal user, use --backend bubblewrap';
  return null;
}
