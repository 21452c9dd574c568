import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RESULTS_NAME, ResultsFile, finishedIds, readResults, type TaskResult } from './results.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'codecell-results-'));
  dirs.push(d);
  return d;
}

function result(id: string, status: TaskResult['status']): TaskResult {
  return {
    id,
    status,
    answer: 'a',
    files: [],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    cost_usd: null,
    timings: { model_ms: 1, code_ms: 1, sandbox_ms: 1, total_ms: 3 },
    error: status === 'ok' ? null : 'x',
    model: 'm',
    engine: 'e',
    attempts: 1,
    started_at: '',
    finished_at: '',
  };
}

describe('ResultsFile', () => {
  it('appends whole lines that read back in order', () => {
    const dir = tmp();
    const file = ResultsFile.open(dir);
    file.append(result('a', 'ok'));
    file.append(result('b', 'error'));
    file.close();
    expect(readResults(dir).map((r) => [r.id, r.status])).toEqual([
      ['a', 'ok'],
      ['b', 'error'],
    ]);
  });

  it('starts a fresh line after a torn last line, and skips the torn one when reading', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, RESULTS_NAME), JSON.stringify(result('a', 'ok')) + '\n{"id":"b","sta');
    const file = ResultsFile.open(dir);
    file.append(result('c', 'ok'));
    file.close();
    const text = fs.readFileSync(path.join(dir, RESULTS_NAME), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(readResults(dir).map((r) => r.id)).toEqual(['a', 'c']);
  });

  it('resume skips only ids whose latest result is ok', () => {
    expect(finishedIds([result('a', 'ok'), result('b', 'error'), result('c', 'error'), result('c', 'ok'), result('d', 'ok'), result('d', 'timeout')])).toEqual(
      new Set(['a', 'c']),
    );
    expect(readResults(path.join(os.tmpdir(), 'codecell-no-such-dir'))).toEqual([]);
  });
});
