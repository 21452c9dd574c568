// Connects to the Docker engine (honouring DOCKER_HOST, else Docker's socket, else Podman's) and explains clearly when there is none.
import fs from 'node:fs';
import Docker from 'dockerode';
import { dockerFor } from './engines.js';
import { SandboxError } from './types.js';

export interface EngineInfo {
  endpoint: string;
  /** "Docker" or "Podman" (from the version reply's components), for messages and `sandbox status`. */
  name: string;
  version: string;
  apiVersion: string;
  os: string;
  runtimes: string[];
}

export const DOCKER_SOCKET = '/var/run/docker.sock';
export const PODMAN_ROOTFUL_SOCKET = '/run/podman/podman.sock';

/**
 * The engine socket to use when DOCKER_HOST is unset: Docker's when it exists, else Podman's rootful
 * socket, else the rootless one under $XDG_RUNTIME_DIR; Docker's path when none exists (so the error
 * names the usual place).
 */
export function defaultSocket(env: NodeJS.ProcessEnv = process.env, exists: (p: string) => boolean = socketExists): string {
  const candidates = [DOCKER_SOCKET, PODMAN_ROOTFUL_SOCKET];
  const runtime = env.XDG_RUNTIME_DIR?.trim() || (process.getuid && process.getuid() !== 0 ? `/run/user/${process.getuid()}` : '');
  if (runtime) candidates.push(`${runtime}/podman/podman.sock`);
  return candidates.find(exists) ?? DOCKER_SOCKET;
}

function socketExists(p: string): boolean {
  try {
    return fs.statSync(p).isSocket();
  } catch {
    return false;
  }
}

/** Where we will look for the engine, in the user's words. */
export function describeEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST?.trim();
  if (host) return host;
  return `unix://${defaultSocket(env)}`;
}

/** A dockerode client for DOCKER_HOST (unix, tcp with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH, ssh) or the found socket. */
export function createDocker(env: NodeJS.ProcessEnv = process.env): Docker {
  // docker-modem reads DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH itself when given no options.
  if (env.DOCKER_HOST?.trim()) {
    // docker-modem only reads process.env; another env (`--backend podman`, tests) goes through our own URL parsing.
    return env === process.env ? new Docker() : dockerFor(env.DOCKER_HOST.trim(), env);
  }
  return new Docker({ socketPath: defaultSocket(env) });
}

/** "Podman" when the version reply names a Podman component, else "Docker". */
export function engineName(version: { Components?: { Name?: string }[] | undefined }): string {
  return (version.Components ?? []).some((c) => /podman/i.test(String(c.Name ?? ''))) ? 'Podman' : 'Docker';
}

export function noEngineError(cause: unknown, env: NodeJS.ProcessEnv = process.env): SandboxError {
  const endpoint = describeEndpoint(env);
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new SandboxError(
    `cannot reach a Docker engine at ${endpoint} (${detail})`,
    'Start Docker (e.g. `sudo systemctl start docker`, or `dockerd &` as root; Docker Desktop on macOS/Windows), ' +
      "or start Podman's socket (`podman system service --time=0 &`; codecell finds /run/podman/podman.sock and " +
      '$XDG_RUNTIME_DIR/podman/podman.sock by itself), or point DOCKER_HOST at a running engine; ' +
      'without any engine use `--backend bubblewrap`.',
    'no_engine',
  );
}

/** Pings the engine with a short timeout; throws SandboxError('no_engine') with a fix when unreachable. */
export async function connectEngine(env: NodeJS.ProcessEnv = process.env, timeoutMs = 5000): Promise<{ docker: Docker; info: EngineInfo }> {
  const docker = createDocker(env);
  // Both asked at once (a round trip each, on the launch path); info's answer is optional.
  const asked = withTimeout(docker.info(), timeoutMs, 'info timed out');
  asked.catch(() => undefined);
  try {
    const version = await withTimeout(docker.version(), timeoutMs, 'the engine did not answer within ' + timeoutMs + ' ms');
    let runtimes: string[] = [];
    try {
      const info = (await asked) as { Runtimes?: Record<string, unknown> };
      runtimes = Object.keys(info.Runtimes ?? {});
    } catch {
      // info is optional (some Podman versions answer it slowly); version already proved the engine is there
    }
    const name = engineName(version as { Components?: { Name?: string }[] });
    // Starting a container asks which engine this is (isPodman): the answer is known now, so that start
    // waits for no second version round trip (in the chat it would wait behind Ink's loading).
    podmanClients.set(docker, Promise.resolve(name === 'Podman'));
    return {
      docker,
      info: {
        endpoint: describeEndpoint(env),
        name,
        version: String(version.Version ?? 'unknown'),
        apiVersion: String(version.ApiVersion ?? 'unknown'),
        os: `${version.Os ?? '?'}/${version.Arch ?? '?'}`,
        runtimes,
      },
    };
  } catch (err) {
    if (err instanceof SandboxError) throw err;
    throw noEngineError(err, env);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

const podmanClients = new WeakMap<Docker, Promise<boolean>>();

/** Whether this client talks to Podman (asked once per client; false when the engine does not say). */
export function isPodman(docker: Docker): Promise<boolean> {
  let known = podmanClients.get(docker);
  if (!known) {
    known = docker.version().then(
      (version) => engineName(version as { Components?: { Name?: string }[] }) === 'Podman',
      () => false,
    );
    podmanClients.set(docker, known);
  }
  return known;
}
