// Slash commands: the list with their help lines, and parsing of what the user typed.

export interface SlashSpec {
  name: string;
  args?: string;
  help: string;
}

export const SLASH_COMMANDS: readonly SlashSpec[] = [
  { name: 'help', help: 'show commands and keys' },
  { name: 'reset', help: 'new kernel and a new conversation' },
  { name: 'undo', help: 'drop the last exchange from the conversation' },
  { name: 'files', help: 'list the files saved in this session' },
  { name: 'upload', args: '<path>', help: 'copy a file into /mnt/data' },
  { name: 'model', args: '<name>', help: 'switch the model' },
  { name: 'tokens', help: 'token usage and cost so far' },
  { name: 'confirm', args: 'on|off', help: 'ask before running each cell' },
  { name: 'save', args: '[md|ipynb|py]', help: 'export this session into the output folder' },
  { name: 'sessions', help: 'list saved sessions' },
  { name: 'resume', args: '<id>', help: 'bring back a saved session' },
  { name: 'rerun', help: "run a resumed session's cells again to get its variables back" },
  { name: 'clear', help: 'clear the screen' },
  { name: 'exit', help: 'quit (also Ctrl-D)' },
];

export type SlashCommand =
  | { name: 'help' | 'reset' | 'undo' | 'files' | 'tokens' | 'sessions' | 'rerun' | 'clear' | 'exit' }
  | { name: 'upload'; path: string }
  | { name: 'model'; model: string }
  | { name: 'confirm'; on: boolean }
  | { name: 'save'; format: 'md' | 'ipynb' | 'py' }
  | { name: 'resume'; id: string };

export type SlashParse = { ok: true; command: SlashCommand } | { ok: false; message: string };

/** True when the input is a command rather than a prompt ("//" escapes a leading slash). */
export function isSlash(input: string): boolean {
  const t = input.trimStart();
  return t.startsWith('/') && !t.startsWith('//') && !t.includes('\n');
}

/** Removes shell-style quotes around a path argument. */
function unquote(s: string): string {
  const m = /^(['"])(.*)\1$/.exec(s);
  return m ? m[2]! : s.replace(/\\ /g, ' ');
}

export function parseSlash(input: string): SlashParse {
  const t = input.trim();
  const m = /^\/(\S+)\s*(.*)$/s.exec(t);
  if (!m) return { ok: false, message: 'type /help for commands' };
  const name = m[1]!.toLowerCase();
  const arg = m[2]!.trim();
  const usage = (spec: string): SlashParse => ({ ok: false, message: `usage: /${name} ${spec}` });
  switch (name) {
    case 'help':
    case 'reset':
    case 'undo':
    case 'files':
    case 'tokens':
    case 'sessions':
    case 'rerun':
    case 'clear':
    case 'exit':
      return { ok: true, command: { name } };
    case 'quit':
      return { ok: true, command: { name: 'exit' } };
    case 'upload':
      return arg ? { ok: true, command: { name, path: unquote(arg) } } : usage('<path>');
    case 'model':
      return arg && !/\s/.test(arg) ? { ok: true, command: { name, model: arg } } : usage('<name>');
    case 'confirm':
      if (arg === 'on' || arg === 'off') return { ok: true, command: { name, on: arg === 'on' } };
      return usage('on|off');
    case 'save': {
      const format = arg || 'md';
      if (format === 'md' || format === 'ipynb' || format === 'py') return { ok: true, command: { name, format } };
      return usage('[md|ipynb|py]');
    }
    case 'resume':
      return arg ? { ok: true, command: { name, id: arg } } : usage('<id>   (see /sessions)');
    default:
      return { ok: false, message: `unknown command /${name}; type /help for the list` };
  }
}

/** The /help text, one command per line. */
export function helpLines(): string[] {
  return SLASH_COMMANDS.map((c) => `/${c.name}${c.args ? ' ' + c.args : ''}`.padEnd(22) + c.help);
}
