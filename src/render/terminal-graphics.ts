// Which way this terminal can show pictures: the environment first, then (where safe) a short query.
import { execFileSync } from 'node:child_process';
import { createSupportsTerminalGraphics } from 'supports-terminal-graphics';
import type { GraphicsProtocol } from './graphics.js';
import { DEFAULT_CELL, type CellSize } from './image-fit.js';
import type { ImageMode } from './image-mode.js';

/** How pictures will be drawn: a graphics protocol, coloured half-blocks, or only a line with the path. */
export type ImageMethod = GraphicsProtocol | 'blocks' | 'none';

export interface TerminalImages {
  method: ImageMethod;
  /** Cell size in pixels: reported by the terminal, else a guess (`cellReported` false). */
  cell: CellSize;
  cellReported: boolean;
  /** Escapes must go through tmux's passthrough. */
  tmux: boolean;
  /** Something to tell the user once (e.g. why half-blocks inside tmux). */
  note?: string;
}

export interface QueryAnswer {
  kitty: boolean;
  sixel: boolean;
  cell?: CellSize;
  /** The terminal answered at all (DA1 arrived). */
  answered: boolean;
}

export type TerminalQuery = () => Promise<QueryAnswer | undefined>;

export interface DetectOptions {
  mode: ImageMode;
  env?: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** Asks the terminal itself; undefined when it cannot be asked (stdin is not a terminal). */
  query?: TerminalQuery;
  /** tmux's allow-passthrough setting; read from tmux when not given. */
  tmuxPassthrough?: () => boolean;
  /** Protocols the environment names (supports-terminal-graphics); replaceable in tests. */
  envSupport?: (env: NodeJS.ProcessEnv) => { kitty: boolean; iterm2: boolean; sixel: boolean };
}

const KITTY_QUERY = '\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\';
const CELL_QUERY = '\x1b[16t';
/** XTSMGRAPHICS: the sixel drawing area in pixels (xterm answers this but not CELL_QUERY by default). */
const GRAPHICS_AREA_QUERY = '\x1b[?2;1;0S';
const DA1 = '\x1b[c';

/** The escapes sent to ask the terminal; DA1 goes last because every terminal answers it. */
export const QUERY = KITTY_QUERY + CELL_QUERY + GRAPHICS_AREA_QUERY + DA1;

