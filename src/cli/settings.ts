// Command-line flags shared by the commands, and the effective settings they resolve to (flags > env > file > defaults).
import type { Command } from 'commander';
import type { ValueOrigin } from '../config/resolve.js';
import type { ConfigKey, Settings } from '../config/keys.js';
import type { SandboxSettings } from './sandbox-setup.js';
import { normalizeExtras, PackageSpecError, type ExtraPackages } from '../sandbox/extras.js';
import { UsageError } from './errors.js';

/** Option values as commander parses them (strings; the config layer validates and converts). */
export interface CommonFlags {
  outDir?: string;
  timeout?: string;
  memory?: string;
  cpus?: string;
  pids?: string;
  disk?: string;
  network?: boolean;
  image?: string;
  runtime?: string;
  backend?: string;
  maxOutput?: string;
  model?: string;
  baseUrl?: string;
  maxTurns?: string;
  tools?: string;
  budget?: string;
  confirm?: boolean;
  /** A mode from --images, or false from --no-images. */
  images?: string | boolean;
}

export function addSandboxFlags(cmd: Command): Command {
  return cmd
    .option('-o, --out-dir <dir>', 'folder for saved files (default ./codecell-output)')
    .option('-t, --timeout <seconds>', 'per-cell time limit in seconds (default 120)')
    .option('--memory <size>', 'sandbox memory limit, e.g. 512m, 2g (default 1g)')
    .option('--cpus <n>', 'sandbox CPU limit in cores (default 1)')
    .option('--pids <n>', 'max processes in the sandbox (default 256)')
    .option('--disk <size>', 'size of /mnt/data in the sandbox (default 512m)')
    .option('--network', 'give the sandbox network access (off by default)')
    .option('--image <ref>', 'sandbox image to run instead of the bundled one')
    .option('--runtime <name>', 'OCI runtime, e.g. runsc for gVisor')
    .option('--backend <name>', 'where cells run: auto, docker, podman, bubblewrap or firejail (default auto)')
    .option('--max-output <bytes>', 'bytes of output per cell before it is cut and the cell stopped');
}

export function addModelFlags(cmd: Command): Command {
  return cmd
    .option('-m, --model <name>', 'model name (default gpt-4o-mini)')
    .option('--base-url <url>', 'OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama')
    .option('--max-turns <n>', 'most model calls per prompt (default 20)')
    .option('--tools <mode>', 'auto, native or text: how the model runs code (text: ```python blocks, for models without tool calling; default auto)')
    .option('--budget <usd>', 'stop when the session has cost more than this many US dollars')
    .option('--confirm', 'ask before running each cell');
}

export interface LoadedSettings {
  settings: Settings;
  sandbox: SandboxSettings;
  outDir: string;
  modelOutputChars: number;
  /** The extra packages (config file, CODECELL_APT/CODECELL_PIP, codecell.json), checked. */
  extras: ExtraPackages;
  /** Where each value came from (a model the user named is kept when a local server is found). */
  origins: Record<ConfigKey, ValueOrigin>;
}

/** The settings' package lists, checked (Debian names, pip specs, local paths that exist). */
export function extrasOf(settings: Pick<Settings, 'apt' | 'pip'>): ExtraPackages {
  try {
    return normalizeExtras({ apt: settings.apt, pip: settings.pip });
  } catch (err) {
    if (err instanceof PackageSpecError)
      throw new UsageError(`extra packages: ${err.message}`, `${err.fix} (See \`codecell config list\` for where the lists come from.)`);
    throw err;
  }
}

const FLAG_KEYS: Record<keyof CommonFlags, ConfigKey> = {
  outDir: 'outDir',
  timeout: 'timeout',
  memory: 'memory',
  cpus: 'cpus',
  pids: 'pids',
  disk: 'disk',
  network: 'network',
  image: 'image',
  runtime: 'runtime',
  backend: 'backend',
  maxOutput: 'maxOutputBytes',
  model: 'model',
  baseUrl: 'baseUrl',
  maxTurns: 'maxTurns',
  tools: 'tools',
  budget: 'budget',
  confirm: 'confirm',
  images: 'images',
};

/**
 * Resolves settings. With `cmd`, only options the user actually typed count as flags (commander fills
 * defaults such as `images: true` for `--no-images`, which must not override the config file).
 * Async because the config layer (conf, zod) is loaded here, not when a command is registered: `--help`
 * must not pay for it.
 */
export async function loadSettings(flags: CommonFlags, cmd?: Command, env: NodeJS.ProcessEnv = process.env): Promise<LoadedSettings> {
  const [{ resolveConfig }, { sandboxOptionsFrom }] = await Promise.all([import('../config/resolve.js'), import('../config/sandbox-options.js')]);
  const given: Partial<Record<ConfigKey, unknown>> = {};
  for (const [flag, key] of Object.entries(FLAG_KEYS) as [keyof CommonFlags, ConfigKey][]) {
    const value = flags[flag];
    if (value === undefined) continue;
    if (cmd && cmd.getOptionValueSource(flag) !== 'cli') continue;
    given[key] = value;
  }
  const { settings, origins } = resolveConfig({ flags: given, env });
  const options = sandboxOptionsFrom(settings);
  return {
    settings,
    outDir: settings.outDir,
    modelOutputChars: settings.modelOutputChars,
    extras: extrasOf(settings),
    origins,
    sandbox: {
      limits: options.limits ?? {},
      ...(options.image ? { image: options.image } : {}),
      ...(options.runtime ? { runtime: options.runtime } : {}),
    },
  };
}
