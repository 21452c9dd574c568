// The JSONL front end: one JSON object per line for every SessionEvent, with the code-execution envelope.
import { z } from 'zod';
import type { SessionEvent } from '../core/events.js';
import { unreachable } from '../core/events.js';
import type { ManifestEntry } from '../store/types.js';

/** Files larger than this are announced without inline base64 (read them from `path`). */
export const INLINE_BASE64_LIMIT = 25 * 1024 * 1024;

const usage = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative().optional(),
});

const manifestEntry = z.object({
  id: z.string(),
  session: z.string(),
  turn: z.number().int(),
  name: z.string(),
  source: z.string(),
  mime: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  created_at: z.string(),
});

const fileContent = z.object({
  filename: z.string(),
  file_id: z.string(),
  base64: z.string().nullable(),
  mime_type: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  text: z.string().optional(),
  display_id: z.string().optional(),
});

const base = { turn: z.number().int().optional(), call_id: z.string().optional() };

/** The schema of every line codecell writes with --json (and batch event logs). Tests validate against it. */
export const jsonLine = z.discriminatedUnion('stream_type', [
  z.object({
    stream_type: z.literal('code_execution'),
    ...base,
    chunk: z.discriminatedUnion('type', [
      z.object({ type: z.literal('hot_code'), content: z.string() }),
      z.object({
        type: z.literal('hot_code_output'),
        content: z.string(),
        stream: z.enum(['stdout', 'stderr', 'result']),
        bundle: z.record(z.string(), z.string()).optional(),
      }),
      z.object({ type: z.literal('code_interpreter_stream'), content: fileContent }),
    ]),
  }),
  z.object({ stream_type: z.literal('session_start'), session_id: z.string(), model: z.string(), out_dir: z.string() }),
  z.object({ stream_type: z.literal('sandbox_state'), state: z.enum(['starting', 'ready', 'running', 'restarting', 'stopped']) }),
  z.object({ stream_type: z.literal('turn_start'), turn: z.number().int() }),
  z.object({ stream_type: z.literal('text_delta'), ...base, content: z.string() }),
  z.object({ stream_type: z.literal('reasoning_delta'), ...base, content: z.string() }),
  z.object({ stream_type: z.literal('reasoning'), ...base, content: z.string() }),
  z.object({ stream_type: z.literal('text'), ...base, content: z.string() }),
  z.object({ stream_type: z.literal('code_start'), ...base }),
  z.object({ stream_type: z.literal('code'), ...base, content: z.string() }),
  z.object({ stream_type: z.literal('approval_request'), ...base, content: z.string() }),
  z.object({ stream_type: z.literal('cell_start'), ...base }),
  z.object({
    stream_type: z.literal('display'),
    ...base,
    mime: z.string(),
    content: z.string(),
    bundle: z.record(z.string(), z.string()),
    display_id: z.string().optional(),
    update: z.boolean().optional(),
  }),
  z.object({ stream_type: z.literal('clear_output'), ...base, wait: z.boolean() }),
  z.object({ stream_type: z.literal('cell_error'), ...base, ename: z.string(), evalue: z.string(), traceback: z.array(z.string()) }),
  z.object({
    stream_type: z.literal('cell_end'),
    ...base,
    status: z.enum(['ok', 'error', 'interrupted', 'timeout', 'oom', 'killed', 'output_limit', 'skipped']),
    duration_ms: z.number().nonnegative(),
    state_lost: z.boolean(),
    message: z.string().optional(),
    model_view: z.string(),
  }),
  z.object({ stream_type: z.literal('usage'), turn: z.number().int(), usage, session: usage }),
  z.object({ stream_type: z.literal('notice'), level: z.enum(['info', 'warn']), content: z.string() }),
  z.object({ stream_type: z.literal('error'), kind: z.string(), message: z.string(), fix: z.string().optional() }),
  z.object({
    stream_type: z.literal('done'),
    status: z.enum(['ok', 'error', 'max_turns', 'budget', 'cancelled']),
    answer: z.string(),
    usage,
    files: z.array(manifestEntry),
  }),
]);
export type JsonLine = z.infer<typeof jsonLine>;

export function fileChunk(
  entry: ManifestEntry,
  data: Buffer | undefined,
  extra: { width?: number; height?: number; text?: string; display_id?: string } = {},
): Record<string, unknown> {
  return {
    filename: entry.name,
    file_id: entry.id,
    base64: data && data.length <= INLINE_BASE64_LIMIT ? data.toString('base64') : null,
    mime_type: entry.mime,
    path: entry.path,
    size: entry.size,
    sha256: entry.sha256,
    ...extra,
  };
}

