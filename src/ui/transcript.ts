// The chat's screen model: a reducer from SessionEvents (and UI actions) to finished items and the live area.
import type { SessionEvent, UsageTotals } from '../core/events.js';
import { unreachable } from '../core/events.js';
import type { SandboxState } from '../sandbox/types.js';
import type { ManifestEntry } from '../store/types.js';
import type { ImageRender } from '../render/image.js';
import { sanitize } from '../render/sanitize.js';

/** Finished things: rendered once, in order, inside <Static>. */
export type Item =
  | { kind: 'user'; id: number; text: string }
  | { kind: 'assistant'; id: number; text: string }
  /** The model's reasoning, shown dimmed; never part of the answer. */
  | { kind: 'reasoning'; id: number; text: string }
  | { kind: 'code'; id: number; code: string }
  | { kind: 'output'; id: number; lines: string[] }
  | { kind: 'cell_end'; id: number; status: string; durationMs: number; stateLost: boolean; message?: string; hiddenLines: number; fullOutputPath?: string }
  | { kind: 'image'; id: number; render: ImageRender | null; width: number; height: number; path?: string }
  | { kind: 'file'; id: number; file: ManifestEntry }
  | { kind: 'traceback'; id: number; ename: string; evalue: string; traceback: string[] }
  | { kind: 'error'; id: number; message: string; fix?: string }
  | { kind: 'notice'; id: number; level: 'info' | 'warn'; text: string }
  | { kind: 'info'; id: number; lines: string[] };

type WithoutId<T> = T extends Item ? Omit<T, 'id'> : never;
/** Something new for the transcript, without its id. */
export type NewItem = WithoutId<Item>;

export interface LiveCell {
  callId: string;
  startedAt: number;
  /** Output lines of the current segment, not yet committed. */
  lines: string[];
  /** The incomplete last line. */
  partial: string;
  /** Lines committed or buffered so far in this cell (counts toward the cap). */
  kept: number;
  /** Lines dropped by the cap. */
  hidden: number;
  /** The last few lines, shown under the spinner even past the cap. */
  tail: string[];
}

export interface ChatHeader {
  model: string;
  sandbox: SandboxState;
  outDir: string;
  sessionId: string;
  usage?: UsageTotals;
}

export interface ChatView {
  items: Item[];
  nextId: number;
  /** Bumped by /clear so <Static> starts over. */
  epoch: number;
  header: ChatHeader;
  busy: boolean;
  live: {
    text: string;
    /** Text of this model call already put in the transcript (before its code), so `text` does not repeat it. */
    shownText?: string;
    reasoningChars: number;
    /** Reasoning of this model call not yet in the transcript (shown dimmed under it while it streams). */
    reasoning?: string;
    code?: { callId: string; text: string; done: boolean };
    cell?: LiveCell;
  };
}

export type Phase = 'idle' | 'streaming' | 'running';

export type ChatAction =
  | { type: 'event'; event: SessionEvent; now: number; image?: ImageRender | null }
  | { type: 'user'; text: string }
  | { type: 'add'; item: NewItem }
  | { type: 'code_revealed'; callId: string }
  | { type: 'turn_finished' }
  | { type: 'header'; header: Partial<ChatHeader> }
  | { type: 'clear' };

export interface ViewOptions {
  /** Output lines kept per cell before "… N more lines". */
  maxOutputLines: number;
  /** Lines of live output under the spinner. */
  tailLines: number;
}

export const defaultViewOptions: ViewOptions = { maxOutputLines: 40, tailLines: 5 };

export function initialView(header: ChatHeader): ChatView {
  return { items: [], nextId: 1, epoch: 0, header, busy: false, live: { text: '', reasoningChars: 0 } };
}

export function phaseOf(view: ChatView): Phase {
  if (view.live.cell) return 'running';
  return view.busy ? 'streaming' : 'idle';
}

function add(view: ChatView, item: NewItem): ChatView {
  return { ...view, items: [...view.items, { ...item, id: view.nextId } as Item], nextId: view.nextId + 1 };
}

/** Moves streamed reasoning into the transcript, above the text or code that follows it. */
function commitReasoning(view: ChatView): ChatView {
  const reasoning = view.live.reasoning ?? '';
  if (!reasoning) return view;
  const v = { ...view, live: { ...view.live, reasoning: '' } };
  return reasoning.trim() ? add(v, { kind: 'reasoning', text: sanitize(reasoning.trim()) }) : v;
}

/** Moves code that is still typing into the transcript, so later items land after it. */
function commitCode(view: ChatView): ChatView {
  const code = view.live.code;
  if (!code) return view;
  const v = { ...view, live: { ...view.live, code: undefined } };
  return code.text ? add(v, { kind: 'code', code: code.text }) : v;
}

