import { describe, expect, it } from 'vitest';
import { podmanLimitsProblem, processBackendProblem, resolveBackend } from './backend.js';
import { SandboxError } from './types.js';

const nowhere = { ...process.env, DOCKER_HOST: 'unix:///nonexistent/codecell-test.sock' };
/** An engine lookup that finds nothing, as on a host with no Docker or Podman socket. */
const noEngine = async (): Promise<never> => {
  throw new SandboxError('cannot reach a Docker engine at unix:///var/run/docker.sock (connect ENOENT)', 'Start Docker.', 'no_engine');
};

describe('resolveBackend', () => {
  it.skipIf(processBackendProblem() !== null)('auto falls back to bubblewrap when no engine answers, and says so', async () => {
    const { DOCKER_HOST: _unset, ...env } = process.env;
    const backend = await resolveBackend('auto', env, 1000, noEngine);
    expect(backend.kind).toBe('process');
    expect(backend.note).toBe(
      'no container engine answered (cannot reach a Docker engine at unix:///var/run/docker.sock (connect ENOENT)); using the bubblewrap process sandbox',
    );
  });

  it('auto does not fall back from an engine DOCKER_HOST names', async () => {
    await expect(resolveBackend('auto', nowhere, 500)).rejects.toMatchObject({ code: 'no_engine', message: expect.stringContaining('nonexistent') });
  });

  it('an explicit docker backend without an engine is an error with a fix', async () => {
    await expect(resolveBackend('docker', nowhere, 500)).rejects.toMatchObject({ code: 'no_engine', fix: expect.stringMatching(/bubblewrap/) });
  });
});

describe('podmanLimitsProblem', () => {
  it('refuses rootless Podman on cgroup v1 (its limits are dropped), and nothing else', () => {
    expect(podmanLimitsProblem({ host: { cgroupVersion: 'v1', security: { rootless: true } } })).toMatch(
      /rootless Podman on cgroup v1 ignores memory, process and CPU limits/,
    );
    expect(podmanLimitsProblem({ host: { cgroupVersion: 'v2', security: { rootless: true } } })).toBeNull();
    expect(podmanLimitsProblem({ host: { cgroupVersion: 'v1', security: { rootless: false } } })).toBeNull();
    expect(podmanLimitsProblem({})).toBeNull();
  });
});
