// One dim line under the prompt: a hint, completion candidates, or what Ctrl-C will do next.
import { Text } from 'ink';

export function StatusLine({ text, tone = 'dim' }: { text: string; tone?: 'dim' | 'warn' }) {
  if (!text) return null;
  return tone === 'warn' ? (
    <Text color="yellow" wrap="truncate-end">
      {text}
    </Text>
  ) : (
    <Text dimColor wrap="truncate-end">
      {text}
    </Text>
  );
}
