import { describe, expect, it } from 'vitest';
import { deniedSyscalls, seccompFilter } from './seccomp.js';

/** Runs the classic-BPF program on one (arch, nr) pair, as the kernel would. */
function evaluate(prog: Buffer, arch: number, nr: number): number {
  const data = [nr, arch];
  let acc = 0;
  for (let pc = 0; pc < prog.length / 8; ) {
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) acc = data[k / 4]!;
    else if (code === 0x15) pc += acc === k ? jt : jf;
    else if (code === 0x35) pc += acc >= k ? jt : jf;
    else if (code === 0x06) return k;
    else throw new Error(`unexpected opcode ${code}`);
    pc += 1;
  }
  throw new Error('fell off the end of the program');
}

const X64 = 0xc000003e;
const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const KILL = 0x80000000;

describe('seccompFilter', () => {
  const prog = seccompFilter('x64')!;

  it('refuses kernel-facing syscalls with EPERM and allows the rest (x86_64)', () => {
    expect(evaluate(prog, X64, 101)).toBe(EPERM); // ptrace
    expect(evaluate(prog, X64, 165)).toBe(EPERM); // mount
    expect(evaluate(prog, X64, 272)).toBe(EPERM); // unshare
    expect(evaluate(prog, X64, 321)).toBe(EPERM); // bpf
    expect(evaluate(prog, X64, 425)).toBe(EPERM); // io_uring_setup
    expect(evaluate(prog, X64, 0)).toBe(ALLOW); // read
    expect(evaluate(prog, X64, 56)).toBe(ALLOW); // clone
    expect(evaluate(prog, X64, 59)).toBe(ALLOW); // execve
  });

  it('kills a syscall from another ABI (i386 via int 0x80, x32)', () => {
    expect(evaluate(prog, 0x40000003, 26)).toBe(KILL); // i386 ptrace
    expect(evaluate(prog, X64, 0x40000000 + 101)).toBe(KILL); // x32
  });

  it('has an arm64 table and none for other architectures', () => {
    const arm = seccompFilter('arm64')!;
    expect(evaluate(arm, 0xc00000b7, 117)).toBe(EPERM); // ptrace on arm64
    expect(evaluate(arm, 0xc00000b7, 63)).toBe(ALLOW); // read on arm64
    expect(seccompFilter('ppc64')).toBeNull();
    expect(deniedSyscalls('x64')).toContain('keyctl');
  });
});
