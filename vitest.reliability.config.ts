import { defineConfig } from 'vitest/config';

/** The reliability suite: real server processes on 127.0.0.1, each part bounded in time. */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.reliability.spec.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    globalSetup: ['./test/support/global-setup.ts'],
    setupFiles: ['./test/support/setup.ts'],
    reporters: ['default', './test/support/count-reporter.ts'],
  },
});
