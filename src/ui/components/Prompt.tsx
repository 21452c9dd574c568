// The input prompt: the draft with a visible cursor, continuation lines indented.
import { Box, Text } from 'ink';
import type { Draft } from '../editor.js';

export function Prompt({ draft, active, label = '› ' }: { draft: Draft; active: boolean; label?: string }) {
  const before = draft.text.slice(0, draft.cursor);
  const cp = draft.text.codePointAt(draft.cursor);
  const at = draft.text.slice(draft.cursor, draft.cursor + (cp !== undefined && cp > 0xffff ? 2 : 1));
  const after = draft.text.slice(draft.cursor + at.length);
  const cursorChar = at === '' || at === '\n' ? ' ' : at;
  const indent = (s: string) => s.replace(/\n/g, '\n' + ' '.repeat(label.length));
  return (
    <Box>
      <Text color={active ? 'cyan' : 'gray'} bold>
        {label}
      </Text>
      <Text>
        {indent(before)}
        {active ? <Text inverse>{cursorChar}</Text> : null}
        {indent((at === '\n' ? '\n' : '') + after)}
      </Text>
    </Box>
  );
}
