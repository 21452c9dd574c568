// End to end: the built binary in a real pseudo-terminal (tmux), the scripted OpenAI server over HTTP, the real sandbox.
import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { engineOrSkip } from '../support/engine.js';
import { startFakeOpenAI, type ChatRequest, type FakeOpenAI, type Turn } from '../support/fake-openai.js';
import { Terminal, tmuxOrSkip } from '../support/tmux.js';
import { CHAT_HEADER, chatEnv, exitWithCtrlD } from '../support/chat.js';
import { leftoverContainers } from '../e2e/harness.js';

const bin = resolve('bin/codecell.js');
const docker = await engineOrSkip();
const tmux = tmuxOrSkip();

/** Code the scripted model writes for each prompt keyword. */
const CODE: Record<string, string> = {
  save: "x = 41\nprint('hello from the sandbox')\nopen('/mnt/data/result.txt', 'w').write('42')\n",
  loop: "print('looping', flush=True)\nwhile True:\n    pass\n",
  check: 'print(x + 1)\n',
  chart: "import pandas as pd\nimport matplotlib.pyplot as plt\ndf = pd.read_csv('/mnt/data/data.csv')\nprint(df.y.sum())\nplt.plot(df.x, df.y)\nplt.show()\n",
};

function lastUser(request: ChatRequest): string {
  const users = request.messages.filter((m) => m.role === 'user');
  const content = users[users.length - 1]?.content;
  return typeof content === 'string' ? content : '';
}

/** Answers from the conversation: a tool call for a new prompt, a short text after a tool result. */
function script(request: ChatRequest): Turn {
  const last = request.messages[request.messages.length - 1];
  if (last?.role === 'tool') return [{ text: 'All done.' }, { usage: { prompt: 50, completion: 5 } }];
  const prompt = lastUser(request);
  const key = Object.keys(CODE).find((k) => prompt.includes(k));
  if (!key) return [{ text: `You said: ${prompt}` }];
  return [{ text: 'Running it now.' }, { toolCall: { code: CODE[key] }, chunk: 4 }, { usage: { prompt: 100, completion: 20 } }];
}

