// Test gate for Docker integration tests: skip loudly without an engine locally, fail under CI=true.
import { connectEngine } from '../../src/sandbox/engine.js';
import type Docker from 'dockerode';

let cached: Promise<Docker | null> | undefined;

/** Resolves the engine once per test file; null means "skip" (never under CI, where it throws). */
export function engineOrSkip(): Promise<Docker | null> {
  cached ??= connectEngine(process.env, 3000).then(
    ({ docker }) => docker,
    (err: unknown) => {
      if (process.env.CI === 'true') {
        throw new Error(`CI=true but no Docker engine is reachable: ${(err as Error).message}`);
      }
      console.warn(`\n!!! SKIPPING Docker integration tests: no engine reachable (${(err as Error).message})\n`);
      return null;
    },
  );
  return cached;
}

/** Top-level await helper: `const docker = await engineOrSkip(); describe.skipIf(!docker)(...)`. */
export const hasEngine = async (): Promise<boolean> => (await engineOrSkip()) !== null;
