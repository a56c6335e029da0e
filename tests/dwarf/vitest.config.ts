// The DWARF reader checked against independent tools on real images: llvm-dwarfdump-14 (line
// tables, DIE address ranges), gdb-multiarch against QEMU's gdbstub (backtraces and locals at
// breakpoints), plus the debug-section fuzz run. The kernels are built once (global-setup.ts);
// files run one at a time (one boots QEMU and the CI machine has two cores).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/dwarf/**/*.test.ts'],
    globalSetup: ['tests/dwarf/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
