// The chat (built binary, pseudo-terminal, real sandbox) against every model dialect, switching with /model.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { engineOrSkip } from '../support/engine.js';
import { DIALECTS, type FakeOpenAI } from '../support/fake-openai.js';
import { dialectCode, startDialectServer } from '../support/dialect-server.js';
import { Terminal, tmuxOrSkip } from '../support/tmux.js';
import { CHAT_HEADER, chatEnv, exitWithCtrlD } from '../support/chat.js';
import { sandboxImage } from '../sandbox/sandbox-image.js';

const bin = resolve('bin/codecell.js');
const docker = await engineOrSkip();
const tmux = tmuxOrSkip();

describe.skipIf(!docker || !tmux)('chat with every model dialect (real sandbox, pseudo-terminal)', () => {
  let server: FakeOpenAI;
  let home: string;
  let work: string;
  let image: string;
  const open: Terminal[] = [];

  beforeAll(async () => {
    image = await sandboxImage(docker!);
    server = await startDialectServer();
  });
  // Fresh folders for every attempt: a retry must not find the files and the remembered protocols of the last.
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'cc-dialect-home-'));
    work = mkdtempSync(join(tmpdir(), 'cc-dialect-work-'));
  });
  afterEach(() => {
    for (const t of open.splice(0)) t.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("runs each dialect's code, shows reasoning apart from the answer, never shows tags, and saves each file", async () => {
    const t = Terminal.start(`node ${bin} --model native`, {
      cwd: work,
      columns: 110,
      rows: 40,
      env: chatEnv(home, server.url, { CODECELL_IMAGE: image, OPENAI_MODEL: undefined }),
    });
    open.push(t);
    await t.waitFor(CHAT_HEADER, 60_000, 'the header');
    for (const dialect of DIALECTS) {
      t.submit(`/model ${dialect}`);
      await t.waitFor(`model: ${dialect}`, 10_000);
      t.submit(`what is 6 times 7 (${dialect})?`);
      await t.waitFor(`${dialect} says 42.`, 90_000, `the ${dialect} answer`);
    }
    const all = t.all();
    for (const dialect of DIALECTS) {
      expect(all).toContain(dialectCode(dialect).split('\n')[1]!);
      const file = join(work, 'codecell-output', `${dialect}.txt`);
      expect(existsSync(file), `${dialect}.txt saved`).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe('42');
    }
    expect(all).toMatch(/refused tools for no-tools .*switched to the text protocol/s);
    expect(all).toContain('The user wants a computation');
    expect(all).not.toMatch(/<think>|<\/think>|<tool_call>|"arguments"/);
    // Reasoning is drawn in its own style (dim italic; tmux reports only the attributes that change), the answer plain.
    t.submit('/model think');
    // The first /model think said so earlier on this screen: wait for this one's line, or the prompt below
    // would be typed while the command is still being handled and join it as one prompt.
    await t.waitFor(/model: think[\s\S]*model: think/, 10_000, 'the second switch to think');
    t.submit('again (think)?');
    await t.waitFor(/think says 42\.[\s\S]*think says 42\./, 90_000, 'the second think answer');
    expect(t.styledScreen()).toMatch(/\x1b\[[0-9;]*3m\s*I have the result\.\s*\x1b\[0m[^\n]*think says 42\./);
    // Ctrl-D at the idle prompt exits, and the chat removes its container on the way out.
    expect(await exitWithCtrlD(t)).toBe(0);
  }, 150_000); // six dialects, one model call and one cell each, in one chat
});
