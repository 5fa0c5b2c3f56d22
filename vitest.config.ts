import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that start servers or rebuild into temp folders share two cores; keep file-level parallelism low.
    maxWorkers: 2,
    // The files of one worker share its module cache instead of importing Prism, Ajv and the mocks anew for each:
    // about a quarter of the suite's CPU. Every file starts its own servers and tenants and restores what it changes.
    isolate: false,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
