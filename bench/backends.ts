// Backends side by side: sandbox ready time and warm print(1) round trip on Docker, Podman, bubblewrap and firejail, in one run.
import fs from 'node:fs';
import type Docker from 'dockerode';
import { DockerSandbox } from '../src/sandbox/docker-sandbox.js';
import { installed, processBackendProblem } from '../src/sandbox/backend.js';
import { cgroupProblem } from '../src/sandbox/cgroup.js';
import { firejailProblem } from '../src/sandbox/firejail.js';
import { connectEngine, DOCKER_SOCKET, PODMAN_ROOTFUL_SOCKET } from '../src/sandbox/engine.js';
import { ensureImage, findImage } from '../src/sandbox/image.js';
import { ProcessLauncher } from '../src/sandbox/process-sandbox.js';
import { findRootfs } from '../src/sandbox/rootfs.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';

const N_READY = Number(process.env.BENCH_READY ?? 10);
const N_WARM = Number(process.env.BENCH_WARM ?? 300);

interface Candidate {
  name: string;
  /** Builds one sandbox, or says why this backend is not measured here. */
  make: () => Promise<(() => DockerSandbox) | string>;
}

async function engineAt(socket: string): Promise<Docker | string> {
  if (!fs.existsSync(socket)) return `no socket at ${socket}`;
  try {
    return (await connectEngine({ ...process.env, DOCKER_HOST: `unix://${socket}` }, 5000)).docker;
  } catch (err) {
    return (err as Error).message;
  }
}

function containerBackend(socket: string, build: boolean): Candidate['make'] {
  return async () => {
    const docker = await engineAt(socket);
    if (typeof docker === 'string') return docker;
    const image = build ? (await ensureImage(docker)).ref : (await ensureImage(docker).catch(() => null))?.ref;
    if (!image || !(await findImage(docker, image))) return 'the sandbox image is not on this engine (codecell sandbox build --backend podman)';
    return () => new DockerSandbox(docker, { image });
  };
}

const candidates: Candidate[] = [
  { name: 'Docker', make: containerBackend(DOCKER_SOCKET, true) },
  { name: 'Podman', make: containerBackend(PODMAN_ROOTFUL_SOCKET, false) },
  { name: 'bubblewrap', make: processBackend('bubblewrap') },
  { name: 'firejail', make: processBackend('firejail') },
];

function processBackend(name: 'bubblewrap' | 'firejail'): Candidate['make'] {
  return async () => {
    const problem = name === 'firejail' ? firejailProblem((c) => installed(c)) : processBackendProblem();
    if (problem) return problem;
    const rootfs = findRootfs();
    if (!rootfs) return `no root filesystem (codecell sandbox build --backend ${name})`;
    const launcher = new ProcessLauncher(name, rootfs);
    return () => new DockerSandbox(null, {}, launcher);
  };
}

const PROCESS_BACKENDS = new Set(['bubblewrap', 'firejail']);

async function measure(make: () => DockerSandbox): Promise<{ ready: number[]; warm: number[] }> {
  const ready: number[] = [];
  for (let i = 0; i < N_READY; i++) {
    const sb = make();
    const t0 = performance.now();
    await sb.start();
    ready.push(performance.now() - t0);
    await sb.close();
  }
  const sb = make();
  await sb.start();
  for (let i = 0; i < 20; i++) await sb.run('print(1)');
  const warm: number[] = [];
  for (let i = 0; i < N_WARM; i++) {
    const t0 = performance.now();
    const r = await sb.run('print(1)');
    warm.push(performance.now() - t0);
    if (r.status !== 'ok') throw new Error(`print(1) failed: ${r.status}`);
  }
  await sb.close();
  return { ready, warm };
}

export async function benchBackends(): Promise<string> {
  const results: { name: string; skipped?: string; ready?: number[]; warm?: number[] }[] = [];
  for (const candidate of candidates) {
    const make = await candidate.make();
    if (typeof make === 'string') results.push({ name: candidate.name, skipped: make });
    else results.push({ name: candidate.name, ...(await measure(make)) });
  }
  const containerReady = results.filter((r) => r.ready && !PROCESS_BACKENDS.has(r.name)).map((r) => percentile(r.ready!, 50));
  const fastestContainer = containerReady.length ? Math.min(...containerReady) : NaN;
  const rows: Row[] = results.map((r) => {
    if (!r.ready || !r.warm)
      return { backend: r.name, 'ready p50': '—', 'ready p95': '—', 'warm print(1) p50': '—', 'warm p95': '—', note: `not measured: ${r.skipped}` };
    const ready50 = percentile(r.ready, 50);
    const note =
      PROCESS_BACKENDS.has(r.name) && Number.isFinite(fastestContainer)
        ? `ready ${(fastestContainer / ready50).toFixed(1)}× faster than the fastest container engine${cgroupProblem() ? '' : ' (in a cgroup of its own)'}`
        : `${N_READY} starts, ${N_WARM} cells`;
    return {
      backend: r.name,
      'ready p50': fmtMs(ready50),
      'ready p95': fmtMs(percentile(r.ready, 95)),
      'warm print(1) p50': fmtMs(percentile(r.warm, 50)),
      'warm p95': fmtMs(percentile(r.warm, 95)),
      note,
    };
  });
  return printTable('Backends side by side (ready = start → kernel ready; warm = print(1) round trip)', rows);
}
