// Removes containers left behind by codecell processes that died without cleaning up (SIGKILL, power loss).
import type Docker from 'dockerode';
import { LABEL_APP, isOrphan } from './labels.js';

/** Force-removes this host's codecell containers whose owning process is gone; returns how many. */
export async function reapOrphans(docker: Docker): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_APP}=codecell`] } });
  let removed = 0;
  await Promise.all(
    containers
      .filter((info) => isOrphan(info.Labels))
      .map(async (info) => {
        try {
          await docker.getContainer(info.Id).remove({ force: true, v: true });
          removed += 1;
        } catch (err) {
          // Already gone (another codecell reaped it first) is fine; anything else is left for next time.
          if ((err as { statusCode?: number }).statusCode !== 404) return;
        }
      }),
  );
  return removed;
}
