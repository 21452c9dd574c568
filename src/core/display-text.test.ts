import { describe, expect, it } from 'vitest';
import { displayText, htmlToText } from './display-text.js';

describe('displayText', () => {
  it('prefers text/plain when it says something (a DataFrame)', () => {
    expect(displayText({ 'text/plain': '   a\n0  1', 'text/html': '<table></table>' })).toEqual({ mime: 'text/plain', text: '   a\n0  1' });
  });

  it('skips a default repr for the richer form', () => {
    expect(displayText({ 'text/plain': '<IPython.core.display.Markdown object>', 'text/markdown': '# Hi' })).toEqual({ mime: 'text/markdown', text: '# Hi' });
    expect(displayText({ 'text/plain': '<__main__.R at 0x7f00aa>', 'text/latex': '$x$' })).toEqual({ mime: 'text/latex', text: '$x$' });
    expect(displayText({ 'text/plain': '<IPython.core.display.JSON object>', 'application/json': '{"a": 1}' }).mime).toBe('application/json');
  });

  it('turns HTML without text/plain into readable text, tables in columns', () => {
    const html =
      '<style>.x{color:red}</style><table class="dataframe"><thead><tr><th></th><th>city</th><th>n</th></tr></thead>' +
      '<tbody><tr><th>0</th><td>Oslo</td><td>1</td></tr><tr><th>1</th><td>Lima</td><td>22</td></tr></tbody></table><script>alert(1)</script>';
    const shown = displayText({ 'text/html': html });
    expect(shown.mime).toBe('text/html');
    expect(shown.text.split('\n')).toEqual(['   city  n', '0  Oslo  1', '1  Lima  22']);
    expect(shown.text).not.toContain('alert');
    expect(shown.text).not.toContain('color');
  });

  it('keeps link text and drops images in HTML', () => {
    expect(htmlToText('<p>see <a href="https://x.example">the docs</a> <img src="data:image/png;base64,AAAA"></p>')).toBe('see the docs');
  });

  it('falls back to an empty text/plain', () => {
    expect(displayText({})).toEqual({ mime: 'text/plain', text: '' });
  });
});
