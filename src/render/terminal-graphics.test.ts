import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { detectImages, parseAnswer, queryTerminal, QUERY, withoutAnswers, type QueryAnswer } from './terminal-graphics.js';
import { parseImageMode } from './image-mode.js';

const KITTY_OK = '\x1b_Gi=31;OK\x1b\\';
const XTERM_DA1 = '\x1b[?63;1;2;4;6;9;15;16;22;28c';
const PLAIN_DA1 = '\x1b[?62;1;6;9;15;22c';
const none = () => ({ kitty: false, iterm2: false, sixel: false });
const answer = (a: Partial<QueryAnswer>) => async (): Promise<QueryAnswer> => ({ kitty: false, sixel: false, answered: true, ...a });

describe('parseAnswer', () => {
  it('reads kitty, sixel and the cell size, and is done only once DA1 is in', () => {
    expect(parseAnswer(KITTY_OK).done).toBe(false);
    expect(parseAnswer(KITTY_OK + '\x1b[6;18;9t' + PLAIN_DA1)).toEqual({
      kitty: true,
      sixel: false,
      cell: { width: 9, height: 18 },
      answered: true,
      done: true,
    });
    expect(parseAnswer(XTERM_DA1)).toMatchObject({ kitty: false, sixel: true, done: true });
  });

  it('takes the cell size from the sixel graphics area when the cell query goes unanswered (xterm)', () => {
    expect(parseAnswer('\x1b[?2;0;960;680S' + XTERM_DA1, { columns: 120, rows: 40 }).cell).toEqual({ width: 8, height: 17 });
  });

  it('does not count the first DA1 attribute (the terminal class) as sixel', () => {
    expect(parseAnswer('\x1b[?4;6c').sixel).toBe(false);
  });
});

describe('withoutAnswers', () => {
  it('keeps keys typed while waiting and drops every answer', () => {
    expect(withoutAnswers(`he${KITTY_OK}l\x1b[6;18;9tl\x1b[?2;0;960;680So${XTERM_DA1}\r`)).toBe('hello\r');
  });
});

describe('queryTerminal', () => {
  const tty = () => {
    const stdin = Object.assign(new PassThrough(), {
      isTTY: true,
      isRaw: false,
      setRawMode(this: { isRaw: boolean }, raw: boolean) {
        this.isRaw = raw;
        return this;
      },
    });
    const written: string[] = [];
    const stdout = Object.assign(new PassThrough(), {
      isTTY: true,
      columns: 120,
      rows: 40,
      write: (s: string) => {
        written.push(s);
        return true;
      },
    });
    return { stdin: stdin as unknown as NodeJS.ReadStream & { isRaw: boolean }, stdout: stdout as unknown as NodeJS.WriteStream, written };
  };

  it('asks once, reads the answer in raw mode, restores the mode and gives back typed keys', async () => {
    const t = tty();
    const pending = queryTerminal(t.stdin, t.stdout, 2000);
    expect(t.written).toEqual([QUERY]);
    expect(t.stdin.isRaw).toBe(true);
    t.stdin.write(`ab${KITTY_OK}`);
    t.stdin.write(PLAIN_DA1);
    expect(await pending).toEqual({ kitty: true, sixel: false, answered: true });
    expect(t.stdin.isRaw).toBe(false);
    expect(t.stdin.read()?.toString()).toBe('ab');
  });

  it('gives up after the timeout when the terminal answers nothing', async () => {
    const t = tty();
    expect(await queryTerminal(t.stdin, t.stdout, 50)).toBeUndefined();
    expect(t.stdin.isRaw).toBe(false);
  });
});

