import { describe, expect, it } from 'vitest';
import type { SessionSummary } from '../../store/session-log.js';
import { sessionLine } from './sessions.js';

const summary = (over: Partial<SessionSummary>): SessionSummary => ({
  id: '20261130-164819-92zg',
  started: '2026-11-30T16:48:19.000Z',
  model: 'gpt-4o-mini',
  title: 'chart the sales',
  turns: 2,
  cells: 3,
  files: 1,
  skipped: 0,
  path: '/tmp/s.jsonl',
  ...over,
});

describe('sessionLine', () => {
  it('counts prompts for a chat or run session', () => {
    expect(sessionLine(summary({}))).toBe('20261130-164819-92zg  2026-11-30 16:48  gpt-4o-mini  2 turns · 1 file  chart the sales');
  });

  it('counts cells for a session without prompts (codecell exec)', () => {
    expect(sessionLine(summary({ model: 'exec', turns: 0, cells: 1, files: 0, title: 'print(1)' }))).toBe(
      '20261130-164819-92zg  2026-11-30 16:48  exec  1 cell  print(1)',
    );
  });
});
