// What the chat benchmarks share: fake terminal streams Ink takes for a TTY, a host with no sessions, and a clean exit.
import { PassThrough } from 'node:stream';
import type { ChatHost } from '../src/ui/commands.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Fake terminal streams Ink accepts as a TTY; `writes` records every write with its time. */
export function fakeTerminal(columns = 100, rows = 30) {
  const stdin = Object.assign(new PassThrough(), {
    isTTY: true,
    setRawMode: () => stdin,
    ref: () => stdin,
    unref: () => stdin,
  }) as unknown as NodeJS.ReadStream & PassThrough;
  const writes: Array<{ at: number; text: string }> = [];
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns, rows }) as unknown as NodeJS.WriteStream & PassThrough;
  const write = stdout.write.bind(stdout);
  (stdout as unknown as { write: (chunk: unknown, ...rest: unknown[]) => boolean }).write = (chunk: unknown, ...rest: unknown[]) => {
    writes.push({ at: performance.now(), text: String(chunk) });
    return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
  };
  stdout.resume();
  return { stdin, stdout, writes };
}

/** A host with nothing to list, resume, save or re-run. */
export const benchHost: ChatHost = {
  listSessions: async () => [],
  resume: async () => {
    throw new Error('not in the benchmark');
  },
  save: async () => '',
  rerun: async () => [],
};

/** Leaves the chat: Ctrl-C clears the draft, Ctrl-D exits at the empty prompt (keys spaced so each is its own read). */
export async function quit(stdin: NodeJS.WritableStream, done: Promise<unknown>): Promise<void> {
  for (const key of ['\x03', '\x04', '\x03', '\x03']) {
    if (await Promise.race([done.then(() => true), sleep(300).then(() => false)])) return;
    stdin.write(key);
  }
  if (!(await Promise.race([done.then(() => true), sleep(5000).then(() => false)]))) throw new Error('the chat did not exit');
}
