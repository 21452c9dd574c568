import { describe, expect, it } from 'vitest';
import { Channel } from './channel.js';

describe('Channel', () => {
  it('delivers pushed items in order, before and after the reader waits, then ends on close', async () => {
    const ch = new Channel<number>();
    ch.push(1);
    const seen: number[] = [];
    const reader = (async () => {
      for await (const n of ch) seen.push(n);
    })();
    await new Promise((r) => setTimeout(r, 5));
    ch.push(2);
    ch.push(3);
    ch.close();
    ch.push(4);
    await reader;
    expect(seen).toEqual([1, 2, 3]);
  });
});
