// Tests for configuration: precedence, ranges with clear messages, sizes, the private conf file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ConfigFile } from './file.js';
import { KEYS, KEY_NAMES, findKey, maskSecret } from './keys.js';
import { CONFIG_KEY_NAMES } from './key-names.js';
import { flagName, parseValue, resolveConfig } from './resolve.js';
import { sizeSetting, parseSize } from './size.js';
import { sandboxOptionsFrom } from './sandbox-options.js';
import { EXIT_USAGE, formatError } from '../cli/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'codecell-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('uses the defaults when nothing is set', () => {
    const { settings, origins } = resolveConfig({ env: {}, file: {}, cwd: '/proj', project: null });
    expect(settings).toEqual({
      model: 'gpt-4o-mini',
      outDir: '/proj/codecell-output',
      timeout: 120,
      maxTurns: 20,
      tools: 'auto',
      requestTimeout: 300,
      memory: 1024 ** 3,
      cpus: 1,
      pids: 256,
      disk: 512 * 1024 ** 2,
      network: false,
      apt: [],
      pip: [],
      backend: 'auto',
      images: 'auto',
      confirm: false,
      prices: {},
      maxOutputBytes: 2 * 1024 ** 2,
      modelOutputChars: 8000,
    });
    expect(origins.model).toEqual({ source: 'default' });
    expect(origins.apiKey).toEqual({ source: 'unset' });
  });

  it('applies flags > environment > config file > defaults and records the origin', () => {
    const file = { timeout: 30, model: 'file-model', cpus: 2, pids: 100 };
    const env = { CODECELL_TIMEOUT: '60', OPENAI_MODEL: 'env-model', CODECELL_CPUS: '' };
    const { settings, origins } = resolveConfig({ flags: { timeout: '90' }, env, file });
    expect(settings.timeout).toBe(90);
    expect(origins.timeout).toEqual({ source: 'flag', name: '--timeout' });
    expect(settings.model).toBe('env-model');
    expect(origins.model).toEqual({ source: 'env', name: 'OPENAI_MODEL' });
    expect(settings.cpus).toBe(2); // an empty variable counts as unset
    expect(origins.cpus).toEqual({ source: 'file' });
    expect(settings.maxTurns).toBe(20);
  });

  it('prefers CODECELL_* over OPENAI_* and reads the OpenAI variables', () => {
    const env = { OPENAI_API_KEY: 'sk-openai', OPENAI_BASE_URL: 'http://localhost:11434/v1', OPENAI_MODEL: 'a', CODECELL_MODEL: 'b' };
    const { settings, origins } = resolveConfig({ env, file: {} });
    expect(settings.apiKey).toBe('sk-openai');
    expect(settings.baseUrl).toBe('http://localhost:11434/v1');
    expect(settings.model).toBe('b');
    expect(origins.model.name).toBe('CODECELL_MODEL');
  });

  it('refuses invalid values with the valid range and where they came from', () => {
    expect(thrown(() => resolveConfig({ flags: { timeout: '0' }, env: {}, file: {} })).message).toBe(
      'timeout must be an integer from 1 to 86400 seconds (from --timeout)',
    );
    const fromEnv = thrown(() => resolveConfig({ env: { CODECELL_MEMORY: '10m' }, file: {} }));
    expect(fromEnv.message).toBe('memory must be a size from 64m to 64g (k, m, g suffixes) (from the environment variable CODECELL_MEMORY)');
    expect(fromEnv.fix).toBe('Fix or unset CODECELL_MEMORY.');
    const fromFile = thrown(() => resolveConfig({ env: {}, file: { maxTurns: 1000 } }));
    expect(fromFile.message).toContain('maxTurns must be an integer from 1 to 100');
    expect(fromFile.fix).toContain('codecell config unset maxTurns');
    // A config error is a usage error: exit code 2 and the fix is printed.
    expect(formatError(fromFile)).toMatchObject({ code: EXIT_USAGE, fix: fromFile.fix });
  });

  it('resolves a relative outDir against the current directory', () => {
    expect(resolveConfig({ env: { CODECELL_OUT_DIR: 'charts' }, file: {}, cwd: '/w' }).settings.outDir).toBe('/w/charts');
  });

  it('maps settings to sandbox options', () => {
    const { settings } = resolveConfig({ env: {}, file: { memory: '2g', timeout: 5, runtime: 'runsc' } });
    expect(sandboxOptionsFrom(settings)).toEqual({
      runtime: 'runsc',
      limits: { memoryBytes: 2 * 1024 ** 3, cpus: 1, pids: 256, diskBytes: 512 * 1024 ** 2, timeoutMs: 5000, maxOutputBytes: 2 * 1024 ** 2, network: false },
    });
  });
});

