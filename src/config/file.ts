// The config file (conf, JSON): private to its owner (0600 in a 0700 folder) because it can hold the API key.
import type Conf from 'conf';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../shared/user-error.js';
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
  /** conf, which writes the file atomically; loaded for the first write only (with ajv it costs more to load than a read). */
  private conf: Conf<Record<string, unknown>> | undefined;
  readonly path: string;

  /** `dir` defaults to $CODECELL_CONFIG_DIR, else $XDG_CONFIG_HOME/codecell, else ~/.config/codecell. */
  constructor(readonly dir: string = configDir()) {
    // conf would create the folder with the umask's mode; make it private first.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, 'config.json');
  }

  /** Every stored key and value (unknown keys included, so nothing is silently lost). */
  all(): Record<string, unknown> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw damaged(this.path, err);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw damaged(this.path, err);
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw damaged(this.path, new Error('it does not hold a JSON object'));
    return { ...(data as Record<string, unknown>) };
  }

  get(key: string): unknown {
    return this.all()[key];
  }

  /** Saves a value; a damaged file is reported at once (synchronously), not overwritten. */
  set(key: string, value: unknown): Promise<void> {
    this.all();
    return this.writer().then((conf) => {
      conf.set(key, value);
      this.keepPrivate();
    });
  }

  delete(key: string): Promise<void> {
    this.all();
    return this.writer().then((conf) => {
      conf.delete(key);
      this.keepPrivate();
    });
  }

  private async writer(): Promise<Conf<Record<string, unknown>>> {
    if (this.conf) return this.conf;
    const { default: ConfStore } = await import('conf');
    try {
      this.conf ??= new ConfStore<Record<string, unknown>>({
        projectName: 'codecell',
        projectSuffix: '',
        cwd: this.dir,
        configName: 'config',
        configFileMode: 0o600,
        // Model names contain dots (gpt-4.1), so keys are never paths.
        accessPropertiesByDotNotation: false,
        clearInvalidConfig: false,
      });
    } catch (err) {
      throw damaged(this.path, err);
    }
    return this.conf;
  }

  /** chmod after every write: a file created by an older version or by hand may be wider. */
  private keepPrivate(): void {
    if (existsSync(this.path)) chmodSync(this.path, 0o600);
  }
}
