// Captured cell output lines, dimmed, under a left rule.
import { Box, Text } from 'ink';

export function OutputBlock({ lines, stream = 'stdout' }: { lines: string[]; stream?: 'stdout' | 'stderr' }) {
  return (
    <Box paddingLeft={2}>
      <Text color={stream === 'stderr' ? 'yellow' : undefined}>{lines.join('\n')}</Text>
    </Box>
  );
}
