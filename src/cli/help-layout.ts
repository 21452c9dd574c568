// Help text as data: the width-independent parts of a command's commander help, and the formatter that
// lays them out for a terminal width with commander's own Help (so `--help` can answer without loading
// the commands). src/cli/help-layout.test.ts keeps the output equal to commander's at many widths.
import { type Command, Help } from 'commander';

/** One line of a help section: a term (flags, command, argument) and its description. */
export interface HelpItem {
  term: string;
  description: string;
}

export interface HelpSection {
  heading: string;
  items: HelpItem[];
}

/** Everything `<command> --help` prints, minus the wrapping to the terminal's width. */
export interface HelpLayout {
  /** Text written before the help (addHelpText 'beforeAll'/'before'). */
  before: string;
  usage: string;
  description: string;
  /** Width the terms are padded to, shared by every section. */
  termWidth: number;
  sections: HelpSection[];
  /** Text written after the help (addHelpText 'after'/'afterAll'); README_MARK stands for the README's path. */
  after: string;
}

/** Stands for the README's path in a stored layout: it depends on where codecell is installed. */
export const README_MARK = '\u0000README\u0000';

/** Runs `fn` with `cmd`'s help laid out for `width` columns, without colour, its output going to `writeOut`. */
function withOutput<T>(cmd: Command, width: number, writeOut: (s: string) => void, fn: () => T): T {
  const saved = cmd.configureOutput();
  cmd.configureOutput({ ...saved, writeOut, getOutHelpWidth: () => width, getOutHasColors: () => false });
  try {
    return fn();
  } finally {
    cmd.configureOutput(saved);
  }
}

/** The help of `cmd` as commander prints it for `--help` at `width` columns, without colour. */
export function captureHelp(cmd: Command, width: number): string {
  let out = '';
  withOutput(
    cmd,
    width,
    (s) => {
      out += s;
    },
    () => cmd.outputHelp(),
  );
  return out;
}

/** The layout of `cmd`'s help, taken from commander's Help the way its formatHelp takes it. */
export function layoutOf(cmd: Command, readmePath: string): HelpLayout {
  const helper = cmd.createHelp();
  helper.prepareContext({ helpWidth: 80, outputHasColors: false });
  const item = (term: string, description: string): HelpItem => ({ term, description });
  const sections: HelpSection[] = [];
  const add = (heading: string, items: HelpItem[]): void => void (items.length > 0 && sections.push({ heading: helper.styleTitle(heading), items }));
  add(
    'Arguments:',
    helper
      .visibleArguments(cmd)
      .map((a) => item(helper.styleArgumentTerm(helper.argumentTerm(a)), helper.styleArgumentDescription(helper.argumentDescription(a)))),
  );
  const options = helper.groupItems([...cmd.options], helper.visibleOptions(cmd), (o) => o.helpGroupHeading ?? 'Options:');
  for (const [group, opts] of options) {
    add(
      group,
      opts.map((o) => item(helper.styleOptionTerm(helper.optionTerm(o)), helper.styleOptionDescription(helper.optionDescription(o)))),
    );
  }
  if (helper.showGlobalOptions) {
    add(
      'Global Options:',
      helper
        .visibleGlobalOptions(cmd)
        .map((o) => item(helper.styleOptionTerm(helper.optionTerm(o)), helper.styleOptionDescription(helper.optionDescription(o)))),
    );
  }
  const commands = helper.groupItems(cmd.commands as Command[], helper.visibleCommands(cmd), (c) => c.helpGroup() || 'Commands:');
  for (const [group, subs] of commands) {
    add(
      group,
      subs.map((c) => item(helper.styleSubcommandTerm(helper.subcommandTerm(c)), helper.styleSubcommandDescription(helper.subcommandDescription(c)))),
    );
  }
  // Text added around the help (addHelpText) is whatever the full output holds besides the help itself.
  const full = captureHelp(cmd, 80);
  const info = withOutput(
    cmd,
    80,
    () => undefined,
    () => cmd.helpInformation({ error: false }),
  );
  const at = full.indexOf(info);
  if (at < 0) throw new Error(`help of ${cmd.name()}: commander's output does not contain its help information`);
  const mark = (s: string): string => s.split(readmePath).join(README_MARK);
  return {
    before: mark(full.slice(0, at)),
    usage: `${helper.styleTitle('Usage:')} ${helper.styleUsage(helper.commandUsage(cmd))}`,
    description: helper.styleCommandDescription(helper.commandDescription(cmd)),
    termWidth: helper.padWidth(cmd, helper),
    sections,
    after: mark(full.slice(at + info.length)),
  };
}

/** The help text of a layout at `width` columns, as commander's formatHelp lays it out. */
export function formatLayout(layout: HelpLayout, width: number, readmePath = ''): string {
  const helper = new Help();
  helper.prepareContext({ helpWidth: width, outputHasColors: false });
  let lines = [layout.usage, ''];
  if (layout.description.length > 0) lines.push(helper.boxWrap(layout.description, width), '');
  for (const section of layout.sections) {
    lines = lines.concat(
      section.heading,
      section.items.map((i) => helper.formatItem(i.term, layout.termWidth, i.description, helper)),
      '',
    );
  }
  const unmark = (s: string): string => s.split(README_MARK).join(readmePath);
  return `${unmark(layout.before)}${lines.join('\n')}${unmark(layout.after)}`;
}
