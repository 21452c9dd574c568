// The config file (conf, JSON): private to its owner (0600 in a 0700 folder) because it can hold the API key.
import Conf from 'conf';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../cli/errors.js';
import { configDir } from '../store/paths.js';

/** A config value or file that cannot be used; exits 2 with the fix. */
export class ConfigError extends UsageError {
  constructor(message: string, fix?: string) {
    super(message, fix);
    this.name = 'ConfigError';
  }
}

function damaged(path: string, err: unknown): ConfigError {
  return new ConfigError(
    `the config file ${path} cannot be read: ${err instanceof Error ? err.message : String(err)}`,
    'Fix the JSON by hand, or delete the file to start over.',
  );
}

export class ConfigFile {
  private readonly conf: Conf<Record<string, unknown>>;

  /** `dir` defaults to $CODECELL_CONFIG_DIR, else $XDG_CONFIG_HOME/codecell, else ~/.config/codecell. */
  constructor(readonly dir: string = configDir()) {
    // conf would create the folder with the umask's mode; make it private first.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      this.conf = new Conf<Record<string, unknown>>({
        projectName: 'codecell',
        projectSuffix: '',
        cwd: dir,
        configName: 'config',
        configFileMode: 0o600,
        // Model names contain dots (gpt-4.1), so keys are never paths.
        accessPropertiesByDotNotation: false,
        clearInvalidConfig: false,
      });
    } catch (err) {
      throw damaged(join(dir, 'config.json'), err);
    }
  }

  get path(): string {
    return this.conf.path;
  }

  /** Every stored key and value (unknown keys included, so nothing is silently lost). */
  all(): Record<string, unknown> {
    try {
      return { ...this.conf.store };
    } catch (err) {
      throw damaged(this.path, err);
    }
  }

  get(key: string): unknown {
    return this.all()[key];
  }

  set(key: string, value: unknown): void {
    this.all(); // a damaged file is reported, not overwritten
    this.conf.set(key, value);
    this.keepPrivate();
  }

  delete(key: string): void {
    this.all();
    this.conf.delete(key);
    this.keepPrivate();
  }

  /** chmod after every write: a file created by an older version or by hand may be wider. */
  private keepPrivate(): void {
    if (existsSync(this.path)) chmodSync(this.path, 0o600);
  }
}