const ANSWERS = [/\x1b\[\?[\d;]*c/g, /\x1b\[6;\d+;\d+t/g, /\x1b\[\?2;\d+;\d+;\d+S/g, /\x1b_G[^\x1b]*\x1b\\/g];

/** What is left of the input once the answers are taken out: keys typed while we waited. */
export function withoutAnswers(text: string): string {
  return ANSWERS.reduce((t, re) => t.replace(re, ''), text);
}

/**
 * Reads the answers to QUERY out of what the terminal sent back; done once DA1's answer is in.
 * `grid` (columns × rows) turns the graphics area into a cell size when the cell query goes unanswered.
 */
export function parseAnswer(text: string, grid?: { columns: number; rows: number }): QueryAnswer & { done: boolean } {
  const da1 = /\x1b\[\?([\d;]*)c/.exec(text);
  const cellAnswer = /\x1b\[6;(\d+);(\d+)t/.exec(text);
  const area = /\x1b\[\?2;0;(\d+);(\d+)S/.exec(text);
  const attrs = da1 ? da1[1]!.split(';') : [];
  let cell: CellSize | undefined;
  if (cellAnswer && Number(cellAnswer[1]) > 0 && Number(cellAnswer[2]) > 0) cell = { height: Number(cellAnswer[1]), width: Number(cellAnswer[2]) };
  else if (area && grid && grid.columns > 0 && grid.rows > 0) {
    const width = Math.floor(Number(area[1]) / grid.columns);
    const height = Math.floor(Number(area[2]) / grid.rows);
    if (width > 0 && height > 0) cell = { width, height };
  }
  return {
    kitty: /\x1b_Gi=31;OK\x1b\\/.test(text),
    sixel: attrs.slice(1).includes('4'),
    ...(cell ? { cell } : {}),
    answered: da1 !== null,
    done: da1 !== null,
  };
}

/**
 * Sends QUERY and waits up to `timeoutMs` for the DA1 answer, with the input in raw mode so nothing is
 * echoed. The answers are consumed here (they never reach the prompt); anything else read meanwhile
 * (keys typed early) is put back for whoever reads the input next. A terminal that answers nothing
 * costs the timeout once and gets half-blocks.
 */
export function queryTerminal(stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream, timeoutMs = 400): Promise<QueryAnswer | undefined> {
  if (!stdin.isTTY || !stdout.isTTY) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const wasRaw = stdin.isRaw;
    let text = '';
    const finish = (answer: QueryAnswer | undefined): void => {
      clearTimeout(timer);
      stdin.off('data', onData);
      stdin.pause();
      try {
        stdin.setRawMode(wasRaw);
      } catch {
        // the terminal went away
      }
      const typed = withoutAnswers(text);
      if (typed) stdin.unshift(Buffer.from(typed));
      resolve(answer);
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      const a = parseAnswer(text, { columns: stdout.columns, rows: stdout.rows });
      if (a.done) finish({ kitty: a.kitty, sixel: a.sixel, answered: true, ...(a.cell ? { cell: a.cell } : {}) });
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    try {
      stdin.setRawMode(true);
    } catch {
      finish(undefined);
      return;
    }
    stdin.on('data', onData);
    stdin.resume();
    stdout.write(QUERY);
  });
}

function tmuxAllowsPassthrough(): boolean {
  try {
    const v = execFileSync('tmux', ['show', '-gv', 'allow-passthrough'], { encoding: 'utf8', timeout: 1000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return v === 'on' || v === 'all';
  } catch {
    return false;
  }
}

const fromEnv = (env: NodeJS.ProcessEnv): { kitty: boolean; iterm2: boolean; sixel: boolean } => {
  // The library reads process.env; it is only consulted for the real environment.
  if (env !== process.env) return { kitty: false, iterm2: false, sixel: false };
  return createSupportsTerminalGraphics({ isTTY: true } as NodeJS.WriteStream);
};

/** Picks how pictures are drawn for `mode` in this terminal. */
export async function detectImages(options: DetectOptions): Promise<TerminalImages> {
  const env = options.env ?? process.env;
  const base = { cell: DEFAULT_CELL, cellReported: false, tmux: false };
  const term = (env.TERM ?? '').toLowerCase();
  if (options.mode === 'off' || !options.isTTY) return { ...base, method: 'none' };
  if ((env.NO_COLOR !== undefined && env.NO_COLOR !== '') || term === 'dumb') return { ...base, method: 'none' };
  if (options.mode === 'blocks') return { ...base, method: 'blocks' };

  const inTmux = Boolean(env.TMUX);
  const inScreen = !inTmux && (Boolean(env.STY) || term.startsWith('screen'));
  if (inScreen) {
    if (options.mode !== 'auto') return { ...base, method: options.mode };
    return { ...base, method: 'blocks', note: 'inside GNU screen figures are drawn with half-blocks (screen passes no terminal graphics through)' };
  }
  if (inTmux) {
    const allows = options.tmuxPassthrough ?? tmuxAllowsPassthrough;
    if (options.mode !== 'auto') return { ...base, method: options.mode, tmux: allows() };
    const support = (options.envSupport ?? fromEnv)(env);
    const method: ImageMethod = support.kitty ? 'kitty' : support.iterm2 ? 'iterm' : support.sixel ? 'sixel' : 'blocks';
    // Nothing to pass through: tmux itself is not asked.
    if (method === 'blocks') return { ...base, method };
    if (!allows()) {
      return {
        ...base,
        method: 'blocks',
        note: 'inside tmux without passthrough figures are drawn with half-blocks (enable real pictures with `tmux set -g allow-passthrough on`)',
      };
    }
    return { ...base, method, tmux: true };
  }

  // Asking is safe on terminals that ignore escapes they do not know; the Linux console prints some.
  const canAsk = options.query !== undefined && term !== 'linux' && term !== '';
  const answer = canAsk ? await options.query!() : undefined;
  const cell = answer?.cell ? { cell: answer.cell, cellReported: true } : {};
  if (options.mode !== 'auto') return { ...base, ...cell, method: options.mode };
  const support = (options.envSupport ?? fromEnv)(env);
  const method: ImageMethod = support.kitty || answer?.kitty ? 'kitty' : support.iterm2 ? 'iterm' : support.sixel || answer?.sixel ? 'sixel' : 'blocks';
  return { ...base, ...cell, method };
}