describe('detectImages', () => {
  const tty = { isTTY: true, envSupport: none };

  it('prints only the path when images are off, NO_COLOR is set, the terminal is dumb or not a terminal', async () => {
    expect((await detectImages({ ...tty, mode: 'off', env: {} })).method).toBe('none');
    expect((await detectImages({ ...tty, mode: 'auto', env: { TERM: 'xterm', NO_COLOR: '1' } })).method).toBe('none');
    expect((await detectImages({ ...tty, mode: 'kitty', env: { TERM: 'dumb' } })).method).toBe('none');
    expect((await detectImages({ mode: 'auto', env: { TERM: 'xterm-kitty' }, isTTY: false })).method).toBe('none');
  });

  it('uses what the environment names before asking', async () => {
    let asked = false;
    const query = async () => {
      asked = true;
      return { kitty: false, sixel: true, answered: true };
    };
    const r = await detectImages({
      mode: 'auto',
      env: { TERM: 'xterm-kitty' },
      isTTY: true,
      envSupport: () => ({ kitty: true, iterm2: false, sixel: false }),
      query,
    });
    expect(r.method).toBe('kitty');
    expect(asked).toBe(true); // still asked, for the cell size
  });

  it('follows the terminal answer: kitty graphics, then sixel, else half-blocks', async () => {
    expect((await detectImages({ ...tty, mode: 'auto', env: { TERM: 'xterm-256color' }, query: answer({ kitty: true }) })).method).toBe('kitty');
    const sixel = await detectImages({ ...tty, mode: 'auto', env: { TERM: 'xterm' }, query: answer({ sixel: true, cell: { width: 8, height: 17 } }) });
    expect(sixel).toMatchObject({ method: 'sixel', cell: { width: 8, height: 17 }, cellReported: true });
    expect((await detectImages({ ...tty, mode: 'auto', env: { TERM: 'xterm' }, query: answer({}) })).method).toBe('blocks');
    expect((await detectImages({ ...tty, mode: 'auto', env: { TERM: 'xterm' }, query: async () => undefined })).method).toBe('blocks');
  });

  it('never asks the Linux console (it would print the query)', async () => {
    let asked = false;
    const r = await detectImages({
      ...tty,
      mode: 'auto',
      env: { TERM: 'linux' },
      query: async () => {
        asked = true;
        return undefined;
      },
    });
    expect(r.method).toBe('blocks');
    expect(asked).toBe(false);
  });

  it('keeps a forced protocol and still learns the cell size', async () => {
    const r = await detectImages({ ...tty, mode: 'sixel', env: { TERM: 'xterm' }, query: answer({ cell: { width: 7, height: 15 } }) });
    expect(r).toMatchObject({ method: 'sixel', cell: { width: 7, height: 15 } });
    expect((await detectImages({ ...tty, mode: 'blocks', env: { TERM: 'xterm-kitty' } })).method).toBe('blocks');
  });

  it('inside tmux: passthrough when enabled, else half-blocks with a note; screen gets half-blocks and a note', async () => {
    const kittyEnv = () => ({ kitty: true, iterm2: false, sixel: false });
    const env = { TERM: 'tmux-256color', TMUX: '/tmp/tmux-0/default,1,0', KITTY_WINDOW_ID: '1' };
    const on = await detectImages({ mode: 'auto', env, isTTY: true, envSupport: kittyEnv, tmuxPassthrough: () => true });
    expect(on).toMatchObject({ method: 'kitty', tmux: true });
    expect(on.note).toBeUndefined();
    const off = await detectImages({ mode: 'auto', env, isTTY: true, envSupport: kittyEnv, tmuxPassthrough: () => false });
    expect(off.method).toBe('blocks');
    expect(off.note).toContain('allow-passthrough on');
    const screen = await detectImages({ mode: 'auto', env: { TERM: 'screen', STY: '1.pts' }, isTTY: true, envSupport: kittyEnv });
    expect(screen.method).toBe('blocks');
    expect(screen.note).toContain('screen');
  });
});

describe('parseImageMode', () => {
  it('reads modes and the old true/false', () => {
    expect(parseImageMode('Kitty')).toBe('kitty');
    expect(parseImageMode('iterm2')).toBe('iterm');
    expect(parseImageMode(true)).toBe('auto');
    expect(parseImageMode(false)).toBe('off');
    expect(parseImageMode('png')).toBeUndefined();
  });
});
