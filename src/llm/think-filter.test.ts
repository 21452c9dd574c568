import { describe, expect, it } from 'vitest';
import { splitLateThink, ThinkFilter } from './think-filter.js';

/** Feeds `text` in pieces of `size` characters and joins what comes out. */
function run(text: string, size: number): { text: string; reasoning: string } {
  const f = new ThinkFilter();
  let out = '';
  let reasoning = '';
  for (let i = 0; i < text.length; i += size) {
    const p = f.push(text.slice(i, i + size));
    out += p.text;
    reasoning += p.reasoning;
  }
  const e = f.end();
  return { text: out + e.text, reasoning: reasoning + e.reasoning };
}

describe('ThinkFilter', () => {
  const reply = '\n<think>\nThe user wants 6*7 = 42.\n</think>\n\nThe answer is 42.';
  for (const size of [1, 2, 3, 7, 1000]) {
    it(`separates a leading think block in pieces of ${size}`, () => {
      expect(run(reply, size)).toEqual({ text: 'The answer is 42.', reasoning: 'The user wants 6*7 = 42.\n' });
    });
  }

  it('leaves a reply without a think block alone, including blank space inside it', () => {
    expect(run('Plain answer.\n\nTwo lines.', 3)).toEqual({ text: 'Plain answer.\n\nTwo lines.', reasoning: '' });
  });

  it('does not treat a tag later in the answer as reasoning', () => {
    const text = 'Models write <think> tags; print("</think>") is code.';
    expect(run(text, 2)).toEqual({ text, reasoning: '' });
  });

  it('keeps an unclosed block as reasoning (the model stopped while thinking)', () => {
    expect(run('<think>still going', 4)).toEqual({ text: '', reasoning: 'still going' });
  });

  it('releases a held prefix that turned out not to be a tag', () => {
    expect(run('<thin', 2)).toEqual({ text: '<thin', reasoning: '' });
    expect(run('<b>bold</b>', 1)).toEqual({ text: '<b>bold</b>', reasoning: '' });
  });

  it('never emits part of the closing tag as reasoning', () => {
    const f = new ThinkFilter();
    const seen: string[] = [];
    for (const piece of ['<think>abc</', 'thi', 'nk>done']) seen.push(f.push(piece).reasoning);
    expect(seen.join('')).toBe('abc');
    expect(seen.some((s) => s.includes('<'))).toBe(false);
  });
});

describe('splitLateThink', () => {
  it('splits reasoning from the answer when the template opened the block itself', () => {
    expect(splitLateThink('Okay, 6*7.\nThat is 42.\n</think>\n\nThe answer is 42.')).toEqual({
      reasoning: 'Okay, 6*7.\nThat is 42.',
      text: 'The answer is 42.',
    });
  });
  it('leaves replies without a closing tag, or with their own opening tag, alone', () => {
    expect(splitLateThink('The answer is 42.')).toBeUndefined();
    expect(splitLateThink('Write <think>x</think> to think.')).toBeUndefined();
  });
});
