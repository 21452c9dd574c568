// What a model call costs: a small table of OpenAI list prices (USD per 1M tokens), overridable in config.
import { z } from 'zod';
import type { Usage } from './types.js';

export interface Price {
  /** USD per 1M prompt (input) tokens. */
  input: number;
  /** USD per 1M completion (output) tokens. */
  output: number;
}

export type PriceTable = Record<string, Price>;

/** The shape of the `prices` config value: `{"my-model": {"input": 0.5, "output": 1.5}}`. */
export const priceTableSchema = z.record(z.string().min(1), z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }).strict());

/**
 * OpenAI standard-tier list prices at the time of writing. Cached-input discounts are ignored, so a
 * cost is an upper estimate. Prices change: override them with `codecell config set prices ...`.
 */
export const DEFAULT_PRICES: Readonly<PriceTable> = {
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-4': { input: 30, output: 60 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  o1: { input: 15, output: 60 },
  'o1-mini': { input: 1.1, output: 4.4 },
  o3: { input: 2, output: 8 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
};

// Dated snapshots cost what their family costs: gpt-4o-2024-08-06, gpt-4-0613, o3-mini-2025-01-31.
const SNAPSHOT = /-(\d{4}-\d{2}-\d{2}|\d{4})$/;

/** The price of a model id, or undefined when unknown (local models, new releases). Overrides win. */
export function priceOf(model: string, overrides: PriceTable = {}): Price | undefined {
  const table: PriceTable = { ...DEFAULT_PRICES, ...overrides };
  const exact = (id: string): Price | undefined => (Object.hasOwn(table, id) ? table[id] : undefined);
  // OpenRouter-style ids carry the vendor: openai/gpt-4o.
  const bare = model.startsWith('openai/') ? model.slice('openai/'.length) : model;
  return exact(model) ?? exact(bare) ?? exact(bare.replace(SNAPSHOT, ''));
}

/** USD for one call's usage, or undefined when the model's price is unknown. */
export function costUsd(model: string, usage: Usage, overrides: PriceTable = {}): number | undefined {
  const price = priceOf(model, overrides);
  if (!price) return undefined;
  return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
}

/** A price function for the Session (its `price` option), with the user's overrides applied. */
export function priceFunction(overrides: PriceTable = {}): (model: string, usage: Usage) => number | undefined {
  return (model, usage) => costUsd(model, usage, overrides);
}
