// Runs slash commands against the session and the host (saved sessions, export), reporting through callbacks.
import { resolve } from 'node:path';
import type { ChatSession } from '../core/session-api.js';
import type { NewItem } from './transcript.js';
import type { SlashCommand } from './slash.js';
import { helpLines } from './slash.js';
import { formatBytes } from '../shared/format.js';
import { formatUsage } from './format.js';
import { sanitize } from '../render/sanitize.js';
import { unreachable } from '../core/events.js';
import { UserError } from '../shared/user-error.js';

/** What the chat needs from outside the UI: saved sessions and export. Implemented in cli/commands/chat.ts. */
export interface ChatHost {
  /** One line per saved session, newest first. */
  listSessions(): Promise<string[]>;
  /** Opens a saved session in a fresh sandbox; returns it with the transcript to show. */
  resume(id: string): Promise<{ session: ChatSession; items: NewItem[]; notice?: string }>;
  /** Runs a resumed session's cells again in the sandbox (no model); returns summary lines. */
  rerun(session: ChatSession): Promise<string[]>;
  /** Writes the current session as md, ipynb or py into its output folder; returns the path. */
  save(session: ChatSession, format: 'md' | 'ipynb' | 'py'): Promise<string>;
}

export interface CommandContext {
  session: ChatSession;
  host: ChatHost;
  cwd: string;
  say(lines: string[]): void;
  warn(text: string): void;
  fail(message: string, fix?: string): void;
  clear(): void;
  exit(): void;
  /** A different session takes over (after /resume); the old one is closed by the caller. */
  replaceSession(next: ChatSession, items: NewItem[], notice?: string): void;
  modelChanged(model: string): void;
}

export const KEY_HELP = [
  'Enter sends · Alt+Enter or Ctrl+J adds a line · ↑/↓ history · Tab completes commands and paths',
  'Ctrl-C cancels the answer, interrupts running code (twice: restarts the kernel), twice at an empty prompt exits',
  'Ctrl-D at an empty prompt exits · start a prompt with // to send a leading slash',
];

export async function runSlash(command: SlashCommand, ctx: CommandContext): Promise<void> {
  const s = ctx.session;
  try {
    switch (command.name) {
      case 'help':
        ctx.say([...helpLines(), '', ...KEY_HELP]);
        return;
      case 'reset':
        ctx.say(['starting a new kernel and a new conversation…']);
        await s.reset();
        ctx.say(['ready: new kernel, empty conversation']);
        return;
      case 'undo':
        ctx.say([s.undo() ? 'dropped the last exchange (the kernel keeps its variables)' : 'nothing to undo']);
        return;
      case 'files': {
        const files = s.files();
        ctx.say(files.length ? files.map((f) => `${sanitize(f.path)}  (${formatBytes(f.size)})`) : ['no files saved yet']);
        return;
      }
      case 'upload': {
        const where = await s.upload(resolve(ctx.cwd, command.path));
        ctx.say([`uploaded ${command.path} → ${where}`]);
        return;
      }
      case 'model':
        s.setModel(command.model);
        ctx.modelChanged(command.model);
        ctx.say([`model: ${command.model}`]);
        return;
      case 'tokens':
        ctx.say([`this session: ${formatUsage(s.usage())}`]);
        return;
      case 'confirm':
        s.setConfirm(command.on);
        ctx.say([command.on ? 'confirm mode on: each cell waits for y (run), n (skip) or e (edit)' : 'confirm mode off: cells run as they come']);
        return;
      case 'save': {
        const path = await ctx.host.save(s, command.format);
        ctx.say([`saved ${path}`]);
        return;
      }
      case 'rerun':
        ctx.say(["re-running the resumed session's cells…"]);
        ctx.say(await ctx.host.rerun(s));
        return;
      case 'sessions': {
        const lines = await ctx.host.listSessions();
        ctx.say(lines.length ? [...lines, '', 'bring one back with /resume <id>'] : ['no saved sessions yet']);
        return;
      }
      case 'resume': {
        ctx.say([`resuming ${command.id}…`]);
        const { session, items, notice } = await ctx.host.resume(command.id);
        ctx.replaceSession(session, items, notice);
        return;
      }
      case 'clear':
        ctx.clear();
        return;
      case 'exit':
        ctx.exit();
        return;
      default:
        unreachable(command);
    }
  } catch (err) {
    const fix = err instanceof UserError ? err.fix : undefined;
    ctx.fail(sanitize(err instanceof Error ? err.message : String(err)), fix === undefined ? undefined : sanitize(fix));
  }
}
