// Rebuilds a saved session's transcript (for --resume and /resume) by replaying its log through the reducer.
import type { SessionEvent } from '../core/events.js';
import type { SessionRecord } from '../store/session-log.js';
import { initialView, reduceView, type ChatView, type NewItem } from './transcript.js';

/** Items to show for a recorded session; images come back as a line with their file path. */
export function replayTranscript(records: SessionRecord[]): NewItem[] {
  let view: ChatView = initialView({ model: '', sandbox: 'stopped', outDir: '', sessionId: '' });
  let exchanges: number[] = [];
  for (const r of records) {
    const d = (r.data ?? {}) as Record<string, unknown>;
    if (r.kind === 'message' && d.role === 'user' && typeof d.content === 'string') {
      view = reduceView(view, { type: 'turn_finished' });
      exchanges.push(view.items.length);
      view = reduceView(view, { type: 'user', text: d.content });
    } else if (r.kind === 'undo') {
      const start = exchanges.pop();
      if (start !== undefined) view = { ...view, busy: false, live: { text: '', reasoningChars: 0 }, items: view.items.slice(0, start) };
    } else if (r.kind === 'reset') {
      exchanges = [];
      view = reduceView(view, { type: 'add', item: { kind: 'notice', level: 'info', text: '(the conversation and kernel were reset here)' } });
    } else if (r.kind === 'event' && typeof d.type === 'string') {
      const event = d as unknown as SessionEvent;
      // Approval and usage events say nothing useful in a replay.
      if (event.type === 'approval_request' || event.type === 'usage') continue;
      view = reduceView(view, { type: 'event', event, now: Date.parse(r.t) || 0, image: null });
      // Code committed at once: there is no typing effect in a replay.
      if (event.type === 'code_end') view = reduceView(view, { type: 'code_revealed', callId: event.callId });
    }
  }
  view = reduceView(view, { type: 'turn_finished' });
  return view.items.map(({ id: _id, ...rest }) => rest as NewItem);
}
