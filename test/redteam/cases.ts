// The red-team cases: one row per hostile payload, its expected safe outcome and the test that checks it (source of the README table).

export type Category = 'resources' | 'network' | 'privilege' | 'control' | 'output' | 'protocol' | 'files' | 'magics';

export interface RedTeamCase {
  id: string;
  category: Category;
  /** What the hostile cell does. */
  payload: string;
  /** The safe outcome the test asserts (besides "the next cell works"). */
  expected: string;
  /** The test file under test/redteam/ that holds the case. */
  file: string;
}

/**
 * How each case came out on Podman, bubblewrap and firejail, where it differs from Docker's "held" (every
 * case holds on every backend; these notes say how, from what the tests assert under CODECELL_TEST_BACKEND).
 * The process sandboxes' notes are for CI's setup: root on cgroup v1, where each sandbox gets a cgroup.
 */
export const BACKEND_NOTES: Record<'podman' | 'bubblewrap' | 'firejail', Partial<Record<string, string>>> = {
  podman: {
    R04: 'limit held; reported as `killed` (exit code 137), not `oom`: Podman 4.3 on cgroup v1 records no OOM kill',
  },
  bubblewrap: {
    R01: "held by the cgroup's pids limit and RLIMIT_NPROC in its own user namespace (under a uid of its own when codecell runs as root)",
    R02: "held by the cgroup's pids limit and RLIMIT_NPROC",
    R03: "held by the cgroup's pids limit and RLIMIT_NPROC",
    R04: "held by the cgroup's memory limit: status oom (without a cgroup, by the memory watchdog)",
    R05: "held by the cgroup's memory limit: the child is OOM-killed, notice shown (without a cgroup, by the watchdog)",
    R07: 'held (tmpfs size from bubblewrap --size)',
    R08: 'held (tmpfs size from bubblewrap --size)',
    P02: 'held; EINVAL rather than EPERM (uid 0 is not mapped in the user namespace)',
    P05: "held; pid 1 is bubblewrap's init, whose environment is PATH only",
    C05: "held differently: bubblewrap's init drops a SIGTERM sent from inside its namespace, the cell goes on",
    F02: "held; /proc/1/fd/1 cannot even be opened (ENXIO), the forgeries to the kernel's own fds are rejected",
    F03: 'held; /proc/1/fd/1 cannot be opened (ENXIO), so the garbage never reaches the channel',
    F07: 'held; the spy cannot open /proc/1/fd/1 (ENXIO) and sees no kernel line',
    F08: 'held; /proc/1/fd/1 cannot be opened (ENXIO), so the garbage never reaches the channel',
  },
  firejail: {
    R01: "held at the cgroup's pids limit, but the kernel never gets its error: exited copies pile up as zombies under firejail's init, so the cell runs to its timeout and the kernel restarts (variables lost)",
    R02: "held by the cgroup's pids limit and RLIMIT_NPROC",
    R03: "held by the cgroup's pids limit and RLIMIT_NPROC",
    R04: "held by the cgroup's memory limit: status oom",
    R05: "held by the cgroup's memory limit: the child is OOM-killed, notice shown",
    R06: 'held by RLIMIT_FSIZE (EFBIG): the tmpfs has no size of its own',
    R07: "held for one file by RLIMIT_FSIZE (EFBIG); the tmpfs has no size of its own: many files end at the cgroup's memory limit (status oom), and without a cgroup nothing bounds them",
    R08: "held for one file by RLIMIT_FSIZE (EFBIG); the tmpfs has no size of its own: many files end at the cgroup's memory limit (status oom), and without a cgroup nothing bounds them",
    P05: "held more strictly: pid 1 is firejail's own root process, so /proc/1/environ cannot be read (PermissionError); the kernel's environment has none of the host's",
    C04: "held more strictly: pid 1 is firejail's own root process, the signal is refused (PermissionError)",
    C05: "held differently: pid 1 is firejail's own root process, the signal is refused (PermissionError), the kernel goes on",
    F02: "held; /proc/1/fd/1 cannot be opened (EACCES: firejail's init is root's), the forgeries to the kernel's own fds are rejected",
    F03: 'held; /proc/1/fd/1 cannot be opened (EACCES), so the garbage never reaches the channel',
    F07: 'held; the spy cannot open /proc/1/fd/1 (EACCES) and sees no kernel line',
    F08: 'held; /proc/1/fd/1 cannot be opened (EACCES), so the garbage never reaches the channel',
  },
};

