// `codecell` / `codecell chat`: the interactive chat (the default command), with --resume. This file holds
// the command and its flags only, so `--help` stays light; the chat itself loads when it runs (chat-run.ts).
import type { Command } from 'commander';
import { addModelFlags, addSandboxFlags } from '../settings.js';
import type { ChatFlags } from './chat-run.js';

export const NOT_A_TERMINAL = 'codecell: the chat needs a terminal; for scripts use `codecell run`\n';

export function registerChat(program: Command): void {
  const cmd = program
    .command('chat', { isDefault: true })
    .description('interactive chat (the default command): `codecell` opens it')
    .argument('[words...]')
    .option('--resume [id]', 'bring back a recorded session (the latest without an id)')
    .option('--images <mode>', 'how to draw figures: auto, kitty, iterm, sixel, blocks or off (default auto)')
    .option('--no-images', 'do not draw images inline');
  addModelFlags(cmd);
  addSandboxFlags(cmd);
  cmd.action(async (words: string[], flags: ChatFlags) => {
    const { runChat } = await import('./chat-run.js');
    process.exitCode = await runChat(words, flags, cmd);
  });
}
