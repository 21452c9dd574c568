import { describe, expect, it, vi } from 'vitest';
import { Channel } from './channel.js';

describe('Channel', () => {
  it('delivers pushed items in order, before and after the reader waits, then ends on close', async () => {
    const ch = new Channel<number>();
    ch.push(1);
    const seen: number[] = [];
    const reader = (async () => {
      for await (const n of ch) seen.push(n);
    })();
    // Once it has taken the first item the reader waits for the next: the pushes below meet a waiting reader.
    await vi.waitFor(() => expect(seen).toEqual([1]));
    ch.push(2);
    ch.push(3);
    ch.close();
    ch.push(4);
    await reader;
    expect(seen).toEqual([1, 2, 3]);
  });
});
