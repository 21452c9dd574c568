import { describe, expect, it } from 'vitest';
import type { SandboxState } from '../sandbox/types.js';
import { FakeSession } from '../ui/testing/fake-session.js';
import { LoggedSession, PendingSession } from './chat-session.js';

describe('PendingSession: sandbox state before and after the session opens', () => {
  it('passes on the early container’s states, then the session’s, and unsubscribes from both', async () => {
    const boot = new Set<(state: SandboxState) => void>();
    let open!: (s: FakeSession) => void;
    const session = new FakeSession();
    const pending = new PendingSession(new Promise<FakeSession>((resolve) => (open = resolve)), {
      model: 'm',
      outDir: '/o',
      onSandboxState: (listener) => {
        boot.add(listener);
        return () => boot.delete(listener);
      },
    });
    const seen: SandboxState[] = [];
    const off = pending.onSandboxState((s) => seen.push(s));
    for (const l of boot) l('starting');
    for (const l of boot) l('ready');
    open(session);
    await pending.ready();
    expect(boot.size).toBe(0); // moved to the session's own sandbox
    expect(session.stateSubscribers).toBe(1);
    session.sandboxState = 'running';
    off();
    session.sandboxState = 'ready';
    expect(seen).toEqual(['starting', 'ready', 'ready', 'running']); // the opened session's state is told at once
    expect(session.stateSubscribers).toBe(0);
  });

  it('runs a cell once the session is open, and does not make up session_start', async () => {
    const session = new FakeSession();
    const pending = new PendingSession(Promise.resolve(session), { model: 'm', outDir: '/o' });
    const types: string[] = [];
    for await (const e of pending.runCell('print(1)', { source: 'rerun' })) types.push(e.type);
    expect(types[0]).toBe('turn_start');
    expect(types).not.toContain('session_start');
    expect(session.calls).toContain('runCell:rerun:print(1)');
  });
});

describe('LoggedSession.rerun', () => {
  it('runs the resumed cells through the session as rerun cells and sums them up', async () => {
    const session = new FakeSession();
    const logged = new LoggedSession(session, undefined, ['x = 1', '1 / 0  # error']);
    expect(logged.rerunnable).toBe(2);
    const lines = await logged.rerun();
    expect(lines[0]).toMatch(/^re-ran 2 cells in [\d.]+ s: 1 ok, 1 failed$/);
    expect(lines[1]).toBe('cell 2: ZeroDivisionError: division by zero');
    expect(session.calls.filter((c) => c.startsWith('runCell:'))).toEqual(['runCell:rerun:x = 1', 'runCell:rerun:1 / 0  # error']);
  });

  it('says there is nothing to re-run without resumed cells', async () => {
    expect(await new LoggedSession(new FakeSession()).rerun()).toEqual(['nothing to re-run: this session did not resume one with cells']);
  });
});
