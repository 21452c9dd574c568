// The cell being run: a spinner with elapsed time and the last lines of its output.
import { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import Spinner from 'ink-spinner';
import { formatDuration } from '../../shared/format.js';
import { sanitize } from '../../render/sanitize.js';

export interface RunningCellProps {
  startedAt: number;
  tail: string[];
  /** The unfinished last line, raw from the sandbox. */
  partial: string;
  maxLines: number;
  interrupting: boolean;
}

export function RunningCell({ startedAt, tail, partial, maxLines, interrupting }: RunningCellProps) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    // 10 fps is enough for a clock and keeps Ink's repaint cost low.
    const t = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(t);
  }, []);
  // A progress bar rewrites its line with \r: show only what is after the last one.
  const last = partial ? sanitize(partial.slice(partial.lastIndexOf('\r') + 1)) : '';
  const lines = (last ? [...tail, last] : tail).slice(-maxLines);
  return (
    <Box flexDirection="column" paddingLeft={2}>
      {lines.length > 0 ? (
        <Text dimColor wrap="truncate-end">
          {lines.join('\n')}
        </Text>
      ) : null}
      <Text>
        <Text color="cyan">
          <Spinner type="dots" />
        </Text>
        <Text> running {formatDuration(now - startedAt)}</Text>
        <Text dimColor>{interrupting ? ' · interrupting… (Ctrl-C again restarts the kernel)' : ' · Ctrl-C interrupts'}</Text>
      </Text>
    </Box>
  );
}
