// Doctor checks for the terminal: colours, an image protocol for figures, and its size.
import { createSupportsTerminalGraphics } from 'supports-terminal-graphics';
import { check, type Check } from '../shared/check.js';

type Stream = Pick<NodeJS.WriteStream, 'isTTY' | 'columns' | 'rows'> & { getColorDepth?: (env?: object) => number };

/** The chat is laid out for at least this many columns. */
export const MIN_COLUMNS = 60;

export function checkTerminal(stream: Stream = process.stdout, env: NodeJS.ProcessEnv = process.env): Check[] {
  const base = { group: 'terminal' as const, required: false };
  if (!stream.isTTY) {
    const why = 'not checked: output is not a terminal (piped or redirected)';
    return [
      check({ ...base, id: 'colours', title: 'colours', status: 'skip', detail: why }),
      check({ ...base, id: 'graphics', title: 'graphics', status: 'skip', detail: why }),
      check({ ...base, id: 'size', title: 'size', status: 'skip', detail: why }),
    ];
  }
  const checks: Check[] = [];
  const depth = stream.getColorDepth?.(env) ?? 4;
  const names: Record<number, string> = { 1: 'none', 4: '16 colours', 8: '256 colours', 24: 'true colour (16 million)' };
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') {
    checks.push(
      check({
        ...base,
        id: 'colours',
        title: 'colours',
        status: 'ok',
        detail: 'off: NO_COLOR is set (figures become a line with their path)',
        data: { depth: 1, noColor: true },
      }),
    );
  } else if (depth < 4) {
    checks.push(
      check({
        ...base,
        id: 'colours',
        title: 'colours',
        status: 'warn',
        detail: `none (TERM=${env.TERM ?? 'unset'})`,
        fix: 'Set TERM to your terminal, e.g. `export TERM=xterm-256color`.',
        data: { depth },
      }),
    );
  } else {
    checks.push(
      check({
        ...base,
        id: 'colours',
        title: 'colours',
        status: 'ok',
        detail: `${names[depth] ?? `${depth}-bit`} (TERM=${env.TERM ?? 'unset'})`,
        data: { depth },
      }),
    );
  }
  const g = createSupportsTerminalGraphics(stream as NodeJS.WriteStream);
  const protocols = (['kitty', 'iterm2', 'sixel'] as const).filter((p) => g[p]);
  if (protocols.includes('kitty') || protocols.includes('iterm2')) {
    checks.push(
      check({
        ...base,
        id: 'graphics',
        title: 'graphics',
        status: 'ok',
        detail: `${protocols.join(', ')}: run and exec draw figures as real images (the chat uses half-blocks)`,
        data: { protocols },
      }),
    );
  } else {
    checks.push(
      check({
        ...base,
        id: 'graphics',
        title: 'graphics',
        status: 'warn',
        detail: `no image protocol detected${protocols.length ? ` (only ${protocols.join(', ')}, which codecell does not draw)` : ''}: figures are drawn as coloured half-blocks`,
        fix: 'For sharp figures in run and exec use a terminal with the kitty or iTerm2 image protocol (kitty, WezTerm, Ghostty, iTerm2); half-blocks work everywhere.',
        data: { protocols },
      }),
    );
  }
  const columns = stream.columns ?? 0;
  const rows = stream.rows ?? 0;
  if (columns && columns < MIN_COLUMNS) {
    checks.push(
      check({
        ...base,
        id: 'size',
        title: 'size',
        status: 'warn',
        detail: `${columns}×${rows}: narrower than the chat's ${MIN_COLUMNS} columns`,
        fix: 'Widen the window.',
        data: { columns, rows },
      }),
    );
  } else {
    checks.push(check({ ...base, id: 'size', title: 'size', status: 'ok', detail: `${columns}×${rows}`, data: { columns, rows } }));
  }
  return checks;
}
