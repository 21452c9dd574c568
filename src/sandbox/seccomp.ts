// A classic-BPF seccomp filter for the process sandbox (bubblewrap loads it): kernel-facing syscalls fail with EPERM.

/** AUDIT_ARCH_* values the filter checks first: a syscall from any other ABI (i386 via int 0x80, x32) kills the process. */
const ARCHES = {
  x64: { audit: 0xc000003e, x32Bit: 0x40000000 },
  arm64: { audit: 0xc00000b7, x32Bit: 0 },
} as const;

/**
 * Syscalls a cell never needs and that a container's default profile also refuses: tracing other
 * processes, mounting, modules, kexec, keyrings, new namespaces, BPF, perf, userfaultfd, io_uring,
 * handle-based opens, the new mount API, swap, reboot, host and domain names.
 */
const DENIED: Record<keyof typeof ARCHES, Record<string, number>> = {
  x64: {
    ptrace: 101,
    syslog: 103,
    vhangup: 153,
    pivot_root: 155,
    chroot: 161,
    acct: 163,
    mount: 165,
    umount2: 166,
    swapon: 167,
    swapoff: 168,
    reboot: 169,
    sethostname: 170,
    setdomainname: 171,
    iopl: 172,
    ioperm: 173,
    init_module: 175,
    delete_module: 176,
    quotactl: 179,
    lookup_dcookie: 212,
    kexec_load: 246,
    add_key: 248,
    request_key: 249,
    keyctl: 250,
    unshare: 272,
    perf_event_open: 298,
    name_to_handle_at: 303,
    open_by_handle_at: 304,
    setns: 308,
    process_vm_readv: 310,
    process_vm_writev: 311,
    finit_module: 313,
    kexec_file_load: 320,
    bpf: 321,
    userfaultfd: 323,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    open_tree: 428,
    move_mount: 429,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    mount_setattr: 442,
  },
  arm64: {
    lookup_dcookie: 18,
    umount2: 39,
    mount: 40,
    pivot_root: 41,
    chroot: 51,
    vhangup: 58,
    quotactl: 60,
    acct: 89,
    unshare: 97,
    kexec_load: 104,
    init_module: 105,
    delete_module: 106,
    syslog: 116,
    ptrace: 117,
    reboot: 142,
    sethostname: 161,
    setdomainname: 162,
    add_key: 217,
    request_key: 218,
    keyctl: 219,
    swapon: 224,
    swapoff: 225,
    perf_event_open: 241,
    name_to_handle_at: 264,
    open_by_handle_at: 265,
    setns: 268,
    process_vm_readv: 270,
    process_vm_writev: 271,
    finit_module: 273,
    bpf: 280,
    userfaultfd: 282,
    kexec_file_load: 294,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    open_tree: 428,
    move_mount: 429,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    mount_setattr: 442,
  },
};

// BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;
const RET_ALLOW = 0x7fff0000;
const EPERM = 1;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** The syscalls the filter refuses on this machine's architecture (empty when it has no table). */
export function deniedSyscalls(arch: string = process.arch): string[] {
  return arch in DENIED ? Object.keys(DENIED[arch as keyof typeof DENIED]) : [];
}

/**
 * The filter as bytes (struct sock_filter[], 8 bytes each, little-endian as both supported ABIs are),
 * or null on an architecture without a syscall table here (the sandbox then runs without seccomp and says so).
 */
export function seccompFilter(arch: string = process.arch): Buffer | null {
  if (!(arch in ARCHES)) return null;
  const { audit, x32Bit } = ARCHES[arch as keyof typeof ARCHES];
  const numbers = Object.values(DENIED[arch as keyof typeof DENIED]);
  const prog: Insn[] = [];
  const at = (code: number, k: number, jt = 0, jf = 0): number => prog.push({ code, jt, jf, k }) - 1;
  at(LD_W_ABS, 4); // seccomp_data.arch
  const archCheck = at(JEQ_K, audit); // jt: next; jf: kill (patched below)
  at(LD_W_ABS, 0); // seccomp_data.nr
  const x32Check = x32Bit ? at(JGE_K, x32Bit) : -1;
  const denials = numbers.map((nr) => at(JEQ_K, nr));
  at(RET_K, RET_ALLOW);
  const deny = at(RET_K, RET_ERRNO | EPERM);
  const kill = at(RET_K, RET_KILL_PROCESS);
  const jump = (from: number, to: number): number => {
    const offset = to - from - 1;
    if (offset < 0 || offset > 255) throw new Error(`seccomp jump out of range: ${offset}`);
    return offset;
  };
  prog[archCheck]!.jf = jump(archCheck, kill);
  if (x32Check >= 0) prog[x32Check]!.jt = jump(x32Check, kill);
  for (const i of denials) prog[i]!.jt = jump(i, deny);
  const out = Buffer.alloc(prog.length * 8);
  prog.forEach((insn, i) => {
    out.writeUInt16LE(insn.code, i * 8);
    out.writeUInt8(insn.jt, i * 8 + 2);
    out.writeUInt8(insn.jf, i * 8 + 3);
    out.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return out;
}
