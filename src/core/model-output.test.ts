import { describe, expect, it } from 'vitest';
import { finalLines, ModelOutput } from './model-output.js';

describe('ModelOutput', () => {
  it('keeps only the final state of a carriage-return progress bar', () => {
    const out = new ModelOutput(10_000);
    for (let i = 0; i <= 100; i += 10) out.append(`\r${i}%|${'#'.repeat(i / 10)}|`);
    out.append('\ndone\n');
    expect(out.toString()).toBe('100%|##########|\ndone\n');
  });

  it('empties on clear_output and keeps what came after', () => {
    const out = new ModelOutput(10_000);
    out.append('step 1\n');
    out.clear();
    out.append('step 2\n');
    expect(out.toString()).toBe('step 2\n');
  });

  it('replaces an updated display in place and ignores updates to displays it never had', () => {
    const out = new ModelOutput(10_000);
    out.append('before');
    out.display('progress 0/3', 'p');
    out.append('after\n');
    out.display('progress 3/3', 'p', true);
    out.display('elsewhere', 'other', true);
    expect(out.toString()).toBe('before\nprogress 3/3\nafter\n');
  });

  it('stops keeping text past its cap', () => {
    const out = new ModelOutput(5);
    out.append('12345');
    out.append('678');
    expect(out.toString()).toBe('12345');
  });
});

describe('finalLines', () => {
  it('applies \\r per line and leaves \\r\\n alone', () => {
    expect(finalLines('a\rb\r\nc\rdd\r')).toBe('b\ndd');
    expect(finalLines('plain\n')).toBe('plain\n');
  });
});
