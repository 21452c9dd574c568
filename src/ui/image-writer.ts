// Puts graphics escapes on screen for the chat: Ink lays out a placeholder, the writer swaps in the picture.
import { randomBytes } from 'node:crypto';
import { placeGraphic } from '../render/graphics.js';
import type { ImageRender } from '../render/image.js';

type Graphic = Extract<ImageRender, { kind: 'graphic' }>;

/**
 * Ink re-tokenises every line it draws, which breaks graphics escapes, and it repaints the live area,
 * which would paint over a picture. So an image item in <Static> renders a one-line marker followed
 * by blank rows (Ink counts them like any text), and the stream Ink writes to replaces the marker with
 * the picture drawn over those rows. <Static> output is written once and never repainted, so the
 * picture stays where it was made and scrolls into the scrollback with the text around it.
 * The marker holds a per-process random nonce: text from the sandbox or the model cannot forge one.
 */
export class ImageWriter {
  private readonly nonce = randomBytes(4).toString('hex');
  private readonly graphics: Graphic[] = [];
  private readonly ids = new WeakMap<Graphic, number>();
  private readonly pattern = new RegExp(`#IMG-${this.nonce}-(\\d+)#`, 'g');

  /** The placeholder line for a graphic; the same render always gets the same marker. */
  marker(render: Graphic): string {
    let id = this.ids.get(render);
    if (id === undefined) {
      id = this.graphics.push(render) - 1;
      this.ids.set(render, id);
    }
    return `#IMG-${this.nonce}-${id}#`;
  }

  /** Replaces every marker in a chunk Ink is about to write with its picture, drawn from column `indent`. */
  expand(chunk: string, indent = 2): string {
    if (!chunk.includes(`#IMG-${this.nonce}-`)) return chunk;
    return chunk.replace(this.pattern, (whole, n: string) => {
      const g = this.graphics[Number(n)];
      return g ? placeGraphic(g.escape, g.rows, indent) : whole;
    });
  }

  /** A stream for Ink: everything passes through to `stdout`, with markers expanded on the way. */
  wrap<T extends NodeJS.WriteStream>(stdout: T): T {
    const write = (chunk: unknown, ...rest: unknown[]): boolean => {
      const text = typeof chunk === 'string' ? this.expand(chunk) : chunk;
      return (stdout.write as (...a: unknown[]) => boolean)(text, ...rest);
    };
    return new Proxy(stdout, {
      get(target, prop) {
        if (prop === 'write') return write;
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

/** The chat's one writer (a marker is only meaningful to the writer that made it). */
export const imageWriter = new ImageWriter();
