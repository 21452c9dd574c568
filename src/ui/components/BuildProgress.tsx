// The image build while the chat waits for it: the step, a bar, the elapsed time, the latest line of output.
import { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import { plainLine } from '../../render/build-progress.js';
import { buildFraction, type BuildState } from '../build-state.js';

const BAR = 24;

export function BuildProgress({ state, width }: { state: BuildState; width: number }) {
  const [, tick] = useState(0);
  useEffect(() => {
    // The elapsed time moves even while a long step prints nothing.
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);
  const seconds = Math.floor((Date.now() - state.startedAt) / 1000);
  const filled = Math.round(buildFraction(state) * BAR);
  const steps = state.step && state.total ? ` step ${state.step}/${state.total}` : '';
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  const download = state.download ? ` · ${mb(state.download.current)}/${mb(state.download.total)} MB` : '';
  const what = state.stepText ?? state.phase ?? 'starting the build';
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text wrap="truncate-end">
        <Text color="yellow">building the sandbox image</Text>
        <Text dimColor> · </Text>
        <Text>{plainLine(what, Math.max(10, width - 30))}</Text>
      </Text>
      <Text>
        <Text color="cyan">{'█'.repeat(filled)}</Text>
        <Text dimColor>{'░'.repeat(BAR - filled)}</Text>
        <Text>{`${steps} · ${seconds}s${download}`}</Text>
        <Text dimColor> · first use: type your first prompt meanwhile</Text>
      </Text>
      <Text dimColor wrap="truncate-end">
        {state.line ? plainLine(state.line, Math.max(10, width - 2)) : ' '}
      </Text>
    </Box>
  );
}
