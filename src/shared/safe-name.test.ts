// What the host accepts as a name from the sandbox, and how names and ids become safe to show and save.
import { describe, expect, it } from 'vitest';
import { nameProblem, portableName, safeComponent, safeName, safeParts, safeText } from './safe-name.js';

describe('nameProblem', () => {
  it('accepts ordinary relative names', () => {
    for (const name of ['out.csv', 'charts/fig 1.png', 'données/été.xlsx', '.hidden', 'a..b']) expect(nameProblem(name), name).toBeNull();
  });

  it('rejects escapes, absolute paths, control and bidi characters, and oversize names', () => {
    const bad = [
      '',
      '/etc/passwd',
      '../x',
      'a/../../x',
      'a//b',
      './a',
      'a/.',
      'x\u001b]52;c;aGk=\u0007',
      'a\nb',
      'a\u009bb',
      'evil\u202egnp.exe',
      'a\\b',
      'x'.repeat(256),
      'a/'.repeat(20) + 'b',
      'y'.repeat(1025),
      '\ud800',
    ];
    for (const name of bad) expect(nameProblem(name), JSON.stringify(name)).not.toBeNull();
    expect(nameProblem(42)).not.toBeNull();
  });
});

describe('safeName', () => {
  it('replaces control, bidi and broken characters and refuses unsafe structure', () => {
    expect(safeName('esc\u001b[31mred.txt')).toBe('esc_[31mred.txt');
    expect(safeName('bidi\u202etxt.exe')).toBe('bidi_txt.exe');
    expect(safeName('a\\b\ud800.csv')).toBe('a_b_.csv');
    expect(safeName('plain/ok.csv')).toBe('plain/ok.csv');
    for (const bad of ['../x', '/etc/passwd', 'a//b', 'x'.repeat(256), 42]) expect(safeName(bad), String(bad)).toBeNull();
  });
});

describe('one set of unsafe characters for every name', () => {
  it('a saved file name, a shown name and a skip reason replace the same characters', () => {
    for (const ch of ['\u0007', '\u001b', '\u0085', '\u061c', '\u200b', '\u200e', '\u202e', '\u2067', '\ufeff']) {
      const code = `U+${ch.codePointAt(0)!.toString(16)}`;
      expect(safeComponent(`a${ch}b.csv`), code).toBe('a_b.csv');
      expect(safeName(`a${ch}b.csv`), code).toBe('a_b.csv');
      expect(safeText(`a${ch}b`), code).toBe('a_b');
      expect(nameProblem(`a${ch}b.csv`), code).not.toBeNull();
    }
  });

  it('keeps folders apart and refuses escapes when saving', () => {
    expect(safeParts('plots/fig\\1.png')).toEqual(['plots', 'fig_1.png']);
    expect(() => safeParts('../x')).toThrow(/contains ".."/);
    expect(() => safeParts('/etc/passwd')).toThrow(/absolute/);
  });

  it('cuts a skip reason to its length', () => {
    expect(safeText('x'.repeat(500))).toHaveLength(200);
  });

  it('turns a model-chosen call id into a portable file name', () => {
    expect(portableName('call_AbC-1.2')).toBe('call_AbC-1.2');
    expect(portableName('../../etc/passwd')).toBe('.._.._etc_passwd');
    expect(portableName('call 1/é')).toBe('call_1__');
  });
});
