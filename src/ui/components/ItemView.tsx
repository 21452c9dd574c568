// One finished transcript item, drawn once inside <Static>.
import { Box, Text } from 'ink';
import type { Item } from '../transcript.js';
import { unreachable } from '../../core/events.js';
import { sanitize } from '../../render/sanitize.js';
import { renderMarkdown } from '../../render/markdown.js';
import { useDisplay } from '../settings.js';
import { formatBytes, formatDuration } from '../../shared/format.js';
import { statusWords } from '../format.js';
import { CodeBlock } from './CodeBlock.js';
import { OutputBlock } from './OutputBlock.js';
import { ImageBlock } from './ImageBlock.js';
import { Lines } from './Lines.js';

/** Reasoning can run to pages; the transcript keeps its start, dimmed. */
const REASONING_LINES = 12;

export function ItemView({ item, width, sessionId }: { item: Item; width: number; sessionId: string }) {
  const { color } = useDisplay();
  switch (item.kind) {
    case 'user':
      return (
        <Box marginTop={1}>
          <Text color="cyan" bold>
            {'› '}
          </Text>
          <Text>{item.text}</Text>
        </Box>
      );
    case 'assistant':
      return (
        <Box marginTop={1}>
          <Lines text={renderMarkdown(item.text, { width: Math.max(20, width - 1), color })} />
        </Box>
      );
    case 'reasoning': {
      const lines = item.text.split('\n');
      const shown = lines.slice(0, REASONING_LINES);
      return (
        <Box marginTop={1} flexDirection="column">
          <Text dimColor italic>
            {shown.join('\n')}
          </Text>
          {lines.length > shown.length ? <Text dimColor>… {lines.length - shown.length} more lines of reasoning</Text> : null}
        </Box>
      );
    }
    case 'code':
      return (
        <Box marginTop={1}>
          <CodeBlock code={item.code} />
        </Box>
      );
    case 'output':
      return <OutputBlock lines={item.lines} />;
    case 'cell_end': {
      const s = statusWords(item.status);
      return (
        <Box flexDirection="column" paddingLeft={2}>
          {item.hiddenLines > 0 ? (
            <Text dimColor>
              … {item.hiddenLines} more line{item.hiddenLines === 1 ? '' : 's'} (full output: {item.fullOutputPath ?? `codecell sessions show ${sessionId}`})
            </Text>
          ) : null}
          <Text>
            <Text color={s.color}>{s.text}</Text>
            {item.status === 'skipped' ? null : <Text dimColor> in {formatDuration(item.durationMs)}</Text>}
            {item.message ? <Text color={s.color}> · {item.message}</Text> : null}
          </Text>
          {item.stateLost ? <Text color="yellow">the kernel was restarted: variables from earlier cells are gone</Text> : null}
        </Box>
      );
    }
    case 'image':
      return <ImageBlock render={item.render} width={item.width} height={item.height} path={item.path} />;
    case 'file':
      return (
        <Box paddingLeft={2}>
          <Text>
            <Text color="green">saved </Text>
            <Text>{sanitize(item.file.path)}</Text>
            <Text dimColor> ({formatBytes(item.file.size)})</Text>
          </Text>
        </Box>
      );
    case 'traceback':
      return (
        <Box flexDirection="column" paddingLeft={2}>
          {item.traceback.length > 0 ? <Lines text={item.traceback.join('\n')} color="red" /> : null}
          {item.traceback.join('\n').includes(item.ename) ? null : (
            <Text color="red" bold>
              {item.ename}
              {item.evalue ? `: ${item.evalue}` : ''}
            </Text>
          )}
        </Box>
      );
    case 'error':
      return (
        <Box flexDirection="column" marginTop={1}>
          <Text color="red" bold>
            error: {item.message}
          </Text>
          {item.fix ? <Text color="yellow"> fix: {item.fix}</Text> : null}
        </Box>
      );
    case 'notice':
      return <Text color={item.level === 'warn' ? 'yellow' : 'gray'}>{item.text}</Text>;
    case 'info':
      return (
        <Box marginTop={1} flexDirection="column">
          <Lines text={item.lines.join('\n')} />
        </Box>
      );
    default:
      return unreachable(item);
  }
}
