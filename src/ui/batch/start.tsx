// Mounts the batch progress view on the terminal and takes it down again, leaving the terminal as it was.
import { render } from 'ink';
import type { BatchProgress } from '../../batch/progress.js';
import type { TaskResult } from '../../batch/results.js';
import { BatchView } from './BatchView.js';

export interface BatchViewHandle {
  /** Draws the last frame and unmounts; the summary can be printed after it. */
  stop(): Promise<void>;
}

export function startBatchView(progress: BatchProgress, finished: () => TaskResult[], stdout: NodeJS.WriteStream = process.stdout): BatchViewHandle {
  const columns = stdout.columns || 100;
  const rows = stdout.rows || 24;
  const instance = render(<BatchView progress={progress} finished={finished} columns={columns} maxRunning={Math.max(1, Math.min(12, rows - 6))} />, {
    stdout,
    // The batch handles Ctrl-C itself (first stops scheduling, second quits); the view reads no keys.
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 10,
  });
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, 50));
      try {
        instance.unmount();
      } catch {
        // already unmounted
      }
      stdout.write('\x1b[?25h');
    },
  };
}
