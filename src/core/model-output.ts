// The cell output the model reads back, kept as its final state: `\r` repaints a line, clear_output empties, display updates replace.
/** Output pieces in order; displays with an id can be replaced in place by a later update. */
export class ModelOutput {
  private pieces: string[] = [];
  private size = 0;
  private readonly displays = new Map<string, number>();

  /** @param keep characters kept (head+tail are cut from this later); more is dropped */
  constructor(private readonly keep: number) {}

  append(text: string): void {
    if (this.size >= this.keep) return;
    this.pieces.push(text);
    this.size += text.length;
  }

  /** A rich output's text on its own line(s); an update replaces the earlier output with the same id. */
  display(text: string, displayId?: string, update?: boolean): void {
    const line = text.endsWith('\n') ? text : text + '\n';
    const last = this.pieces[this.pieces.length - 1];
    const piece = last !== undefined && !last.endsWith('\n') ? '\n' + line : line;
    if (displayId !== undefined && update) {
      const at = this.displays.get(displayId);
      if (at !== undefined) {
        const old = this.pieces[at]!;
        const replaced = (old.startsWith('\n') ? '\n' : '') + line;
        this.size += replaced.length - old.length;
        this.pieces[at] = replaced;
        return;
      }
      return; // updating a display that is not in this cell: Jupyter changes nothing here either
    }
    if (this.size >= this.keep) return;
    if (displayId !== undefined) this.displays.set(displayId, this.pieces.length);
    this.pieces.push(piece);
    this.size += piece.length;
  }

  /** clear_output(): what the cell showed so far is gone. */
  clear(): void {
    this.pieces = [];
    this.size = 0;
    this.displays.clear();
  }

  get length(): number {
    return this.size;
  }

  /** The text with carriage returns applied: of `a\rb` only `b` is left, as a terminal shows it. */
  toString(): string {
    return finalLines(this.pieces.join(''));
  }
}

/** Applies bare `\r` the way a terminal does for progress bars: the last non-empty repaint of each line stays. */
export function finalLines(text: string): string {
  if (!text.includes('\r')) return text;
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => {
      if (!line.includes('\r')) return line;
      const parts = line.split('\r').filter((p) => p.length > 0);
      return parts.length ? parts[parts.length - 1]! : '';
    })
    .join('\n');
}