describe.skipIf(!docker || !tmux)('chat end to end (real sandbox, scripted model, pseudo-terminal)', () => {
  let server: FakeOpenAI;
  let home: string;
  let work: string;
  const open: Terminal[] = [];
  /** Pids of the chat processes this file started: their containers carry them as a label. */
  const chatPids = new Set<number>();

  beforeAll(async () => {
    server = await startFakeOpenAI({ script: (req) => script(req) });
    home = mkdtempSync(join(tmpdir(), 'cc-chat-home-'));
    work = mkdtempSync(join(tmpdir(), 'cc-chat-work-'));
  });
  afterEach(() => {
    for (const t of open) for (const pid of t.programPids()) chatPids.add(pid);
    for (const t of open.splice(0)) t.close();
  });
  afterAll(async () => {
    await server?.close();
    // Every container these chats created must be gone: the chat removes its own on every exit path.
    const left = await leftoverContainers(docker!, 15_000, chatPids);
    for (const line of left)
      await docker!
        .getContainer(line.split(' ')[0]!)
        .remove({ force: true })
        .catch(() => undefined);
    expect(chatPids.size, 'no chat process was seen, so the container check would prove nothing').toBeGreaterThan(0);
    expect(left, 'containers left behind by the chat').toEqual([]);
  });

  function chat(args = ''): Terminal {
    const t = Terminal.start(`node ${bin} ${args}`, { cwd: work, columns: 100, rows: 30, env: chatEnv(home, server.url) });
    open.push(t);
    return t;
  }

  /** Remembers a running chat's pid (the pane is gone after it exits): its containers carry it as a label. */
  function remember(t: Terminal): void {
    for (const pid of t.programPids()) chatPids.add(pid);
  }

  /** A chat whose header is drawn, so it can take a prompt. */
  async function readyChat(args = ''): Promise<Terminal> {
    const t = chat(args);
    await t.waitFor(CHAT_HEADER, 60_000, 'the header');
    remember(t);
    return t;
  }

  it('streams code, output and a saved-file line; Ctrl-C interrupts a loop and the kernel keeps x; exits cleanly', async () => {
    const t = await readyChat();
    t.submit('please save a result');
    await t.waitFor('hello from the sandbox', 90_000, 'cell output');
    await t.waitFor(/saved .*result\.txt/, 30_000, 'the saved-file line');
    await t.waitFor('All done.', 30_000, 'the answer');
    expect(t.all()).toContain("open('/mnt/data/result.txt', 'w').write('42')");
    expect(readdirSync(join(work, 'codecell-output'))).toContain('result.txt');

    t.submit('now loop forever');
    await t.waitFor('Ctrl-C interrupts', 60_000, 'the running spinner');
    await t.waitFor(/^\s*looping\s*$/m, 60_000, 'the loop to print that it runs');
    t.keys('C-c');
    await t.waitFor('■ interrupted', 30_000, 'the interrupted status');
    await t.waitFor(/All done\.[\s\S]*All done\./, 30_000, 'the second answer');

    t.submit('check x');
    await t.waitFor(/^\s+42$/m, 60_000, 'x + 1 printed from the kept state');

    expect(await exitWithCtrlD(t)).toBe(0);
  });

  it('/undo drops the last exchange, /reset starts a new kernel and conversation', async () => {
    const t = await readyChat();
    t.submit('remember the word banana');
    await t.waitFor('You said: remember the word banana', 30_000);
    t.submit('/undo');
    await t.waitFor('dropped the last exchange', 10_000);
    t.submit('hello again');
    await t.waitFor('You said: hello again', 30_000);
    const req = server.requests[server.requests.length - 1]!;
    expect(JSON.stringify(req.messages)).not.toContain('banana');

    t.submit('please save a result');
    await t.waitFor('hello from the sandbox', 90_000);
    await t.waitFor(/All done\./, 30_000);
    t.submit('/reset');
    await t.waitFor('ready: new kernel, empty conversation', 60_000);
    t.submit('check x');
    await t.waitFor("NameError: name 'x' is not defined", 60_000, 'the fresh kernel');
    const after = server.requests[server.requests.length - 1]!;
    expect(JSON.stringify(after.messages)).not.toContain('please save a result');
    expect(await exitWithCtrlD(t)).toBe(0);
  });

  it('--resume brings back the last conversation, and /rerun its variables', async () => {
    const first = await readyChat();
    first.submit('my favourite colour is teal');
    await first.waitFor('You said: my favourite colour is teal', 30_000);
    first.submit('please save a result');
    await first.waitFor('hello from the sandbox', 90_000);
    await first.waitFor('All done.', 30_000);
    expect(await exitWithCtrlD(first)).toBe(0);
    first.close();

    const again = chat('--resume');
    await again.waitFor('resumed session', 60_000);
    remember(again);
    expect(again.all()).toContain('my favourite colour is teal');
    expect(again.all().replace(/\s+/g, ' ')).toContain('1 cell ran in it: type /rerun');
    again.submit('what was it');
    await again.waitFor('You said: what was it', 30_000);
    const req = server.requests[server.requests.length - 1]!;
    expect(JSON.stringify(req.messages)).toContain('my favourite colour is teal');
    again.submit('/rerun');
    await again.waitFor(/re-ran 1 cell in [\d.]+ s: 1 ok/, 90_000);
    again.submit('check x');
    await again.waitFor(/^\s+42$/m, 60_000, 'x restored by /rerun');
    expect(await exitWithCtrlD(again)).toBe(0);
  });

  it('/upload puts a file in /mnt/data and a chart from it is drawn inline', async () => {
    writeFileSync(join(work, 'data.csv'), 'x,y\n1,10\n2,20\n3,12\n');
    const t = await readyChat();
    t.submit('/upload data.csv');
    await t.waitFor('uploaded data.csv → /mnt/data/data.csv', 60_000);
    t.submit('chart the upload');
    await t.waitFor(/^\s+42$/m, 90_000, 'the sum printed from the uploaded file');
    const screen = await t.waitFor(/image \d+×\d+ → .*\.png/, 60_000, 'the inline image');
    expect(screen).toContain('▄');
    await t.waitFor('All done.', 30_000);
    expect(await exitWithCtrlD(t)).toBe(0);
  });

  it('--confirm asks before each cell: n skips it, y runs it', async () => {
    const t = await readyChat('--confirm');
    t.submit('please save a result');
    await t.waitFor('Run this cell?', 30_000, 'the approval prompt');
    t.type('n');
    await t.waitFor('○ skipped', 30_000);
    await t.waitFor('All done.', 30_000);
    t.submit('check x');
    await t.waitFor(/print\(x \+ 1\)[\s\S]*Run this cell\?/, 30_000, 'the approval prompt for the second cell');
    t.type('y');
    await t.waitFor("NameError: name 'x' is not defined", 60_000, 'the cell ran (and x was never set)');
    expect(await exitWithCtrlD(t)).toBe(0);
  });

  it('`codecell sessions list` and `export --format ipynb` read what the chats recorded', async () => {
    const env = { ...process.env, CODECELL_HOME: home, CODECELL_CONFIG_DIR: join(home, 'config'), NO_COLOR: '1' };
    const list = execFileSync('node', [bin, 'sessions', 'list'], { env, encoding: 'utf8' });
    // Newest first: the oldest such session is the first test's, whose cell ran (the --confirm one skipped it).
    const line = list
      .split('\n')
      .filter((l) => l.includes('please save a result'))
      .pop();
    expect(line, list).toBeDefined();
    const id = line!.split(/\s+/)[0]!;
    const out = join(work, `${id}.ipynb`);
    execFileSync('node', [bin, 'sessions', 'export', id.slice(0, 15), '--format', 'ipynb', '-o', out], { env, encoding: 'utf8' });
    const nb = JSON.parse(readFileSync(out, 'utf8'));
    const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code');
    expect(code[0].source.join('')).toContain("open('/mnt/data/result.txt', 'w')");
    expect(JSON.stringify(code[0].outputs)).toContain('hello from the sandbox');
    const again = spawnSync('node', [bin, 'sessions', 'export', id, '--format', 'ipynb', '-o', out], { env, encoding: 'utf8' });
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('already exists');
    const show = execFileSync('node', [bin, 'sessions', 'show', id], { env, encoding: 'utf8' });
    expect(show).toContain('hello from the sandbox');
  });
});
