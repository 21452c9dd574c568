// The header line: model, sandbox state, output folder.
import { Box, Text } from 'ink';
import type { ChatHeader } from '../transcript.js';

const stateColor = { starting: 'yellow', ready: 'green', running: 'cyan', restarting: 'yellow', stopped: 'red' } as const;

export function Header({ header }: { header: ChatHeader }) {
  return (
    <Box>
      <Text wrap="truncate-end">
        <Text bold>codecell</Text>
        <Text dimColor> · </Text>
        <Text>{header.model}</Text>
        <Text dimColor> · sandbox </Text>
        <Text color={stateColor[header.sandbox]}>{header.sandbox === 'stopped' ? 'stopped (starts with the next cell)' : header.sandbox}</Text>
        <Text dimColor> · out </Text>
        <Text>{header.outDir}</Text>
      </Text>
    </Box>
  );
}
