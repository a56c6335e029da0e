// Lockstep suite: our emulator against QEMU, instruction by instruction.
// `npm run test:lockstep:ci` runs the CI budget; `npm run test:lockstep` (--mode full) runs the
// full budget (>= 10 million compared instructions).
import { defineConfig } from 'vitest/config';

export default defineConfig(({ mode }) => ({
  test: {
    include: ['tests/lockstep/**/*.test.ts'],
    env: { LOCKSTEP_MODE: mode === 'full' ? 'full' : 'ci' },
    testTimeout: mode === 'full' ? 4 * 3600_000 : 480_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
}));
