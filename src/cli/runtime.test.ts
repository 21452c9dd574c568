// The runtime builds each backend's sandbox from settings; sessions opened on it record exec and /rerun cells and report sandbox state as it changes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOrSkip } from '../../test/support/engine.js';
import { sandboxImage } from '../../test/sandbox/sandbox-image.js';
import { resolveConfig } from '../config/resolve.js';
import type { Settings } from '../config/keys.js';
import type { SessionEvent } from '../core/events.js';
import type { KernelLauncher } from '../sandbox/docker-sandbox.js';
import type { SandboxState } from '../sandbox/types.js';
import { SessionLog } from '../store/session-log.js';
import { LoggedSession } from './chat-session.js';
import { historyFrom } from '../store/session-history.js';
import { openSession } from './open-session.js';
import { checkModelSettings, createRuntime, NO_MODEL, type Runtime } from './runtime.js';
import type { Engine } from './sandbox-setup.js';

const MiB = 1024 * 1024;

function baseSettings(over: Partial<Settings> = {}): Settings {
  const { settings } = resolveConfig({ flags: {}, env: {}, file: {} });
  return { ...settings, ...over };
}

async function collect(gen: AsyncGenerator<SessionEvent>): Promise<SessionEvent[]> {
  const out: SessionEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

describe('createRuntime: one sandbox factory for every backend', () => {
  const settings = baseSettings({ memory: 300 * MiB, image: 'custom:1' });

  it.each(['docker', 'podman'] as const)('%s: the sandbox runs on the engine prepareEngine returned, with the settings’ limits', async (backend) => {
    let created: { Image?: string; HostConfig?: { Memory?: number; NetworkMode?: string } } | undefined;
    const engineClient = {
      version: async () => ({}),
      listContainers: async () => [],
      createContainer: async (options: typeof created) => {
        created = options;
        throw new Error(`stop: ${backend} asked to create`);
      },
    } as unknown as Docker;
    let asked: unknown;
    const runtime = await createRuntime({ ...settings, backend }, { quiet: true }, async (o) => {
      asked = o;
      return { docker: engineClient, image: 'custom:1-with-extras', backend } satisfies Engine;
    });
    expect(asked).toEqual({ backend, image: 'custom:1', quiet: true });
    expect(runtime.engine.backend).toBe(backend);
    await expect(runtime.sandbox().start()).rejects.toThrow(`stop: ${backend} asked to create`);
    expect(created?.Image).toBe('custom:1-with-extras'); // the engine's image, which honours the chosen one
    expect(created?.HostConfig?.Memory).toBe(300 * MiB);
    expect(created?.HostConfig?.NetworkMode).toBe('none');
  });

  it('bubblewrap: the sandbox starts its kernel through the launcher, in the root filesystem, with the settings’ limits', async () => {
    let spec: Parameters<KernelLauncher['start']>[0] | undefined;
    const launcher: KernelLauncher = {
      name: 'bubblewrap',
      start: async (s) => {
        spec = s;
        throw new Error('stop: launched');
      },
    };
    const runtime = await createRuntime({ ...settings, backend: 'bubblewrap' }, {}, async () => ({
      docker: null,
      image: '/cache/rootfs',
      launcher,
      backend: 'bubblewrap',
    }));
    const sandbox = runtime.sandbox({ labels: { 'dev.codecell.test': 'runtime' } });
    await expect(sandbox.start()).rejects.toThrow('stop: launched');
    expect(spec?.image).toBe('/cache/rootfs');
    expect(spec?.limits.memoryBytes).toBe(300 * MiB);
    expect(spec?.labels?.['dev.codecell.test']).toBe('runtime');
  });

  it('asks for an API key only where the server needs one', () => {
    expect(() => checkModelSettings(baseSettings())).toThrow(/API key/i);
    expect(() => checkModelSettings(baseSettings({ apiKey: 'sk-x' }))).not.toThrow();
    expect(() => checkModelSettings(baseSettings({ baseUrl: 'http://127.0.0.1:11434/v1' }))).not.toThrow();
  });
});

const docker = await engineOrSkip();

describe.skipIf(!docker)('sessions on the runtime (real engine)', () => {
  let home: string;
  let settings: Settings;
  let engine: Engine;
  let runtime: Runtime;
  const saved = process.env.CODECELL_HOME;
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-runtime-'));
    process.env.CODECELL_HOME = path.join(home, 'data');
    settings = baseSettings({ backend: 'docker', image: await sandboxImage(docker!), outDir: path.join(home, 'out'), model: 'exec', memory: 512 * MiB });
    runtime = await createRuntime(settings, { quiet: true });
    engine = runtime.engine;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.CODECELL_HOME;
    else process.env.CODECELL_HOME = saved;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('exec-style cells and /rerun go through the session: events out, cells in the log, rerun cells not counted twice', async () => {
    const first = await openSession({ settings, engine, client: NO_MODEL });
    const id = first.session.id;
    let events: SessionEvent[];
    try {
      events = await collect(first.session.runCell('x = 41\nx + 1', { source: 'exec' }));
    } finally {
      await first.session.close();
      first.log?.close();
    }
    expect(events[0]).toEqual({ type: 'session_start', sessionId: id, model: 'exec', outDir: settings.outDir });
    expect(events).toContainEqual({ type: 'cell_result', turn: 1, callId: 'exec-1', text: '42' });
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'ok' });
    const recorded = await SessionLog.read(id);
    expect(recorded.filter((r) => r.kind === 'cell').map((r) => r.data)).toEqual([
      { turn: 1, callId: 'exec-1', code: 'x = 41\nx + 1', status: 'ok', count: 1, source: 'exec' },
    ]);
    expect(recorded.some((r) => r.kind === 'event' && (r.data as SessionEvent).type === 'cell_result')).toBe(true);

    // Resumed: the kernel is new; /rerun brings x back through the session, and the log says so.
    const again = await openSession({ settings, engine, client: NO_MODEL, resumeId: id });
    const chat = new LoggedSession(again.session, again.log, again.resumedCells);
    try {
      expect(chat.rerunnable).toBe(1);
      const seen: SandboxState[] = [];
      const off = chat.onSandboxState((s) => seen.push(s));
      expect(await chat.rerun()).toEqual([expect.stringMatching(/^re-ran 1 cell in [\d.]+ s: 1 ok$/)]);
      const check = await collect(chat.runCell('print(x)', { source: 'exec' }));
      const printed = check.map((e) => (e.type === 'cell_output' ? e.text : '')).join('');
      expect(printed).toBe('41\n');
      off();
      expect(seen).toEqual(expect.arrayContaining(['ready', 'running']));
    } finally {
      await chat.close();
    }
    const all = await SessionLog.read(id);
    const cells = all.filter((r) => r.kind === 'cell').map((r) => r.data as { code: string; source: string });
    expect(cells.map((c) => `${c.source}: ${c.code}`)).toEqual(['exec: x = 41\nx + 1', 'rerun: x = 41\nx + 1', 'exec: print(x)']);
    expect(historyFrom(all).cells).toEqual(['x = 41\nx + 1', 'print(x)']);
  });

  it('tells state subscribers when the sandbox gets ready, restarts and dies', async () => {
    const sandbox = runtime.sandbox({ labels: { 'dev.codecell.test': 'runtime-state' } });
    const opened = await openSession({ settings, engine, client: NO_MODEL, record: false, sandbox });
    const seen: SandboxState[] = [];
    const off = opened.session.onSandboxState((s) => seen.push(s));
    try {
      await collect(opened.session.runCell('1', { source: 'exec' }));
      expect(seen).toContain('ready');
      await opened.session.restartKernel();
      expect(seen).toContain('restarting');
      expect(seen.at(-1)).toBe('ready');
      // Killed from outside, between cells: the subscriber hears it without asking.
      const dead = new Promise<void>((resolve) => {
        const stop = opened.session.onSandboxState((s) => {
          if (s === 'stopped') {
            stop();
            resolve();
          }
        });
      });
      await docker!.getContainer(sandbox.id).kill();
      await dead;
      expect(seen.at(-1)).toBe('stopped');
    } finally {
      off();
      await opened.session.close();
    }
  });
});
