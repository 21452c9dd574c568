// What the front ends need to know about the terminal: colours, width, how to draw figures, markdown.
import type { ImageMode } from '../render/image-mode.js';
import { loadMarkdown, renderMarkdown } from '../render/markdown.js';
import type { PlainOptions } from '../render/plain.js';
import { colorEnabled } from './color.js';
import { detectImages, queryTerminal, type TerminalImages } from '../render/terminal-graphics.js';

// In its own module so commands that only need it (doctor) do not load the image and markdown renderers.
export { colorEnabled } from './color.js';

/**
 * How figures are drawn on `stream` for the --images mode: from the environment, then by asking the
 * terminal when stdin is the same terminal (the answer is read in raw mode and never echoed).
 */
export function terminalImages(mode: ImageMode, stream: NodeJS.WriteStream, stdin: NodeJS.ReadStream = process.stdin): Promise<TerminalImages> {
  const canAsk = stdin.isTTY === true && stream.isTTY === true;
  const timeoutMs = Number(process.env.CODECELL_TERMINAL_QUERY_MS) || 400;
  return detectImages({
    mode,
    isTTY: stream.isTTY === true,
    ...(canAsk ? { query: () => queryTerminal(stdin, stream, timeoutMs) } : {}),
  });
}

/** Options for PlainRenderer from the real process streams. */
export function plainTerminal(flags: { images?: ImageMode; quiet?: boolean; verbose?: boolean }, cellStdoutTo: 'stdout' | 'stderr'): PlainOptions {
  const stdoutIsTTY = process.stdout.isTTY === true;
  const stderrIsTTY = process.stderr.isTTY === true;
  const imageStream = cellStdoutTo === 'stdout' ? process.stdout : process.stderr;
  const color = colorEnabled(imageStream);
  const mode = flags.images ?? 'auto';
  // Asked once, when the first figure arrives (most runs draw none).
  let detected: Promise<TerminalImages> | undefined;
  let noted = false;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdoutIsTTY,
    stderrIsTTY,
    color,
    images: mode !== 'off',
    quiet: flags.quiet === true,
    verbose: flags.verbose === true,
    cellStdoutTo,
    markdown: async (text) => {
      // The renderer is loaded for the first answer, not at launch (it is not needed before).
      await loadMarkdown();
      return renderMarkdown(text, { width: Math.min(process.stdout.columns || 100, 120), color: colorEnabled(process.stdout) });
    },
    image: async (png) => {
      const how = await (detected ??= terminalImages(mode, imageStream));
      if (how.method === 'none') throw new Error('this terminal shows no images');
      const cols = imageStream.columns || 80;
      const rows = imageStream.rows || 30;
      const protocol = how.method === 'blocks' ? undefined : how.method;
      // The image renderer (and its encoders) loads with the first figure: most runs draw none.
      const { imageText, renderImage } = await import('../render/image.js');
      const r = await renderImage(png, {
        maxWidth: protocol ? cols - 2 : Math.min(cols - 2, 100),
        maxHeight: Math.max(4, rows - 4),
        ...(protocol ? { protocol, tmux: how.tmux, ...(how.cellReported ? { cell: how.cell } : {}) } : {}),
      });
      if (!r.ok) throw new Error(r.reason);
      const note = how.note && !noted ? how.note + '\n' : '';
      noted = true;
      return note + imageText(r);
    },
  };
}
