// The input prompt: the draft with a visible cursor; Ink lines continuation lines up under the first.
import { Box, Text } from 'ink';
import type { Draft } from '../editor.js';

/** Shows at most `maxLines` lines of a long draft, the ones around the cursor. */
function window(draft: Draft, maxLines: number): { draft: Draft; above: number; below: number } {
  const lines = draft.text.split('\n');
  if (lines.length <= maxLines) return { draft, above: 0, below: 0 };
  const cursorLine = draft.text.slice(0, draft.cursor).split('\n').length - 1;
  const first = Math.max(0, Math.min(cursorLine - Math.floor(maxLines / 2), lines.length - maxLines));
  const offset = lines.slice(0, first).reduce((n, l) => n + l.length + 1, 0);
  const text = lines.slice(first, first + maxLines).join('\n');
  return { draft: { text, cursor: draft.cursor - offset }, above: first, below: lines.length - first - maxLines };
}

export function Prompt(props: { draft: Draft; active: boolean; label?: string; maxLines?: number }) {
  const { active, label = '› ' } = props;
  const shown = window(props.draft, props.maxLines ?? 12);
  const draft = shown.draft;
  const before = draft.text.slice(0, draft.cursor);
  const cp = draft.text.codePointAt(draft.cursor);
  const at = draft.text.slice(draft.cursor, draft.cursor + (cp !== undefined && cp > 0xffff ? 2 : 1));
  const after = draft.text.slice(draft.cursor + at.length);
  const cursorChar = at === '' || at === '\n' ? ' ' : at;
  return (
    <Box flexDirection="column">
      {shown.above > 0 ? (
        <Text dimColor>
          {' '}
          … {shown.above} more line{shown.above === 1 ? '' : 's'} above
        </Text>
      ) : null}
      <Box>
        <Text color={active ? 'cyan' : 'gray'} bold>
          {label}
        </Text>
        <Text>
          {before}
          {active ? <Text inverse>{cursorChar}</Text> : null}
          {(at === '\n' ? '\n' : '') + after}
        </Text>
      </Box>
      {shown.below > 0 ? (
        <Text dimColor>
          {' '}
          … {shown.below} more line{shown.below === 1 ? '' : 's'} below
        </Text>
      ) : null}
    </Box>
  );
}
