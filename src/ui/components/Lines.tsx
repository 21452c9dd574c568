// Pre-coloured multi-line text as one <Text> per line: Ink re-tokenises ANSI per string, which is quadratic in its length.
import { Box, Text } from 'ink';

export function Lines({ text, dim = false, color }: { text: string; dim?: boolean; color?: string }) {
  const lines = text.split('\n');
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} dimColor={dim} color={color}>
          {line === '' ? ' ' : line}
        </Text>
      ))}
    </Box>
  );
}
