// Code the model is writing, revealed with the typing effect; reports when the reveal has caught up.
import { useEffect, useRef, useState } from 'react';
import { Box, Text } from 'ink';
import { TypingPacer } from '../../render/typing.js';
import { CodeBlock } from './CodeBlock.js';

export interface LiveCodeProps {
  callId: string;
  code: string;
  done: boolean;
  /** Lines of code shown at most; the live area must stay shorter than the terminal. */
  maxLines: number;
  onRevealed: (callId: string) => void;
  /** Frame interval for the reveal, ms. */
  frameMs?: number;
}

export function LiveCode({ callId, code, done, maxLines, onRevealed, frameMs = 33 }: LiveCodeProps) {
  const pacer = useRef<TypingPacer | null>(null);
  const [shown, setShown] = useState('');
  pacer.current ??= new TypingPacer();

  useEffect(() => {
    pacer.current!.settle(code, Date.now());
  }, [code]);

  useEffect(() => {
    const p = pacer.current!;
    const timer = setInterval(() => {
      p.tick(Date.now());
      setShown(p.revealed);
      if (done && p.caughtUp) {
        clearInterval(timer);
        onRevealed(callId);
      }
    }, frameMs);
    return () => clearInterval(timer);
  }, [done, callId, onRevealed, frameMs]);

  const lines = shown.split('\n');
  const hidden = Math.max(0, lines.length - maxLines);
  return (
    <Box flexDirection="column" marginTop={1}>
      {hidden > 0 ? (
        <Text dimColor>
          {' '}
          … {hidden} line{hidden === 1 ? '' : 's'} above
        </Text>
      ) : null}
      <CodeBlock code={lines.slice(hidden).join('\n')} cursor={!done || shown.length < code.length} />
    </Box>
  );
}
