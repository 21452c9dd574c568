// Confirm mode: asks whether to run the cell shown above.
import { Box, Text } from 'ink';

export function ApprovalPrompt({ editing }: { editing: boolean }) {
  return (
    <Box>
      {editing ? (
        <Text color="yellow">Edit the code below; Enter runs it, Esc goes back.</Text>
      ) : (
        <Text>
          <Text color="yellow" bold>
            Run this cell?{' '}
          </Text>
          <Text bold>y</Text>
          <Text dimColor> run · </Text>
          <Text bold>n</Text>
          <Text dimColor> skip · </Text>
          <Text bold>e</Text>
          <Text dimColor> edit</Text>
        </Text>
      )}
    </Box>
  );
}
