// What Ctrl-C and Ctrl-D mean right now: a small state machine, kept apart from Ink so it can be tested.

/** What the chat is doing when the key arrives. */
export type Phase = 'idle' | 'streaming' | 'running' | 'approval';

export type KeyAction = 'cancel_turn' | 'interrupt_cell' | 'restart_kernel' | 'clear_input' | 'arm_exit' | 'exit' | 'none';

export interface InterruptState {
  /** When the last Ctrl-C that armed something happened, and in which phase. */
  armed?: { phase: Phase; at: number; cell?: string };
}

/** A second Ctrl-C counts as "second" within this window. */
export const DOUBLE_PRESS_MS = 2000;

export function onCtrlC(
  state: InterruptState,
  ctx: { phase: Phase; inputEmpty: boolean; now: number /** The running cell's id. */; cell?: string },
): { action: KeyAction; state: InterruptState } {
  const { phase, now } = ctx;
  const a = state.armed;
  // At the prompt "second" means within a short window; for a cell it means the same cell, however slow.
  const again = a !== undefined && a.phase === phase && (phase === 'running' ? a.cell === ctx.cell : now - a.at <= DOUBLE_PRESS_MS);
  switch (phase) {
    case 'streaming':
    case 'approval':
      return { action: 'cancel_turn', state: {} };
    case 'running':
      // First: SIGINT keeps state. Second: the cell ignores SIGINT, so restart the kernel.
      return again ? { action: 'restart_kernel', state: {} } : { action: 'interrupt_cell', state: { armed: { phase, at: now, cell: ctx.cell } } };
    case 'idle':
      if (!ctx.inputEmpty) return { action: 'clear_input', state: {} };
      return again ? { action: 'exit', state: {} } : { action: 'arm_exit', state: { armed: { phase, at: now } } };
  }
}

/** Ctrl-D exits at an empty idle prompt and does nothing otherwise. */
export function onCtrlD(ctx: { phase: Phase; inputEmpty: boolean }): KeyAction {
  return ctx.phase === 'idle' && ctx.inputEmpty ? 'exit' : 'none';
}
