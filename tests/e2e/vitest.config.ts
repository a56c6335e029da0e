// End-to-end suite: Capsule Studio in browser mode driven through Debian's Chromium.
// One file at a time (each starts a host and a browser; the machine has 2 cores).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.test.ts'],
    globalSetup: ['tests/e2e/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 280_000,
    hookTimeout: 60_000,
  },
});
