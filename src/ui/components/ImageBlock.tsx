// An inline image, drawn once (so <Static> keeps it across repaints): half-block text, a graphic, or a line saying why not.
import { Box, Text } from 'ink';
import type { ImageRender } from '../../render/image.js';
import { sanitize } from '../../render/sanitize.js';
import { imageWriter } from '../image-writer.js';
import { Lines } from './Lines.js';

export function ImageBlock({ render, width, height, path }: { render: ImageRender | null; width: number; height: number; path?: string }) {
  const label = `image ${width}×${height}${path ? ` → ${sanitize(path)}` : ''}`;
  if (render?.ok && render.kind === 'graphic') {
    // The marker line and the blank rows under it are the picture's space; the writer draws over them.
    return (
      <Box flexDirection="column">
        <Box height={render.rows} flexDirection="column">
          <Text>{imageWriter.marker(render)}</Text>
        </Box>
        <Box paddingLeft={2}>
          <Text dimColor>{label}</Text>
        </Box>
      </Box>
    );
  }
  if (render?.ok) {
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
