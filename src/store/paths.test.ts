// Tests for where codecell keeps its data, config and output on the host.
import { describe, expect, it } from 'vitest';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { configDir, dataDir, historyPath, resolveOutDir, sessionsDir } from './paths.js';

describe('paths', () => {
  it('data folder: CODECELL_HOME, then XDG_DATA_HOME, then ~/.local/share', () => {
    expect(dataDir({ CODECELL_HOME: '/x/home', XDG_DATA_HOME: '/xdg' })).toBe('/x/home');
    expect(dataDir({ XDG_DATA_HOME: '/xdg' })).toBe('/xdg/codecell');
    expect(dataDir({ XDG_DATA_HOME: 'relative/ignored' })).toBe(join(homedir(), '.local/share/codecell'));
    expect(dataDir({})).toBe(join(homedir(), '.local/share/codecell'));
    expect(sessionsDir({ CODECELL_HOME: '/h' })).toBe('/h/sessions');
    expect(historyPath({ CODECELL_HOME: '/h' })).toBe('/h/history');
  });

  it('config folder: CODECELL_CONFIG_DIR, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configDir({ CODECELL_CONFIG_DIR: '/c', XDG_CONFIG_HOME: '/xdg' })).toBe('/c');
    expect(configDir({ XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/codecell');
    expect(configDir({})).toBe(join(homedir(), '.config/codecell'));
  });

  it('output folder: ./codecell-output under the current directory; relative and ~ settings resolve', () => {
    expect(resolveOutDir(undefined, '/work/proj')).toBe('/work/proj/codecell-output');
    expect(resolveOutDir('out', '/work/proj')).toBe('/work/proj/out');
    expect(resolveOutDir('/abs/out', '/work/proj')).toBe('/abs/out');
    expect(resolveOutDir('~/charts', '/work/proj')).toBe(join(homedir(), 'charts'));
  });
});
