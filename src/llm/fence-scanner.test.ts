import { describe, expect, it } from 'vitest';
import { marked, type Token } from 'marked';
import { FenceScanner, isRunnable, type FenceEvent } from './fence-scanner.js';

function scan(text: string, size: number): { events: FenceEvent[]; open?: string } {
  const s = new FenceScanner();
  const events: FenceEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push(...s.push(text.slice(i, i + size)));
  const end = s.end();
  events.push(...end.events);
  return { events, ...(end.open !== undefined ? { open: end.open } : {}) };
}

const textOf = (events: FenceEvent[]): string => events.map((e) => (e.type === 'text' ? e.text : '')).join('');
const closed = (events: FenceEvent[]): string[] => events.flatMap((e) => (e.type === 'close' ? [e.code] : []));
const streamed = (events: FenceEvent[]): string => events.map((e) => (e.type === 'code' ? e.text : e.type === 'close' ? '\u0000' : '')).join('');

/** The runnable blocks a full markdown lexer finds: the oracle for the streaming scanner. */
function markedBlocks(doc: string): string[] {
  const out: string[] = [];
  const walk = (tokens: Token[]): void => {
    for (const t of tokens) {
      if (t.type === 'code' && (t as { codeBlockStyle?: string }).codeBlockStyle !== 'indented' && isRunnable((t as { lang?: string }).lang ?? ''))
        out.push((t as { text: string }).text);
      const children = (t as { tokens?: Token[] }).tokens;
      if (children) walk(children);
    }
  };
  walk(marked.lexer(doc));
  return out;
}

const DOCS = [
  'Let me look.\n```python\nimport pandas as pd\ndf = pd.read_csv("a.csv")\nprint(df.head())\n```\n',
  'Two steps.\n\n```py\nx = 1\n\n\ny = 2\n```\nThen:\n~~~python3\nprint(x + y)\n~~~\nDone.',
  'Not run:\n```bash\nls -la\n```\n```python example\nprint("example")\n```\n```\nplain\n```\nRun:\n```Python\nprint("yes")\n```',
  'Indented fence:\n  ```python\n  if True:\n      print(1)\n  ```\n',
  'Longer fence holds a shorter one:\n````python\ns = """\n```\n"""\nprint(s)\n````\n',
  'Inline `code` and ``double`` and a ```python block``` in a sentence stay text.\n',
  '```python\nprint("closing fence at the very end")\n```',
  'A fence mark in the middle of a line opens nothing: use ```python\nprint("not code")\n```\nand ~~~python\nx\n',
  'Tildes and backticks do not close each other:\n~~~python\nx = "```"\n```\nprint(x)\n~~~\n',
];

describe('FenceScanner', () => {
  for (const [i, doc] of DOCS.entries()) {
    for (const size of [1, 3, 1000]) {
      it(`finds the same runnable blocks as marked's lexer (doc ${i}, pieces of ${size})`, () => {
        const { events, open } = scan(doc, size);
        expect(open).toBeUndefined();
        expect(closed(events)).toEqual(markedBlocks(doc));
        // The streamed code deltas add up to exactly the closed code, block by block.
        expect(streamed(events)).toBe(
          closed(events)
            .map((c) => c + '\u0000')
            .join(''),
        );
      });
    }
  }

  it('keeps prose and blocks that are not run as text, exactly as written', () => {
    const doc = DOCS[2]!;
    const { events } = scan(doc, 2);
    expect(textOf(events)).toBe('Not run:\n```bash\nls -la\n```\n```python example\nprint("example")\n```\n```\nplain\n```\nRun:\n');
  });

  it('streams code before the line ends, but never the closing fence', () => {
    const s = new FenceScanner();
    expect(s.push('Go:\n```python\npri')).toEqual([
      { type: 'text', text: 'Go:\n' },
      { type: 'open', info: 'python' },
      { type: 'code', text: 'pri' },
    ]);
    expect(s.push('nt(1)\n``')).toEqual([{ type: 'code', text: 'nt(1)' }]);
    expect(s.push('`\nAfter.')).toEqual([
      { type: 'close', code: 'print(1)' },
      { type: 'text', text: 'After.' },
    ]);
  });

  it('holds a line that may open a fence until its end is known', () => {
    const s = new FenceScanner();
    expect(s.push('``')).toEqual([]);
    expect(s.push('`pyth')).toEqual([]);
    expect(s.push('on\n')).toEqual([{ type: 'open', info: 'python' }]);
  });

  it('reports a block still open when the reply ends', () => {
    const { events, open } = scan('Here:\n```python\nprint(1)\nprint(2', 4);
    expect(closed(events)).toEqual([]);
    expect(open).toBe('print(1)\nprint(2');
  });

  it('an unclosed block that is not run ends as text', () => {
    expect(textOf(scan('```js\nlet a', 2).events)).toBe('```js\nlet a');
  });
});
