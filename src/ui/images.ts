// Draws a figure for the chat's transcript at the current terminal size, the way the display settings say.
import { readFile, stat } from 'node:fs/promises';
import { renderImage, type ImageRender } from '../render/image.js';
import type { TerminalImages } from '../render/terminal-graphics.js';
import type { DisplaySettings, GraphicsTarget } from './settings.js';
import type { NewItem } from './transcript.js';

/** What the chat needs from the terminal's detected graphics. */
export function graphicsTarget(t: TerminalImages): GraphicsTarget {
  const protocol = t.method === 'kitty' || t.method === 'iterm' || t.method === 'sixel' ? t.method : undefined;
  return { ...(protocol ? { protocol } : {}), ...(t.cellReported ? { cell: t.cell } : {}), tmux: t.tmux, ...(t.note ? { note: t.note } : {}) };
}

/** Room the chat keeps under a picture for the header, prompt and status lines. */
const ROWS_KEPT = 8;

export async function drawChatImage(data: Buffer, display: DisplaySettings, size: { columns: number; rows: number }): Promise<ImageRender | null> {
  if (!display.images) return null;
  const g = display.graphics;
  if (g?.protocol) {
    return renderImage(data, {
      maxWidth: Math.max(8, size.columns - 4),
      maxHeight: Math.max(4, size.rows - ROWS_KEPT),
      protocol: g.protocol,
      ...(g.cell ? { cell: g.cell } : {}),
      ...(g.tmux ? { tmux: true } : {}),
    });
  }
  return renderImage(data, { maxWidth: Math.min(100, size.columns - 4), maxHeight: Math.max(6, size.rows - 6) });
}

/** Saved figures bigger than this are not read back for a resumed transcript (the header check refuses far less). */
const MAX_SAVED_BYTES = 32 * 1024 * 1024;

/**
 * A resumed session's transcript has its figures as paths only; draw them again from the saved files.
 * A file that is gone or unreadable keeps its path line, with the reason.
 */
export async function drawSavedImages(items: NewItem[], display: DisplaySettings, size: { columns: number; rows: number }): Promise<NewItem[]> {
  if (!display.images) return items;
  const out: NewItem[] = [];
  for (const item of items) {
    if (item.kind !== 'image' || !item.path || item.render) {
      out.push(item);
      continue;
    }
    try {
      const info = await stat(item.path);
      if (!info.isFile() || info.size > MAX_SAVED_BYTES) throw new Error('not a readable figure file');
      out.push({ ...item, render: await drawChatImage(await readFile(item.path), display, size) });
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the saved file is gone' : (err as Error).message;
      out.push({ ...item, render: { ok: false, reason } });
    }
  }
  return out;
}
