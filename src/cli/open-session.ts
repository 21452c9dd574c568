// Opens a ready-to-use Session from settings: the runtime's model client, sandbox, output folder and session log, plus uploads and a resumed conversation.
import fs from 'node:fs/promises';
import type { Settings } from '../config/keys.js';
import type { ProtocolMemory } from '../llm/client.js';
import { priceFunction } from '../llm/prices.js';
import type { ChatMessage, ModelClient } from '../llm/types.js';
import type { Sandbox } from '../sandbox/types.js';
import { sizeSetting } from '../config/size.js';
import type { OutputStore } from '../store/output-store.js';
import { SessionLog } from '../store/session-log.js';
import { historyFrom } from '../store/session-history.js';
import type { ApprovalHandler } from '../core/session-api.js';
import { Session } from '../core/session.js';
import { systemPrompt, type PromptContext } from '../core/system-prompt.js';
import type { Upload } from '../core/uploads.js';
import { checkModelSettings, modelClientFrom, outputStoreFor, recorderFor, sandboxFrom, type SandboxEngine } from './runtime.js';

export interface OpenSessionOptions {
  settings: Settings;
  /** The engine and image, from prepareEngine (the caller shows build progress its own way). */
  engine: SandboxEngine & { packages?: { apt: string[]; pip: string[] } };
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
  /** A sandbox built already (the chat's early container, a batch pool's), instead of a new one from the runtime. */
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
  /**
   * Ends it all in order: a save in progress finishes with its manifest row (a second Ctrl-C, SIGTERM),
   * then the sandbox is removed and the log closed.
   */
  close(): Promise<void>;
}

export async function openSession(options: OpenSessionOptions): Promise<OpenedSession> {
  const { settings } = options;
  if (!options.client) checkModelSettings(settings);
  const client = options.client ?? (await modelClientFrom(settings, options.protocolMemory ? { memory: options.protocolMemory } : {}));

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
  const outputs = outputStoreFor(settings, sessionId);
  const sandbox = options.sandbox ?? sandboxFrom(options.engine, settings, options.labels ? { labels: options.labels } : {});

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
    memory: sizeSetting(settings.memory),
    ...(options.engine.packages ? { extraPackages: options.engine.packages } : {}),
    files: uploads.map((u) => ({ path: `/mnt/data/${u.name}`, size: u.data.length, ...(u.preview ? { preview: u.preview } : {}) })),
  };
  const recorder = log ? recorderFor(log) : undefined;

  const session = new Session({
    client,
    sandbox,
    files: outputs,
    model: settings.model,
    systemPrompt: systemPrompt(ctx),
    maxModelCalls: settings.maxTurns,
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
  const close = async (): Promise<void> => {
    await outputs.stop().catch(() => undefined);
    await session.close();
    log?.close();
  };
  return { session, ...(log ? { log } : {}), outputs, history, resumedCells, close };
}
