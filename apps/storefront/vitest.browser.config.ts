import { defineConfig } from 'vitest/config';

// The browser suite: real services, real Chromium, one scenario at a time.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['browser/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    reporters: ['verbose'],
  },
});
