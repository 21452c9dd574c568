// Doctor checks for the sandbox: the engine (reachable, version, rootless), the image (present, current), free disk for images.
import fs from 'node:fs';
import type Docker from 'dockerode';
import { check, type Check } from '../shared/check.js';
import { connectEngine, describeEndpoint } from './engine.js';
import { bundledImageRef, findImage, listCodecellImages } from './image.js';
import { formatBytes } from '../shared/format.js';
import { UserError } from '../shared/user-error.js';
import { SandboxError } from './types.js';

/** An image build needs about this much room (the image is about 1 GB, plus layers while building). */
export const IMAGE_ROOM_BYTES = 3e9;

interface EngineFacts {
  SecurityOptions?: string[];
  DockerRootDir?: string;
  Driver?: string;
  OperatingSystem?: string;
}

export interface EngineCheckResult {
  checks: Check[];
  docker?: Docker;
}

/** Reaches the engine and reports what it is; with no engine, the fix is how to start one. */
export async function checkEngine(env: NodeJS.ProcessEnv = process.env, timeoutMs = 3000): Promise<EngineCheckResult> {
  let docker: Docker;
  let info: Awaited<ReturnType<typeof connectEngine>>['info'];
  try {
    ({ docker, info } = await connectEngine(env, timeoutMs));
  } catch (err) {
    const e = err instanceof SandboxError ? err : new SandboxError(String(err), 'Start Docker.', 'no_engine');
    return {
      checks: [
        check({
          id: 'engine',
          group: 'sandbox',
          title: 'engine',
          status: 'fail',
          detail: e.message,
          fix: e.fix,
          required: true,
          data: { endpoint: describeEndpoint(env) },
        }),
        check({ id: 'disk', group: 'sandbox', title: 'disk', status: 'skip', detail: 'not checked: no engine', required: false }),
      ],
    };
  }
  let facts: EngineFacts = {};
  let product = 'Docker';
  try {
    const [i, v] = await Promise.all([docker.info() as Promise<EngineFacts>, docker.version() as Promise<{ Components?: { Name?: string }[] }>]);
    facts = i;
    if (v.Components?.some((c) => /podman/i.test(c.Name ?? ''))) product = 'Podman';
  } catch {
    // version already answered; the rest is detail
  }
  const rootless = (facts.SecurityOptions ?? []).some((o) => /name=rootless/.test(o));
  const runtimes = info.runtimes.length ? `; runtimes ${info.runtimes.join(', ')}` : '';
  const engine = check({
    id: 'engine',
    group: 'sandbox',
    title: 'engine',
    status: 'ok',
    detail: `${product} ${info.version} at ${info.endpoint} (API ${info.apiVersion}, ${info.os}), ${rootless ? 'rootless' : 'rootful'}${runtimes}`,
    required: true,
    data: { product, endpoint: info.endpoint, version: info.version, apiVersion: info.apiVersion, os: info.os, rootless, runtimes: info.runtimes },
  });
  return { checks: [engine, diskCheck(info.endpoint, facts.DockerRootDir)], docker };
}

/** Free space where the engine keeps images, when that folder is on this machine. */
function diskCheck(endpoint: string, rootDir: string | undefined): Check {
  const base = { id: 'disk', group: 'sandbox' as const, title: 'disk', required: false };
  if (!endpoint.startsWith('unix://') || !rootDir) return check({ ...base, status: 'skip', detail: 'not checked: the engine keeps its images elsewhere' });
  let free: number;
  try {
    const s = fs.statfsSync(rootDir);
    free = s.bavail * s.bsize;
  } catch {
    return check({ ...base, status: 'skip', detail: `not checked: cannot read ${rootDir} (rootless engines and VMs keep it out of reach)` });
  }
  const detail = `${formatBytes(free)} free under ${rootDir}`;
  if (free < IMAGE_ROOM_BYTES) {
    return check({
      ...base,
      status: 'warn',
      detail: `only ${detail}; building the image needs about ${formatBytes(IMAGE_ROOM_BYTES)}`,
      fix: 'Free space (`codecell sandbox prune --images` removes old codecell images; `docker image prune` others).',
      data: { free, path: rootDir },
    });
  }
  return check({ ...base, status: 'ok', detail, data: { free, path: rootDir } });
}

/** The image sandboxes run: present, and (for codecell's own) the one built for this version. */
export async function checkImage(docker: Docker | undefined, customImage?: string): Promise<Check> {
  const base = { id: 'image', group: 'sandbox' as const, title: 'image' };
  if (!docker) return check({ ...base, status: 'skip', detail: 'not checked: no engine', required: !!customImage });
  try {
    if (customImage) {
      const found = await findImage(docker, customImage);
      if (!found) {
        return check({
          ...base,
          required: true,
          status: 'fail',
          detail: `${customImage} (chosen with --image, CODECELL_IMAGE or the config) is not on the engine`,
          fix: `Pull or build it (\`docker pull ${customImage}\`), or drop the choice (\`codecell config unset image\`, unset CODECELL_IMAGE) to use codecell's own image.`,
          data: { ref: customImage, present: false, bundled: false },
        });
      }
      return check({
        ...base,
        required: true,
        status: 'ok',
        detail: `${customImage}, ${formatBytes(found.size)} (your own image)`,
        data: { ref: customImage, present: true, bundled: false, size: found.size },
      });
    }
    const ref = bundledImageRef();
    const found = await findImage(docker, ref);
    if (found) {
      return check({
        ...base,
        required: false,
        status: 'ok',
        detail: `${ref}, ${formatBytes(found.size)}, current for this version`,
        data: { ref, present: true, bundled: true, current: true, size: found.size },
      });
    }
    const older = (await listCodecellImages(docker)).filter((i) => i.ref !== ref && !i.ref.includes('bench'));
    return check({
      ...base,
      required: false,
      status: 'warn',
      detail: older.length
        ? `${ref} for this version is not built; ${older.length} image(s) from other versions are (${older
            .map((i) => i.ref)
            .slice(0, 3)
            .join(', ')})`
        : `${ref} is not built yet; the first run builds it (about 75 s on an empty engine)`,
      fix: `Build it now: \`codecell sandbox build\`${older.length ? '; remove the old ones with `codecell sandbox prune --images`' : ''}.`,
      data: { ref, present: false, bundled: true, current: false, older: older.map((i) => i.ref) },
    });
  } catch (err) {
    return check({
      ...base,
      required: true,
      status: 'fail',
      detail: (err as Error).message,
      fix: (err instanceof UserError ? err.fix : undefined) ?? 'Check the engine.',
    });
  }
}
