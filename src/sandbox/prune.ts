// `codecell sandbox prune`: removes codecell's leftover containers and, when asked, its images.
import type Docker from 'dockerode';
import { imageRef, listCodecellImages } from './image.js';
import { listSandboxContainers, type SandboxContainer } from './status.js';

export interface PruneOptions {
  /** Also remove images codecell built (stale ones; with `all`, the current one too). */
  images?: boolean;
  /** Remove every codecell container, including ones a running codecell process still uses. */
  all?: boolean;
  /** Only containers that also carry this label ("key" or "key=value"), e.g. one batch run's. */
  label?: string;
  env?: NodeJS.ProcessEnv;
  /** Images to keep besides the one sandboxes run (e.g. the derived image of the configured packages). */
  keep?: string[];
}

export interface PruneResult {
  removedContainers: string[];
  /** Containers left alone because a live codecell process owns them. */
  keptContainers: SandboxContainer[];
  removedImages: string[];
  /** What could not be removed, with the engine's reason. */
  failures: string[];
}

/** The codecell images `prune --images` removes: every one not kept (with `all`, every one). */
export function staleImages<T extends { ref: string }>(images: T[], keep: Iterable<string>, all = false): T[] {
  const kept = new Set(keep);
  return images.filter((image) => all || !kept.has(image.ref));
}

/** A container is safe to remove when its owner is gone or it is no longer running. */
function removable(container: SandboxContainer): boolean {
  return container.orphan || container.state === 'exited' || container.state === 'dead';
}

export async function pruneSandboxes(docker: Docker, options: PruneOptions = {}): Promise<PruneResult> {
  const result: PruneResult = { removedContainers: [], keptContainers: [], removedImages: [], failures: [] };
  for (const container of await listSandboxContainers(docker, { label: options.label })) {
    if (!options.all && !removable(container)) {
      result.keptContainers.push(container);
      continue;
    }
    try {
      await docker.getContainer(container.id).remove({ force: true, v: true });
      result.removedContainers.push(container.id);
    } catch (err) {
      // Another process may have removed it between the list and now: that is what we wanted.
      if ((err as { statusCode?: number }).statusCode === 404) continue;
      result.failures.push(`container ${container.id}: ${(err as Error).message}`);
    }
  }
  if (options.images) {
    // Stale: every codecell image (base, bench, derived) that is not one sandboxes here would run.
    const keep = [imageRef(options.env ?? process.env), ...(options.keep ?? [])];
    for (const image of staleImages(await listCodecellImages(docker), keep, options.all)) {
      try {
        // force untags every tag (hash and :latest); the engine still refuses while a container uses it.
        await docker.getImage(image.id).remove({ force: true });
        result.removedImages.push(image.ref);
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) continue;
        result.failures.push(`image ${image.ref}: ${(err as Error).message}`);
      }
    }
  }
  return result;
}
