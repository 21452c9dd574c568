// Picks where cells run: a Docker-API engine (Docker or Podman) or a process sandbox (bubblewrap, firejail), and says why.
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { connectEngine, PODMAN_ROOTFUL_SOCKET, type EngineInfo } from './engine.js';
import { firejailProblem } from './firejail.js';
import { SandboxError } from './types.js';

export const BACKENDS = ['auto', 'docker', 'podman', 'bubblewrap', 'firejail'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export type ResolvedBackend =
  | { kind: 'engine'; name: 'docker' | 'podman'; docker: Docker; info: EngineInfo; note?: string }
  | { kind: 'process'; name: 'bubblewrap' | 'firejail'; note?: string };

/** True when `command` is an executable on PATH (or in /usr/bin, /usr/sbin). */
export function installed(command: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const dirs = [...(env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/bin'];
  return dirs.some((dir) => {
    if (!dir) return false;
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** What the process backend needs that is missing here, or null when it can run. */
export function processBackendProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  const missing = ['bwrap', 'prlimit', ...(process.getuid?.() === 0 ? ['setpriv'] : [])].filter((c) => !installed(c, env));
  if (missing.length)
    return `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed (sudo apt-get install bubblewrap util-linux mmdebstrap)`;
  return null;
}

interface LibpodInfo {
  host?: { cgroupVersion?: string; security?: { rootless?: boolean } };
}

/**
 * Why a Podman engine cannot hold codecell's limits, from its libpod info, or null. Rootless Podman on
 * cgroup v1 drops memory, pids and CPU limits with only a warning in its own log (measured, Podman 4.3.1).
 */
export function podmanLimitsProblem(info: LibpodInfo): string | null {
  if (info.host?.security?.rootless === true && info.host.cgroupVersion === 'v1')
    return 'rootless Podman on cgroup v1 ignores memory, process and CPU limits ("Resource limits are not supported and ignored on cgroups V1 rootless systems")';
  return null;
}

/** Refuses a Podman engine whose limits would not hold (libpod routes need a version prefix; any works); an engine that does not answer the question passes. */
async function checkPodmanLimits(docker: Docker, timeoutMs: number): Promise<void> {
  const info = await new Promise<LibpodInfo | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    timer.unref?.();
    docker.modem.dial({ path: '/v4.0.0/libpod/info', method: 'GET', statusCodes: { 200: true }, options: {} }, (err: unknown, data: unknown) => {
      clearTimeout(timer);
      resolve(err ? null : (data as LibpodInfo));
    });
  });
  const problem = info ? podmanLimitsProblem(info) : null;
  if (problem) {
    throw new SandboxError(
      `cannot use this Podman engine: ${problem}`,
      'Use rootful Podman (`sudo podman system service --time=0 &`), Docker, or --backend bubblewrap; rootless Podman needs cgroup v2 for limits.',
      'no_engine',
    );
  }
}

/** Podman's socket URL: the rootful one, else the rootless one, whichever exists (rootful when neither does). */
export function podmanUrl(env: NodeJS.ProcessEnv = process.env): string {
  const rootless = env.XDG_RUNTIME_DIR ? `${env.XDG_RUNTIME_DIR}/podman/podman.sock` : '';
  const socket = [PODMAN_ROOTFUL_SOCKET, rootless].find((p) => p && fs.existsSync(p)) ?? PODMAN_ROOTFUL_SOCKET;
  return `unix://${socket}`;
}

/** The environment for `--backend podman`: DOCKER_HOST when it names an engine, else Podman's socket. */
function podmanEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.DOCKER_HOST?.trim()) return env;
  return { ...env, DOCKER_HOST: podmanUrl(env) };
}

/**
 * Resolves a backend choice. `auto` takes the engine that answers (DOCKER_HOST, Docker's socket,
 * Podman's), else bubblewrap when it is installed, and its note says which and why. An engine named in
 * DOCKER_HOST is a choice: when it does not answer, that is an error, not a reason to fall back.
 */
export async function resolveBackend(
  choice: BackendChoice,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 5000,
  connect: typeof connectEngine = connectEngine,
): Promise<ResolvedBackend> {
  if (choice === 'firejail') {
    const problem = firejailProblem((c) => installed(c, env));
    if (problem)
      throw new SandboxError(`cannot use the firejail backend: ${problem}.`, 'Or pick another backend: --backend bubblewrap|docker|podman.', 'no_engine');
    return { kind: 'process', name: 'firejail' };
  }
  if (choice === 'bubblewrap') {
    const problem = processBackendProblem(env);
    if (problem)
      throw new SandboxError(`cannot use the bubblewrap backend: ${problem}`, 'Install it, or pick a container engine with --backend docker.', 'no_engine');
    return { kind: 'process', name: 'bubblewrap' };
  }
  if (choice === 'docker' || choice === 'podman') {
    const { docker, info } = await connect(choice === 'podman' ? podmanEnv(env) : env, timeoutMs);
    if (info.name === 'Podman') await checkPodmanLimits(docker, timeoutMs);
    return { kind: 'engine', name: choice, docker, info };
  }
  try {
    const { docker, info } = await connect(env, timeoutMs);
    if (info.name === 'Podman') await checkPodmanLimits(docker, timeoutMs);
    return { kind: 'engine', name: info.name === 'Podman' ? 'podman' : 'docker', docker, info };
  } catch (err) {
    if (env.DOCKER_HOST?.trim()) throw err;
    const problem = processBackendProblem(env);
    const why = err instanceof Error ? err.message : String(err);
    // firejail comes after bubblewrap: only when it can actually run here (chroot enabled, root).
    if (problem && firejailProblem((c) => installed(c, env)) === null) {
      return {
        kind: 'process',
        name: 'firejail',
        note: `no container engine answered (${why}) and bubblewrap is not installed; using the firejail process sandbox`,
      };
    }
    if (problem) {
      if (err instanceof SandboxError) {
        throw new SandboxError(err.message, `${err.fix} Or install bubblewrap for the process sandbox (sudo apt-get install bubblewrap mmdebstrap).`, err.code);
      }
      throw err;
    }
    return { kind: 'process', name: 'bubblewrap', note: `no container engine answered (${why}); using the bubblewrap process sandbox` };
  }
}
