import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ed from './editor.js';
import { PromptHistory } from './history.js';
import { onCtrlC, onCtrlD, type InterruptState } from './interrupt.js';
import { isSlash, parseSlash, helpLines } from './slash.js';
import { complete } from './completion.js';

describe('editor', () => {
  it('inserts pasted text keeping newlines and moves across lines by column', () => {
    let d = ed.insert(ed.emptyDraft, 'abc\r\ndef\rghi\x07');
    expect(d).toEqual({ text: 'abc\ndef\nghi', cursor: 11 });
    d = ed.up(d)!;
    expect(d.cursor).toBe(7);
    d = ed.up(d)!;
    expect(d.cursor).toBe(3);
    expect(ed.up(d)).toBeNull();
    d = ed.home(d);
    expect(d.cursor).toBe(0);
    d = ed.down(ed.end(d))!;
    expect(d.cursor).toBe(7);
  });

  it('deletes by code point, word and line', () => {
    let d = ed.atEnd('hi 😀');
    d = ed.backspace(d);
    expect(d.text).toBe('hi ');
    d = ed.killWord(ed.atEnd('print foo bar'));
    expect(d.text).toBe('print foo ');
    d = ed.killBefore(ed.atEnd('a\nbcd'));
    expect(d).toEqual({ text: 'a\n', cursor: 2 });
    d = ed.killAfter({ text: 'abc\nd', cursor: 1 });
    expect(d.text).toBe('a\nd');
    d = ed.deleteForward({ text: '😀x', cursor: 0 });
    expect(d.text).toBe('x');
  });
});

describe('PromptHistory', () => {
  it('walks back and forth, keeps the draft and persists across instances', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cc-hist-')), 'sub', 'history');
    const h = PromptHistory.load(file);
    h.add('one');
    h.add('two\nlines');
    h.add('two\nlines');
    expect(h.previous('draft')).toBe('two\nlines');
    expect(h.previous('')).toBe('one');
    expect(h.previous('')).toBeNull();
    expect(h.next()).toBe('two\nlines');
    expect(h.next()).toBe('draft');
    expect(h.next()).toBeNull();
    const again = PromptHistory.load(file);
    expect(again.all).toEqual(['one', 'two\nlines']);
    writeFileSync(file, readFileSync(file, 'utf8') + 'not json\n');
    expect(PromptHistory.load(file).all).toEqual(['one', 'two\nlines']);
  });
});

describe('Ctrl-C', () => {
  it('cancels a streaming turn', () => {
    expect(onCtrlC({}, { phase: 'streaming', inputEmpty: true, now: 0 }).action).toBe('cancel_turn');
  });

  it('interrupts a cell, then restarts the kernel on a second press for the same cell only', () => {
    let s: InterruptState = {};
    let r = onCtrlC(s, { phase: 'running', inputEmpty: true, now: 0, cell: 'a' });
    expect(r.action).toBe('interrupt_cell');
    s = r.state;
    r = onCtrlC(s, { phase: 'running', inputEmpty: true, now: 60_000, cell: 'a' });
    expect(r.action).toBe('restart_kernel');
    r = onCtrlC(s, { phase: 'running', inputEmpty: true, now: 100, cell: 'b' });
    expect(r.action).toBe('interrupt_cell');
  });

  it('exits on a second press at an empty prompt within the window, clears a non-empty one', () => {
    expect(onCtrlC({}, { phase: 'idle', inputEmpty: false, now: 0 }).action).toBe('clear_input');
    const first = onCtrlC({}, { phase: 'idle', inputEmpty: true, now: 0 });
    expect(first.action).toBe('arm_exit');
    expect(onCtrlC(first.state, { phase: 'idle', inputEmpty: true, now: 1500 }).action).toBe('exit');
    expect(onCtrlC(first.state, { phase: 'idle', inputEmpty: true, now: 5000 }).action).toBe('arm_exit');
    expect(onCtrlD({ phase: 'idle', inputEmpty: true })).toBe('exit');
    expect(onCtrlD({ phase: 'idle', inputEmpty: false })).toBe('none');
    expect(onCtrlD({ phase: 'running', inputEmpty: true })).toBe('none');
  });
});

describe('slash commands', () => {
  it('parses every command and explains mistakes', () => {
    expect(isSlash('/help')).toBe(true);
    expect(isSlash('//not a command')).toBe(false);
    expect(isSlash('/tmp/x.csv\nplot it')).toBe(false);
    expect(parseSlash('/upload "my file.csv"')).toEqual({ ok: true, command: { name: 'upload', path: 'my file.csv' } });
    expect(parseSlash('/upload my\\ file.csv')).toEqual({ ok: true, command: { name: 'upload', path: 'my file.csv' } });
    expect(parseSlash('/confirm on')).toEqual({ ok: true, command: { name: 'confirm', on: true } });
    expect(parseSlash('/confirm maybe')).toEqual({ ok: false, message: 'usage: /confirm on|off' });
    expect(parseSlash('/save')).toEqual({ ok: true, command: { name: 'save', format: 'md' } });
    expect(parseSlash('/save ipynb')).toEqual({ ok: true, command: { name: 'save', format: 'ipynb' } });
    expect(parseSlash('/model gpt-4o-mini')).toEqual({ ok: true, command: { name: 'model', model: 'gpt-4o-mini' } });
    expect(parseSlash('/resume')).toMatchObject({ ok: false });
    expect(parseSlash('/nope')).toEqual({ ok: false, message: 'unknown command /nope; type /help for the list' });
    expect(helpLines().length).toBe(14);
  });
});

describe('completion', () => {
  it('completes slash commands', () => {
    expect(complete('/res', 4, '/')).toEqual({ start: 0, replacement: '/res', candidates: ['/reset', '/resume'] });
    expect(complete('/re', 3, '/')?.candidates).toEqual(['/reset', '/resume', '/rerun']);
    expect(complete('/up', 3, '/')).toEqual({ start: 0, replacement: '/upload ', candidates: ['/upload'] });
    expect(complete('/zz', 3, '/')).toBeNull();
  });

  it('completes file paths for /upload and path-like words', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-comp-'));
    writeFileSync(join(dir, 'sales-2024.csv'), '');
    writeFileSync(join(dir, 'sales-2025.csv'), '');
    mkdirSync(join(dir, 'data'));
    expect(complete('/upload sa', 10, dir)).toEqual({ start: 8, replacement: 'sales-202', candidates: ['sales-2024.csv', 'sales-2025.csv'] });
    expect(complete('/upload da', 10, dir)?.replacement).toBe('data/');
    expect(complete('look at ./sales-2024', 20, dir)?.replacement).toBe('./sales-2024.csv');
    expect(complete('plain words', 11, dir)).toBeNull();
  });
});
