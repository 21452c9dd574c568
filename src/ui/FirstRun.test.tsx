import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { stripVTControlCharacters } from 'node:util';
import { FirstRun, type FirstRunChoice, type OfferedServer } from './FirstRun.js';
import { keyboard, until } from './testing/keyboard.js';

afterEach(() => cleanup());

const OLLAMA: OfferedServer = {
  label: 'Ollama',
  baseURL: 'http://127.0.0.1:11434/v1',
  models: ['gemma3:4b', 'qwen2.5-coder:7b'],
  suggested: { model: 'qwen2.5-coder:7b', reason: 'a coder model' },
};

function mount(servers: OfferedServer[]) {
  const choices: FirstRunChoice[] = [];
  const app = render(<FirstRun servers={servers} configPath="/home/me/.config/codecell/config.json" probed="Ollama :11434" onDone={(c) => choices.push(c)} />);
  const last = () => stripVTControlCharacters(app.lastFrame() ?? '');
  return { app, choices, last, ...keyboard(app) };
}

describe('first-run screen', () => {
  it('takes a typed key without showing it, refuses a too-short one, and Esc goes back', async () => {
    const t = mount([]);
    await t.ready();
    expect(t.last()).toContain('1  Paste an OpenAI API key');
    expect(t.last()).toContain('no model server with a model answered on this machine; probed Ollama :11434');
    await t.press('1');
    await t.type('short');
    await t.press('\r');
    expect(t.last()).toContain('too short for an API key');
    expect(t.choices).toEqual([]);
    await t.press('\u001b');
    await until(() => t.last().includes('2  Quit'), 'the menu again after Esc');
    await t.press('1');
    for (const ch of 'sk-abcdefghij') await t.press(ch);
    await t.press('\u007f'); // backspace
    expect(t.last()).toContain('(12 characters)');
    expect(t.last()).not.toContain('abcdef');
    t.send('\r');
    await until(() => t.choices.length > 0, 'the choice');
    expect(t.choices).toEqual([{ kind: 'key', apiKey: 'sk-abcdefghi' }]);
  });

  it('offers a detected server with its suggested model first', async () => {
    const t = mount([OLLAMA]);
    await t.ready();
    expect(t.last()).toContain('2  Use Ollama at http://127.0.0.1:11434/v1  2 models; qwen2.5-coder:7b suggested');
    await t.press('\u001b[B'); // down
    await t.press('\r');
    expect(t.last()).toMatch(/› qwen2\.5-coder:7b +suggested: a coder model/);
    await t.press('\u001b[B');
    t.send('\r');
    await until(() => t.choices.length > 0, 'the choice');
    expect(t.choices).toEqual([{ kind: 'local', baseURL: 'http://127.0.0.1:11434/v1', model: 'gemma3:4b' }]);
  });

  it('q quits', async () => {
    const t = mount([OLLAMA]);
    await t.ready();
    t.send('q');
    await until(() => t.choices.length > 0, 'the choice');
    expect(t.choices).toEqual([{ kind: 'quit' }]);
  });
});
