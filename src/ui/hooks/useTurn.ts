// Runs one user turn: pulls SessionEvents from the session, batches live output to ~10 fps, draws images once.
import { useCallback, useRef } from 'react';
import type { SessionEvent } from '../../core/events.js';
import type { ChatSession } from '../../core/session-api.js';
import { drawChatImage } from '../images.js';
import type { DisplaySettings } from '../settings.js';
import { loadTextRenderers } from '../../render/text-renderers.js';
import type { ChatAction } from '../transcript.js';

type OutputEvent = Extract<SessionEvent, { type: 'cell_output' }>;

export interface TurnOptions {
  dispatch: (action: ChatAction) => void;
  display: DisplaySettings;
  /** Current terminal size, read when an image arrives. */
  size: () => { columns: number; rows: number };
  /** How often buffered output reaches the screen, ms. */
  outputFrameMs?: number;
}

export interface TurnControl {
  run(session: ChatSession, prompt: string): Promise<void>;
  /** Aborts the turn in progress (the session ends it with a cancelled `done`). */
  cancel(): boolean;
  /** Stops listening to a session being replaced or closed: later events are dropped. */
  detach(): void;
}

export function useTurn({ dispatch, display, size, outputFrameMs = 100 }: TurnOptions): TurnControl {
  // A note about how pictures are drawn (e.g. half-blocks inside tmux) is said once, before the first.
  const noted = useRef(false);
  const abort = useRef<AbortController | undefined>(undefined);
  // A generation counter: events that arrive after detach() belong to a turn nobody is watching.
  const generation = useRef(0);

  const run = useCallback(
    async (session: ChatSession, prompt: string) => {
      const gen = ++generation.current;
      const ctrl = new AbortController();
      abort.current = ctrl;
      let pending: OutputEvent | undefined;
      let timer: NodeJS.Timeout | undefined;
      const flush = (): void => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        if (pending && gen === generation.current) dispatch({ type: 'event', event: pending, now: Date.now() });
        pending = undefined;
      };
      dispatch({ type: 'user', text: prompt });
      try {
        // Markdown and highlighting load behind the first prompt; the answer must not be drawn before them.
        await loadTextRenderers();
        for await (const event of session.send(prompt, ctrl.signal)) {
          if (gen !== generation.current) break;
          if (event.type === 'cell_output') {
            if (pending && (pending.callId !== event.callId || pending.stream !== event.stream)) flush();
            pending = pending ? { ...pending, text: pending.text + event.text } : event;
            timer ??= setTimeout(flush, outputFrameMs);
            continue;
          }
          flush();
          if (event.type === 'cell_image') {
            const note = display.images ? display.graphics?.note : undefined;
            if (note && !noted.current) {
              noted.current = true;
              dispatch({ type: 'add', item: { kind: 'notice', level: 'info', text: note } });
            }
            const image = await drawChatImage(event.data, display, size());
            if (gen !== generation.current) break;
            dispatch({ type: 'event', event, now: Date.now(), image });
            continue;
          }
          dispatch({ type: 'event', event, now: Date.now() });
        }
      } catch (err) {
        // send() should never throw; if it does, the user sees why and the chat carries on.
        if (gen === generation.current) {
          dispatch({ type: 'add', item: { kind: 'error', message: (err as Error).message ?? String(err) } });
        }
      } finally {
        flush();
        if (gen === generation.current) dispatch({ type: 'turn_finished' });
        if (abort.current === ctrl) abort.current = undefined;
      }
    },
    [dispatch, display, size, outputFrameMs],
  );

  const cancel = useCallback(() => {
    if (!abort.current) return false;
    abort.current.abort();
    return true;
  }, []);

  const detach = useCallback(() => {
    abort.current?.abort();
    generation.current++;
  }, []);

  return { run, cancel, detach };
}
