// What `codecell sandbox status` reports: the engine, the sandbox image and codecell's containers.
import os from 'node:os';
import type Docker from 'dockerode';
import type { EngineInfo } from './engine.js';
import { bundledImageRef, findImage, imageRef, listCodecellImages, type ImageSummary } from './image.js';
import { derivedRef, describePackages, shownPackages, type InstalledPackages } from './derived.js';
import { hasExtras, type ExtraPackages } from './extras.js';
import { isOrphan, LABEL_APP, LABEL_HOST, LABEL_PID, LABEL_STARTED } from './labels.js';
import { formatBytes } from '../shared/format.js';

export interface SandboxContainer {
  id: string;
  name: string;
  image: string;
  /** Engine state: running, exited, created, … */
  state: string;
  created: string;
  ageMs: number;
  ownerPid?: number;
  ownerHost?: string;
  /** Its codecell process (on this host) is gone. */
  orphan: boolean;
}

export interface SandboxStatus {
  engine: EngineInfo;
  image: {
    /** The image sandboxes will run. */
    ref: string;
    /** False when CODECELL_IMAGE names another image. */
    bundled: boolean;
    present: ImageSummary | null;
  };
  /** The derived image the configured extra packages ask for (absent when none are configured). */
  extras?: {
    packages: InstalledPackages;
    /** Its tag; absent until the base image exists (the tag hashes the base's id). */
    ref?: string;
    present: ImageSummary | null;
    /** Why the configured lists cannot be used (a missing wheel, a bad name). */
    problem?: string;
  };
  /** Every image codecell built, including stale ones from older kernels. */
  images: ImageSummary[];
  containers: SandboxContainer[];
}

/** Every container carrying codecell's ownership label, running or not. */
export async function listSandboxContainers(docker: Docker, options: { label?: string; now?: number } = {}): Promise<SandboxContainer[]> {
  const now = options.now ?? Date.now();
  const label = [`${LABEL_APP}=codecell`, ...(options.label ? [options.label] : [])];
  const list = await docker.listContainers({ all: true, filters: { label } });
  return list.map((c) => {
    const labels = c.Labels ?? {};
    const startedLabel = Date.parse(labels[LABEL_STARTED] ?? '');
    const createdMs = Number.isFinite(startedLabel) ? startedLabel : c.Created * 1000;
    const pid = Number(labels[LABEL_PID]);
    return {
      id: c.Id.slice(0, 12),
      name: (c.Names?.[0] ?? '').replace(/^\//, ''),
      image: c.Image,
      state: c.State,
      created: new Date(createdMs).toISOString(),
      ageMs: Math.max(0, now - createdMs),
      ownerPid: Number.isInteger(pid) && pid > 0 ? pid : undefined,
      ownerHost: labels[LABEL_HOST],
      orphan: isOrphan(labels),
    };
  });
}

/** The derived image for `extras` on the base `present`, without building anything. */
async function derivedStatus(docker: Docker, present: ImageSummary | null, extras: ExtraPackages | { problem: string }): Promise<SandboxStatus['extras']> {
  if ('problem' in extras) return { packages: { apt: [], pip: [] }, present: null, problem: extras.problem };
  if (!hasExtras(extras)) return undefined;
  const packages = shownPackages(extras);
  if (!present) return { packages, present: null };
  try {
    const ref = derivedRef(present.id, extras);
    return { packages, ref, present: await findImage(docker, ref) };
  } catch (err) {
    return { packages, present: null, problem: (err as Error).message };
  }
}

export async function sandboxStatus(
  docker: Docker,
  engine: EngineInfo,
  env: NodeJS.ProcessEnv = process.env,
  extras: ExtraPackages | { problem: string } = { apt: [], pip: [] },
): Promise<SandboxStatus> {
  const ref = imageRef(env);
  const [present, images, containers] = await Promise.all([findImage(docker, ref), listCodecellImages(docker), listSandboxContainers(docker)]);
  const derived = await derivedStatus(docker, present, extras);
  return { engine, image: { ref, bundled: ref === bundledImageRef(), present }, ...(derived ? { extras: derived } : {}), images, containers };
}

/** Refs of the images sandboxes started here would run: the base, and the derived image of the configured lists. */
export async function currentImages(
  docker: Docker,
  env: NodeJS.ProcessEnv = process.env,
  extras: ExtraPackages | { problem: string } = { apt: [], pip: [] },
): Promise<string[]> {
  const ref = imageRef(env);
  const present = await findImage(docker, ref);
  const derived = await derivedStatus(docker, present, extras);
  return [ref, ...(derived?.ref ? [derived.ref] : [])];
}

export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d`;
}

/** The status as lines of plain text, for a terminal or a log. */
export function formatStatus(status: SandboxStatus): string[] {
  const { engine, image, images, containers, extras } = status;
  const lines = [
    `engine      ${engine.endpoint}  ${engine.name ?? 'Docker'} ${engine.version} (API ${engine.apiVersion}, ${engine.os})` +
      (engine.runtimes.length ? `  runtimes: ${engine.runtimes.join(', ')}` : ''),
  ];
  if (image.present) {
    lines.push(`image       ${image.ref}  ${formatBytes(image.present.size)}  created ${image.present.created}  ${image.present.id.slice(0, 19)}`);
  } else {
    lines.push(
      `image       ${image.ref}  not built${image.bundled ? ' (run `codecell sandbox build`, or any command builds it on first use)' : ' (CODECELL_IMAGE: pull or build it)'}`,
    );
  }
  if (extras) {
    lines.push(`packages    ${describePackages(extras.packages)}`);
    if (extras.problem) lines.push(`            cannot use them: ${extras.problem}`);
    else if (extras.present) lines.push(`            image ${extras.ref}  ${formatBytes(extras.present.size)}  created ${extras.present.created}`);
    else lines.push(`            image ${extras.ref ?? '(after the base image)'}  not built (built on first use, or with \`codecell sandbox build\`)`);
  }
  const stale = images.filter((i) => i.ref !== image.ref && i.ref !== extras?.ref);
  if (stale.length)
    lines.push(`            ${stale.length} other codecell image(s): ${stale.map((i) => i.ref).join(', ')}  (\`codecell sandbox prune --images\`)`);
  if (containers.length === 0) {
    lines.push('containers  none');
  } else {
    lines.push(`containers  ${containers.length}`);
    for (const c of containers) {
      const owner = c.ownerPid ? `pid ${c.ownerPid}${c.ownerHost && c.ownerHost !== os.hostname() ? `@${c.ownerHost}` : ''}` : 'no owner';
      lines.push(`  ${c.id}  ${c.state.padEnd(8)}  ${formatAge(c.ageMs).padStart(6)}  ${owner}${c.orphan ? '  ORPHAN' : ''}`);
    }
    if (containers.some((c) => c.orphan || c.state !== 'running')) lines.push('            remove orphaned and stopped ones with `codecell sandbox prune`');
  }
  return lines;
}
