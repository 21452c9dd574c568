import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineOptions, parseEngineSpec } from './engines.js';

describe('parseEngineSpec', () => {
  it('splits the concurrency off the URL', () => {
    expect(parseEngineSpec('unix:///var/run/docker.sock=2')).toEqual({ url: 'unix:///var/run/docker.sock', concurrency: 2 });
    expect(parseEngineSpec('tcp://127.0.0.1:23750')).toEqual({ url: 'tcp://127.0.0.1:23750' });
    expect(() => parseEngineSpec('tcp://h:1=0')).toThrow(/at least 1/);
  });
});

describe('engineOptions', () => {
  it('maps unix sockets and ignores DOCKER_HOST for an explicit URL', () => {
    const o = engineOptions('unix:///run/podman/podman.sock', { DOCKER_HOST: 'tcp://elsewhere:2375' });
    expect(o.socketPath).toBe('/run/podman/podman.sock');
    // Set explicitly to undefined so docker-modem cannot fill it from DOCKER_HOST.
    expect('host' in o && o.host === undefined).toBe(true);
  });

  it('speaks plain http on tcp unless TLS is asked for', () => {
    expect(engineOptions('tcp://127.0.0.1:23750', {})).toMatchObject({ host: '127.0.0.1', port: '23750', protocol: 'http' });
    expect(engineOptions('tcp://10.0.0.5:2376', {})).toMatchObject({ protocol: 'https' });
    expect(engineOptions('tcp://10.0.0.5:2375', { DOCKER_TLS_VERIFY: '1' })).toMatchObject({ protocol: 'https' });
  });

  it('reads ca/cert/key from DOCKER_CERT_PATH or ?certs=', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-certs-'));
    try {
      for (const f of ['ca.pem', 'cert.pem', 'key.pem']) fs.writeFileSync(path.join(dir, f), f);
      const viaEnv = engineOptions('tcp://h:2376', { DOCKER_CERT_PATH: dir });
      expect(viaEnv.protocol).toBe('https');
      expect(viaEnv.ca?.[0]?.toString()).toBe('ca.pem');
      expect(viaEnv.key?.toString()).toBe('key.pem');
      const viaUrl = engineOptions(`tcp://h:3000?certs=${encodeURIComponent(dir)}`, {});
      expect(viaUrl).toMatchObject({ protocol: 'https', port: '3000' });
      expect(viaUrl.cert?.toString()).toBe('cert.pem');
      expect(() => engineOptions('tcp://h:2376', { DOCKER_CERT_PATH: path.join(dir, 'missing') })).toThrow(/ca.pem/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maps ssh URLs with user and port', () => {
    const o = engineOptions('ssh://deploy@build-1:2222', { SSH_AUTH_SOCK: '/tmp/agent.sock' });
    expect(o).toMatchObject({ protocol: 'ssh', host: 'build-1', port: '2222', username: 'deploy', sshOptions: { agent: '/tmp/agent.sock' } });
  });

  it('rejects other schemes', () => {
    expect(() => engineOptions('ftp://x', {})).toThrow(/unsupported/);
  });
});
