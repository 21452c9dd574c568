// Tests for the terminal sanitizer: every class of control sequence, split chunks, and Unicode that must survive.
import { describe, expect, it } from 'vitest';
import { sanitize, stripAll } from './sanitize.js';

const ESC = '\x1b';
const BEL = '\x07';
const ST = `${ESC}\\`;

/** What a safe output may contain: no control characters except \n, \t and ESC only in a plain SGR. */
function assertSafe(out: string): void {
  const withoutSgr = out.replace(/\x1b\[[0-9;]*m/g, '');
  expect(withoutSgr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
}

describe('sanitize keeps', () => {
  it('plain text, newlines and tabs', () => {
    expect(sanitize('hello\tworld\nline 2\n')).toBe('hello\tworld\nline 2\n');
  });

  it('plain SGR colours, including 256-colour and truecolour', () => {
    const text = `${ESC}[31mred${ESC}[0m ${ESC}[1;4mbold${ESC}[m ${ESC}[38;5;208mo${ESC}[48;2;10;20;30mbg${ESC}[39;49m`;
    expect(sanitize(text)).toBe(text);
  });

  it('CJK, emoji (with ZWJ and skin tone), combining marks and RTL text', () => {
    const text = '数据分析 — データ 🎉 👩‍💻 👍🏽 e\u0301 n\u0303 مرحبا שלום';
    expect(sanitize(text)).toBe(text);
  });
});

describe('sanitize drops', () => {
  const cases: Array<[string, string, string]> = [
    ['OSC 0 title with BEL', `a${ESC}]0;pwned${BEL}b`, 'ab'],
    ['OSC 2 title with ST', `a${ESC}]2;pwned${ST}b`, 'ab'],
    ['OSC 52 clipboard write', `a${ESC}]52;c;${Buffer.from('rm -rf ~').toString('base64')}${BEL}b`, 'ab'],
    ['OSC 8 hyperlink (text kept, link dropped)', `${ESC}]8;;https://evil.example/${ST}click${ESC}]8;;${ST}`, 'click'],
    ['OSC 1337 iTerm file', `a${ESC}]1337;File=inline=1:AAAA${BEL}b`, 'ab'],
    ['DCS (sixel, DECRQSS)', `a${ESC}Pq#0;2;0;0;0#1!6~-${ST}b${ESC}P$qm${ST}c`, 'abc'],
    ['APC kitty graphics', `a${ESC}_Gf=100,a=T;iVBORw0KGgo=${ST}b`, 'ab'],
    ['PM', `a${ESC}^private message${ST}b`, 'ab'],
    ['SOS', `a${ESC}Xstart of string${ST}b`, 'ab'],
    ['cursor movement', `a${ESC}[2Ab${ESC}[10;20Hc${ESC}[5Dd${ESC}[Ge`, 'abcde'],
    ['erase screen and line', `a${ESC}[2Jb${ESC}[Kc${ESC}[1;1H${ESC}[0Jd`, 'abcd'],
    ['scroll region', `a${ESC}[1;5rb${ESC}[Sc`, 'abc'],
    ['private modes (alt screen, hide cursor, mouse, bracketed paste)', `a${ESC}[?1049hb${ESC}[?25lc${ESC}[?1000hd${ESC}[?2004he`, 'abcde'],
    ['device status / attribute queries (answers would be typed into the terminal)', `a${ESC}[6nb${ESC}[cc${ESC}[>0cd`, 'abcd'],
    ['SGR with a private marker or intermediate', `a${ESC}[?31mb${ESC}[31 mc${ESC}[>4;2md`, 'abcd'],
    ['SGR with colon sub-parameters', `a${ESC}[4:3mb`, 'ab'],
    ['window manipulation', `a${ESC}[8;100;200tb${ESC}[21tc`, 'abc'],
    ['ESC c full reset', `a${ESC}cb`, 'ab'],
    ['ESC 7 / ESC 8 save and restore cursor', `a${ESC}7b${ESC}8c`, 'abc'],
    ['charset selection and DEC line drawing', `a${ESC}(0lqqk${ESC}(Bb${ESC})Bc${ESC}#8d${ESC}%Ge`, 'alqqkbcde'],
    ['keypad modes and index/reverse index', `a${ESC}=b${ESC}>c${ESC}Dd${ESC}Me${ESC}Ef`, 'abcdef'],
    ['8-bit CSI with its parameters', `a\x9b2Jb\x9b31mc\x9b?1049hd`, 'abcd'],
    ['8-bit OSC with its payload, ended by BEL or 8-bit ST', `a\x9d0;title${BEL}b\x9d52;c;AAAA\x9cc`, 'abc'],
    ['8-bit DCS, SOS, PM, APC', `a\x90payload\x9cb\x98x\x9cc\x9ex\x9cd\x9fx\x9ce`, 'abcde'],
    ['other C1 controls (NEL, IND, SS2, ST alone)', 'a\x85b\x84c\x8ed\x9ce\x80f', 'abcdef'],
    ['C0 controls: NUL BEL BS VT FF SO SI CAN SUB DEL', 'a\x00b\x07c\x08d\x0be\x0cf\x0eg\x0fh\x18i\x1aj\x7fk\x1cl', 'abcdefghijkl'],
    ['backspace used to hide text', 'safe\x08\x08\x08\x08evil', 'safeevil'],
    ['an ESC before a non-ASCII character', `a${ESC}中b`, 'a中b'],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => {
      const out = sanitize(input);
      expect(out).toBe(expected);
      assertSafe(out);
    });
  }

  it('unterminated sequences at the end', () => {
    expect(sanitize(`ok${ESC}`)).toBe('ok');
    expect(sanitize(`ok${ESC}[`)).toBe('ok');
    expect(sanitize(`ok${ESC}[31`)).toBe('ok');
    expect(sanitize(`ok${ESC}]52;c;AAAA`)).toBe('ok');
    expect(sanitize(`ok${ESC}_Gpayload`)).toBe('ok');
    expect(sanitize(`ok${ESC}(`)).toBe('ok');
  });

  it('an OSC aborted by another escape sequence: the new sequence is parsed', () => {
    expect(sanitize(`${ESC}]0;title${ESC}[32mgreen`)).toBe(`${ESC}[32mgreen`);
  });

  it('a CSI aborted by CAN or by a control character', () => {
    expect(sanitize(`a${ESC}[31\x18b`)).toBe('ab');
    expect(sanitize(`a${ESC}[31\nm`)).toBe('a\nm');
  });

  it('an OSC terminator does not end DCS/APC (only ST does)', () => {
    expect(sanitize(`a${ESC}_G${BEL}still payload${ST}b`)).toBe('ab');
  });

  it('very long SGR parameter lists', () => {
    expect(sanitize(`a${ESC}[${'1;'.repeat(200)}mb`)).toBe('ab');
  });
});

describe('carriage returns', () => {
  it('\\r\\n becomes \\n', () => {
    expect(sanitize('a\r\nb\r\n')).toBe('a\nb\n');
  });

  it('a bare \\r: the last segment of the line wins', () => {
    expect(sanitize('a\rb')).toBe('b');
    expect(sanitize('10%\r20%\r100%\ndone\n')).toBe('100%\ndone\n');
    expect(sanitize('abc\rX')).toBe('X');
  });

  it('a trailing or doubled \\r does not erase the line', () => {
    expect(sanitize('abc\r')).toBe('abc');
    expect(sanitize('abc\r\r\n')).toBe('abc\n');
  });

  it('colour changes in an overwritten segment are kept', () => {
    expect(sanitize(`${ESC}[31mloading\rdone${ESC}[0m`)).toBe(`${ESC}[31mdone${ESC}[0m`);
  });

  it('hiding a line by overwriting it is visible as the final text only', () => {
    expect(sanitize('rm -rf /\rls      \n')).toBe('ls      \n');
  });
});

describe('stripAll', () => {
  it('removes SGR as well as everything sanitize removes', () => {
    expect(stripAll(`${ESC}[31mred${ESC}[0m ${ESC}]0;t${BEL}x\x9b1m\ty`)).toBe('red x\ty');
  });
  it('keeps Unicode', () => {
    expect(stripAll(`${ESC}[1m日本語 🎉${ESC}[0m`)).toBe('日本語 🎉');
  });
});

describe('random input never yields an unsafe character', () => {
  it('fuzz', () => {
    // A fixed-seed generator keeps the test reproducible while covering many odd mixes.
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = [
      '\x1b',
      '[',
      ']',
      'P',
      '_',
      '^',
      'X',
      '\\',
      '\x07',
      '\x9b',
      '\x9d',
      '\x9c',
      '\x90',
      ';',
      '3',
      '1',
      'm',
      '?',
      'h',
      '\r',
      '\n',
      '\t',
      '\x00',
      '\x08',
      '\x7f',
      '\x85',
      'a',
      'é',
      '中',
      ' ',
      '(',
      '0',
      '\x18',
    ];
    for (let round = 0; round < 2000; round++) {
      let text = '';
      const len = rand(40);
      for (let k = 0; k < len; k++) text += alphabet[rand(alphabet.length)];
      const out = sanitize(text);
      assertSafe(out);
      expect(stripAll(text)).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    }
  });
});
