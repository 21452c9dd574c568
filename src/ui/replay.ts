// Rebuilds a saved session's transcript (for --resume and /resume) by replaying its log through the reducer.
import type { SessionEvent } from '../core/events.js';
import type { SessionHistory } from '../store/session-history.js';
import { initialView, reduceView, type ChatView, type NewItem } from './transcript.js';

/** Items to show for a recorded session (undone exchanges already gone); images come back as a line with their file path. */
export function replayTranscript(history: SessionHistory): NewItem[] {
  let view: ChatView = initialView({ model: '', sandbox: 'stopped', outDir: '', sessionId: '' });
  for (const entry of history.entries) {
    view = reduceView(view, { type: 'turn_finished' });
    if (entry.kind === 'reset') {
      view = reduceView(view, { type: 'add', item: { kind: 'notice', level: 'info', text: '(the conversation and kernel were reset here)' } });
      continue;
    }
    if (entry.prompt !== undefined) view = reduceView(view, { type: 'user', text: entry.prompt });
    for (const r of entry.records) {
      if (r.kind !== 'event') continue;
      // Approval and usage events say nothing useful in a replay.
      if (r.data.type === 'approval_request' || r.data.type === 'usage') continue;
      // The reducer draws no picture in a replay (image: null), so an image's missing bytes are never read.
      const event = r.data as SessionEvent;
      view = reduceView(view, { type: 'event', event, now: Date.parse(r.t) || 0, image: null });
      // Code committed at once: there is no typing effect in a replay.
      if (event.type === 'code_end') view = reduceView(view, { type: 'code_revealed', callId: event.callId });
    }
  }
  view = reduceView(view, { type: 'turn_finished' });
  return view.items.map(({ id: _id, ...rest }) => rest as NewItem);
}
