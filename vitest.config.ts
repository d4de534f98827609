import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // The reliability suite runs real servers for minutes: `npm run test:reliability`.
    exclude: ['test/reliability/**', 'node_modules/**'],
    environment: 'node',
    // onnxruntime-node checks typed arrays against this realm's constructors; forks keep one realm per test file.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['./test/support/global-setup.ts'],
    setupFiles: ['./test/support/setup.ts'],
    reporters: ['default', './test/support/count-reporter.ts'],
  },
});
