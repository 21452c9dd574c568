// Cost of a call from the price table, snapshots and user overrides.
import { describe, expect, it } from 'vitest';
import { costUsd, priceFunction, priceOf, priceTableSchema } from './prices.js';

const usage = { promptTokens: 1_000_000, completionTokens: 500_000, totalTokens: 1_500_000 };

describe('prices', () => {
  it('prices known models, their dated snapshots and OpenRouter ids', () => {
    expect(costUsd('gpt-4o-mini', usage)).toBeCloseTo(0.15 + 0.3, 10);
    expect(priceOf('gpt-4o-mini-2024-07-18')).toEqual(priceOf('gpt-4o-mini'));
    expect(priceOf('gpt-4o-2024-08-06')).toEqual(priceOf('gpt-4o'));
    expect(priceOf('gpt-4-0613')).toEqual(priceOf('gpt-4'));
    expect(priceOf('openai/gpt-4.1')).toEqual(priceOf('gpt-4.1'));
  });

  it('knows nothing of local or unlisted models', () => {
    expect(costUsd('llama3.2', usage)).toBeUndefined();
    expect(priceOf('gpt-4o-audio-preview')).toBeUndefined();
    expect(priceOf('toString')).toBeUndefined();
  });

  it('lets overrides add and replace prices', () => {
    const price = priceFunction({ 'llama3.2': { input: 0, output: 0 }, 'gpt-4o': { input: 1, output: 2 } });
    expect(price('llama3.2', usage)).toBe(0);
    expect(price('gpt-4o', usage)).toBeCloseTo(1 + 1, 10);
  });

  it('validates an override table', () => {
    expect(priceTableSchema.safeParse({ m: { input: 1, output: 2 } }).success).toBe(true);
    expect(priceTableSchema.safeParse({ m: { input: -1, output: 2 } }).success).toBe(false);
    expect(priceTableSchema.safeParse({ m: { input: 1 } }).success).toBe(false);
  });
});
