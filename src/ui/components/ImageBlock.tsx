// An inline image, already drawn to text once (so <Static> keeps it across repaints), or a line saying why not.
import { Box, Text } from 'ink';
import type { ImageRender } from '../../render/image.js';
import { Lines } from './Lines.js';

export function ImageBlock({ render, width, height, path }: { render: ImageRender | null; width: number; height: number; path?: string }) {
  const label = `image ${width}×${height}${path ? ` → ${path}` : ''}`;
  if (render && render.ok) {
    return (
      <Box flexDirection="column" paddingLeft={2}>
        <Lines text={render.text} />
        <Text dimColor>{label}</Text>
      </Box>
    );
  }
  return (
    <Box paddingLeft={2}>
      <Text dimColor>
        [{label}
        {render && !render.ok ? ` · ${render.reason}` : ''}]
      </Text>
    </Box>
  );
}
