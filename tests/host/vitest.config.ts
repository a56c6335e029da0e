// The host's robustness suites: back-pressure under a client that never reads, and the fuzz
// suite (random request lines, headers, percent-escapes and WebSocket frames against a real
// host process). One file at a time: each runs a host process and loads it hard.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/host/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
