// Placeholder registration for `codecell batch`; replaced by the real command.
import type { Command } from 'commander';

export function registerBatch(program: Command): void {
  void program;
}
