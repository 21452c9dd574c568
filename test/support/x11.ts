// Real graphical terminals for tests: an Xvfb display, kitty (remote control) and xterm (xdotool), screenshots.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { PNG } from 'pngjs';
import { skipOrFail } from './gate.js';
import { NOT_IN_CI } from './tmux.js';

const TOOLS = { Xvfb: 'xvfb', kitty: 'kitty', xterm: 'xterm', import: 'imagemagick', xdotool: 'xdotool' } as const;

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Like the Docker gate: without the X11 tools, skip loudly locally, fail under CI=true. */
export function x11OrSkip(): boolean {
  const missing = Object.entries(TOOLS)
    .filter(([cmd]) => !has(cmd))
    .map(([, pkg]) => pkg);
  return missing.length === 0 || skipOrFail('the real-terminal tests', `they need ${missing.join(', ')} (apt-get install ${missing.join(' ')})`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An Xvfb display on the first free number from 91 (high, so it does not meet anyone else's). */
export class Display {
  private constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {}

  static async start(width = 1280, height = 800): Promise<Display> {
    for (let n = 91; n < 140; n++) {
      if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
      const proc = spawn('Xvfb', [`:${n}`, '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'], { stdio: 'ignore' });
      for (let i = 0; i < 50 && proc.exitCode === null; i++) {
        if (existsSync(`/tmp/.X11-unix/X${n}`)) return new Display(`:${n}`, proc);
        await sleep(100);
      }
      proc.kill();
    }
    throw new Error('no free X display between :91 and :139');
  }

  get env(): Record<string, string> {
    return { DISPLAY: this.name };
  }

  /** The whole screen as RGBA pixels (ImageMagick's import). */
  screenshot(savePath?: string): PNG {
    const dir = mkdtempSync(join(tmpdir(), 'cc-shot-'));
    const file = savePath ?? join(dir, 'shot.png');
    const r = spawnSync('import', ['-window', 'root', file], { env: { ...process.env, ...this.env }, stdio: 'ignore', timeout: 20_000 });
    if (r.status !== 0) throw new Error(`import -window root failed (${r.status})`);
    const png = PNG.sync.read(readFileSync(file));
    rmSync(dir, { recursive: true, force: true });
    return png;
  }

  /**
   * A screenshot once the screen has stopped changing: two in a row that differ in no more than
   * `tolerancePixels` (a blinking cursor). Throws when it keeps changing for `timeoutMs`.
   */
  async settledScreenshot(savePath?: string, timeoutMs = 15_000, tolerancePixels = 600): Promise<PNG> {
    const end = Date.now() + timeoutMs;
    let previous = this.screenshot();
    for (;;) {
      await sleep(250);
      const shot = this.screenshot();
      if (changedPixels(previous, shot) <= tolerancePixels) {
        if (savePath) writeFileSync(savePath, PNG.sync.write(shot));
        return shot;
      }
      if (Date.now() > end) throw new Error(`the screen kept changing for ${timeoutMs} ms`);
      previous = shot;
    }
  }

  stop(): void {
    this.proc.kill();
  }
}

/** How many pixels differ between two screenshots of the same display. */
function changedPixels(a: PNG, b: PNG): number {
  if (a.width !== b.width || a.height !== b.height) return Number.POSITIVE_INFINITY;
  let changed = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    if (a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2]) changed++;
  }
  return changed;
}

/** A terminal window running one command on the display. */
export interface XTerminalWindow {
  /** Types text as keys (with \r for Enter). */
  type(text: string): Promise<void>;
  /** The text the program has shown so far (escapes removed). */
  text(): string;
  /** Scrolls the view through the scrollback (kitty only): `start`, `end`, or kitty's amounts such as `2p-`. */
  scroll?(amount: string): void;
  /** Resizes the window to columns×rows cells (kitty only). */
  resize?(columns: number, rows: number): void;
  /** Resolves when the terminal has closed (its program ended); rejects after `timeoutMs`. */
  closed(timeoutMs: number): Promise<void>;
  close(): void;
}

/** The `closed` of a terminal process: its exit event, bounded. */
function closedWithin(proc: ChildProcess, timeoutMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the terminal did not close within ${timeoutMs} ms of its program's exit`)), timeoutMs);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The environment a program in the window gets: not in CI (see NOT_IN_CI), not in tmux or another kitty. */
function programEnv(display: Display, env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, ...display.env, LIBGL_ALWAYS_SOFTWARE: '1' };
  for (const [k, v] of Object.entries({ ...NOT_IN_CI, TMUX: undefined, KITTY_WINDOW_ID: undefined, ...env })) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** kitty with remote control on a private socket: text goes in with `send-text`, comes out with `get-text`. */
export function startKitty(
  display: Display,
  command: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; columns?: number; rows?: number } = {},
): XTerminalWindow {
  const dir = mkdtempSync(join(tmpdir(), 'cc-kitty-'));
  const socket = `unix:${join(dir, 'kitty.sock')}`;
  // A fixed font and window in cells make the layout the same on every machine.
  const proc = spawn(
    'kitty',
    [
      '--config',
      'NONE',
      '-o',
      'allow_remote_control=yes',
      '--listen-on',
      socket,
      '-o',
      'font_family=DejaVu Sans Mono',
      '-o',
      'font_size=10',
      '-o',
      'remember_window_size=no',
      '-o',
      `initial_window_width=${options.columns ?? 120}c`,
      '-o',
      `initial_window_height=${options.rows ?? 40}c`,
      '-o',
      'window_padding_width=0',
      '-o',
      'placement_strategy=top-left',
      '-o',
      'enable_audio_bell=no',
      ...command,
    ],
    { env: programEnv(display, options.env ?? {}), cwd: options.cwd, stdio: 'ignore', detached: true },
  );
  const kittyAt = (...args: string[]): string => {
    const r = spawnSync('kitty', ['@', '--to', socket, ...args], { encoding: 'utf8', env: { ...process.env, ...display.env }, timeout: 10_000 });
    if (r.status !== 0) throw new Error(`kitty @ ${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  };
  return {
    async type(text) {
      kittyAt('send-text', '--', text.replaceAll('\\', '\\\\').replaceAll('\r', '\\r'));
    },
    scroll(amount) {
      kittyAt('scroll-window', amount);
    },
    resize(columns, rows) {
      kittyAt('resize-os-window', '--unit', 'cells', '--width', String(columns), '--height', String(rows));
    },
    text() {
      try {
        return kittyAt('get-text', '--extent', 'all');
      } catch {
        return '';
      }
    },
    closed: (timeoutMs) => closedWithin(proc, timeoutMs),
    close() {
      try {
        process.kill(-proc.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * xterm (VT340 for sixel, or a plain VT420) with its output logged to a file; keys typed with xdotool.
 * xterm drops COLORTERM from the environment, so it is set again for the program (xterm shows 24-bit colour).
 */
export function startXterm(
  display: Display,
  command: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; vt340?: boolean; columns?: number; rows?: number } = {},
): XTerminalWindow {
  const dir = mkdtempSync(join(tmpdir(), 'cc-xterm-'));
  const log = join(dir, 'xterm.log');
  const proc = spawn(
    'xterm',
    [
      ...(options.vt340 === false ? ['-ti', 'vt420'] : ['-ti', 'vt340']),
      '-geometry',
      `${options.columns ?? 120}x${options.rows ?? 40}+0+0`,
      '-fa',
      'DejaVu Sans Mono',
      '-fs',
      '10',
      '-bg',
      'black',
      '-fg',
      'white',
      '-b',
      '0',
      '-l',
      '-lf',
      log,
      '-e',
      'env',
      'COLORTERM=truecolor',
      ...command,
    ],
    { env: programEnv(display, options.env ?? {}), cwd: options.cwd, stdio: 'ignore', detached: true },
  );
  const xdo = (...args: string[]): void => {
    spawnSync('xdotool', args, { env: { ...process.env, ...display.env }, timeout: 10_000 });
  };
  return {
    async type(text) {
      const window = spawnSync('xdotool', ['search', '--sync', '--class', 'xterm'], {
        encoding: 'utf8',
        env: { ...process.env, ...display.env },
        timeout: 10_000,
      })
        .stdout.trim()
        .split('\n')[0];
      if (window) xdo('windowfocus', '--sync', window);
      for (const part of text.split(/(\r)/)) {
        if (part === '\r') xdo('key', 'Return');
        else if (part) xdo('type', '--delay', '15', part);
      }
    },
    closed: (timeoutMs) => closedWithin(proc, timeoutMs),
    text() {
      try {
        // Sixel data and other escapes out: only what a reader would see.
        return stripVTControlCharacters(readFileSync(log, 'utf8').replace(/\x1bP[\s\S]*?\x1b\\/g, ''));
      } catch {
        return '';
      }
    },
    close() {
      try {
        process.kill(-proc.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until the window's text matches; throws with the last text. */
export async function waitForText(w: XTerminalWindow, pattern: string | RegExp, timeoutMs: number, what: string): Promise<string> {
  const end = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < end) {
    text = w.text();
    if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the terminal showed:\n${text.slice(-3000)}`);
}
