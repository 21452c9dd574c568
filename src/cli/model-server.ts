// With no API key and no base URL, looks for a model server on this machine and uses it, saying so in one line.
import { needsApiKey, DEFAULT_BASE_URL } from '../llm/provider.js';
import {
  DEFAULT_LOCAL_ENDPOINTS,
  localEndpoints,
  pickModel,
  probeLocalServers,
  SERVER_LABELS,
  type LocalServer,
  type ModelChoice,
} from '../llm/local-servers.js';
import { ModelError } from '../llm/types.js';
import { sanitize } from '../render/sanitize.js';
import type { LoadedSettings } from './settings.js';
import { UsageError } from './errors.js';

/** True when the settings cannot reach a model: no key for a server that needs one (OpenAI by default). */
export function needsModelSetup(settings: { apiKey?: string; baseUrl?: string }): boolean {
  return !settings.apiKey && needsApiKey(settings.baseUrl);
}

/** "Ollama :11434, LM Studio :1234, …" for the endpoints probed. */
export function probedList(env: NodeJS.ProcessEnv = process.env): string {
  let endpoints = DEFAULT_LOCAL_ENDPOINTS;
  try {
    endpoints = localEndpoints(env);
  } catch {
    // reported where the probe runs
  }
  return endpoints.map((e) => `${SERVER_LABELS[e.kind]} :${e.port}`).join(', ') || 'none: CODECELL_LOCAL_SERVERS=off';
}

/** The error when there is no key and no local server: it names both ways out. */
export function noModelServer(env: NodeJS.ProcessEnv = process.env): ModelError {
  return new ModelError(
    'no_api_key',
    `no API key is set for ${DEFAULT_BASE_URL}, and no local model server answered (probed ${probedList(env)})`,
    'Either set a key: `export OPENAI_API_KEY=sk-...` or `codecell config set apiKey <key>`; ' +
      'or start a local model server (e.g. `ollama serve` and `ollama pull qwen2.5-coder`; LM Studio, llama.cpp and vLLM on their usual ports are found too), ' +
      'or point --base-url at one (`codecell config set baseUrl http://host:port/v1`).',
  );
}

/** Finds the local servers to offer, turning a bad CODECELL_LOCAL_SERVERS into a usage error. */
export async function findLocalServers(env: NodeJS.ProcessEnv = process.env): Promise<LocalServer[]> {
  let endpoints: ReturnType<typeof localEndpoints>;
  try {
    endpoints = localEndpoints(env);
  } catch (err) {
    throw new UsageError((err as Error).message, 'Fix or unset CODECELL_LOCAL_SERVERS, e.g. CODECELL_LOCAL_SERVERS=ollama:11434,vllm:8000 (or off).');
  }
  return probeLocalServers({ endpoints });
}

export interface LocalChoice {
  server: LocalServer;
  choice: ModelChoice;
}

/** The first server with a usable model; a model the user named is kept (on a server that offers it, if one does). */
export function chooseLocal(servers: LocalServer[], namedModel?: string): LocalChoice | undefined {
  if (namedModel && servers.length > 0) {
    const offering = servers.find((s) => s.models.some((m) => m.id === namedModel));
    const server = offering ?? servers.find((s) => s.models.length > 0) ?? servers[0]!;
    return { server, choice: { model: namedModel, reason: offering ? 'the model you set' : 'the model you set, though the server does not list it' } };
  }
  for (const server of servers) {
    const choice = pickModel(server.models);
    if (choice) return { server, choice };
  }
  return undefined;
}

/**
 * For run and batch: when neither a key nor a base URL is set, probe the usual local ports; use the first
 * server that offers a model and say which and why on stderr. Otherwise throw the error naming both ways out.
 */
export async function useLocalServerIfUnset(
  loaded: LoadedSettings,
  options: { quiet?: boolean; stderr?: NodeJS.WritableStream; env?: NodeJS.ProcessEnv } = {},
): Promise<LocalChoice | undefined> {
  const { settings, origins } = loaded;
  if (settings.apiKey || settings.baseUrl) return undefined;
  const env = options.env ?? process.env;
  const servers = await findLocalServers(env);
  const named = origins.model.source !== 'default' ? settings.model : undefined;
  const chosen = chooseLocal(servers, named);
  if (!chosen) {
    const empty = servers[0];
    if (empty) {
      const pull = empty.kind === 'ollama' ? '`ollama pull qwen2.5-coder`' : 'load a model in it';
      throw new UsageError(
        `no API key is set, and the local ${empty.label} server at ${empty.baseURL} offers no chat model`,
        `Fetch one (${pull}), or set a key: \`export OPENAI_API_KEY=sk-...\` or \`codecell config set apiKey <key>\`.`,
      );
    }
    throw noModelServer(env);
  }
  settings.baseUrl = chosen.server.baseURL;
  settings.model = chosen.choice.model;
  if (!options.quiet) {
    const line = `codecell: no API key or base URL set; using ${chosen.server.label} at ${chosen.server.baseURL} with ${chosen.choice.model} (${chosen.choice.reason})`;
    (options.stderr ?? process.stderr).write(sanitize(line) + '\n');
  }
  return chosen;
}
