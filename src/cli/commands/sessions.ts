// Placeholder registration for `codecell sessions`; replaced by the real command.
import type { Command } from 'commander';

export function registerSessions(program: Command): void {
  void program;
}
