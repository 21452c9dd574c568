// `codecell config get | set | unset | list | path`: read and change the config file, show where each value comes from.
import type { Command } from 'commander';
import { join } from 'node:path';
import type { ConfigKey } from '../../config/keys.js';
import { CONFIG_KEY_NAMES } from '../../config/key-names.js';
import { configDir } from '../../store/paths.js';
import { sanitize } from '../../render/sanitize.js';
import { EXIT_FAILURE, UsageError } from '../errors.js';

/** Streams and environment, replaceable so tests can run the command in-process. */
export interface ConfigIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
}

const processIO: ConfigIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

type ConfigLayer = typeof import('../../config/keys.js') &
  typeof import('../../config/resolve.js') &
  typeof import('../../config/file.js') &
  typeof import('../../config/project.js');
let layer: ConfigLayer | undefined;

/**
 * The config layer (conf, zod and the key table), loaded before any `config …` command runs (a preAction
 * hook), not when the command is registered or shows its help: `--help` must not pay for it.
 */
async function loadConfigLayer(): Promise<void> {
  const [keys, resolve, file, project] = await Promise.all([
    import('../../config/keys.js'),
    import('../../config/resolve.js'),
    import('../../config/file.js'),
    import('../../config/project.js'),
  ]);
  layer ??= { ...keys, ...resolve, ...file, ...project };
}

function configLayer(): ConfigLayer {
  if (!layer) throw new Error('the config layer was used before loadConfigLayer()');
  return layer;
}

/** A key argument: a config key, or `prices.<model>` for one row of the prices table. */
interface KeyArg {
  key: ConfigKey;
  model?: string;
}

function keyArg(name: string): KeyArg {
  const { findKey, KEY_NAMES } = configLayer();
  const price = /^prices\.(.+)$/i.exec(name);
  if (price) return { key: 'prices', model: price[1]! };
  const key = findKey(name);
  if (!key) throw new UsageError(`unknown config key ${JSON.stringify(name)}`, `Valid keys: ${KEY_NAMES.join(', ')} (and prices.<model>).`);
  return { key };
}

