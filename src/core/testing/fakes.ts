// Stand-ins for the model, the sandbox and the output folder, for tests that drive a Session or its parts.
import type { ModelClient, ModelEvent, StreamRequest, ToolProtocol } from '../../llm/types.js';
import { ModelError } from '../../llm/types.js';
import type { CellResult, RunOptions, Sandbox, SandboxState } from '../../sandbox/types.js';
import type { ManifestEntry } from '../../store/types.js';
import type { SessionEvent } from '../events.js';
import { type FileSink, Session, type SessionOptions } from '../session.js';

/** One model call: canned events, or a function that may act (abort, throw) while it streams. */
export type ModelScript = ModelEvent[] | ((request: StreamRequest) => AsyncGenerator<ModelEvent>);

/** A model replaced by canned event scripts, one per call; records what it was sent. */
export function fakeModel(replies: ModelScript[], protocol?: ToolProtocol): ModelClient & { requests: StreamRequest[] } {
  const requests: StreamRequest[] = [];
  return {
    requests,
    async *stream(req) {
      requests.push(structuredClone({ ...req, signal: undefined }));
      const script = replies.shift();
      if (!script) throw new ModelError('server', 'no more replies', 'fix the test');
      if (typeof script === 'function') yield* script(req);
      else for (const ev of script) yield ev;
    },
    async listModels() {
      return [];
    },
    ...(protocol ? { protocolFor: () => protocol } : {}),
  };
}

/** A reply that calls python once per code string (ids are given in the same order). */
export function codeReply(id: string | string[], code: string | string[]): ModelEvent[] {
  const ids = Array.isArray(id) ? id : [id];
  const codes = Array.isArray(code) ? code : [code];
  const events: ModelEvent[] = [];
  const calls = ids.map((callId, index) => {
    const src = codes[index] ?? '';
    const call = { id: callId, name: 'python', arguments: JSON.stringify({ code: src }), code: src };
    events.push(
      { type: 'tool_call_start', index, id: callId, name: 'python' },
      { type: 'code_delta', index, id: callId, text: src.slice(0, 3) },
      { type: 'code_delta', index, id: callId, text: src.slice(3) },
      { type: 'tool_call_end', index, call },
    );
    return call;
  });
  events.push(
    { type: 'usage', usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 } },
    { type: 'finish', reason: 'tool_calls', text: '', toolCalls: calls },
  );
  return events;
}

export function textReply(text: string): ModelEvent[] {
  return [
    { type: 'text_delta', text },
    { type: 'finish', reason: 'stop', text, toolCalls: [] },
  ];
}

/** A scripted stand-in for the Docker sandbox (the real one is covered by test/sandbox and test/e2e). */
export class ScriptedSandbox implements Sandbox {
  id = 'fake';
  state: SandboxState = 'stopped';
  ran: string[] = [];
  constructor(
    private readonly behave: (code: string, opts: RunOptions) => Promise<CellResult>,
    private readonly starting: () => Promise<void> = async () => undefined,
  ) {}
  async start() {
    this.state = 'starting';
    await this.starting();
    this.state = 'ready';
  }
  async run(code: string, opts: RunOptions = {}) {
    this.ran.push(code);
    this.state = 'running';
    try {
      return await this.behave(code, opts);
    } finally {
      this.state = 'ready';
    }
  }
  async interrupt() {}
  async restart() {}
  async upload() {}
  async close() {
    this.state = 'stopped';
  }
}

export function memoryFiles(): FileSink & { saved: ManifestEntry[] } {
  const saved: ManifestEntry[] = [];
  return {
    saved,
    outDir: '/tmp/out',
    async save(f) {
      const entry: ManifestEntry = {
        id: `f${saved.length}`,
        session: 's',
        turn: f.turn,
        name: f.source,
        source: f.source,
        mime: f.mime ?? 'application/octet-stream',
        path: `/tmp/out/${f.source}`,
        size: f.data.length,
        sha256: '',
        created_at: '',
      };
      saved.push(entry);
      return entry;
    },
    list() {
      return saved;
    },
  };
}

export const ok = (over: Partial<CellResult> = {}): CellResult => ({ status: 'ok', count: 1, durationMs: 3, stateLost: false, ...over });

export async function collect(gen: AsyncGenerator<SessionEvent>): Promise<SessionEvent[]> {
  const out: SessionEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

/** A Session over the given fakes, with small limits; `extra` overrides any option. */
export function fakeSession(model: ModelClient, sandbox: Sandbox, extra: Partial<SessionOptions> = {}): Session {
  return new Session({ client: model, sandbox, files: memoryFiles(), model: 'm', systemPrompt: 'sys', maxModelCalls: 5, modelOutputChars: 200, ...extra });
}
