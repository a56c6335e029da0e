// Unit tests: the files that sit beside the code they test. Cross-cutting suites
// (kernel on QEMU, lockstep, end-to-end) have their own configs under tests/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'emulator/**/*.test.ts',
      'main/**/*.test.ts',
      'renderer/**/*.test.{ts,tsx}',
      'scripts/**/*.test.{ts,mjs}',
      'tests/unit/**/*.test.ts',
      'tests/programs/**/*.test.ts',
      'tests/openocd/**/*.test.ts',
      'tests/bench/**/*.test.ts',
    ],
    testTimeout: 30_000,
  },
});
