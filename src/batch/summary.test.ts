import { describe, expect, it } from 'vitest';
import type { TaskResult } from './results.js';
import { finishedLine, oneLine, summary } from './summary.js';

function result(id: string, status: TaskResult['status'], engine = 'e', fields: Partial<TaskResult> = {}): TaskResult {
  return {
    id,
    status,
    answer: 'line one\nline two',
    files: [],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    cost_usd: 0.001,
    timings: { model_ms: 1000, code_ms: 500, sandbox_ms: 100, total_ms: 1800 },
    error: status === 'ok' ? null : 'it broke',
    model: 'm',
    engine,
    attempts: 1,
    started_at: '',
    finished_at: '',
    ...fields,
  };
}

describe('summary', () => {
  it('counts statuses, means the timings, lists failures and says why it stopped', () => {
    const text = summary({
      results: [result('a', 'ok'), result('b', 'timeout', 'f', { attempts: 2 }), result('c', 'ok')],
      total: 6,
      skipped: 1,
      notRun: 2,
      stopped: 'fail_fast',
      wallMs: 60_000,
      resultsPath: '/x/results.jsonl',
      downEngines: [{ url: 'tcp://h:1', reason: 'gone' }],
    });
    expect(text).toMatch(/tasks\s+ok\s+error\s+timeout\s+budget\s+not run\s+skipped/);
    expect(text).toMatch(/\n6\s+2\s+0\s+1\s+0\s+2\s+1\s+1m 00s\s+3\.0\s+\$0\.0030/);
    expect(text).toMatch(/1\.80 s\s+1\.00 s\s+500 ms\s+100 ms\s+300 ms/);
    expect(text).toMatch(/engine\s+tasks\s+ok\s+retried\ne\s+2\s+2\s+0\nf\s+1\s+0\s+1/);
    expect(text).toContain('  b  timeout  it broke');
    expect(text).toContain('engine tcp://h:1 was taken out');
    expect(text).toContain('--fail-fast was given; 2 task(s) not run');
  });

  it('writes one safe line per finished task', () => {
    expect(finishedLine(result('a', 'ok', 'e', { answer: 'x\x1b[2Jy\nz' }), 3, 10)).toBe('[3/10] ok      a  1.8 s  $0.0010  xy z');
    expect(oneLine('a'.repeat(50), 10)).toBe('aaaaaaaaa…');
  });
});
