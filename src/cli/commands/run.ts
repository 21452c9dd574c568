// Placeholder registration for `codecell run`; replaced by the real command.
import type { Command } from 'commander';

export function registerRun(program: Command): void {
  void program;
}
