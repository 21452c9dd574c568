import { describe, expect, it } from 'vitest';
import type { ToolCall } from '../llm/types.js';
import { TurnLimits } from './turn-limits.js';

const call = (code?: string): ToolCall => ({
  id: 'c',
  name: 'python',
  arguments: code === undefined ? '{"code": ' : JSON.stringify({ code }),
  ...(code !== undefined ? { code } : {}),
});

describe('TurnLimits', () => {
  it('allows the most model calls, then stops the prompt with a notice', () => {
    const limits = new TurnLimits(2);
    expect(limits.beforeModelCall()).toBeUndefined();
    expect(limits.beforeModelCall()).toBeUndefined();
    expect(limits.beforeModelCall()).toBe('stopped after 2 model calls (--max-turns); ask to continue if needed');
    expect(limits.beforeModelCall()).toBeDefined();
  });

  it('says when the calls were spent on code that could not be read', () => {
    const limits = new TurnLimits(1);
    limits.noteReply([call()]);
    limits.noteReply([call()]);
    limits.beforeModelCall();
    expect(limits.beforeModelCall()).toContain(": the model's last 2 replies held code that could not be read; try another model or --tools text|native;");
  });

  it('says when the model sent the same code again and again, and forgets once it changes', () => {
    const limits = new TurnLimits(0);
    for (let i = 0; i < 3; i++) limits.noteReply([call('x = 1')]);
    expect(limits.beforeModelCall()).toContain(': the model sent the same code 3 times in a row;');
    limits.noteReply([call('x = 2')]);
    limits.noteReply([]); // an answer without calls changes nothing
    expect(limits.beforeModelCall()).toBe('stopped after 0 model calls (--max-turns); ask to continue if needed');
  });

  it('stops once the session spent more than its budget', () => {
    const limits = new TurnLimits(5, 0.5);
    expect(limits.overBudget(undefined)).toBeUndefined();
    expect(limits.overBudget(0.5)).toBeUndefined();
    expect(limits.overBudget(0.51)).toBe('budget of $0.5000 exceeded ($0.5100 spent); stopping');
    expect(new TurnLimits(5).overBudget(100)).toBeUndefined();
  });
});
