// Splits a reply's content into reasoning (a leading <think>…</think> block) and the answer, as it streams.

const OPEN = '<think>';
const CLOSE = '</think>';

export interface ThinkPiece {
  /** Answer text, safe to show now. */
  text: string;
  /** Reasoning text, shown dimmed and never sent back or saved as the answer. */
  reasoning: string;
}

/** The length of the longest suffix of `text` that is a proper prefix of `tag` (a tag that may still be arriving). */
function partialTagAt(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(tag.slice(0, n))) return n;
  }
  return 0;
}

/**
 * Reasoning models served by Ollama and llama.cpp (DeepSeek-R1, Qwen3) put their thinking in the content
 * as `<think>…</think>` at the start of the reply. Only a block at the very start (after blank space)
 * counts, so an answer that merely mentions the tag, or code that prints it, is left alone.
 */
export class ThinkFilter {
  private state: 'start' | 'inside' | 'after' | 'outside' = 'start';
  private held = '';
  private started = false;

  private sawOpen = false;

  /** True once a leading `<think>` was seen (then a later `</think>` is not a late one). */
  get opened(): boolean {
    return this.sawOpen;
  }

  push(chunk: string): ThinkPiece {
    let text = '';
    let reasoning = '';
    let input = this.held + chunk;
    this.held = '';
    while (input) {
      switch (this.state) {
        case 'start': {
          const trimmed = input.trimStart();
          if (trimmed.startsWith(OPEN)) {
            this.state = 'inside';
            this.sawOpen = true;
            input = trimmed.slice(OPEN.length);
          } else if (OPEN.startsWith(trimmed)) {
            this.held = input; // Blank space or part of the tag: wait for more.
            input = '';
          } else {
            this.state = 'outside';
          }
          break;
        }
        case 'inside': {
          // The line break after <think> is layout, not reasoning.
          if (!this.started) {
            input = input.replace(/^\s+/, '');
            if (!input) break;
            this.started = true;
          }
          const end = input.indexOf(CLOSE);
          if (end >= 0) {
            reasoning += input.slice(0, end);
            input = input.slice(end + CLOSE.length);
            this.state = 'after';
          } else {
            const keep = partialTagAt(input, CLOSE);
            reasoning += input.slice(0, input.length - keep);
            this.held = input.slice(input.length - keep);
            input = '';
          }
          break;
        }
        case 'after': {
          // The blank lines between the reasoning and the answer are not part of the answer.
          const rest = input.trimStart();
          if (rest) this.state = 'outside';
          input = rest;
          break;
        }
        case 'outside':
          text += input;
          input = '';
          break;
      }
    }
    return { text, reasoning };
  }

  /** The stream ended: whatever was held back is released (an unclosed block stays reasoning). */
  end(): ThinkPiece {
    const held = this.held;
    this.held = '';
    if (this.state === 'inside') return { text: '', reasoning: held };
    if (this.state === 'start') return { text: held.trim() ? held : '', reasoning: '' };
    return { text: held, reasoning: '' };
  }
}

/**
 * Templates that open the think block themselves (DeepSeek-R1's since 2025, Qwen3's thinking template)
 * leave only `</think>` in the content: reasoning, the closing tag, then the answer. That cannot be told
 * while it streams, so the finished reply is split afterwards: the answer loses the reasoning.
 */
export function splitLateThink(text: string): { reasoning: string; text: string } | undefined {
  const end = text.indexOf(CLOSE);
  if (end < 0 || text.lastIndexOf(OPEN, end) >= 0) return undefined;
  return { reasoning: text.slice(0, end).trim(), text: text.slice(end + CLOSE.length).trimStart() };
}
