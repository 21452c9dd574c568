// The batch progress screen: finished tasks scroll above; below, counts, rate, ETA and each running task's last line.
import { Box, Static, Text } from 'ink';
import { useEffect, useState } from 'react';
import type { BatchProgress, ProgressSnapshot } from '../../batch/progress.js';
import { formatDuration } from '../../shared/format.js';
import type { TaskResult } from '../../batch/results.js';
import { finishedLine, oneLine } from '../../batch/summary.js';

export interface BatchViewProps {
  progress: BatchProgress;
  /** Finished results in order; the view appends what it has not drawn yet. */
  finished: () => TaskResult[];
  columns: number;
  /** Most running tasks drawn at once (keeps the live area shorter than the terminal). */
  maxRunning: number;
}

export function BatchView({ progress, finished, columns, maxRunning }: BatchViewProps) {
  const [snap, setSnap] = useState<ProgressSnapshot>(() => progress.snapshot());
  const [done, setDone] = useState<TaskResult[]>(() => [...finished()]);
  useEffect(() => {
    const update = (): void => {
      setSnap(progress.snapshot());
      setDone([...finished()]);
    };
    const off = progress.subscribe(update);
    // Elapsed time and ETA move even when no task reports anything.
    const tick = setInterval(update, 1000);
    return () => {
      off();
      clearInterval(tick);
    };
  }, [progress, finished]);

  const toRun = snap.total - snap.skipped;
  const width = Math.max(40, columns - 1);
  return (
    <Box flexDirection="column">
      <Static items={done.map((result, index) => ({ result, index }))}>
        {({ result, index }) => (
          <Text key={`${result.id}-${index}`} color={result.status === 'ok' ? undefined : 'red'} wrap="truncate-end">
            {finishedLine(result, index + 1, toRun, width)}
          </Text>
        )}
      </Static>
      {snap.notes.slice(-3).map((note, i) => (
        <Text key={`note-${i}`} color="yellow" wrap="truncate-end">
          {oneLine(note, width)}
        </Text>
      ))}
      <Text wrap="truncate-end">
        <Text bold>
          {snap.done}/{toRun} done
        </Text>
        {'  '}
        <Text color="cyan">{snap.running.length} running</Text>
        {'  '}
        <Text color={snap.failed ? 'red' : undefined}>{snap.failed} failed</Text>
        {snap.skipped ? `  ${snap.skipped} skipped` : ''}
        {`  ${snap.ratePerMin.toFixed(1)}/min`}
        {`  ETA ${snap.etaMs !== undefined ? formatDuration(snap.etaMs) : '—'}`}
        {`  elapsed ${formatDuration(snap.elapsedMs)}`}
        {snap.spentUsd ? `  $${snap.spentUsd.toFixed(4)}` : ''}
      </Text>
      {snap.running.slice(0, maxRunning).map((task) => (
        <Text key={task.id} dimColor wrap="truncate-end">
          {`  ${task.id}  ${formatDuration(snap.now - task.startedAt)}${task.attempt > 1 ? ` (attempt ${task.attempt})` : ''}  ${oneLine(task.lastLine || 'starting…', width)}`}
        </Text>
      ))}
      {snap.running.length > maxRunning ? <Text dimColor>{`  … ${snap.running.length - maxRunning} more running`}</Text> : null}
    </Box>
  );
}
