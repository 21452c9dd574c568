// The session log's line format: one zod schema per record kind, and the parser every reader goes through.
import { z } from 'zod';
import type { LoggedEvent, RecordData, RecordKind } from '../core/records.js';

// The schemas check the fields this version reads; a field they do not name (one a later version adds) is not
// refused, and the record keeps it: parseRecord returns the line's data as written, not zod's stripped copy.
const int = z.number().int();
const usage = z.object({ promptTokens: z.number(), completionTokens: z.number(), totalTokens: z.number(), costUsd: z.number().optional() });
const manifestEntry = z.object({
  id: z.string(),
  session: z.string(),
  turn: int,
  name: z.string(),
  source: z.string(),
  mime: z.string(),
  path: z.string(),
  size: z.number(),
  sha256: z.string(),
  created_at: z.string(),
});
const bundle = z.record(z.string(), z.string());
const cellStatus = z.enum(['ok', 'error', 'interrupted', 'timeout', 'oom', 'killed', 'output_limit']);
const call = { turn: int, callId: z.string() };
const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => z.object({ type: z.literal(type), ...shape });

/** Every event of the SessionEvent union, as the log keeps it (images without their bytes). */
export const loggedEvent = z.discriminatedUnion('type', [
  event('session_start', { sessionId: z.string(), model: z.string(), outDir: z.string() }),
  event('sandbox_state', { state: z.enum(['starting', 'ready', 'running', 'restarting', 'stopped']) }),
  event('turn_start', { turn: int }),
  event('text_delta', { turn: int, text: z.string() }),
  event('reasoning_delta', { turn: int, text: z.string() }),
  event('reasoning', { turn: int, text: z.string() }),
  event('text', { turn: int, text: z.string() }),
  event('code_start', call),
  event('code_delta', { ...call, text: z.string() }),
  event('code_end', { ...call, code: z.string() }),
  event('approval_request', { ...call, code: z.string() }),
  event('cell_start', call),
  event('cell_output', { ...call, stream: z.enum(['stdout', 'stderr']), text: z.string() }),
  event('cell_result', { ...call, text: z.string(), bundle: bundle.optional() }),
  event('cell_image', {
    ...call,
    mime: z.literal('image/png'),
    bytes: z.number(),
    width: z.number(),
    height: z.number(),
    file: manifestEntry.optional(),
    text: z.string().optional(),
    displayId: z.string().optional(),
  }),
  event('cell_display', {
    ...call,
    mime: z.string(),
    text: z.string(),
    bundle,
    displayId: z.string().optional(),
    update: z.boolean().optional(),
  }),
  event('cell_clear', { ...call, wait: z.boolean() }),
  event('cell_error', { ...call, ename: z.string(), evalue: z.string(), traceback: z.array(z.string()) }),
  event('file_saved', { ...call, file: manifestEntry, base64: z.string().optional() }),
  event('cell_end', {
    ...call,
    status: z.union([cellStatus, z.literal('skipped')]),
    durationMs: z.number(),
    stateLost: z.boolean(),
    message: z.string().optional(),
    modelView: z.string(),
  }),
  event('usage', { turn: int, usage, session: usage }),
  event('notice', { level: z.enum(['info', 'warn']), text: z.string() }),
  event('error', { kind: z.string(), message: z.string(), fix: z.string().optional() }),
  event('done', {
    status: z.enum(['ok', 'error', 'max_turns', 'budget', 'cancelled']),
    answer: z.string(),
    usage,
    files: z.array(manifestEntry),
  }),
]);

/** The type of every event the log knows, read from the schema (tests derive their lists from it). */
export const LOGGED_EVENT_TYPES: readonly LoggedEvent['type'][] = loggedEvent.options.map((o) => o.shape.type.value);

// Content parts (never written by codecell itself) are kept as they are.
const content = z.union([z.string(), z.array(z.unknown())]);
const toolCall = z.discriminatedUnion('type', [
  z.object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) }),
  z.object({ id: z.string(), type: z.literal('custom'), custom: z.object({ name: z.string(), input: z.string() }) }),
]);
const message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content }),
  z.object({ role: z.literal('developer'), content }),
  z.object({ role: z.literal('user'), content }),
  z.object({ role: z.literal('assistant'), content: content.nullable().optional(), tool_calls: z.array(toolCall).optional() }),
  z.object({ role: z.literal('tool'), tool_call_id: z.string(), content }),
  z.object({ role: z.literal('function'), name: z.string(), content: z.string().nullable() }),
]);

/** The schema of each record kind's data. */
export const recordData = {
  meta: z.object({
    id: z.string().optional(),
    model: z.string().optional(),
    cwd: z.string().optional(),
    outDir: z.string().optional(),
    toolProtocol: z.enum(['native', 'text']).optional(),
  }),
  resume: z.object({ model: z.string() }),
  message,
  event: loggedEvent,
  cell: z.object({ turn: int, callId: z.string(), code: z.string(), status: cellStatus, count: z.number().optional(), source: z.string().optional() }),
  undo: z.object({ keep: int.nonnegative() }),
  reset: z.object({}),
  upload: z.object({ hostPath: z.string(), name: z.string(), size: z.number() }),
} satisfies Record<RecordKind, z.ZodType>;

/** One line of a session file, checked: `data` has the type its `kind` says. */
export type SessionRecord = { [K in RecordKind]: { t: string; kind: K; data: RecordData[K] } }[RecordKind];

const line = z.object({ t: z.string(), kind: z.string(), data: z.unknown() });

/** One parsed line: the record, or undefined for a line this version does not understand. */
export function parseRecord(text: string): SessionRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined; // a torn line (a crash mid-write) or not JSON at all
  }
  const head = line.safeParse(raw);
  if (!head.success || !Object.hasOwn(recordData, head.data.kind)) return undefined; // a kind from another version
  const kind = head.data.kind as RecordKind;
  if (!recordData[kind].safeParse(head.data.data).success) return undefined; // a shape from another version, or damage
  return { t: head.data.t, kind, data: head.data.data } as SessionRecord;
}

/** The records of a session file; lines that are not records of this version are counted in `skipped`, never fatal. */
export function parseRecords(text: string): { records: SessionRecord[]; skipped: number } {
  const records: SessionRecord[] = [];
  let skipped = 0;
  for (const l of text.split('\n')) {
    if (!l.trim()) continue;
    const record = parseRecord(l);
    if (record) records.push(record);
    else skipped++;
  }
  return { records, skipped };
}

// Compile-time, both ways: whatever the Session may write, the schema accepts; what the schema accepts has every
// field the readers' types promise (a field or an event added to core/records.ts or core/events.ts without its
// schema here fails typechecking; messages are the SDK's own type, checked one way). And the schema knows no
// event type the union lacks.
const _writerFitsSchema = (data: RecordData): { [K in RecordKind]: z.input<(typeof recordData)[K]> } => data;
const _schemaFitsReaders = (data: { [K in Exclude<RecordKind, 'message'>]: z.output<(typeof recordData)[K]> }): Omit<RecordData, 'message'> => data;
void _schemaFitsReaders;
type SameTypes = [LoggedEvent['type']] extends [z.input<typeof loggedEvent>['type']]
  ? [z.input<typeof loggedEvent>['type']] extends [LoggedEvent['type']]
    ? true
    : never
  : never;
const _sameEventTypes: SameTypes = true;
void _writerFitsSchema;
void _sameEventTypes;
