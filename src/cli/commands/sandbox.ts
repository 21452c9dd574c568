// Placeholder registration for `codecell sandbox`; replaced by the real command.
import type { Command } from 'commander';

export function registerSandbox(program: Command): void {
  void program;
}
