// Command-line flags shared by the commands, and the effective settings they resolve to (flags > env > file > defaults).
import type { Command } from 'commander';
import { resolveConfig } from '../config/resolve.js';
import type { ConfigKey, Settings } from '../config/keys.js';
import { sandboxOptionsFrom } from '../config/sandbox-options.js';
import type { SandboxSettings } from './sandbox-setup.js';

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
  budget?: string;
  confirm?: boolean;
  images?: boolean;
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
    .option('--backend <name>', 'where cells run: auto, docker, podman or bubblewrap (default auto)')
    .option('--max-output <bytes>', 'bytes of output per cell before it is cut and the cell stopped');
}

export function addModelFlags(cmd: Command): Command {
  return cmd
    .option('-m, --model <name>', 'model name (default gpt-4o-mini)')
    .option('--base-url <url>', 'OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama')
    .option('--max-turns <n>', 'most model calls per prompt (default 20)')
    .option('--budget <usd>', 'stop when the session has cost more than this many US dollars')
    .option('--confirm', 'ask before running each cell');
}

export interface LoadedSettings {
  settings: Settings;
  sandbox: SandboxSettings;
  outDir: string;
  modelOutputChars: number;
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
  budget: 'budget',
  confirm: 'confirm',
  images: 'images',
};

/**
 * Resolves settings. With `cmd`, only options the user actually typed count as flags (commander fills
 * defaults such as `images: true` for `--no-images`, which must not override the config file).
 */
export function loadSettings(flags: CommonFlags, cmd?: Command, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  const given: Partial<Record<ConfigKey, unknown>> = {};
  for (const [flag, key] of Object.entries(FLAG_KEYS) as [keyof CommonFlags, ConfigKey][]) {
    const value = flags[flag];
    if (value === undefined) continue;
    if (cmd && cmd.getOptionValueSource(flag) !== 'cli') continue;
    given[key] = value;
  }
  const { settings } = resolveConfig({ flags: given, env });
  const options = sandboxOptionsFrom(settings);
  return {
    settings,
    outDir: settings.outDir,
    modelOutputChars: settings.modelOutputChars,
    sandbox: {
      limits: options.limits ?? {},
      ...(options.image ? { image: options.image } : {}),
      ...(options.runtime ? { runtime: options.runtime } : {}),
    },
  };
}
