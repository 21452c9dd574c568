import { describe, expect, it } from 'vitest';
import { defaultSocket, describeEndpoint, engineName } from './engine.js';

describe('defaultSocket', () => {
  const only =
    (...paths: string[]) =>
    (p: string) =>
      paths.includes(p);

  it("prefers Docker's socket when it exists", () => {
    expect(defaultSocket({ XDG_RUNTIME_DIR: '/run/user/1000' }, only('/var/run/docker.sock', '/run/podman/podman.sock'))).toBe('/var/run/docker.sock');
  });

  it("falls back to Podman's rootful, then rootless socket", () => {
    expect(defaultSocket({ XDG_RUNTIME_DIR: '/run/user/1000' }, only('/run/podman/podman.sock', '/run/user/1000/podman/podman.sock'))).toBe(
      '/run/podman/podman.sock',
    );
    expect(defaultSocket({ XDG_RUNTIME_DIR: '/run/user/1000' }, only('/run/user/1000/podman/podman.sock'))).toBe('/run/user/1000/podman/podman.sock');
  });

  it("names Docker's socket when nothing exists, so the error points at the usual place", () => {
    expect(defaultSocket({}, only())).toBe('/var/run/docker.sock');
  });

  it('DOCKER_HOST wins over any socket', () => {
    expect(describeEndpoint({ DOCKER_HOST: 'tcp://10.0.0.2:2375' })).toBe('tcp://10.0.0.2:2375');
  });
});

describe('engineName', () => {
  it('tells Podman from Docker by the version reply', () => {
    expect(engineName({ Components: [{ Name: 'Podman Engine' }, { Name: 'Conmon' }] })).toBe('Podman');
    expect(engineName({ Components: [{ Name: 'Engine' }, { Name: 'containerd' }] })).toBe('Docker');
    expect(engineName({})).toBe('Docker');
  });
});
