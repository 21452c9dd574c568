// Removes containers left behind by codecell processes that died without cleaning up (SIGKILL, power loss).
import type Docker from 'dockerode';
import { CHANNEL_TARGET, channelWanted, removeChannelFolder } from './channel.js';
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
          // The kernel channel's folder of a local engine's container goes with it.
          const channel = info.Mounts?.find((m) => m.Destination === CHANNEL_TARGET)?.Source;
          if (channel && channelWanted(docker, {})) removeChannelFolder(channel);
        } catch (err) {
          // Already gone (another codecell reaped it first) is fine; anything else is left for next time.
          if ((err as { statusCode?: number }).statusCode !== 404) return;
        }
      }),
  );
  return removed;
}
