// Docker clients for explicit engine URLs (unix://, tcp:// with or without TLS, ssh://), beside the DOCKER_HOST default.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { SandboxError } from './types.js';

/** One `--engine` value: where the engine is and, optionally, how many sandboxes it runs at once. */
export interface EngineSpec {
  url: string;
  concurrency?: number;
}

/** What we hand to dockerode. Every connection key is set (undefined when unused): docker-modem fills
 * missing keys from DOCKER_HOST, which would silently send an explicit URL to another engine. */
export interface EngineOptions {
  socketPath: string | undefined;
  host: string | undefined;
  port: string | undefined;
  protocol: 'http' | 'https' | 'ssh' | undefined;
  ca: Buffer[] | undefined;
  cert: Buffer | undefined;
  key: Buffer | undefined;
  username: string | undefined;
  sshOptions: Record<string, unknown> | undefined;
  timeout: number | undefined;
}

export interface TlsFiles {
  /** Folder with ca.pem, cert.pem, key.pem (DOCKER_CERT_PATH's layout). */
  certDir?: string;
  /** Verify the server (DOCKER_TLS_VERIFY=1) or at least speak TLS. */
  tls?: boolean;
}

/** Splits `unix:///var/run/docker.sock=2` into the URL and its concurrency. */
export function parseEngineSpec(value: string): EngineSpec {
  const text = value.trim();
  const match = /^(.*?)=(\d+)$/.exec(text);
  const url = match ? match[1]! : text;
  if (!url) throw new Error(`empty engine URL in ${JSON.stringify(value)}`);
  if (!match) return { url };
  const concurrency = Number(match[2]);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`the concurrency in ${JSON.stringify(value)} must be a whole number of at least 1`);
  return { url, concurrency };
}

/**
 * dockerode options for an engine URL. tcp uses TLS when the URL says `?tls=1`, when
 * DOCKER_TLS_VERIFY=1, when a cert folder is given, or on port 2376 (Docker's TLS port).
 */
export function engineOptions(url: string, env: NodeJS.ProcessEnv = process.env, tls: TlsFiles = {}): EngineOptions {
  const none: EngineOptions = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    username: undefined,
    sshOptions: undefined,
    timeout: env.DOCKER_CLIENT_TIMEOUT ? Number(env.DOCKER_CLIENT_TIMEOUT) : undefined,
  };
  if (url.startsWith('unix://')) {
    return { ...none, socketPath: url.slice('unix://'.length) || '/var/run/docker.sock' };
  }
  if (url.startsWith('/')) return { ...none, socketPath: url };
  let parsed: URL;
  try {
    parsed = new URL(url.includes('://') ? url : `tcp://${url}`);
  } catch {
    throw new Error(`not an engine URL: ${JSON.stringify(url)} (use unix:///path, tcp://host:port or ssh://user@host)`);
  }
  if (parsed.protocol === 'tcp:' || parsed.protocol === 'http:' || parsed.protocol === 'https:') {
    const port = parsed.port || (parsed.protocol === 'https:' ? '2376' : '2375');
    const certDir = tls.certDir ?? parsed.searchParams.get('certs') ?? env.DOCKER_CERT_PATH ?? undefined;
    const wantsTls =
      tls.tls === true ||
      parsed.protocol === 'https:' ||
      parsed.searchParams.get('tls') === '1' ||
      env.DOCKER_TLS_VERIFY === '1' ||
      Boolean(tls.certDir ?? parsed.searchParams.get('certs')) ||
      port === '2376';
    if (!wantsTls) return { ...none, host: parsed.hostname, port, protocol: 'http' };
    const files = certDir ? readCerts(certDir) : {};
    return { ...none, host: parsed.hostname, port, protocol: 'https', ...files };
  }
  if (parsed.protocol === 'ssh:') {
    // The remote user must be able to run `docker system dial-stdio` (the docker CLI on the remote host).
    return {
      ...none,
      host: parsed.hostname,
      port: parsed.port || '22',
      protocol: 'ssh',
      username: decodeURIComponent(parsed.username) || os.userInfo().username,
      sshOptions: sshOptions(env),
    };
  }
  throw new Error(`unsupported engine URL scheme ${parsed.protocol} in ${JSON.stringify(url)} (use unix://, tcp:// or ssh://)`);
}

function readCerts(dir: string): { ca: Buffer[]; cert: Buffer; key: Buffer } {
  const read = (name: string): Buffer => {
    try {
      return fs.readFileSync(path.join(dir, name));
    } catch (err) {
      throw new SandboxError(
        `cannot read ${name} in the TLS folder ${dir}: ${(err as Error).message}`,
        'Point DOCKER_CERT_PATH (or ?certs= in the engine URL) at a folder with ca.pem, cert.pem and key.pem.',
        'no_engine',
      );
    }
  };
  return { ca: [read('ca.pem')], cert: read('cert.pem'), key: read('key.pem') };
}

/** ssh2 authentication: the agent when there is one, else the first default key in ~/.ssh. */
function sshOptions(env: NodeJS.ProcessEnv): Record<string, unknown> {
  if (env.SSH_AUTH_SOCK) return { agent: env.SSH_AUTH_SOCK };
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const file = path.join(os.homedir(), '.ssh', name);
    if (fs.existsSync(file)) return { privateKey: fs.readFileSync(file) };
  }
  return {};
}

/** A dockerode client for an explicit engine URL (never redirected by DOCKER_HOST). */
export function dockerFor(url: string, env: NodeJS.ProcessEnv = process.env, tls: TlsFiles = {}): Docker {
  return new Docker(engineOptions(url, env, tls) as unknown as Docker.DockerOptions);
}

/** The URL `createDocker()` talks to, so the default engine has a name in tables and results. */
export function defaultEngineUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST?.trim() || 'unix:///var/run/docker.sock';
}

/** Pings an engine within `timeoutMs`; throws SandboxError('no_engine') naming the URL. */
export async function pingEngine(docker: Docker, url: string, timeoutMs = 5000): Promise<{ version: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const version = await Promise.race([
      docker.version(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { version: String(version.Version ?? 'unknown') };
  } catch (err) {
    throw new SandboxError(
      `cannot reach the Docker engine at ${url} (${(err as Error).message})`,
      'Check that the engine runs and listens there (for tcp: `dockerd -H tcp://HOST:PORT`, with TLS on any network you do not control).',
      'no_engine',
    );
  } finally {
    clearTimeout(timer);
  }
}
