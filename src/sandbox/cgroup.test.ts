import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CGROUP_ROOT, cgroupProblem, joinCgroupCommand, ownCgroups, SandboxCgroup } from './cgroup.js';
import { resolveLimits } from './limits.js';

const MiB = 1024 * 1024;
const limits = resolveLimits({ memoryBytes: 256 * MiB, pids: 64, cpus: 0.5 });

describe('ownCgroups', () => {
  it("finds codecell's own folder in each hierarchy, joined ones included", () => {
    expect(ownCgroups('12:pids:/a\n4:memory:/process_api/x\n3:cpu,cpuacct:/b\n0::/\n')).toEqual({ pids: '/a', memory: '/process_api/x', cpu: '/b' });
  });
});

describe('cgroupProblem', () => {
  it('falls back without root, on cgroup v2 only, and without the v1 hierarchies', () => {
    expect(cgroupProblem(CGROUP_ROOT, 1000)).toMatch(/not root/);
    const v2 = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-cg-'));
    fs.writeFileSync(path.join(v2, 'cgroup.controllers'), 'cpu memory pids\n');
    expect(cgroupProblem(v2, 0)).toMatch(/cgroup v2 only/);
    fs.rmSync(v2, { recursive: true });
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-cg-'));
    expect(cgroupProblem(empty, 0)).toMatch(/cpu, memory, pids are not mounted/);
    expect(SandboxCgroup.create('x', limits, empty).cgroup).toBeNull();
    fs.rmSync(empty, { recursive: true });
  });
});

describe('joinCgroupCommand', () => {
  it('writes its own pid to every procs file before it execs the rest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-cg-'));
    const files = [path.join(dir, 'a'), path.join(dir, 'b')];
    const { execFileSync } = await import('node:child_process');
    const argv = [...joinCgroupCommand(files), 'sh', '-c', 'echo $$'];
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }).trim();
    // exec keeps the pid: the process that joined is the one that runs.
    expect(fs.readFileSync(files[0]!, 'utf8').trim()).toBe(out);
    expect(fs.readFileSync(files[1]!, 'utf8').trim()).toBe(out);
    fs.rmSync(dir, { recursive: true });
  });
});

// The real hierarchies: root on a cgroup v1 host (this project's CI).
const real = cgroupProblem() === null;
describe.skipIf(!real)('SandboxCgroup on the real cgroup v1 hierarchies', () => {
  it('writes the CPU quota, memory (no swap) and pids limits, and is gone after remove()', async () => {
    const made = SandboxCgroup.create(`test-${process.pid}`, limits);
    expect(made.reason).toBeUndefined();
    const cg = made.cgroup!;
    const read = (dir: string, file: string): string => fs.readFileSync(path.join(dir, file), 'utf8').trim();
    expect(read(cg.dirs.cpu, 'cpu.cfs_quota_us')).toBe('50000');
    expect(read(cg.dirs.cpu, 'cpu.cfs_period_us')).toBe('100000');
    expect(read(cg.dirs.memory, 'memory.limit_in_bytes')).toBe(String(256 * MiB));
    if (fs.existsSync(path.join(cg.dirs.memory, 'memory.memsw.limit_in_bytes')))
      expect(read(cg.dirs.memory, 'memory.memsw.limit_in_bytes')).toBe(String(256 * MiB));
    expect(read(cg.dirs.pids, 'pids.max')).toBe('64');
    expect(cg.oomKills()).toBe(0);
    await cg.remove();
    for (const dir of Object.values(cg.dirs)) expect(fs.existsSync(dir)).toBe(false);
  });
});

if (!real) console.warn(`\n!!! SKIPPING the real-cgroup test: ${cgroupProblem()}\n`);
