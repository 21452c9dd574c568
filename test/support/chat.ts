// Shared setup of the chat's end-to-end tests: the environment of a chat under test, its ready header, and leaving it.
import { join } from 'node:path';
import type { Terminal } from './tmux.js';

/** The chat's header says the sandbox is ready or starting: the chat can take a prompt. */
export const CHAT_HEADER = /sandbox (ready|starting)/;

/**
 * The environment of a chat against the fake server: its own data and config folders, a test key, the
 * fake model, and never the scripted session. `extra` adds or overrides (undefined unsets).
 */
export function chatEnv(home: string, serverUrl: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    CODECELL_HOME: home,
    CODECELL_CONFIG_DIR: join(home, 'config'),
    OPENAI_BASE_URL: serverUrl,
    OPENAI_API_KEY: 'test-key',
    OPENAI_MODEL: 'fake-model',
    CODECELL_FAKE_SESSION: undefined,
    ...extra,
  };
}

/** Ctrl-D exits only at an idle, empty prompt: press it until the chat lets it through; its exit status. */
export async function exitWithCtrlD(t: Terminal): Promise<number> {
  for (let i = 0; i < 20; i++) {
    t.keys('C-d');
    const status = await t.waitForExit(500).catch(() => undefined);
    if (status !== undefined) return status;
  }
  return t.waitForExit(30_000);
}
