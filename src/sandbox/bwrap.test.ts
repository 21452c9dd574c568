import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestDir } from './build-context.js';
import { bwrapCommand, SANDBOX_ENV } from './bwrap.js';
import { resolveLimits } from './limits.js';

const MiB = 1024 * 1024;

describe('bwrapCommand', () => {
  const limits = resolveLimits({ memoryBytes: 256 * MiB, pids: 64, diskBytes: 32 * MiB });

  it('drops root to an unprivileged uid of its own and sets the rlimits', () => {
    const { argv, hostUid } = bwrapCommand({ rootfs: '/r', limits, seccomp: true, uid: 0, hostUid: 0x50000001 });
    expect(hostUid).toBe(0x50000001);
    expect(argv.slice(0, 5)).toEqual(['setpriv', '--reuid=1342177281', '--regid=1342177281', '--clear-groups', '--']);
    expect(argv).toContain('--nproc=64');
    expect(argv).toContain(`--fsize=${32 * MiB}`);
    expect(argv).toContain('--core=0');
  });

  it('runs as the user itself when not root, counting its processes into nproc', () => {
    const { argv, hostUid } = bwrapCommand({ rootfs: '/r', limits, seccomp: true, uid: 1000, userProcesses: 40 });
    expect(hostUid).toBe(1000);
    expect(argv[0]).toBe('prlimit');
    expect(argv).toContain('--nproc=104');
  });

  it('isolates: new namespaces, no network, no caps, read-only root, private writable /tmp and /mnt/data', () => {
    const { argv } = bwrapCommand({ rootfs: '/r', limits, seccomp: true, uid: 1000 });
    const text = argv.join(' ');
    for (const flag of [
      '--unshare-user',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--unshare-net',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
    ]) {
      expect(argv).toContain(flag);
    }
    expect(text).toContain('--cap-drop ALL');
    expect(text).toContain('--ro-bind /r /');
    expect(text).toContain(`--size ${32 * MiB} --tmpfs /mnt/data`);
    expect(text).toContain(`--size ${64 * MiB} --tmpfs /tmp`); // a quarter of the memory limit
    expect(text).toContain('--seccomp 3');
    expect(text).toContain('--ro-bind-data 4 /opt/codecell/kernel.py');
    expect(argv.slice(-3)).toEqual(['python3', '-u', '/opt/codecell/kernel.py']);
    expect(argv).not.toContain('--share-net');
  });

  it('shares the network only when asked', () => {
    const { argv } = bwrapCommand({ rootfs: '/r', limits: { ...limits, network: true }, seccomp: false, uid: 1000 });
    expect(argv).toContain('--share-net');
    expect(argv).not.toContain('--seccomp');
  });

  it("gives the kernel the image's environment, as the Dockerfile's ENV lines set it", () => {
    const dockerfile = fs.readFileSync(path.join(guestDir(), 'Dockerfile'), 'utf8');
    const block = /^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile)![1]!;
    const pairs = Object.fromEntries(
      block
        .split(/\\\n/)
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => l.split('=') as [string, string]),
    );
    const { PATH, ...rest } = SANDBOX_ENV;
    expect(rest).toEqual(pairs);
    expect(PATH).toContain('/usr/bin');
  });
});
