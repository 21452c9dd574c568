import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { stripVTControlCharacters } from 'node:util';
import { BatchProgress } from '../../batch/progress.js';
import type { TaskResult } from '../../batch/results.js';
import { BatchView } from './BatchView.js';
import { until } from '../testing/keyboard.js';

afterEach(() => cleanup());

function result(id: string, status: TaskResult['status'], answer: string, error: string | null = null): TaskResult {
  return {
    id,
    status,
    answer,
    files: [],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    cost_usd: 0.0002,
    timings: { model_ms: 100, code_ms: 100, sandbox_ms: 10, total_ms: 1500 },
    error,
    model: 'm',
    engine: 'e',
    attempts: 1,
    started_at: '',
    finished_at: '',
  };
}

describe('BatchView', () => {
  it('shows counts, the running tasks with their last line, and finished tasks above', async () => {
    let clock = 1_000_000;
    const progress = new BatchProgress(5, 1, () => clock);
    const finished: TaskResult[] = [];
    const { lastFrame, frames } = render(<BatchView progress={progress} finished={() => finished} columns={100} maxRunning={2} />);
    progress.start('alpha', 'e', 1);
    progress.start('beta', 'e', 2);
    progress.start('gamma', 'e', 1);
    progress.line('alpha', 'computing \x1b]52;c;aGk=\x07row 17');
    await until(() => /alpha .* computing row 17/.test(stripVTControlCharacters(lastFrame() ?? '')), 'the running task line');
    let frame = stripVTControlCharacters(lastFrame() ?? '');
    expect(frame).toContain('0/4 done');
    expect(frame).toContain('3 running');
    expect(frame).toMatch(/alpha .* computing row 17/);
    expect(frame).not.toContain(']52');
    expect(frame).toContain('(attempt 2)');
    expect(frame).toContain('… 1 more running');
    expect(frame).toContain('1 skipped');

    clock += 60_000;
    const done = result('alpha', 'ok', 'the answer is 42');
    finished.push(done);
    progress.finished(done);
    const bad = result('beta', 'error', '', 'model server error 500');
    finished.push(bad);
    progress.finished(bad);
    await until(() => stripVTControlCharacters(lastFrame() ?? '').includes('2/4 done'), 'the two finished tasks');
    frame = stripVTControlCharacters(frames.join('\n'));
    expect(frame).toMatch(/\[1\/4\] ok\s+alpha .*the answer is 42/);
    expect(frame).toMatch(/\[2\/4\] error\s+beta .*model server error 500/);
    const last = stripVTControlCharacters(lastFrame() ?? '');
    expect(last).toContain('2/4 done');
    expect(last).toContain('1 running');
    expect(last).toContain('1 failed');
    expect(last).toContain('2.0/min');
    expect(last).toMatch(/ETA 1m 00s/);
  });
});