describe('key parsing', () => {
  it('accepts each kind of value as typed on a command line', () => {
    expect(parseValue('memory', '2G')).toEqual({ stored: '2g', value: 2 * 1024 ** 3 });
    expect(parseValue('memory', '1.5g').value).toBe(1.5 * 1024 ** 3);
    expect(parseValue('disk', '768MiB')).toEqual({ stored: '768m', value: 768 * 1024 ** 2 });
    expect(parseValue('cpus', '0.5').value).toBe(0.5);
    expect(parseValue('network', 'yes').value).toBe(true);
    expect(parseValue('images', 'off').value).toBe('off');
    expect(parseValue('images', 'true').value).toBe('auto');
    expect(parseValue('images', 'Sixel').value).toBe('sixel');
    expect(parseValue('budget', '2.50').value).toBe(2.5);
    expect(parseValue('prices', '{"llama3.1:8b":{"input":0,"output":0}}').value).toEqual({ 'llama3.1:8b': { input: 0, output: 0 } });
    expect(parseValue('baseUrl', 'https://openrouter.ai/api/v1').value).toBe('https://openrouter.ai/api/v1');
    expect(parseValue('runtime', 'runsc').value).toBe('runsc');
    expect(parseValue('backend', ' Bubblewrap ').value).toBe('bubblewrap');
    expect(parseValue('backend', 'firejail').value).toBe('firejail');
  });

  it('refuses values outside each range', () => {
    const bad: Array<[Parameters<typeof parseValue>[0], unknown]> = [
      ['timeout', '1.5'],
      ['timeout', '86401'],
      ['timeout', 'abc'],
      ['maxTurns', 0],
      ['memory', '63m'],
      ['memory', '65g'],
      ['memory', 'lots'],
      ['cpus', '0.05'],
      ['cpus', '65'],
      ['pids', '15'],
      ['pids', '4097'],
      ['network', 'maybe'],
      ['budget', '0'],
      ['budget', '-1'],
      ['baseUrl', 'localhost:11434'],
      ['baseUrl', 'ftp://x'],
      ['model', 'two words'],
      ['runtime', '../x'],
      ['backend', 'lxc'],
      ['prices', '{"m":{"input":-1,"output":1}}'],
      ['prices', '{"m":{"input":1}}'],
      ['prices', 'not json'],
      ['modelOutputChars', '100'],
      ['apiKey', ''],
    ];
    for (const [key, value] of bad) {
      expect(() => parseValue(key, value), `${key}=${String(value)}`).toThrow(`${key} must be ${KEYS[key].range}`);
    }
  });

  it('the light list of key names (for `config --help`) matches the key table, in order', () => {
    expect(CONFIG_KEY_NAMES).toEqual(KEY_NAMES);
  });

  it('every key has a description, a range and a CODECELL_ variable, and valid defaults', () => {
    for (const key of KEY_NAMES) {
      const info = KEYS[key];
      expect(info.description.length).toBeGreaterThan(10);
      expect(info.range.length).toBeGreaterThan(3);
      expect(info.env[0]).toMatch(/^CODECELL_[A-Z_]+$/);
      if (info.default !== undefined) expect(info.parse(info.default), key).toBeDefined();
    }
  });

  it('finds keys regardless of case and dashes; names flags', () => {
    expect(findKey('max-turns')).toBe('maxTurns');
    expect(findKey('MODEL_OUTPUT_CHARS')).toBe('modelOutputChars');
    expect(findKey('nope')).toBeUndefined();
    expect(flagName('maxOutputBytes')).toBe('--max-output-bytes');
  });

  it('masks secrets', () => {
    expect(maskSecret('sk-proj-abcdefghijklmnop1234')).toBe('sk-…1234');
    expect(maskSecret('short')).toBe('****');
  });

  it('parses and formats sizes', () => {
    expect(parseSize('64k')).toBe(65536);
    expect(parseSize('1t')).toBe(1024 ** 4);
    expect(parseSize('100')).toBe(100);
    expect(parseSize('1 GB')).toBe(1024 ** 3);
    expect(parseSize('-1g')).toBeUndefined();
    expect(sizeSetting(1536 * 1024)).toBe('1536k');
    expect(sizeSetting(1000)).toBe('1000');
  });
});

describe('ConfigFile', () => {
  it('is created 0600 in a 0700 folder and chmodded back after every write', async () => {
    const cdir = join(dir, 'cfg');
    const file = new ConfigFile(cdir);
    await file.set('apiKey', 'sk-secret');
    expect(file.path).toBe(join(cdir, 'config.json'));
    expect(statSync(cdir).mode & 0o777).toBe(0o700);
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    chmodSync(file.path, 0o644);
    await file.set('model', 'gpt-4o');
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file.path, 'utf8'))).toEqual({ apiKey: 'sk-secret', model: 'gpt-4o' });
    await file.delete('apiKey');
    expect(new ConfigFile(cdir).all()).toEqual({ model: 'gpt-4o' });
  });

  it('keeps dotted model names as plain keys inside prices', async () => {
    const file = new ConfigFile(dir);
    await file.set('prices', { 'gpt-4.1': { input: 2, output: 8 } });
    expect(resolveConfig({ env: {}, file }).settings.prices).toEqual({ 'gpt-4.1': { input: 2, output: 8 } });
  });

  it('reports a damaged file instead of overwriting it', () => {
    writeFileSync(join(dir, 'config.json'), '{"model": "gpt-4o",');
    const err = thrown(() => new ConfigFile(dir).set('model', 'x'));
    expect(err.message).toContain('cannot be read');
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('{"model": "gpt-4o",');
  });

  it('is found through CODECELL_CONFIG_DIR', async () => {
    await new ConfigFile(dir).set('timeout', 7);
    const resolved = resolveConfig({ env: { CODECELL_CONFIG_DIR: dir } });
    expect(resolved.settings.timeout).toBe(7);
    expect(resolved.origins.timeout).toEqual({ source: 'file' });
    expect(resolved.configPath).toBe(join(dir, 'config.json'));
  });
});