/** Moves the buffered output lines of the running cell into the transcript (before an image, say). */
function flushOutput(view: ChatView): ChatView {
  const cell = view.live.cell;
  if (!cell || cell.lines.length === 0) return view;
  const v = add(view, { kind: 'output', lines: cell.lines });
  return { ...v, live: { ...v.live, cell: { ...cell, lines: [] } } };
}

/** Applies a terminal's carriage-return semantics to one line (progress bars), then sanitizes it. */
function cleanLine(line: string): string {
  const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
  const cr = trimmed.lastIndexOf('\r');
  return sanitize(cr === -1 ? trimmed : trimmed.slice(cr + 1));
}

function appendOutput(cell: LiveCell, text: string, opts: ViewOptions): LiveCell {
  const parts = (cell.partial + text).split('\n');
  const partial = parts.pop() ?? '';
  const lines = [...cell.lines];
  let { kept, hidden } = cell;
  const done: string[] = [];
  for (const raw of parts) {
    const line = cleanLine(raw);
    done.push(line);
    if (kept < opts.maxOutputLines) {
      lines.push(line);
      kept++;
    } else {
      hidden++;
    }
  }
  const tail = done.length ? [...cell.tail, ...done].slice(-opts.tailLines) : cell.tail;
  return { ...cell, lines, partial, kept, hidden, tail };
}

/** Commits what the running cell printed, including a last line without a newline. */
function closeCell(view: ChatView, opts: ViewOptions): { view: ChatView; hidden: number } {
  const cell = view.live.cell;
  if (!cell) return { view, hidden: 0 };
  const closed = cell.partial ? appendOutput(cell, '\n', opts) : cell;
  const v = flushOutput({ ...view, live: { ...view.live, cell: closed } });
  return { view: { ...v, live: { ...v.live, cell: undefined } }, hidden: closed.hidden };
}

function endCell(view: ChatView, e: Extract<SessionEvent, { type: 'cell_end' }>, opts: ViewOptions): ChatView {
  const { view: v, hidden } = closeCell(commitCode(view), opts);
  return add(v, {
    kind: 'cell_end',
    status: e.status,
    durationMs: e.durationMs,
    stateLost: e.stateLost,
    message: e.message === undefined ? undefined : sanitize(e.message),
    hiddenLines: hidden,
    fullOutputPath: hidden > 0 ? fullOutputPathOf(e.modelView) : undefined,
  });
}

/** The session writes long output to a file and names it in what the model is told (core/model-view.ts). */
function fullOutputPathOf(modelView: string): string | undefined {
  const m = /full output saved at (.+?)\] …/.exec(modelView);
  return m ? sanitize(m[1]!) : undefined;
}

const doneNotice: Record<'max_turns' | 'budget' | 'cancelled', string> = {
  cancelled: 'turn cancelled',
  max_turns: 'stopped: the turn limit was reached (raise it with --max-turns)',
  budget: 'stopped: the budget was reached (raise it with --budget)',
};

function finishTurn(view: ChatView, cancelled: boolean, opts: ViewOptions): ChatView {
  let v = closeCell(commitCode(commitReasoning(view)), opts).view;
  if (v.live.text.trim()) v = add(v, { kind: 'assistant', text: sanitize(v.live.text) + (cancelled ? ' …' : '') });
  return { ...v, busy: false, live: { text: '', reasoningChars: 0 } };
}

