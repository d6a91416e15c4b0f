import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Real servers (Temporal, ffmpeg, chromium) start inside tests: generous timeouts, files in sequence
    // on a 2-core machine so media timings stay sane.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    globalSetup: ['tests/global-setup.ts'],
  },
});
