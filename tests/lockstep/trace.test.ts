/**
 * Trace oracle against QEMU's own per-instruction log (trace-driver.ts): the two CPU benchmarks
 * and the mps2-an386 kernel, r0-r15 and xPSR compared before every instruction.
 * `npm run test:lockstep:ci` compares at least 10^7 benchmark instructions; `npm run
 * test:trace` (and the full lockstep run) 10^8. The kernel run replays QEMU's interrupts and
 * device reads, with QEMU counting instructions (`-icount`, qemu-trace.ts) so that its timer
 * interrupts land on the same instruction every run: the whole budget (10^7, full 4x10^7, the
 * boot, the apps' start and the first timer interrupts) must match.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type BenchmarkName, buildBench } from '../bench/build';
import { compareWithQemuTrace } from './trace-driver';

const FULL = process.env.LOCKSTEP_MODE === 'full' || process.env.TRACE_MODE === 'full';
/** Instructions compared per benchmark (ci: 10^7 in all, full: 10^8). */
const BUDGET: Record<BenchmarkName, number> = FULL
  ? { bench: 60_000_000, bench2: 40_000_000 }
  : { bench: 6_000_000, bench2: 4_000_000 };
/** The kernel's first timer interrupt comes after about 8.6 million instructions. */
const KERNEL_BUDGET = FULL ? 40_000_000 : 10_000_000;
const root = resolve(fileURLToPath(import.meta.url), '../../..');

describe('QEMU per-instruction trace', () => {
  for (const name of ['bench', 'bench2'] as const) {
    it(`${name}: every instruction matches QEMU's log`, async () => {
      const built = buildBench(undefined, name);
      if (!built.ok) throw new Error(built.error);
      const rounds = name === 'bench' ? 1000 : 1000;
      const r = await compareWithQemuTrace({
        elf: built.value,
        maxInstructions: BUDGET[name],
        semihosting: true,
        args: ['bench', String(rounds)],
      });
      console.log(
        `${name}: ${r.compared} instructions compared in ${r.seconds.toFixed(1)} s (${(r.compared / r.seconds / 1000).toFixed(0)} k/s)`,
      );
      expect(r.divergence).toBeNull();
      expect(r.compared).toBe(BUDGET[name]);
    });
  }

  const kernel = join(root, 'kernel/target/images/mps2-an386');
  it.skipIf(!existsSync(join(kernel, 'kernel.elf')))(
    'mps2-an386 kernel: every instruction matches QEMU (interrupts and device reads replayed)',
    async () => {
      const r = await compareWithQemuTrace({
        elf: join(kernel, 'kernel.elf'),
        extra: { file: join(kernel, 'apps.bin'), address: 0x40000 },
        maxInstructions: KERNEL_BUDGET,
        replay: true,
        icount: true,
      });
      console.log(
        `kernel: ${r.compared} instructions matched (${r.injected} interrupts replayed, the first after ${r.firstInterrupt}; ${r.abandoned} in place of an abandoned instruction, ${r.adopted} device reads adopted, ${r.repeated} repeated records skipped)${r.divergence ? `; then:\n${r.divergence}` : ''}`,
      );
      expect(r.divergence).toBeNull();
      expect(r.compared).toBe(KERNEL_BUDGET);
      expect(r.injected).toBeGreaterThan(0);
    },
  );
});
