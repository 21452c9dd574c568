// Native mode: finds tool calls a model wrote into its content (<tool_call> tags, a bare JSON call) as it streams.
import { Allow, parse as parsePartial } from 'partial-json';
import type { ModelEvent, ToolCall } from './types.js';
import { PYTHON_TOOL_NAME } from './tool.js';
import { finalCode, partialCode } from './tool-calls.js';

const OPEN = '<tool_call>';
const CLOSE = '</tool_call>';
/** Calls found in the content are numbered from here, apart from the server's own tool-call indexes. */
export const CONTENT_CALL_INDEX = 1000;
/** A JSON object later in the reply counts only when it starts like a call: `{"name": ...` or `{"function": ...`. */
const CALL_START = /^\{\s*"(name|function)"\s*:/;
const PARSE_EVERY_PUSH_BELOW = 4096;
const FENCE_LINE = /^ {0,3}(```|~~~)/;
const PARSE_INTERVAL_MS = 16;

let ids = 0;
const newId = (): string => `call_txt${Date.now().toString(36)}${(ids++).toString(36)}`;

interface Parsed {
  name?: string;
  /** The arguments as an object or a JSON string. */
  args?: unknown;
}

/** Reads {name, arguments} (also `function`/`parameters`, as Llama and others write them) from a call object. */
function callShape(value: unknown): Parsed | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const fn = v.function && typeof v.function === 'object' ? (v.function as Record<string, unknown>) : undefined;
  const name = typeof v.name === 'string' ? v.name : typeof v.function === 'string' ? v.function : typeof fn?.name === 'string' ? fn.name : undefined;
  const args = v.arguments ?? v.parameters ?? fn?.arguments ?? fn?.parameters;
  return { ...(name !== undefined ? { name } : {}), ...(args !== undefined ? { args } : {}) };
}

function argsText(args: unknown): string {
  if (args === undefined) return '';
  return typeof args === 'string' ? args : JSON.stringify(args);
}

/** Where a JSON object that starts at `text[0]` ends (the index after its closing brace), or -1 while it is open. */
export function jsonObjectEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

interface Capture {
  kind: 'tag' | 'json';
  /** The captured call text (JSON inside the tag, or the bare object). */
  body: string;
  /** Whether this capture is at the very start of the content (any object counts there). */
  whole: boolean;
  id: string;
  index: number;
  started: boolean;
  emitted: string;
  parsedAt: number;
}

/**
 * Feed it the content (reasoning already removed); it returns text deltas with the calls cut out, and
 * tool-call events for each call it recognises. A possible start of a call is held back, never shown.
 */
export class TextToolCalls {
  private held = '';
  private capture: Capture | undefined;
  private seenText = false;
  private atLineStart = true;
  private afterCall = false;
  /** Inside a fenced block of the answer, and the answer's current unfinished line. */
  private inFence = false;
  private line = '';
  private readonly calls: ToolCall[] = [];

  push(chunk: string): ModelEvent[] {
    const events: ModelEvent[] = [];
    let input = this.held + chunk;
    this.held = '';
    while (input) {
      if (this.capture) {
        input = this.feedCapture(this.capture, input, events);
        continue;
      }
      if (this.afterCall) {
        // The line break after a call belongs to the call, not to the answer.
        if (/^[ \t]*$/.test(input)) return events;
        this.afterCall = false;
        input = input.replace(/^[ \t]*\n/, '');
        continue;
      }
      const tag = input.indexOf(OPEN);
      const brace = this.braceAt(input);
      if (tag >= 0 && (brace < 0 || tag < brace)) {
        this.text(input.slice(0, tag), events);
        this.capture = this.open('tag', false);
        input = input.slice(tag + OPEN.length);
        continue;
      }
      if (brace >= 0) {
        const candidate = input.slice(brace);
        const whole = !this.seenText && !input.slice(0, brace).trim();
        if (!whole && !CALL_START.test(candidate)) {
          // Too short to tell, and still on one line: wait; otherwise it is just text.
          if (candidate.length < 24 && !candidate.includes('\n') && /^\{\s*"?[a-z]*"?\s*$/.test(candidate)) {
            this.text(input.slice(0, brace), events);
            this.held = candidate;
            return events;
          }
          this.text(input.slice(0, brace + 1), events);
          input = input.slice(brace + 1);
          continue;
        }
        this.text(input.slice(0, brace), events);
        this.capture = this.open('json', whole);
        input = candidate;
        continue;
      }
      // Hold back what may be the start of a tag.
      const keep = partialSuffix(input, OPEN);
      this.text(input.slice(0, input.length - keep), events);
      this.held = input.slice(input.length - keep);
      input = '';
    }
    return events;
  }

  /** The reply ended: settles an open capture and releases held text. `truncated`: cut by the token limit. */
  end(options: { truncated?: boolean } = {}): { events: ModelEvent[]; calls: ToolCall[] } {
    const events: ModelEvent[] = [];
    const capture = this.capture;
    this.capture = undefined;
    if (capture) {
      const body = capture.body + this.held;
      this.held = '';
      // An unclosed tag is still a call (some servers stop at the end of the call); a cut-off one is not trusted.
      if (capture.kind === 'tag' || capture.started) this.settle(capture, options.truncated ? undefined : body, events);
      else this.text(body, events);
    } else if (this.held) {
      this.text(this.held, events);
      this.held = '';
    }
    return { events, calls: [...this.calls] };
  }

  /** The first `{` that starts the content or a line outside a fenced block, or -1. */
  private braceAt(input: string): number {
    let lineStart = this.atLineStart;
    let inFence = this.inFence;
    let line = this.line;
    for (let i = 0; i < input.length; i++) {
      const c = input[i]!;
      if (c === '{' && lineStart && !inFence) return i;
      if (c === '\n') {
        if (FENCE_LINE.test(line)) inFence = !inFence;
        line = '';
        lineStart = true;
      } else {
        if (line.length < 8) line += c;
        if (c !== ' ' && c !== '\t') lineStart = false;
      }
    }
    return -1;
  }

  private text(text: string, events: ModelEvent[]): void {
    if (!text) return;
    if (text.trim()) this.seenText = true;
    // Follow fenced blocks: JSON shown inside one (```json …) is an example, never a call.
    const lines = (this.line + text).split('\n');
    // Only a line's first characters can make it a fence; a long line is not kept whole.
    this.line = lines.pop()!.slice(0, 8);
    for (const l of lines) if (FENCE_LINE.test(l)) this.inFence = !this.inFence;
    const lastNl = text.lastIndexOf('\n');
    this.atLineStart = lastNl >= 0 ? !text.slice(lastNl + 1).trim() : this.atLineStart && !text.trim();
    const last = events[events.length - 1];
    if (last?.type === 'text_delta') last.text += text;
    else events.push({ type: 'text_delta', text });
  }

  private open(kind: Capture['kind'], whole: boolean): Capture {
    return { kind, body: '', whole, id: newId(), index: CONTENT_CALL_INDEX + this.calls.length, started: false, emitted: '', parsedAt: 0 };
  }

  /** Adds input to the capture; returns what is left after the call ended (or '' while it goes on). */
  private feedCapture(capture: Capture, input: string, events: ModelEvent[]): string {
    if (capture.kind === 'tag') {
      const all = capture.body + input;
      const end = all.indexOf(CLOSE);
      if (end >= 0) {
        this.settle(capture, all.slice(0, end), events);
        this.capture = undefined;
        this.atLineStart = false;
        this.afterCall = true;
        return all.slice(end + CLOSE.length);
      }
      const keep = partialSuffix(all, CLOSE);
      capture.body = all.slice(0, all.length - keep);
      this.held = all.slice(all.length - keep);
      this.stream(capture, events);
      return '';
    }
    const all = capture.body + input;
    const end = jsonObjectEnd(all);
    if (end < 0) {
      capture.body = all;
      this.stream(capture, events);
      return '';
    }
    const body = all.slice(0, end);
    this.capture = undefined;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      value = undefined;
    }
    const shape = callShape(value);
    if (shape?.name === PYTHON_TOOL_NAME && shape.args !== undefined) this.settle({ ...capture, body }, body, events);
    else if (capture.started) this.settle({ ...capture, body }, body, events);
    else this.text(body, events);
    return all.slice(end);
  }

  /** Streams the code of a call whose shape is known to be a python call. */
  private stream(capture: Capture, events: ModelEvent[]): void {
    const now = performance.now();
    if (capture.body.length >= PARSE_EVERY_PUSH_BELOW && now - capture.parsedAt < PARSE_INTERVAL_MS) return;
    capture.parsedAt = now;
    let value: unknown;
    try {
      value = parsePartial(capture.body.trim() || '{}', Allow.STR | Allow.OBJ);
    } catch {
      return;
    }
    const shape = callShape(value);
    if (!shape) return;
    // A bare object becomes a call only once it names python; a tag is a call from the start.
    const named =
      shape.name === PYTHON_TOOL_NAME &&
      (capture.kind === 'tag' || capture.whole || CALL_START.test(capture.body)) &&
      /"(arguments|parameters)"/.test(capture.body);
    if (!capture.started && named) {
      capture.started = true;
      events.push({ type: 'tool_call_start', index: capture.index, id: capture.id, name: PYTHON_TOOL_NAME });
    }
    if (!capture.started) return;
    const code =
      typeof shape.args === 'string'
        ? partialCode(shape.args)
        : shape.args && typeof shape.args === 'object'
          ? (shape.args as { code?: unknown }).code
          : undefined;
    if (typeof code === 'string' && code.length > capture.emitted.length && code.startsWith(capture.emitted)) {
      events.push({ type: 'code_delta', index: capture.index, id: capture.id, text: code.slice(capture.emitted.length) });
      capture.emitted = code;
    }
  }

  /** Ends a call: parses its body strictly; `body` undefined means it was cut off and must not run. */
  private settle(capture: Capture, body: string | undefined, events: ModelEvent[]): void {
    let value: unknown;
    try {
      value = body === undefined ? undefined : JSON.parse(body.trim());
    } catch {
      value = undefined;
    }
    const shape = callShape(value);
    const name = shape?.name ?? PYTHON_TOOL_NAME;
    if (!capture.started) {
      capture.started = true;
      events.push({ type: 'tool_call_start', index: capture.index, id: capture.id, name });
    }
    const args = argsText(shape?.args);
    const call: ToolCall = { id: capture.id, name, arguments: shape ? args : (body ?? capture.body) };
    if (shape && name === PYTHON_TOOL_NAME) {
      const code = finalCode(args);
      if (code !== undefined) {
        call.code = code;
        if (code.length > capture.emitted.length && code.startsWith(capture.emitted)) {
          events.push({ type: 'code_delta', index: capture.index, id: capture.id, text: code.slice(capture.emitted.length) });
        }
      }
    }
    if (call.code === undefined && name === PYTHON_TOOL_NAME) {
      call.problem =
        body === undefined
          ? 'Not run: the tool call was cut off before it ended. Call `python` again with shorter code.'
          : 'Not run: the tool call written in the text was not valid JSON. Call `python` through the tool-calling API, or write <tool_call>{"name": "python", "arguments": {"code": "..."}}</tool_call> with valid JSON.';
    }
    events.push({ type: 'tool_call_end', index: capture.index, call });
    this.calls.push(call);
  }
}

/** The length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialSuffix(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(tag.slice(0, n))) return n;
  }
  return 0;
}
