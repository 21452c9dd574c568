// Where codecell keeps things on the host: the user data folder (sessions, history), the config folder, the output folder.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

type Env = Record<string, string | undefined>;

/** XDG variables must be absolute to count (the spec says relative ones are ignored). */
function xdg(env: Env, name: string): string | undefined {
  const value = env[name];
  return value && isAbsolute(value) ? value : undefined;
}

/** Expands a leading `~/` (users type it in config values and the shell does not expand it there). */
export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}

/** User data folder: $CODECELL_HOME, else $XDG_DATA_HOME/codecell, else ~/.local/share/codecell. */
export function dataDir(env: Env = process.env): string {
  if (env.CODECELL_HOME) return resolve(expandHome(env.CODECELL_HOME));
  return join(xdg(env, 'XDG_DATA_HOME') ?? join(homedir(), '.local', 'share'), 'codecell');
}

/** Recorded sessions, one JSONL file each. */
export function sessionsDir(env: Env = process.env): string {
  return join(dataDir(env), 'sessions');
}

/** Prompt history of the interactive chat. */
export function historyPath(env: Env = process.env): string {
  return join(dataDir(env), 'history');
}

/** Config folder: $CODECELL_CONFIG_DIR, else $XDG_CONFIG_HOME/codecell, else ~/.config/codecell. */
export function configDir(env: Env = process.env): string {
  if (env.CODECELL_CONFIG_DIR) return resolve(expandHome(env.CODECELL_CONFIG_DIR));
  return join(xdg(env, 'XDG_CONFIG_HOME') ?? join(homedir(), '.config'), 'codecell');
}

/** The default output folder name, relative to the current directory. */
export const DEFAULT_OUT_DIR = './codecell-output';

/** Resolves an output folder setting (relative means relative to `cwd`; `~/` is expanded). */
export function resolveOutDir(setting: string = DEFAULT_OUT_DIR, cwd: string = process.cwd()): string {
  return resolve(cwd, expandHome(setting));
}
