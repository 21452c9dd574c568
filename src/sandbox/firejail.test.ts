import { describe, expect, it } from 'vitest';
import { FIREJAIL_KERNEL_FD, firejailChrootEnabled, firejailCommand, firejailProblem } from './firejail.js';
import { resolveLimits } from './limits.js';

const MiB = 1024 * 1024;

describe('firejailCommand', () => {
  const limits = resolveLimits({ memoryBytes: 256 * MiB, pids: 64, diskBytes: 32 * MiB });

  it('chroots into the read-only root filesystem with private /tmp, /dev, /mnt/data and no network', () => {
    const argv = firejailCommand({ rootfs: '/r', limits, userProcesses: 3 });
    for (const flag of [
      '--noprofile',
      '--chroot=/r',
      '--read-only=/',
      '--private-dev',
      '--private-tmp',
      '--tmpfs=/mnt/data',
      '--net=none',
      '--ipc-namespace',
      '--nonewprivs',
      '--seccomp',
      '--restrict-namespaces',
      `--keep-fd=${FIREJAIL_KERNEL_FD}`,
    ]) {
      expect(argv).toContain(flag);
    }
    expect(argv.indexOf('--pdeathsig=KILL')).toBeLessThan(argv.indexOf('firejail'));
  });

  it('sets the rlimits (nproc counts uid 1000 processes already running) and drops to uid 1000 with no capabilities', () => {
    const argv = firejailCommand({ rootfs: '/r', limits, userProcesses: 3 });
    expect(argv.slice(0, 6)).toEqual(['prlimit', '--nproc=67', '--nofile=1024', `--fsize=${32 * MiB}`, '--core=0', '--']);
    const setpriv = argv.lastIndexOf('setpriv');
    expect(argv.slice(setpriv, setpriv + 7)).toEqual([
      'setpriv',
      '--reuid=1000',
      '--regid=1000',
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
    ]);
  });

  it("clears the host's environment and runs kernel.py from the kept fd in /mnt/data", () => {
    const argv = firejailCommand({ rootfs: '/r', limits });
    const env = argv.indexOf('env');
    expect(argv.slice(env, env + 4)).toEqual(['env', '-i', '-C', '/mnt/data']);
    expect(argv).toContain('HOME=/tmp');
    expect(argv).toContain(`CODECELL_MAX_FILES=${limits.maxFiles}`);
    expect(argv.at(-1)).toContain(`os.fdopen(${FIREJAIL_KERNEL_FD}, "rb")`);
    expect(argv.at(-1)).toContain('"/opt/codecell/kernel.py"');
  });

  it('shares the host network only with --network', () => {
    expect(firejailCommand({ rootfs: '/r', limits: { ...limits, network: true } })).toContain('--net=host');
  });
});

describe('firejailProblem', () => {
  const all = (): boolean => true;

  it('reads the chroot setting the way firejail does (last line wins, comments ignored)', () => {
    expect(firejailChrootEnabled('# chroot no\n')).toBe(false);
    expect(firejailChrootEnabled('# chroot yes\n')).toBe(false);
    expect(firejailChrootEnabled('chroot yes\n')).toBe(true);
    expect(firejailChrootEnabled('chroot yes\nchroot no\n')).toBe(false);
  });

  it("names the config line to change when chroot is disabled (Debian's default)", () => {
    const problem = firejailProblem(all, 0, () => '# Enable or disable chroot support, default disabled\n# chroot no\n');
    expect(problem).toMatch(/chroot is disabled .*\/etc\/firejail\/firejail\.config.*`chroot yes`.*--backend bubblewrap/);
  });

  it('needs firejail installed, and root', () => {
    expect(
      firejailProblem(
        (c) => c !== 'firejail',
        0,
        () => 'chroot yes',
      ),
    ).toMatch(/firejail is not installed \(sudo apt-get install firejail/);
    expect(firejailProblem(all, 1000, () => 'chroot yes')).toMatch(/only as root.*--backend bubblewrap/);
    expect(firejailProblem(all, 0, () => 'chroot yes')).toBeNull();
  });
});