/** `0.15,0.6`, `0.15/0.6` or `{"input":0.15,"output":0.6}` → a prices row. */
function priceRow(value: string): unknown {
  const pair = /^\s*([\d.]+)\s*[,/]\s*([\d.]+)\s*$/.exec(value);
  if (pair) return { input: Number(pair[1]), output: Number(pair[2]) };
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function show(key: ConfigKey, value: unknown, showSecrets: boolean): string {
  const { formatStored, KEYS, maskSecret } = configLayer();
  const text = formatStored(value);
  return KEYS[key].secret && !showSecrets && typeof value === 'string' ? maskSecret(text) : text;
}

export function registerConfig(program: Command, io: ConfigIO = processIO): void {
  const config = program
    .command('config')
    .description('show and change settings (model, base URL, API key, output folder, limits, prices)')
    .addHelpText('after', () => `\nKeys: ${CONFIG_KEY_NAMES.join(', ')}\nRun \`codecell config list\` for values, sources and ranges.`);
  config.hook('preAction', async () => {
    await loadConfigLayer();
  });
  const out = (text: string) => io.stdout.write(text);
  const file = () => new (configLayer().ConfigFile)(configDir(io.env));

  config
    .command('get <key>')
    .description('print the effective value of a key (environment, config file or default)')
    .option('--show-secrets', 'print the API key instead of a masked form')
    .action((name: string, opts: { showSecrets?: boolean }) => {
      const { resolveConfig } = configLayer();
      const { key, model } = keyArg(name);
      const resolved = resolveConfig({ env: io.env, file: file(), lenient: true });
      const problem = resolved.problems[key];
      if (problem) throw problem;
      let value: unknown = resolved.stored[key];
      if (model !== undefined) value = (value as Record<string, unknown> | undefined)?.[model];
      if (value === undefined) {
        io.stderr.write(`codecell: ${name} is not set\n`);
        process.exitCode = EXIT_FAILURE;
        return;
      }
      out(sanitize(show(key, value, opts.showSecrets === true)) + '\n');
    });

  config
    .command('set <key> <value>')
    .description('save a value in the config file (value "-" reads it from stdin, e.g. for apiKey)')
    .action(async (name: string, raw: string) => {
      const { KEYS, parseValue } = configLayer();
      const { key, model } = keyArg(name);
      let input = raw === '-' ? (await io.readStdin()).replace(/\r?\n$/, '') : raw;
      const cfg = file();
      let parsedInput: unknown = input;
      if (model !== undefined) {
        const current = cfg.get('prices');
        const table = current && typeof current === 'object' ? { ...(current as Record<string, unknown>) } : {};
        table[model] = priceRow(input);
        parsedInput = table;
        input = JSON.stringify(table);
      }
      // A wheel or folder named from here means this one, wherever codecell runs later.
      if (key === 'pip') {
        const specs = parseValue('pip', parsedInput).value;
        parsedInput = specs.map((spec) => configLayer().resolvePipPath(spec, process.cwd()));
      }
      const parsed = parseValue(key, parsedInput);
      await cfg.set(key, parsed.stored);
      out(
        `${name} = ${sanitize(show(key, model !== undefined ? (parsed.stored as Record<string, unknown>)[model] : parsed.stored, false))}  (saved to ${cfg.path})\n`,
      );
      const envName = KEYS[key].env.find((n) => io.env[n]?.trim());
      if (envName) io.stderr.write(`codecell: note: ${envName} is set and takes precedence over the config file\n`);
    });

  config
    .command('unset <key>')
    .description('remove a key from the config file (its default applies again)')
    .action(async (name: string) => {
      const { KEYS, formatStored } = configLayer();
      const { key, model } = keyArg(name);
      const cfg = file();
      if (model !== undefined) {
        const current = cfg.get('prices');
        if (current && typeof current === 'object' && model in current) {
          const table = { ...(current as Record<string, unknown>) };
          delete table[model];
          await cfg.set('prices', table);
        }
      } else {
        await cfg.delete(key);
      }
      const def = KEYS[key].default;
      out(`${name} unset${model === undefined && def !== undefined ? ` (default: ${formatStored(def)})` : ''}\n`);
    });

  config
    .command('list')
    .description('show every key with its effective value and where it comes from')
    .option('--json', 'print a JSON array')
    .option('--show-secrets', 'print the API key instead of a masked form')
    .action((opts: { json?: boolean; showSecrets?: boolean }) => {
      const { KEYS, KEY_NAMES, describeOrigin, formatStored, resolveConfig } = configLayer();
      const cfg = file();
      const resolved = resolveConfig({ env: io.env, file: cfg, lenient: true });
      const showSecrets = opts.showSecrets === true;
      const rows = KEY_NAMES.map((key) => {
        const info = KEYS[key];
        const value = resolved.stored[key];
        return {
          key,
          value: value === undefined ? null : KEYS[key].secret && !showSecrets ? show(key, value, false) : value,
          source: resolved.origins[key].source,
          ...(resolved.origins[key].name ? { from: resolved.origins[key].name } : {}),
          default: info.default ?? null,
          range: info.range,
          env: info.env,
          description: info.description,
          ...(resolved.problems[key] ? { problem: resolved.problems[key]!.message } : {}),
        };
      });
      if (opts.json) {
        out(JSON.stringify({ path: cfg.path, keys: rows }, null, 2) + '\n');
        return;
      }
      const width = Math.max(...KEY_NAMES.map((k) => k.length));
      const values = rows.map((r) => (r.value === null ? '(unset)' : sanitize(formatStored(r.value))));
      const valueWidth = Math.min(40, Math.max(...values.map((v) => v.length)));
      for (const [i, r] of rows.entries()) {
        out(`${r.key.padEnd(width)}  ${values[i]!.padEnd(valueWidth)}  ${describeOrigin(resolved.origins[r.key])}\n`);
        if (r.problem) out(`${''.padEnd(width)}  ! ignored an invalid value: ${sanitize(r.problem)}\n`);
      }
      out(`\nconfig file: ${cfg.path}\n`);
    });

  config
    .command('path')
    .description('print the config file path')
    .action(() => {
      out(join(configDir(io.env), 'config.json') + '\n');
    });
}
