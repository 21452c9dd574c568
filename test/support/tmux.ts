// Drives a real program in a real pseudo-terminal through tmux: start, send keys, read the screen, clean up.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { skipOrFail } from './gate.js';

export interface TerminalOptions {
  columns?: number;
  rows?: number;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/** True when tmux can be run here. */
export function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
}

/** Like the Docker gate: without tmux, skip loudly locally, fail under CI=true. */
export function tmuxOrSkip(what = 'the pseudo-terminal tests'): boolean {
  return hasTmux() || skipOrFail(what, 'tmux is not installed (apt-get install tmux)');
}

/**
 * A program under test runs in a real terminal, not in CI: Ink (through is-in-ci) draws only the last
 * frame when CI is set, so the test run's CI=true must not reach it unless a test asks for it.
 */
export const NOT_IN_CI: Record<string, undefined> = { CI: undefined, CONTINUOUS_INTEGRATION: undefined };

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * One tmux server per terminal (its own socket), so tests never touch the user's tmux and can run
 * side by side. The command's exit status is written to a file when it ends, so tests can check it.
 */
export class Terminal {
  readonly socket = `codecell-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly session = 'main';
  private closed = false;

  private constructor(private readonly statusFile: string) {}

  static start(command: string, options: TerminalOptions = {}): Terminal {
    const statusFile = `/tmp/${`codecell-tmux-${process.pid}-${randomBytes(4).toString('hex')}`}.status`;
    const t = new Terminal(statusFile);
    const programEnv: Record<string, string | undefined> = { ...NOT_IN_CI, ...options.env };
    const env = { ...process.env, ...options.env };
    const exports = Object.entries(programEnv)
      .map(([k, v]) => (v === undefined ? `unset ${k};` : `export ${k}=${quote(v)};`))
      .join(' ');
    const script = `${exports} ${command}; echo $? > ${quote(statusFile)}; sleep 3600`;
    t.tmux(
      [
        'new-session',
        '-d',
        '-s',
        t.session,
        '-x',
        String(options.columns ?? 100),
        '-y',
        String(options.rows ?? 30),
        ...(options.cwd ? ['-c', options.cwd] : []),
        `bash --norc --noprofile -c ${quote(script)}`,
      ],
      env,
    );
    // A fixed size even if a client attaches, and no status bar stealing a row.
    t.tmux(['set-option', '-t', t.session, 'status', 'off']);
    return t;
  }

  private tmux(args: string[], env: NodeJS.ProcessEnv = process.env): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env });
  }

  /** Sends keys the tmux way: 'Enter', 'C-c', 'M-Enter', 'Up', or literal text with { literal: true }. */
  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', this.session, ...keys]);
  }

  /** Types text literally (no key-name interpretation). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', this.session, '-l', text]);
  }

  /** Types a line and presses Enter, the way a user submits a prompt. */
  submit(text: string): void {
    this.type(text);
    this.keys('Enter');
  }

  /** Pastes text as a bracketed paste, the way a terminal delivers a real paste. */
  paste(text: string): void {
    this.tmux(['set-buffer', '-b', 'p', text]);
    this.tmux(['paste-buffer', '-p', '-b', 'p', '-t', this.session]);
  }

  /** The visible screen as plain text (add scrollback lines with `history`). */
  screen(history = 0): string {
    return this.tmux(['capture-pane', '-p', '-t', this.session, ...(history ? ['-S', String(-history)] : [])]);
  }

  /** The visible screen with its colours and attributes as SGR escapes (capture-pane -e). */
  styledScreen(): string {
    return this.tmux(['capture-pane', '-p', '-e', '-t', this.session]);
  }

  /** Everything on screen and in scrollback. */
  all(): string {
    return this.screen(10_000);
  }

  /** Process ids of what runs in the pane (the shell's children), e.g. to find the containers they own. */
  programPids(): number[] {
    if (this.closed) return [];
    let pane: number;
    try {
      pane = Number(this.tmux(['display-message', '-p', '-t', this.session, '#{pane_pid}']).trim());
    } catch {
      return [];
    }
    const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pane)], { encoding: 'utf8' });
    return r.stdout
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  }

  resize(columns: number, rows: number): void {
    this.tmux(['resize-window', '-t', this.session, '-x', String(columns), '-y', String(rows)]);
  }

  /** Waits until the screen (with scrollback) matches; throws with the screen in the message. */
  async waitFor(pattern: string | RegExp, timeoutMs = 20_000, what?: string): Promise<string> {
    const end = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < end) {
      text = this.all();
      if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what ?? String(pattern)}; screen:\n${this.screen()}`);
  }

  /** The command's exit status once it has ended, else undefined. */
  exitStatus(): number | undefined {
    const r = spawnSync('cat', [this.statusFile], { encoding: 'utf8' });
    return r.status === 0 && r.stdout.trim() !== '' ? Number(r.stdout.trim()) : undefined;
  }

  async waitForExit(timeoutMs = 20_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const s = this.exitStatus();
      if (s !== undefined) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the program did not exit within ${timeoutMs} ms; screen:\n${this.screen()}`);
  }

  /** Kills the tmux server (and with it the program, by SIGHUP). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
    // tmux leaves its socket file behind; one per test adds up.
    const socketDir = `${process.env.TMUX_TMPDIR ?? '/tmp'}/tmux-${process.getuid?.() ?? 0}`;
    spawnSync('rm', ['-f', this.statusFile, `${socketDir}/${this.socket}`]);
  }
}
