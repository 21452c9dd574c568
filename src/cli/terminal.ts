// What the plain front ends need to know about the terminal: colours, width, and image/markdown renderers.
import { renderImage } from '../render/image.js';
import { loadMarkdown, renderMarkdown } from '../render/markdown.js';
import type { PlainOptions } from '../render/plain.js';

export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/** Options for PlainRenderer from the real process streams. */
export function plainTerminal(flags: { images?: boolean; quiet?: boolean; verbose?: boolean }, cellStdoutTo: 'stdout' | 'stderr'): PlainOptions {
  const stdoutIsTTY = process.stdout.isTTY === true;
  const stderrIsTTY = process.stderr.isTTY === true;
  const imageStream = cellStdoutTo === 'stdout' ? process.stdout : process.stderr;
  const color = colorEnabled(imageStream);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdoutIsTTY,
    stderrIsTTY,
    color,
    images: flags.images !== false,
    quiet: flags.quiet === true,
    verbose: flags.verbose === true,
    cellStdoutTo,
    markdown: async (text) => {
      // The renderer is loaded for the first answer, not at launch (it is not needed before).
      await loadMarkdown();
      return renderMarkdown(text, { width: Math.min(process.stdout.columns || 100, 120), color: colorEnabled(process.stdout) });
    },
    image: async (png) => {
      const cols = imageStream.columns || 80;
      const rows = imageStream.rows || 30;
      const r = await renderImage(png, { maxWidth: Math.min(cols - 2, 100), maxHeight: Math.max(10, rows - 4), native: true });
      if (!r.ok) throw new Error(r.reason);
      return r.text;
    },
  };
}
