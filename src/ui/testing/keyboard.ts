// Waits and keys for ink-testing-library tests: they wait on redraws and on conditions, never on fixed times.

/** The part of ink-testing-library's render() these helpers drive. */
interface Rendered {
  frames: string[];
  stdin: { write(data: string): void; listenerCount(event: string): number };
}

/** Polls `check` until it holds; a bounded wait whose failure names what never happened. */
export async function until(check: () => boolean, what: string, ms = 4000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Keys for a rendered app: each one waits for the redraw it causes, so the next key meets the state this one left. */
export function keyboard(app: Rendered) {
  const press = async (seq: string): Promise<void> => {
    const frames = app.frames.length;
    app.stdin.write(seq);
    await until(() => app.frames.length > frames, `a redraw after the input ${JSON.stringify(seq)}`);
  };
  return {
    press,
    /** Types key by key, each one drawn before the next. */
    type: async (text: string): Promise<void> => {
      for (const ch of text) await press(ch);
    },
    /** Input that may change nothing on screen (the caller waits for its effect). */
    send: (seq: string): void => app.stdin.write(seq),
    /** The first frame is drawn and the app listens to the keyboard. */
    ready: (): Promise<void> => until(() => app.frames.length > 0 && app.stdin.listenerCount('readable') > 0, 'the app to draw and listen to the keyboard'),
  };
}
