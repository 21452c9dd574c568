// Captured cell output lines, dimmed, under a left rule.
import { Box } from 'ink';
import { Lines } from './Lines.js';

export function OutputBlock({ lines, stream = 'stdout' }: { lines: string[]; stream?: 'stdout' | 'stderr' }) {
  return (
    <Box paddingLeft={2}>
      <Lines text={lines.join('\n')} color={stream === 'stderr' ? 'yellow' : undefined} />
    </Box>
  );
}
