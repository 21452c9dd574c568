import { defineConfig } from 'vitest/config';

// Docker integration tests share one engine on a 2-core machine: keep file parallelism modest.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    maxWorkers: 2,
    // Under CI (two cores shared by the engine, tmux and every test file) a failing test runs once more,
    // so a timing flake of the loaded machine does not fail the run; a real failure fails twice. Locally
    // every failure shows at once.
    retry: process.env.CI ? 1 : 0,
    reporters: ['default'],
  },
});
