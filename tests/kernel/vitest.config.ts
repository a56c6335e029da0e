// The kernel on QEMU (and KERNEL-CORE's TCB / TakeCell checks): cross-cutting suites that build
// the kernel and apps once (global-setup.ts) and boot them in qemu-system-arm. Files run one at
// a time: each boots QEMU, and the CI machine has two cores.
// `npm run test:kernel:full` (--mode full) runs the long variants: the fuzzer's 10^6 calls.
import { defineConfig } from 'vitest/config';

export default defineConfig(({ mode }) => ({
  test: {
    // --mode layout (`npm run test:tock-layout`): the Tock views' layout-robustness rebuild
    // alone (it builds its own two kernels); never in the ordinary run (two builds).
    include:
      mode === 'layout'
        ? ['tests/kernel/tock-layout.rebuild.test.ts']
        : ['tests/kernel/**/*.test.ts'],
    exclude: mode === 'layout' ? [] : ['tests/kernel/**/*.rebuild.test.ts'],
    globalSetup: mode === 'layout' ? [] : ['tests/kernel/global-setup.ts'],
    env: { KERNEL_SUITE_MODE: mode === 'full' ? 'full' : 'ci' },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
}));
