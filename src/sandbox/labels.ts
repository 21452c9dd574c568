// Labels put on every codecell container, and how to tell an orphan (its codecell process is gone).
import os from 'node:os';
import { processAlive } from '../shared/process.js';

export const LABEL_APP = 'dev.codecell.app';
export const LABEL_HOST = 'dev.codecell.host';
export const LABEL_PID = 'dev.codecell.pid';
export const LABEL_STARTED = 'dev.codecell.started';
export const LABEL_KERNEL = 'dev.codecell.kernel';
/** One DockerSandbox: its kernels, including replacements after a restart. */
export const LABEL_INSTANCE = 'dev.codecell.sandbox';

export function ownerLabels(extra: Record<string, string> = {}): Record<string, string> {
  return {
    [LABEL_APP]: 'codecell',
    [LABEL_HOST]: os.hostname(),
    [LABEL_PID]: String(process.pid),
    [LABEL_STARTED]: new Date().toISOString(),
    ...extra,
  };
}

/** True when the container's owning codecell process ran on this host and no longer exists. */
export function isOrphan(labels: Record<string, string> | undefined, hostname = os.hostname()): boolean {
  if (labels?.[LABEL_APP] !== 'codecell') return false;
  if (labels[LABEL_HOST] !== hostname) return false;
  const pid = Number(labels[LABEL_PID]);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return false;
  return !processAlive(pid);
}
