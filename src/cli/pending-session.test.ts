import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../core/events.js';
import { SandboxError } from '../sandbox/types.js';
import { FakeSession } from '../ui/testing/fake-session.js';
import { PendingSession } from './pending-session.js';

async function collect(gen: AsyncGenerator<SessionEvent>): Promise<SessionEvent[]> {
  const out: SessionEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

describe('PendingSession', () => {
  it('is starting until the session opens; a prompt sent meanwhile waits and then runs, with a model chosen meanwhile', async () => {
    let open!: (s: FakeSession) => void;
    const pending = new PendingSession(new Promise((r) => (open = r)), { model: 'm1', outDir: '/out' });
    expect([pending.id, pending.model, pending.outDir, pending.sandboxState]).toEqual(['', 'm1', '/out', 'starting']);
    pending.setModel('m2');
    const events = collect(pending.send('hello'));
    const inner = new FakeSession({ model: 'm1', id: 'abc' });
    open(inner);
    const got = await events;
    expect(got.at(-1)).toMatchObject({ type: 'done', status: 'ok' });
    expect(inner.model).toBe('m2');
    expect(pending.id).toBe('abc');
    expect(pending.sandboxState).toBe('ready');
  });

  it('turns a failed start (the build failed) into an error event with its fix, for every prompt', async () => {
    const pending = new PendingSession(Promise.reject(new SandboxError('the sandbox image build failed: boom', 'Fix the Dockerfile.', 'build_failed')), { model: 'm', outDir: '/o' });
    const events = await collect(pending.send('hi'));
    expect(events).toEqual([
      { type: 'error', kind: 'sandbox_build_failed', message: 'the sandbox image build failed: boom', fix: 'Fix the Dockerfile.' },
      expect.objectContaining({ type: 'done', status: 'error' }),
    ]);
    expect(pending.sandboxState).toBe('stopped');
  });

  it('a prompt waiting for the build can be cancelled, and closing does not wait for the build', async () => {
    let open!: (s: FakeSession) => void;
    const pending = new PendingSession(new Promise((r) => (open = r)), { model: 'm', outDir: '/o' });
    const ctrl = new AbortController();
    const events = collect(pending.send('hi', ctrl.signal));
    ctrl.abort();
    expect((await events).map((e) => e.type === 'done' && e.status)).toEqual(['cancelled']);
    await pending.close();
    const inner = new FakeSession({});
    open(inner);
    await new Promise((r) => setTimeout(r, 10));
    expect(inner.calls).toContain('close');
  });
});
