// Lockstep suite: our emulator against QEMU, instruction by instruction.
// `npm run test:lockstep:ci` runs the CI budget; `npm run test:lockstep` (--mode full) runs the
// full budget (>= 10 million compared instructions).
import { defineConfig } from 'vitest/config';

// `npm run test:trace` (TRACE_MODE=full) runs the trace oracle's full budget under the CI mode's
// config, so it gets the full run's time limit too.
export default defineConfig(({ mode }) => {
  const full = mode === 'full' || process.env.TRACE_MODE === 'full';
  return {
    test: {
      include: ['tests/lockstep/**/*.test.ts'],
      env: { LOCKSTEP_MODE: mode === 'full' ? 'full' : 'ci' },
      testTimeout: full ? 4 * 3600_000 : 480_000,
      hookTimeout: 60_000,
      fileParallelism: false,
    },
  };
});
