// The chat's first run without a working model setup: offer the first-run screen, save the choice privately, or print the manual steps.
import { ConfigFile } from '../config/file.js';
import { isChatModel, pickModel, type LocalServer } from '../llm/local-servers.js';
import { sanitize } from '../render/sanitize.js';
import { configDir } from '../store/paths.js';
import { findLocalServers, probedList } from './model-server.js';

export type FirstRunOutcome = 'configured' | 'quit';

/** What to type to set codecell up without the screen. */
export function manualSteps(servers: LocalServer[]): string[] {
  const local = servers.find((s) => pickModel(s.models));
  const localLine = local
    ? `  codecell config set baseUrl ${local.baseURL} && codecell config set model ${pickModel(local.models)!.model}   # the ${local.label} server found here`
    : '  ollama serve & ollama pull qwen2.5-coder   # or start LM Studio, llama.cpp or vLLM: codecell finds them on their usual ports';
  return [
    'codecell: no model is set up. To do it by hand, either:',
    '  export OPENAI_API_KEY=sk-...              # or, saved privately: codecell config set apiKey sk-...',
    localLine,
    'then check everything with `codecell doctor`, and start the chat with `codecell`.',
  ];
}

/**
 * Runs the first-run screen (the caller has checked that stdin and stdout are a terminal). Saves an API
 * key or a local server and model in the config file (0600, in a 0700 folder) and says where.
 */
export async function firstRun(env: NodeJS.ProcessEnv = process.env): Promise<FirstRunOutcome> {
  // Only chat models are offered: an embedding model would fail the first prompt.
  const servers = (await findLocalServers(env)).map((s) => ({ ...s, models: s.models.filter((m) => isChatModel(m.id)) })).filter((s) => s.models.length > 0);
  const file = new ConfigFile(configDir(env));
  const { askFirstRun } = await import('../ui/first-run.js');
  const choice = await askFirstRun({
    configPath: file.path,
    probed: probedList(env),
    servers: servers.map((s) => {
      const suggested = pickModel(s.models);
      return { label: s.label, baseURL: s.baseURL, models: s.models.map((m) => m.id), ...(suggested ? { suggested } : {}) };
    }),
  });
  if (choice.kind === 'quit') {
    process.stdout.write(manualSteps(servers).map(sanitize).join('\n') + '\n');
    return 'quit';
  }
  if (choice.kind === 'key') {
    await file.set('apiKey', choice.apiKey);
    process.stderr.write(`codecell: saved the API key to ${file.path} (readable only by you)\n`);
  } else {
    await file.set('baseUrl', choice.baseURL);
    await file.set('model', choice.model);
    process.stderr.write(sanitize(`codecell: saved ${choice.baseURL} with ${choice.model} to ${file.path}`) + '\n');
  }
  return 'configured';
}