const cases = [
  // ----- resources -----
  {
    id: 'R01',
    category: 'resources',
    file: 'resources.test.ts',
    payload: '`while True: os.fork()` in the kernel process (Python fork bomb)',
    expected:
      'fork fails at the pids limit (or the copies exhaust memory first: status oom, kernel restarted); forked copies of the kernel cannot send a reply; every process is gone before the next cell',
  },
  {
    id: 'R02',
    category: 'resources',
    file: 'resources.test.ts',
    payload: 'shell fork bomb (`bomb() { bomb | bomb & }; bomb` through os.system) left running while the cell sleeps',
    expected: 'held at the pids limit, stopped at the cell timeout, no process survives the cell',
  },
  {
    id: 'R03',
    category: 'resources',
    file: 'resources.test.ts',
    payload: 'thread bomb: start threads that block forever until it fails',
    expected: 'RuntimeError at the pids limit; the kernel still answers; setting the event (state kept) frees the pids for subprocesses',
  },
  {
    id: 'R04',
    category: 'resources',
    file: 'resources.test.ts',
    payload: 'memory bomb in the kernel (`b"x" * 2**30`)',
    expected: 'status oom, kernel restarted, message says variables were lost',
  },
  {
    id: 'R05',
    category: 'resources',
    file: 'resources.test.ts',
    payload: 'memory bomb in a child process',
    expected: 'child OOM-killed, notice shown, kernel and variables kept',
  },
  {
    id: 'R06',
    category: 'resources',
    file: 'resources.test.ts',
    payload: 'fill /mnt/data until the disk is full',
    expected: 'ENOSPC/EFBIG inside the cell; the full file is skipped as over the file cap, never buffered on the host',
  },
  {
    id: 'R07',
    category: 'resources',
    file: 'resources.test.ts',
    payload: 'fill /tmp until it is full',
    expected: 'ENOSPC (tmpfs ≤ ¼ of memory), no OOM kill of the kernel',
  },
  { id: 'R08', category: 'resources', file: 'resources.test.ts', payload: 'fill /dev/shm', expected: 'ENOSPC (shm ≤ ¼ of memory), kernel alive' },
  {
    id: 'R09',
    category: 'resources',
    file: 'resources.test.ts',
    payload: 'sparse files: truncate to 100 GB, and one just over the file cap, in /mnt/data',
    expected: '100 GB refused (EFBIG, fsize ulimit); the other skipped as too large, never copied out',
  },
  { id: 'R10', category: 'resources', file: 'resources.test.ts', payload: 'write to /usr, /etc and /', expected: 'read-only file system errors' },
  // ----- network -----
  {
    id: 'N01',
    category: 'network',
    file: 'network.test.ts',
    payload: 'connect to the cloud metadata address 169.254.169.254:80',
    expected: 'OSError (network unreachable), nothing sent',
  },
  {
    id: 'N02',
    category: 'network',
    file: 'network.test.ts',
    payload: 'connect to the Docker bridge gateway 172.17.0.1:2375 (the engine API)',
    expected: 'OSError (network unreachable)',
  },
  {
    id: 'N03',
    category: 'network',
    file: 'network.test.ts',
    payload: "connect to 127.0.0.1:2375 and :22 (the host's loopback?)",
    expected: "connection refused: 127.0.0.1 is the container's own loopback",
  },
  {
    id: 'N04',
    category: 'network',
    file: 'network.test.ts',
    payload: "DNS lookup socket.getaddrinfo('example.com')",
    expected: 'socket.gaierror, no resolver reachable',
  },
  {
    id: 'N05',
    category: 'network',
    file: 'network.test.ts',
    payload: 'raw socket (socket.SOCK_RAW) and a packet socket',
    expected: 'PermissionError (no CAP_NET_RAW)',
  },
  { id: 'N06', category: 'network', file: 'network.test.ts', payload: 'list network interfaces', expected: 'only lo' },
  // ----- privilege -----
  {
    id: 'P01',
    category: 'privilege',
    file: 'privilege.test.ts',
    payload: 'find setuid binaries (`find / -perm -4000`) and run `su` / `mount` through them',
    expected: 'no-new-privileges: still uid 1000, su and mount fail',
  },
  { id: 'P02', category: 'privilege', file: 'privilege.test.ts', payload: 'os.setuid(0), os.setgid(0)', expected: 'refused (PermissionError), still uid 1000' },
  {
    id: 'P03',
    category: 'privilege',
    file: 'privilege.test.ts',
    payload: "`mount -t tmpfs x /mnt` and os.chroot('/tmp')",
    expected: 'mount fails, chroot raises PermissionError',
  },
  { id: 'P04', category: 'privilege', file: 'privilege.test.ts', payload: 'read /etc/shadow', expected: 'PermissionError' },
  {
    id: 'P05',
    category: 'privilege',
    file: 'privilege.test.ts',
    payload: "read /proc/1/environ (the init's environment)",
    expected: "readable (same user) but holds none of the host's environment (no API keys)",
  },
  {
    id: 'P06',
    category: 'privilege',
    file: 'privilege.test.ts',
    payload: "look for the host's docker socket",
    expected: 'absent: /var/run/docker.sock and /run/docker.sock do not exist',
  },
  {
    id: 'P07',
    category: 'privilege',
    file: 'privilege.test.ts',
    payload: "a subprocess opens the kernel's /proc/<pid>/fd, mem and environ",
    expected: 'PermissionError: the kernel is not dumpable',
  },
  // ----- control -----
  {
    id: 'C01',
    category: 'control',
    file: 'control.test.ts',
    payload: 'signal(SIGINT, SIG_IGN) then an infinite loop; interrupt',
    expected: 'killed and restarted within the grace period, message says variables were lost',
  },
  {
    id: 'C02',
    category: 'control',
    file: 'control.test.ts',
    payload: 'a process that detaches (os.setsid + double fork) and keeps writing a file',
    expected: 'gone before the next cell: no process besides init and the kernel, the file stops growing',
  },
  { id: 'C03', category: 'control', file: 'control.test.ts', payload: 'input()', expected: 'EOFError at once, never reads the protocol' },
  {
    id: 'C04',
    category: 'control',
    file: 'control.test.ts',
    payload: 'os.kill(1, SIGKILL) (kill the init)',
    expected: 'ignored (init of the pid namespace), cell ok',
  },
  {
    id: 'C05',
    category: 'control',
    file: 'control.test.ts',
    payload: 'os.kill(1, SIGTERM) (the init forwards it to the kernel)',
    expected: 'reported as killed, kernel restarted on the next cell',
  },
  {
    id: 'C06',
    category: 'control',
    file: 'control.test.ts',
    payload: 'os.kill(os.getpid(), SIGKILL) and os._exit(0) (kill the kernel itself)',
    expected: 'reported as killed with a message; restarted; next cell works',
  },
  // ----- output -----
  {
    id: 'O01',
    category: 'output',
    file: 'output.test.ts',
    payload: 'endless output (`while True: print(...)`)',
    expected: 'capped at max_output, cell stopped, status output_limit, host memory bounded',
  },
  { id: 'O02', category: 'output', file: 'output.test.ts', payload: 'one 10 MB line with no newline', expected: 'capped, cell stopped, host memory bounded' },
  {
    id: 'O03',
    category: 'output',
    file: 'output.test.ts',
    payload: 'binary bytes and invalid UTF-8 on stdout and stderr (Python and C level)',
    expected: 'decoded with U+FFFD replacement, no crash',
  },
  {
    id: 'O04',
    category: 'output',
    file: 'output.test.ts',
    payload: 'ESC sequences in output (OSC 52 clipboard, title, clear screen, cursor moves, C1, bare CR)',
    expected: 'the plain renderer writes no control sequence but SGR colours',
  },
  // ----- protocol -----
  {
    id: 'F01',
    category: 'protocol',
    file: 'protocol.test.ts',
    payload: 'forged `reply` / `file_start` lines with the real cell id written to fd 1 and fd 2',
    expected: 'shown as plain output; the cell does not end early; no file injected',
  },
  {
    id: 'F02',
    category: 'protocol',
    file: 'protocol.test.ts',
    payload: 'forged lines written to every /proc/self/fd/* and to /proc/1/fd/1 (the container stdout)',
    expected: 'rejected (no valid signature): the cell runs to its end, no file injected',
  },
  {
    id: 'F03',
    category: 'protocol',
    file: 'protocol.test.ts',
    payload: 'a subprocess writes forged lines to /proc/1/fd/1 without a newline, then exits',
    expected: 'kernel lines after the garbage still verify (resync at the last record separator); cell ends normally',
  },
  {
    id: 'F04',
    category: 'protocol',
    file: 'protocol.test.ts',
    payload: 'os.fork() child returns from the cell (multiprocessing-style) before the parent',
    expected: 'the child sends nothing; the parent finishes the cell',
  },
  {
    id: 'F05',
    category: 'protocol',
    file: 'protocol.test.ts',
    payload: "in-process code calls the kernel's own send(): 20 file_start at once, an ESC-laden name, a `..` name",
    expected: 'host buffers one file at a time, renames control characters, rejects `..`',
  },
  {
    id: 'F06',
    category: 'protocol',
    file: 'protocol.test.ts',
    payload: 'in-process code sends a crafted PNG whose header claims 50000×50000 as a display',
    expected: 'refused with a notice, never decoded',
  },
  {
    id: 'F07',
    category: 'protocol',
    file: 'protocol.test.ts',
    payload: "a subprocess reads the kernel's own lines from /proc/1/fd/1, then replays them and forges a reply with the tag it saw",
    expected:
      "replays and forgeries fail the per-line HMAC and sequence check: the cell runs to its end; stolen lines are lost, never duplicated. With the kernel on its own socket (a local engine), the container's stdout carries none of its lines: the spy sees nothing",
  },
  {
    id: 'F08',
    category: 'protocol',
    file: 'protocol.test.ts',
    payload: 'a subprocess writes 48 MB of garbage with no newline to /proc/1/fd/1, longer than the 32 MiB line cap',
    expected: 'the host drops it in bounded memory and the kernel line glued after it still arrives; the cell ends normally',
  },
  {
    id: 'F09',
    category: 'protocol',
    file: 'protocol.test.ts',
    payload:
      "a cell connects to the kernel channel's socket (/run/codecell/k.sock), writes into its folder, and has a subprocess open the kernel's own file descriptors",
    expected:
      "the socket is gone from the folder once the kernel is connected (FileNotFoundError), the folder is read-only, the kernel's fds cannot be listed (non-dumpable: PermissionError)",
  },
  // ----- files -----
  {
    id: 'D01',
    category: 'files',
    file: 'files.test.ts',
    payload: 'symlinks in /mnt/data to /etc/passwd and to a folder outside',
    expected: 'skipped as links, never read or followed',
  },
  {
    id: 'D02',
    category: 'files',
    file: 'files.test.ts',
    payload: 'hard link /etc/passwd into /mnt/data',
    expected: 'refused by the OS (EXDEV/EPERM); nothing copied',
  },
  {
    id: 'D03',
    category: 'files',
    file: 'files.test.ts',
    payload: 'file names with control characters, ESC sequences, bidi overrides and non-UTF-8 bytes (os.fsencode)',
    expected: 'saved under safe names (characters replaced), inside the output folder',
  },
  {
    id: 'D04',
    category: 'files',
    file: 'files.test.ts',
    payload: "names '..', '../x' and 300 characters",
    expected: 'refused by the file system; nothing written outside the output folder',
  },
  {
    id: 'D05',
    category: 'files',
    file: 'files.test.ts',
    payload: 'a figure of 200×200 inches at dpi 100 (400 megapixels)',
    expected: 'refused before drawing with a notice, kernel alive',
  },
  // ----- magics (IPython syntax in cells) -----
  {
    id: 'M01',
    category: 'magics',
    file: 'magics.test.ts',
    payload: 'shell fork bomb as a shell line (`!:(){ :|:& };:`)',
    expected: 'held at the pids limit; no process survives the cell',
  },
  {
    id: 'M02',
    category: 'magics',
    file: 'magics.test.ts',
    payload: '`%%writefile /etc/x` and `!echo x > /usr/x`',
    expected: 'read-only file system errors; nothing written',
  },
  {
    id: 'M03',
    category: 'magics',
    file: 'magics.test.ts',
    payload: "`%env`, `!env` and `%set_env` hunting for the host's API keys",
    expected: "the sandbox's environment holds none of the host's variables (the key set on the host is absent)",
  },
  {
    id: 'M04',
    category: 'magics',
    file: 'magics.test.ts',
    payload: '`%cd /` then write files, `%cd` back',
    expected: 'writes outside /mnt/data fail; files in /mnt/data are still copied out; the kernel keeps working',
  },
  {
    id: 'M05',
    category: 'magics',
    file: 'magics.test.ts',
    payload: '`!sleep 1000 &` and `%%bash` with a background job left running',
    expected: 'no process survives the cell',
  },
  {
    id: 'M06',
    category: 'magics',
    file: 'magics.test.ts',
    payload: '`%pip install` and `!pip install` without network',
    expected: 'fails at once with a message naming --network and what is installed; no retries',
  },
] as const satisfies readonly RedTeamCase[];

export const CASES: readonly RedTeamCase[] = cases;

export type CaseId = (typeof cases)[number]['id'];

/** The vitest name of a case: its id and payload, so a failing test names the row of the table. */
export function caseName(id: CaseId): string {
  const found = CASES.find((c) => c.id === id);
  if (!found) throw new Error(`no red-team case ${id}`);
  return `${found.id}: ${found.payload.replace(/`/g, '')}`;
}
