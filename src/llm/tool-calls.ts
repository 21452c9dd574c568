// Assembles streamed tool-call fragments into calls, and decodes the python `code` argument as it grows.
import { Allow, parse as parsePartial } from 'partial-json';
import type { ModelEvent, ToolCall } from './types.js';
import { PYTHON_TOOL_NAME } from './tool.js';

/** One tool-call fragment as servers really send it: `index` and `id` may be missing, arguments may be an object. */
export interface ToolCallFragment {
  index?: number | null;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: unknown } | null;
}

interface CallState {
  /** The server's index for this call, when it sent one. */
  serverIndex: number | undefined;
  id: string;
  /** False while the id is one we made up because the server sent none (yet). */
  idGiven: boolean;
  name: string;
  args: string;
  started: boolean;
  /** Code characters already emitted as code_delta. */
  emitted: string;
  /** performance.now() of the last partial parse. */
  parsedAt: number;
}

// Re-parsing the whole argument string on every fragment is quadratic; past this size, parse at most
// once per PARSE_INTERVAL_MS (measured: a 50 KB cell in 4-character fragments took 2.7 s of CPU, now 17 ms).
const PARSE_EVERY_FRAGMENT_BELOW = 4096;
const PARSE_INTERVAL_MS = 16;

let generatedIds = 0;
const newCallId = (): string => `call_cc${Date.now().toString(36)}${(generatedIds++).toString(36)}`;

/**
 * The decoded `code` of partial arguments, or undefined while it cannot be known yet.
 * Arguments that start with `{` (or a quoted string) are JSON; anything else is raw code, which some
 * models send instead of JSON.
 */
export function partialCode(args: string): string | undefined {
  const head = args.trimStart()[0];
  if (head === undefined) return undefined;
  if (head !== '{' && head !== '"') return args;
  try {
    const value: unknown = parsePartial(args, Allow.STR | Allow.OBJ);
    if (value && typeof value === 'object' && typeof (value as { code?: unknown }).code === 'string') {
      return (value as { code: string }).code;
    }
  } catch {
    // Malformed so far: nothing to show; the final parse decides.
  }
  return undefined;
}

/** The code of complete arguments: strict JSON `{code}`, a JSON-encoded copy of that, or raw code. */
export function finalCode(args: string): string | undefined {
  const head = args.trimStart()[0];
  if (head === undefined) return undefined;
  if (head !== '{' && head !== '"') return args;
  let value: unknown;
  try {
    value = JSON.parse(args);
  } catch {
    // Broken JSON is never guessed at: running half-understood code is worse than asking again.
    return undefined;
  }
  if (typeof value === 'string') {
    // Some models double-encode the arguments; others send the code as a bare JSON string.
    return value.trimStart().startsWith('{') ? finalCode(value) : value;
  }
  if (value && typeof value === 'object' && typeof (value as { code?: unknown }).code === 'string') {
    return (value as { code: string }).code;
  }
  return undefined;
}

/** Drops a trailing lone high surrogate (a `\ud83d` whose pair has not arrived), so no delta splits a character. */
function wholeChars(text: string): string {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, -1) : text;
}

function argumentText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Collects the tool calls of one streamed reply. `add` returns the events to emit now (starts and
 * code deltas); `finish` — only once the stream ended normally — returns the rest and one
 * `tool_call_end` per call, in order.
 */
export class ToolCallStream {
  private readonly calls: CallState[] = [];

  get count(): number {
    return this.calls.length;
  }

  add(fragments: readonly ToolCallFragment[]): ModelEvent[] {
    const events: ModelEvent[] = [];
    for (const fragment of fragments) {
      const position = this.locate(fragment);
      const call = this.calls[position]!;
      const name = fragment.function?.name;
      // Names arrive whole in practice; some servers repeat them in every fragment.
      if (name && name !== call.name) call.name += name;
      call.args += argumentText(fragment.function?.arguments);
      if (!call.started && call.name) {
        call.started = true;
        events.push({ type: 'tool_call_start', index: position, id: call.id, name: call.name });
      }
      if (call.started && call.name === PYTHON_TOOL_NAME) {
        const now = performance.now();
        if (call.args.length < PARSE_EVERY_FRAGMENT_BELOW || now - call.parsedAt >= PARSE_INTERVAL_MS) {
          call.parsedAt = now;
          const code = partialCode(call.args);
          if (code !== undefined) this.pushDelta(events, position, call, wholeChars(code));
        }
      }
    }
    return events;
  }

  /**
   * `truncated`: the reply hit the token limit (finish_reason "length"), so the last call's arguments
   * are cut off; raw (non-JSON) code cannot show that, so it is not trusted.
   */
  finish(options: { truncated?: boolean } = {}): { events: ModelEvent[]; calls: ToolCall[] } {
    const events: ModelEvent[] = [];
    const calls: ToolCall[] = [];
    this.calls.forEach((call, position) => {
      // With a single tool on offer, a call without a name can only mean python.
      if (!call.name) call.name = PYTHON_TOOL_NAME;
      if (!call.started) {
        call.started = true;
        events.push({ type: 'tool_call_start', index: position, id: call.id, name: call.name });
      }
      const done: ToolCall = { id: call.id, name: call.name, arguments: call.args };
      if (call.name === PYTHON_TOOL_NAME) {
        const cut = options.truncated === true && position === this.calls.length - 1;
        const code = cut ? undefined : finalCode(call.args);
        if (code !== undefined) {
          done.code = code;
          this.pushDelta(events, position, call, code);
        }
      }
      events.push({ type: 'tool_call_end', index: position, call: done });
      calls.push(done);
    });
    return { events, calls };
  }

  private pushDelta(events: ModelEvent[], position: number, call: CallState, code: string): void {
    // Decoded code only ever grows; anything else is left to the authoritative tool_call_end.
    if (code.length > call.emitted.length && code.startsWith(call.emitted)) {
      events.push({ type: 'code_delta', index: position, id: call.id, text: code.slice(call.emitted.length) });
      call.emitted = code;
    }
  }

  /** Finds (or opens) the call a fragment belongs to; returns its position. */
  private locate(fragment: ToolCallFragment): number {
    const id = fragment.id || undefined;
    const index = typeof fragment.index === 'number' ? fragment.index : undefined;
    if (id) {
      const known = this.calls.findIndex((c) => c.id === id);
      if (known >= 0) return known;
      const atIndex = index === undefined ? -1 : this.calls.findLastIndex((c) => c.serverIndex === index);
      if (atIndex >= 0) {
        const call = this.calls[atIndex]!;
        if (!call.idGiven) {
          // The id for a call we had to name ourselves; once announced, our id stays so events agree.
          if (!call.started) {
            call.id = id;
            call.idGiven = true;
          }
          return atIndex;
        }
      }
      // A new id: a new call (also from servers that number every call 0).
      return this.open(index, id);
    }
    if (index !== undefined) {
      const atIndex = this.calls.findLastIndex((c) => c.serverIndex === index);
      return atIndex >= 0 ? atIndex : this.open(index, undefined);
    }
    // No index, no id: a continuation of the latest call (or the first one).
    return this.calls.length > 0 ? this.calls.length - 1 : this.open(undefined, undefined);
  }

  private open(serverIndex: number | undefined, id: string | undefined): number {
    this.calls.push({ serverIndex, id: id ?? newCallId(), idGiven: id !== undefined, name: '', args: '', started: false, emitted: '', parsedAt: 0 });
    return this.calls.length - 1;
  }
}
