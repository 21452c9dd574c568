// Placeholder registration for `codecell config`; replaced by the real command.
import type { Command } from 'commander';

export function registerConfig(program: Command): void {
  void program;
}
