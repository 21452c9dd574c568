// Builds codecell's runtime from settings in one place: the sandbox backend, the model client, the output folder and the session log, handed to core as the interfaces it declares.
import path from 'node:path';
import type { Settings } from '../config/keys.js';
import { sandboxOptionsFrom } from '../config/sandbox-options.js';
import type { Recorder } from '../core/session.js';
import type { ProtocolMemory } from '../llm/client.js';
import { DEFAULT_BASE_URL, needsApiKey, noApiKey } from '../llm/provider.js';
import { ModelError, type ModelClient } from '../llm/types.js';
import { DockerSandbox } from '../sandbox/docker-sandbox.js';
import type { ExtraPackages } from '../sandbox/extras.js';
import type { ProgressListener } from '../sandbox/build-stream.js';
import type { Sandbox, SandboxOptions } from '../sandbox/types.js';
import { OutputStore } from '../store/output-store.js';
import { sessionsDir } from '../store/paths.js';
import { portableName } from '../shared/safe-name.js';
import { protocolMemory } from '../store/protocol-memory.js';
import type { SessionLog } from '../store/session-log.js';
import type { Engine } from './sandbox-setup.js';

/** Checks what can be checked before any container starts: the API key. */
export function checkModelSettings(settings: Settings): void {
  if (!settings.apiKey && needsApiKey(settings.baseUrl)) throw noApiKey({ baseURL: settings.baseUrl ?? 'https://api.openai.com/v1' });
}

/**
 * The model client for these settings; the only place one is made for a command. Async because the model
 * SDK loads here, on first use: building the runtime (and booting a sandbox) must not wait for it.
 */
export async function modelClientFrom(settings: Settings, options: { memory?: ProtocolMemory } = {}): Promise<ModelClient> {
  const { createModelClient } = await import('../llm/client.js');
  return createModelClient({
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
    ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
    timeoutMs: settings.requestTimeout * 1000,
    tools: settings.tools,
    memory: options.memory ?? protocolMemory(settings.baseUrl ?? DEFAULT_BASE_URL),
  });
}

/** For sessions that only run cells (`exec`): any attempt to call a model is a bug, said plainly. */
export const NO_MODEL: ModelClient = {
  listModels: async () => [],
  // biome-ignore lint/correctness/useYield: it fails before its first event by design
  async *stream() {
    throw new ModelError('bad_request', 'this session runs cells without a model', 'Use `codecell run` or the chat to ask a model.');
  },
};

/** What a sandbox needs from the prepared engine (prepareEngine, or one of batch's engines). */
export type SandboxEngine = Pick<Engine, 'docker' | 'image' | 'launcher'>;

/**
 * The one place a sandbox is constructed. Docker and Podman run it as a container on their engine;
 * bubblewrap (engine.launcher) starts the kernel as a process on this host. The engine's image already
 * honours the chosen one and adds the extra packages, so it replaces `options.image`.
 */
export function createSandbox(engine: SandboxEngine, options: SandboxOptions): Sandbox {
  return new DockerSandbox(engine.docker, { ...options, image: engine.image }, engine.launcher);
}

/** A sandbox with the settings' limits on this engine; `extra` adds labels (batch) or a deferred warm-up (pools). */
export function sandboxFrom(engine: SandboxEngine, settings: Settings, extra: Pick<SandboxOptions, 'labels' | 'deferWarm'> = {}): Sandbox {
  return createSandbox(engine, { ...sandboxOptionsFrom(settings), ...extra });
}

/** The output folder of a session (its manifest rows carry the session id; empty for none). */
export function outputStoreFor(settings: Settings, sessionId: string): OutputStore {
  return new OutputStore(settings.outDir, { session: sessionId });
}

/** The session log as core's recorder: records, and where a cell's full output is kept. */
export function recorderFor(log: SessionLog): Recorder {
  return {
    id: log.id,
    append: (kind, data) => log.append(kind, data),
    outputPath: (callId: string) => path.join(sessionsDir(), log.id, 'outputs', `${portableName(callId)}.txt`),
  };
}

/** Options for preparing the runtime's engine (see prepareEngine). */
export interface RuntimeOptions {
  extras?: ExtraPackages;
  quiet?: boolean;
  onProgress?: ProgressListener;
}

/** The runtime of one command: the prepared engine and the settings every session and sandbox is built from. */
export interface Runtime {
  readonly settings: Settings;
  readonly engine: Engine;
  /** A new sandbox on the engine with the settings' limits. */
  sandbox(extra?: Pick<SandboxOptions, 'labels' | 'deferWarm'>): Sandbox;
}

/**
 * Prepares the backend the settings name (Docker, Podman or bubblewrap; `auto` picks one) and returns the
 * runtime that builds sandboxes on it. `prepare` is the engine preparation itself (tests pass their own).
 */
export async function createRuntime(
  settings: Settings,
  options: RuntimeOptions = {},
  prepare?: (o: Parameters<typeof import('./sandbox-setup.js').prepareEngine>[0]) => Promise<Engine>,
): Promise<Runtime> {
  const prepareEngine = prepare ?? (await import('./sandbox-setup.js')).prepareEngine;
  const engine = await prepareEngine({
    backend: settings.backend,
    ...(settings.image ? { image: settings.image } : {}),
    ...(options.extras ? { extras: options.extras } : {}),
    ...(options.quiet ? { quiet: true } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { settings, engine, sandbox: (extra) => sandboxFrom(engine, settings, extra) };
}