function onEvent(view: ChatView, action: Extract<ChatAction, { type: 'event' }>, opts: ViewOptions): ChatView {
  const event = action.event;
  switch (event.type) {
    case 'session_start':
      return { ...view, header: { ...view.header, sessionId: event.sessionId, model: event.model, outDir: event.outDir } };
    case 'sandbox_state':
      return { ...view, header: { ...view.header, sandbox: event.state } };
    case 'turn_start':
      return { ...view, busy: true };
    case 'text_delta': {
      const v = commitReasoning(view);
      return { ...v, busy: true, live: { ...v.live, text: v.live.text + event.text } };
    }
    case 'reasoning_delta':
      return {
        ...view,
        live: { ...view.live, reasoningChars: view.live.reasoningChars + event.text.length, reasoning: (view.live.reasoning ?? '') + event.text },
      };
    case 'reasoning':
      return commitReasoning(view);
    case 'text': {
      const shown = view.live.shownText ?? '';
      const v = commitCode(commitReasoning({ ...view, live: { ...view.live, text: '', shownText: undefined, reasoningChars: 0 } }));
      const rest = event.text.startsWith(shown) ? event.text.slice(shown.length) : shown ? '' : event.text;
      return rest.trim() ? add(v, { kind: 'assistant', text: sanitize(rest.trim()) }) : v;
    }
    case 'code_start': {
      // Text streamed before a tool call belongs above its code.
      let v = commitCode(commitReasoning(view));
      if (v.live.text.trim()) {
        v = add(v, { kind: 'assistant', text: sanitize(v.live.text.trim()) });
        v = { ...v, live: { ...v.live, shownText: (v.live.shownText ?? '') + v.live.text, text: '' } };
      }
      return { ...v, busy: true, live: { ...v.live, code: { callId: event.callId, text: '', done: false } } };
    }
    case 'code_delta': {
      const code = view.live.code;
      if (!code || code.callId !== event.callId) {
        return { ...view, live: { ...view.live, code: { callId: event.callId, text: event.text, done: false } } };
      }
      return { ...view, live: { ...view.live, code: { ...code, text: code.text + event.text } } };
    }
    case 'code_end':
      return { ...view, live: { ...view.live, code: { callId: event.callId, text: event.code, done: true } } };
    case 'approval_request':
      // The approval prompt shows the code in full, so it goes into the transcript now.
      return commitCode(view);
    case 'cell_start':
      return {
        ...view,
        live: {
          ...view.live,
          cell: { callId: event.callId, startedAt: action.now, lines: [], partial: '', kept: 0, hidden: 0, tail: [] },
        },
      };
    case 'cell_output':
    case 'cell_result': {
      const cell = view.live.cell;
      if (!cell) return view;
      const text = event.type === 'cell_result' ? (cell.partial ? '\n' : '') + event.text + '\n' : event.text;
      return { ...view, live: { ...view.live, cell: appendOutput(cell, text, opts) } };
    }
    case 'cell_display': {
      // Rich output in the chat: its text form (Markdown source, HTML as a text table, text/plain).
      const cell = view.live.cell;
      if (!cell) return view;
      return { ...view, live: { ...view.live, cell: appendOutput(cell, (cell.partial ? '\n' : '') + event.text + '\n', opts) } };
    }
    case 'cell_clear': {
      // clear_output(): what is still in the live area goes; lines already in the transcript stay.
      const cell = view.live.cell;
      if (!cell) return view;
      return { ...view, live: { ...view.live, cell: { ...cell, lines: [], partial: '', tail: [], kept: cell.kept - cell.lines.length } } };
    }
    case 'cell_image': {
      const v = flushOutput(commitCode(view));
      return add(v, { kind: 'image', render: action.image ?? null, width: event.width, height: event.height, path: event.file?.path });
    }
    case 'cell_error': {
      const v = flushOutput(commitCode(view));
      return add(v, {
        kind: 'traceback',
        ename: sanitize(event.ename),
        evalue: sanitize(event.evalue),
        traceback: event.traceback.map((l) => sanitize(l)),
      });
    }
    case 'file_saved':
      return add(flushOutput(commitCode(view)), { kind: 'file', file: event.file });
    case 'cell_end':
      return endCell(view, event, opts);
    case 'usage':
      return { ...view, header: { ...view.header, usage: event.session } };
    case 'notice':
      return add(commitCode(view), { kind: 'notice', level: event.level, text: sanitize(event.text) });
    case 'error':
      return add(commitCode(view), {
        kind: 'error',
        message: sanitize(event.message),
        fix: event.fix === undefined ? undefined : sanitize(event.fix),
      });
    case 'done': {
      const v = finishTurn({ ...view, header: { ...view.header, usage: event.usage } }, event.status === 'cancelled', opts);
      if (event.status === 'ok' || event.status === 'error') return v;
      return add(v, { kind: 'notice', level: 'warn', text: doneNotice[event.status] });
    }
    default:
      return unreachable(event);
  }
}

export function reduceView(view: ChatView, action: ChatAction, opts: ViewOptions = defaultViewOptions): ChatView {
  switch (action.type) {
    case 'event':
      return onEvent(view, action, opts);
    case 'user':
      return { ...add(view, { kind: 'user', text: action.text }), busy: true };
    case 'add':
      return add(view, action.item);
    case 'code_revealed': {
      const code = view.live.code;
      return code?.done && code.callId === action.callId ? commitCode(view) : view;
    }
    case 'turn_finished':
      return view.busy || view.live.cell || view.live.code ? finishTurn(view, true, opts) : view;
    case 'header':
      return { ...view, header: { ...view.header, ...action.header } };
    case 'clear':
      return { ...view, items: [], epoch: view.epoch + 1 };
    default:
      return unreachable(action);
  }
}
