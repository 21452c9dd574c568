// `codecell doctor`: runs every check (engine, image, model server, terminal, files) and prints them with their fixes.
import type { Command } from 'commander';
import { check, readyToRun, type Check } from '../../shared/check.js';
import { ConfigFile } from '../../config/file.js';
import { resolveConfig } from '../../config/resolve.js';
import type { ConfigKey } from '../../config/keys.js';
import { checkModel } from '../../llm/checks.js';
import { formatDoctor } from '../../render/doctor.js';
import { checkTerminal } from '../../render/terminal-checks.js';
import { checkEngine, checkImage } from '../../sandbox/checks.js';
import { checkConfigFile, checkDataDir, checkOutDir } from '../../store/checks.js';
import { configDir } from '../../store/paths.js';
import { EXIT_FAILURE, EXIT_OK, type UsageError } from '../errors.js';
import { chooseLocal, findLocalServers, noModelServer } from '../model-server.js';
import { colorEnabled } from '../color.js';
import { VERSION } from '../version.js';

export interface DoctorFlags {
  json?: boolean;
  probe?: boolean;
  model?: string;
  baseUrl?: string;
  image?: string;
  outDir?: string;
}

/** Settings for the checks; a damaged config file is reported as a check, not thrown. */
function settingsFor(flags: DoctorFlags, cmd: Command) {
  const given: Partial<Record<ConfigKey, unknown>> = {};
  for (const [flag, key] of [
    ['model', 'model'],
    ['baseUrl', 'baseUrl'],
    ['image', 'image'],
    ['outDir', 'outDir'],
  ] as const) {
    if (flags[flag] !== undefined && cmd.getOptionValueSource(flag) === 'cli') given[key] = flags[flag];
  }
  let file: ConfigFile | Record<string, unknown>;
  try {
    file = new ConfigFile(configDir());
    file.all();
  } catch {
    file = {};
  }
  return resolveConfig({ flags: given, file, lenient: true });
}

async function modelChecks(flags: DoctorFlags, resolved: ReturnType<typeof resolveConfig>): Promise<Check[]> {
  const { settings, origins } = resolved;
  const probe = flags.probe !== false;
  const timeoutMs = Math.min(settings.requestTimeout, 120) * 1000;
  if (settings.apiKey || settings.baseUrl) {
    const from = origins.baseUrl.source === 'unset' ? 'OpenAI' : `from ${origins.baseUrl.name ?? 'the config file'}`;
    return checkModel({ baseURL: settings.baseUrl, apiKey: settings.apiKey, model: settings.model, prices: settings.prices, probe, timeoutMs, source: from });
  }
  const skipped = (why: string): Check[] =>
    (['api_key', 'model', 'tool_calling'] as const).map((id) =>
      check({
        id,
        group: 'model',
        title: id === 'api_key' ? 'API key' : id === 'tool_calling' ? 'tool calling' : 'model',
        status: 'skip',
        detail: `not checked: ${why}`,
        required: true,
      }),
    );
  let servers: Awaited<ReturnType<typeof findLocalServers>>;
  try {
    servers = await findLocalServers();
  } catch (err) {
    const e = err as UsageError;
    return [check({ id: 'server', group: 'model', title: 'server', status: 'fail', detail: e.message, fix: e.fix, required: true }), ...skipped('no server')];
  }
  const named = origins.model.source !== 'default' ? settings.model : undefined;
  const chosen = chooseLocal(servers, named);
  if (!chosen) {
    const empty = servers[0];
    const e = noModelServer();
    const detail = empty ? `no API key is set, and the local ${empty.label} server at ${empty.baseURL} offers no chat model` : e.message;
    const fix = empty ? `Fetch one (${empty.kind === 'ollama' ? '`ollama pull qwen2.5-coder`' : 'load a model in it'}), or set an API key.` : e.fix;
    return [check({ id: 'server', group: 'model', title: 'server', status: 'fail', detail, fix, required: true }), ...skipped('no server to ask')];
  }
  return checkModel({
    baseURL: chosen.server.baseURL,
    model: chosen.choice.model,
    prices: settings.prices,
    probe,
    timeoutMs,
    source: `no key or base URL set: ${chosen.server.label} found on its own; ${chosen.choice.model} chosen: ${chosen.choice.reason}`,
  });
}

async function sandboxChecks(image: string | undefined): Promise<Check[]> {
  const engine = await checkEngine();
  return [engine.checks[0]!, await checkImage(engine.docker, image), ...engine.checks.slice(1)];
}

export async function doctorCommand(flags: DoctorFlags, cmd: Command): Promise<number> {
  const resolved = settingsFor(flags, cmd);
  const live = !flags.json && process.stderr.isTTY === true;
  if (live)
    process.stderr.write(`checking the engine, the image, the model server${flags.probe === false ? '' : ' (one tiny request)'}, the terminal and folders…`);
  const [sandbox, model] = await Promise.all([sandboxChecks(resolved.settings.image), modelChecks(flags, resolved)]);
  if (live) process.stderr.write('\r\u001b[2K');
  const configProblems = Object.entries(resolved.problems).map(([key, err]) =>
    check({
      id: `config_${key}`,
      group: 'files',
      title: 'config value',
      status: 'fail',
      detail: err!.message,
      fix: err!.fix ?? `Fix it with \`codecell config set ${key} VALUE\`.`,
      required: true,
    }),
  );
  const checks = [
    ...sandbox,
    ...model,
    ...checkTerminal(process.stdout),
    checkConfigFile(),
    ...configProblems,
    checkDataDir(),
    checkOutDir(resolved.settings.outDir),
  ];
  const ready = readyToRun(checks);
  if (flags.json) {
    process.stdout.write(JSON.stringify({ version: VERSION, ready, checks }) + '\n');
  } else {
    process.stdout.write(
      formatDoctor(checks, {
        color: colorEnabled(process.stdout),
        version: VERSION,
        ...(process.stdout.isTTY && process.stdout.columns ? { width: process.stdout.columns } : {}),
      }).join('\n') + '\n',
    );
  }
  return ready ? EXIT_OK : EXIT_FAILURE;
}
