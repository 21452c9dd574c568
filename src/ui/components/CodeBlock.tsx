// A Python code block with syntax highlighting and a left rule.
import { Box, Text } from 'ink';
import { highlightPython } from '../../render/highlight.js';
import { useDisplay } from '../settings.js';

export function CodeBlock({ code, cursor = false }: { code: string; cursor?: boolean }) {
  const { color } = useDisplay();
  const text = highlightPython(code.replace(/\n$/, ''), color);
  return (
    <Box borderStyle="single" borderLeft borderRight={false} borderTop={false} borderBottom={false} borderColor="gray" paddingLeft={1}>
      <Box flexDirection="column">
        {text.split('\n').map((line, i, all) => (
          <Text key={i}>
            {line}
            {cursor && i === all.length - 1 ? <Text inverse> </Text> : null}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
