// Tests for `codecell config`, run in-process against a real config file in a temp folder.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerConfig, type ConfigIO } from './config.js';
import { formatError } from '../errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'codecell-config-cmd-'));
  process.exitCode = undefined;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});

interface Run {
  stdout: string;
  stderr: string;
  /** Exit code as main.ts would set it. */
  code: number;
  fix?: string;
}

async function run(args: string[], env: Record<string, string> = {}, stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: ConfigIO = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { CODECELL_CONFIG_DIR: dir, ...env },
    readStdin: async () => stdin,
  };
  const program = new Command().exitOverride();
  registerConfig(program, io);
  try {
    await program.parseAsync(['config', ...args], { from: 'user' });
    const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
    process.exitCode = undefined;
    return { stdout, stderr, code };
  } catch (err) {
    const { message, fix, code } = formatError(err);
    return { stdout, stderr: stderr + message, code, ...(fix ? { fix } : {}) };
  }
}

const configFile = () => join(dir, 'config.json');

describe('codecell config', () => {
  it('set writes a private file and get reads it back', async () => {
    const set = await run(['set', 'timeout', '300']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('timeout = 300');
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ timeout: 300 });
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect((await run(['get', 'timeout'])).stdout).toBe('300\n');
  });

  it('get shows defaults and environment values; unset keys exit 1', async () => {
    expect((await run(['get', 'model'])).stdout).toBe('gpt-4o-mini\n');
    expect((await run(['get', 'model'], { OPENAI_MODEL: 'llama3.1:8b' })).stdout).toBe('llama3.1:8b\n');
    const missing = await run(['get', 'apiKey']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('apiKey is not set');
  });

  it('refuses invalid values with the range (exit 2)', async () => {
    const r = await run(['set', 'timeout', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('timeout must be an integer from 1 to 86400 seconds');
    const m = await run(['set', 'memory', '10t']);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('64m to 64g');
  });

  it('refuses unknown keys listing the valid ones (exit 2)', async () => {
    const r = await run(['set', 'colour', 'red']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown config key "colour"');
    expect(r.fix).toContain('model, baseUrl, apiKey, outDir, timeout');
  });

  it('accepts dashed key names and stores sizes in short form', async () => {
    await run(['set', 'max-turns', '7']);
    await run(['set', 'memory', '2048m']);
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ maxTurns: 7, memory: '2g' });
  });

  it('masks the API key in get and list unless --show-secrets; reads it from stdin with -', async () => {
    const key = 'sk-proj-0123456789abcdefWXYZ';
    const set = await run(['set', 'apiKey', '-'], {}, key + '\n');
    expect(set.stdout).not.toContain(key);
    expect((await run(['get', 'apiKey'])).stdout).toBe('sk-…WXYZ\n');
    expect((await run(['get', 'apiKey', '--show-secrets'])).stdout).toBe(key + '\n');
    const list = await run(['list']);
    expect(list.stdout).toMatch(/apiKey\s+sk-…WXYZ\s+file/);
    expect(list.stdout).not.toContain(key);
    const json = JSON.parse((await run(['list', '--json', '--show-secrets'])).stdout);
    expect(json.keys.find((k: { key: string }) => k.key === 'apiKey').value).toBe(key);
  });

  it('list shows each value and its source', async () => {
    await run(['set', 'cpus', '2']);
    const r = await run(['list'], { OPENAI_API_KEY: 'sk-abcdefghijklmnop1234', CODECELL_TIMEOUT: '45' });
    expect(r.stdout).toMatch(/model\s+gpt-4o-mini\s+default/);
    expect(r.stdout).toMatch(/apiKey\s+sk-…1234\s+env OPENAI_API_KEY/);
    expect(r.stdout).toMatch(/timeout\s+45\s+env CODECELL_TIMEOUT/);
    expect(r.stdout).toMatch(/cpus\s+2\s+file/);
    expect(r.stdout).toMatch(/baseUrl\s+\(unset\)\s+unset/);
    expect(r.stdout).toContain(`config file: ${configFile()}`);
    const json = JSON.parse((await run(['list', '--json'])).stdout);
    expect(json.path).toBe(configFile());
    expect(json.keys.find((k: { key: string }) => k.key === 'cpus')).toMatchObject({ value: 2, source: 'file', default: 1, range: 'a number from 0.1 to 64' });
  });

  it('list still works with an invalid value in the file, and says so', async () => {
    writeFileSync(configFile(), JSON.stringify({ pids: 5, model: 'gpt-4o' }));
    const r = await run(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pids\s+256\s+default/);
    expect(r.stdout).toContain('ignored an invalid value: pids must be an integer from 16 to 4096');
    expect(r.stdout).toMatch(/model\s+gpt-4o\s+file/);
    const unset = await run(['unset', 'pids']);
    expect(unset.stdout).toBe('pids unset (default: 256)\n');
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ model: 'gpt-4o' });
  });

  it('sets, reads and removes single prices rows (model names with dots)', async () => {
    await run(['set', 'prices.gpt-4.1', '2,8']);
    await run(['set', 'prices.llama3.1:8b', '{"input":0,"output":0}']);
    expect(JSON.parse(readFileSync(configFile(), 'utf8')).prices).toEqual({ 'gpt-4.1': { input: 2, output: 8 }, 'llama3.1:8b': { input: 0, output: 0 } });
    expect((await run(['get', 'prices.gpt-4.1'])).stdout).toBe('{"input":2,"output":8}\n');
    expect((await run(['set', 'prices.x', 'cheap'])).code).toBe(2);
    await run(['unset', 'prices.gpt-4.1']);
    expect(JSON.parse(readFileSync(configFile(), 'utf8')).prices).toEqual({ 'llama3.1:8b': { input: 0, output: 0 } });
  });

  it('warns when an environment variable overrides what was set', async () => {
    const r = await run(['set', 'model', 'gpt-4o'], { OPENAI_MODEL: 'other' });
    expect(r.stderr).toContain('OPENAI_MODEL is set and takes precedence');
  });

  it('stores package lists as arrays; a local pip path is made absolute from where it was set', async () => {
    expect((await run(['set', 'apt', 'python3-networkx, graphviz'])).code).toBe(0);
    await run(['set', 'pip', 'polars==1.2 ./wheels/tool-0.1-py3-none-any.whl']);
    const stored = JSON.parse(readFileSync(configFile(), 'utf8')) as Record<string, unknown>;
    expect(stored.apt).toEqual(['python3-networkx', 'graphviz']);
    expect(stored.pip).toEqual(['polars==1.2', join(process.cwd(), 'wheels', 'tool-0.1-py3-none-any.whl')]);
    expect((await run(['get', 'apt'])).stdout).toBe('python3-networkx graphviz\n');
    const bad = await run(['set', 'apt', 'Bad;Name']);
    expect(bad.code).toBe(2);
    expect(bad.stderr + (bad.fix ?? '')).toMatch(/apt must be a list of Debian package names/);
    expect((await run(['set', 'pip', '["--index-url=http://x"]'])).code).toBe(2);
  });

  it('path prints the config file location', async () => {
    expect((await run(['path'])).stdout).toBe(configFile() + '\n');
  });
});
