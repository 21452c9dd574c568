// Effective settings: flags > environment > config file > defaults, remembering where each value came from.
import path from 'node:path';
import { resolveOutDir } from '../store/paths.js';
import { configDir } from '../store/paths.js';
import { ConfigError, ConfigFile } from './file.js';
import { loadProjectConfig, resolvePipPath, type ProjectConfig } from './project.js';
import { KEYS, KEY_NAMES, type ConfigKey, type KeyInfo, type Parsed, type Settings } from './keys.js';

export type ValueSource = 'flag' | 'env' | 'file' | 'project' | 'default' | 'unset';

export interface ValueOrigin {
  source: ValueSource;
  /** The environment variable or flag the value came from. */
  name?: string;
}

export interface ResolvedConfig {
  settings: Settings;
  origins: Record<ConfigKey, ValueOrigin>;
  /** Each effective value in its stored form ("1g", 120, true ...); absent when unset. */
  stored: Partial<Record<ConfigKey, Parsed<unknown>['stored']>>;
  configPath?: string;
  /** The codecell.json whose packages were added (apt and pip). */
  projectPath?: string;
  /** Lenient mode only: keys whose value was invalid (the default was used instead). */
  problems: Partial<Record<ConfigKey, ConfigError>>;
}

type Env = Record<string, string | undefined>;

export interface ResolveInput {
  /** Command-line values by config key (strings as typed, or already-typed values); undefined = not given. */
  flags?: Partial<Record<ConfigKey, unknown>>;
  env?: Env;
  /** The config file, or its contents; defaults to the file in configDir(env). */
  file?: ConfigFile | Record<string, unknown>;
  /** Folder a relative outDir is resolved against. */
  cwd?: string;
  /** Record invalid values in `problems` and fall back to the default instead of throwing (`config list`). */
  lenient?: boolean;
  /** The project file (codecell.json); undefined looks for one from `cwd` up, null means none. */
  project?: ProjectConfig | null;
}

/** `--max-turns` for maxTurns: the flag spelling used in messages. */
export function flagName(key: ConfigKey): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Parses one value for a key or throws a ConfigError naming the valid range. */
export function parseValue<K extends ConfigKey>(key: K, input: unknown, where?: string): Parsed<Settings[K]> {
  const info = KEYS[key] as KeyInfo<K>;
  const parsed = info.parse(input);
  if (parsed) return parsed;
  const from = where ? ` (${where})` : '';
  throw new ConfigError(`${key} must be ${info.range}${from}`);
}

function withFix<T>(fn: () => T, fix: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.message, fix);
    throw err;
  }
}

export function resolveConfig(input: ResolveInput = {}): ResolvedConfig {
  const env = input.env ?? process.env;
  const flags = input.flags ?? {};
  let fileValues: Record<string, unknown>;
  let configPath: string | undefined;
  if (input.file === undefined || input.file instanceof ConfigFile) {
    const file = input.file ?? new ConfigFile(configDir(env));
    fileValues = file.all();
    configPath = file.path;
  } else {
    fileValues = input.file;
  }

  const values: Partial<Record<ConfigKey, unknown>> = {};
  const origins = {} as Record<ConfigKey, ValueOrigin>;
  const stored: ResolvedConfig['stored'] = {};
  const problems: ResolvedConfig['problems'] = {};

  for (const key of KEY_NAMES) {
    const info = KEYS[key] as KeyInfo;
    let parsed: Parsed<unknown> | undefined;
    let origin: ValueOrigin = { source: 'unset' };

    const flag = flags[key];
    const envName = info.env.find((name) => env[name] !== undefined && env[name]!.trim() !== '');
    try {
      if (flag !== undefined) {
        origin = { source: 'flag', name: flagName(key) };
        parsed = parseValue(key, flag, `from ${flagName(key)}`);
      } else if (envName) {
        origin = { source: 'env', name: envName };
        parsed = withFix(() => parseValue(key, env[envName], `from the environment variable ${envName}`), `Fix or unset ${envName}.`);
      } else if (fileValues[key] !== undefined) {
        origin = { source: 'file' };
        const where = `in the config file${configPath ? ` ${configPath}` : ''}`;
        parsed = withFix(() => parseValue(key, fileValues[key], where), `Run \`codecell config set ${key} VALUE\` or \`codecell config unset ${key}\`.`);
      } else if (info.default !== undefined) {
        origin = { source: 'default' };
        parsed = info.parse(info.default);
      }
    } catch (err) {
      if (!input.lenient || !(err instanceof ConfigError)) throw err;
      problems[key] = err;
      origin = info.default !== undefined ? { source: 'default' } : { source: 'unset' };
      parsed = info.default !== undefined ? info.parse(info.default) : undefined;
    }
    origins[key] = origin;
    if (parsed) {
      values[key] = parsed.value;
      stored[key] = parsed.stored;
    }
  }

  const settings = values as Settings;
  const cwd = input.cwd ?? process.cwd();
  settings.outDir = resolveOutDir(settings.outDir, cwd);
  // Local pip paths count from the file that names them: the config file's folder, or the current folder.
  const pipBase = origins.pip.source === 'file' && configPath ? path.dirname(configPath) : cwd;
  settings.pip = (settings.pip ?? []).map((spec) => resolvePipPath(spec, pipBase));
  settings.apt ??= [];

  // The project file adds its packages to the global lists (the union: one's usual libraries plus the project's).
  let project: ProjectConfig | undefined;
  try {
    project = input.project === undefined ? loadProjectConfig(cwd) : (input.project ?? undefined);
  } catch (err) {
    if (!input.lenient || !(err instanceof ConfigError)) throw err;
    problems.apt = err;
  }
  if (project) {
    for (const key of ['apt', 'pip'] as const) {
      const added = project[key].filter((item) => !settings[key].includes(item));
      if (added.length === 0) continue;
      settings[key] = [...settings[key], ...added];
      stored[key] = settings[key];
      origins[key] = { source: 'project', name: project.path };
    }
  }
  return { settings, origins, stored, problems, ...(configPath ? { configPath } : {}), ...(project ? { projectPath: project.path } : {}) };
}

/** Describes an origin for `config list`: "flag --timeout", "env OPENAI_API_KEY", "file", "default". */
export function describeOrigin(origin: ValueOrigin): string {
  return origin.name ? `${origin.source} ${origin.name}` : origin.source;
}
