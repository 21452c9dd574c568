import { defineConfig } from 'vitest/config';

/** Tests beside the code that talk to the real engine (they skip loudly without one): not unit tests. */
const ENGINE_TESTS = [
  'src/sandbox/pool.test.ts',
  'src/sandbox/reset.test.ts',
  'src/sandbox/image.test.ts',
  'src/sandbox/derived.test.ts',
  'src/sandbox/status.test.ts',
  'src/cli/commands/sandbox.test.ts',
];

// Two projects: `unit` (beside the code, no engine, no built CLI: `npm run test:unit`) and `integration`
// (the engine, the built CLI, terminals). `vitest run` runs both, so `npm test` runs every test as before.
// Docker integration tests share one engine on a 2-core machine: keep file parallelism modest.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    maxWorkers: 2,
    // Under CI (two cores shared by the engine, tmux and every test file) a failing test runs once more,
    // so a timing flake of the loaded machine does not fail the run; a real failure fails twice. Locally
    // every failure shows at once.
    retry: process.env.CI ? 1 : 0,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts', 'src/**/*.test.tsx'], exclude: ENGINE_TESTS } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts', ...ENGINE_TESTS] } },
    ],
  },
});
