// Whether a process on this host still exists, for clean-ups that remove what a dead codecell left behind.

/** True when `pid` exists (signal 0 reaches it, or it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
