// Placeholder registration for `codecell exec`; replaced by the real command.
import type { Command } from 'commander';

export function registerExec(program: Command): void {
  void program;
}
