import { describe, expect, it } from 'vitest';
import { CarriageText } from './carriage.js';

describe('CarriageText', () => {
  it('repaints the line on a terminal with CR + erase line, sanitizing each piece', () => {
    const tty = new CarriageText(true);
    expect(tty.push(' 10%\r 20%\x1b]0;title\x07\r 30%')).toBe(' 10%\r\x1b[2K 20%\r\x1b[2K 30%');
    expect(tty.push('\r\n')).toBe('\n');
  });

  it('holds a repainted line in a pipe and writes only its final state', () => {
    const pipe = new CarriageText(false);
    expect(pipe.push('start\n\r 10%')).toBe('start\n');
    expect(pipe.push('\r 50%')).toBe('');
    expect(pipe.push('\r100%\nnext line\n')).toBe('100%\nnext line\n');
    expect(pipe.push('\r 99%')).toBe('');
    expect(pipe.flush()).toBe(' 99%');
    expect(pipe.flush()).toBe('');
  });

  it('passes text without carriage returns straight through', () => {
    const pipe = new CarriageText(false);
    expect(pipe.push('partial')).toBe('partial');
    expect(pipe.push(' line\n')).toBe(' line\n');
  });
});
