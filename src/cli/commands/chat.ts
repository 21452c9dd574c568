// Placeholder registration for `codecell chat`; replaced by the real command.
import type { Command } from 'commander';

export function registerChat(program: Command): void {
  void program;
}
