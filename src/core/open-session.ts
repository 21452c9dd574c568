// Builds a ready-to-use Session from settings: model client, sandbox, output folder, session log, uploads.
import fs from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Settings } from '../config/keys.js';
import { sandboxOptionsFrom } from '../config/sandbox-options.js';
import { createModelClient, DEFAULT_BASE_URL, needsApiKey, type ProtocolMemory } from '../llm/client.js';
import { protocolMemory } from '../store/protocol-memory.js';
import { noApiKey } from '../llm/errors.js';
import { priceFunction } from '../llm/prices.js';
import type { ChatMessage, ModelClient } from '../llm/types.js';
import { DockerSandbox, type KernelLauncher } from '../sandbox/docker-sandbox.js';
import type { Sandbox } from '../sandbox/types.js';
import { formatSize } from '../config/size.js';
import { OutputStore } from '../store/output-store.js';
import { SessionLog } from '../store/session-log.js';
import { historyFrom } from '../store/session-history.js';
import { sessionsDir } from '../store/paths.js';
import type { ApprovalHandler } from './session-api.js';
import { type Recorder, Session } from './session.js';
import { systemPrompt, type PromptContext } from './system-prompt.js';

/** A file to put into /mnt/data before the first cell. */
export interface Upload {
  /** Name under /mnt/data. */
  name: string;
  data: Buffer;
  /** The first lines, shown to the model in the system prompt (text files only). */
  preview?: string;
}

export interface OpenSessionOptions {
  settings: Settings;
  /** The engine and image, from prepareEngine (the caller shows build progress its own way). */
  engine: { docker: Docker | null; image: string; launcher?: KernelLauncher; packages?: { apt: string[]; pip: string[] } };
  approve?: ApprovalHandler;
  /** Resume this session id (or prefix); its conversation is restored. */
  resumeId?: string;
  uploads?: Upload[];
  /** Extra container labels (batch). */
  labels?: Record<string, string>;
  /** Do not record the session (batch records its own event log). */
  record?: boolean;
  /** Replaces where auto mode remembers models without tool calling (tests). */
  protocolMemory?: ProtocolMemory;
  /** Replaces the model client (tests and benchmarks). */
  client?: ModelClient;
  /** Replaces the sandbox (tests). */
  sandbox?: Sandbox;
  cwd?: string;
}

export interface OpenedSession {
  session: Session;
  log?: SessionLog;
  outputs: OutputStore;
  /** Conversation restored from the log when resuming. */
  history: ChatMessage[];
  /** Code cells of the resumed session, to re-run if the user wants the variables back. */
  resumedCells: string[];
}

/** Checks what can be checked before any container starts: the API key. */
export function checkModelSettings(settings: Settings): void {
  if (!settings.apiKey && needsApiKey(settings.baseUrl)) throw noApiKey({ baseURL: settings.baseUrl ?? 'https://api.openai.com/v1' });
}

export async function openSession(options: OpenSessionOptions): Promise<OpenedSession> {
  const { settings } = options;
  if (!options.client) checkModelSettings(settings);
  const client =
    options.client ??
    createModelClient({
      ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
      ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
      timeoutMs: settings.requestTimeout * 1000,
      tools: settings.tools,
      memory: options.protocolMemory ?? protocolMemory(settings.baseUrl ?? DEFAULT_BASE_URL),
    });

  let history: ChatMessage[] = [];
  let resumedCells: string[] = [];
  let log: SessionLog | undefined;
  if (options.resumeId) {
    const records = await SessionLog.read(options.resumeId);
    ({ messages: history, cells: resumedCells } = historyFrom(records));
    log = await SessionLog.open(options.resumeId);
    log.append('resume', { model: settings.model });
  } else if (options.record !== false) {
    log = SessionLog.create({ model: settings.model, cwd: options.cwd ?? process.cwd(), outDir: settings.outDir });
  }
  const sessionId = log?.id ?? '';
  const outputs = new OutputStore(settings.outDir, { session: sessionId });

  const sandboxOptions = sandboxOptionsFrom(settings);
  const sandbox =
    options.sandbox ??
    new DockerSandbox(
      options.engine.docker,
      {
        ...sandboxOptions,
        // The engine's image honours the chosen one already, and may add extra packages to it.
        image: options.engine.image,
        ...(options.labels ? { labels: options.labels } : {}),
      },
      options.engine.launcher,
    );

  // Start the container while the model thinks; uploads must land before the first cell runs.
  const uploads = options.uploads ?? [];
  const ready = (async () => {
    await sandbox.start();
    for (const u of uploads) await sandbox.upload(u.name, u.data);
  })();
  ready.catch(() => undefined); // reported when the first cell awaits it

  const ctx: PromptContext = {
    network: settings.network,
    timeoutSeconds: settings.timeout,
    memory: formatSize(settings.memory),
    ...(options.engine.packages ? { extraPackages: options.engine.packages } : {}),
    files: uploads.map((u) => ({ path: `/mnt/data/${u.name}`, size: u.data.length, ...(u.preview ? { preview: u.preview } : {}) })),
  };
  const recorder: Recorder | undefined = log
    ? {
        id: log.id,
        append: (kind, data) => log!.append(kind, data),
        outputPath: (callId: string) => path.join(sessionsDir(), log!.id, 'outputs', `${callId.replace(/[^A-Za-z0-9_.-]/g, '_')}.txt`),
      }
    : undefined;

  const session = new Session({
    client,
    sandbox,
    files: outputs,
    model: settings.model,
    systemPrompt: systemPrompt(ctx),
    maxTurns: settings.maxTurns,
    modelOutputChars: settings.modelOutputChars,
    ...(settings.budget !== undefined ? { budgetUsd: settings.budget } : {}),
    price: priceFunction(settings.prices),
    confirm: settings.confirm,
    ...(options.approve ? { approve: options.approve } : {}),
    history,
    cellTimeoutMs: settings.timeout * 1000,
    readHostFile: (p) => fs.readFile(p),
    ready,
    ...(recorder ? { recorder } : {}),
  });
  return { session, ...(log ? { log } : {}), outputs, history, resumedCells };
}