/** Maps one event to its JSON line object, or undefined for events that have no JSON form. */
export function toJsonLine(event: SessionEvent, readFile?: (entry: ManifestEntry) => Buffer | undefined): Record<string, unknown> | undefined {
  switch (event.type) {
    case 'session_start':
      return { stream_type: 'session_start', session_id: event.sessionId, model: event.model, out_dir: event.outDir };
    case 'sandbox_state':
      return { stream_type: 'sandbox_state', state: event.state };
    case 'turn_start':
      return { stream_type: 'turn_start', turn: event.turn };
    case 'text_delta':
      return { stream_type: 'text_delta', turn: event.turn, content: event.text };
    case 'reasoning_delta':
      return { stream_type: 'reasoning_delta', turn: event.turn, content: event.text };
    case 'reasoning':
      return { stream_type: 'reasoning', turn: event.turn, content: event.text };
    case 'text':
      return { stream_type: 'text', turn: event.turn, content: event.text };
    case 'code_start':
      return { stream_type: 'code_start', turn: event.turn, call_id: event.callId };
    case 'code_delta':
      return { stream_type: 'code_execution', turn: event.turn, call_id: event.callId, chunk: { type: 'hot_code', content: event.text } };
    case 'code_end':
      return { stream_type: 'code', turn: event.turn, call_id: event.callId, content: event.code };
    case 'approval_request':
      return { stream_type: 'approval_request', turn: event.turn, call_id: event.callId, content: event.code };
    case 'cell_start':
      return { stream_type: 'cell_start', turn: event.turn, call_id: event.callId };
    case 'cell_output':
      return {
        stream_type: 'code_execution',
        turn: event.turn,
        call_id: event.callId,
        chunk: { type: 'hot_code_output', content: event.text, stream: event.stream },
      };
    case 'cell_result':
      return {
        stream_type: 'code_execution',
        turn: event.turn,
        call_id: event.callId,
        chunk: { type: 'hot_code_output', content: event.text + '\n', stream: 'result', ...(event.bundle ? { bundle: event.bundle } : {}) },
      };
    case 'cell_display':
      return {
        stream_type: 'display',
        turn: event.turn,
        call_id: event.callId,
        mime: event.mime,
        content: event.text,
        bundle: event.bundle,
        ...(event.displayId !== undefined ? { display_id: event.displayId } : {}),
        ...(event.update ? { update: true } : {}),
      };
    case 'cell_clear':
      return { stream_type: 'clear_output', turn: event.turn, call_id: event.callId, wait: event.wait };
    case 'cell_image':
      if (!event.file) return undefined; // not saved (disk full): the error event says so
      return {
        stream_type: 'code_execution',
        turn: event.turn,
        call_id: event.callId,
        chunk: {
          type: 'code_interpreter_stream',
          content: fileChunk(event.file, event.data, {
            width: event.width,
            height: event.height,
            ...(event.text !== undefined ? { text: event.text } : {}),
            ...(event.displayId !== undefined ? { display_id: event.displayId } : {}),
          }),
        },
      };
    case 'file_saved':
      return {
        stream_type: 'code_execution',
        turn: event.turn,
        call_id: event.callId,
        chunk: { type: 'code_interpreter_stream', content: fileChunk(event.file, readFile?.(event.file)) },
      };
    case 'cell_error':
      return { stream_type: 'cell_error', turn: event.turn, call_id: event.callId, ename: event.ename, evalue: event.evalue, traceback: event.traceback };
    case 'cell_end':
      return {
        stream_type: 'cell_end',
        turn: event.turn,
        call_id: event.callId,
        status: event.status,
        duration_ms: event.durationMs,
        state_lost: event.stateLost,
        ...(event.message ? { message: event.message } : {}),
        model_view: event.modelView,
      };
    case 'usage':
      return { stream_type: 'usage', turn: event.turn, usage: event.usage, session: event.session };
    case 'notice':
      return { stream_type: 'notice', level: event.level, content: event.text };
    case 'error':
      return { stream_type: 'error', kind: event.kind, message: event.message, ...(event.fix ? { fix: event.fix } : {}) };
    case 'done':
      return { stream_type: 'done', status: event.status, answer: event.answer, usage: event.usage, files: event.files };
    default:
      return unreachable(event);
  }
}
