/**
 * The kernel's system-call and context-switch cost in emulated Cortex-M4 cycles, held to its
 * figures: the nrf52840dk kernel boots the sysbench pair (kernel/apps/sysbench) in the
 * emulator with the Tock views' recorder on, and tests/bench/syscall-cycles.ts reads each
 * null system call's round trip and each timeslice switch from the exception records.
 *
 * Cycles are counted by the emulator, not timed, so the figures are the same on a loaded
 * machine; `npm run bench:syscall` prints them. The bounds sit just above what the kernel
 * does now (yield-no-wait 164, memop 158 on the handler-mode fast path; command 656 through
 * the kernel thread; a switch 194 in the SysTick handler: the issue's goal of 200), far below
 * the kernel before the fast path (1330, 1860, 1982 and 1848), so a change that takes these
 * calls off their path, or puts a division, a walk or a function's register saves back on the
 * switch, fails here.
 */
import { describe, expect, it } from 'vitest';
import { measure } from '../bench/syscall-bench';
import { summary } from '../bench/syscall-cycles';
import { kernelImage } from './qemu';

describe('kernel cost on the emulated nRF52840 (cycles)', () => {
  it(
    'null system calls and context switches stay within their cycle bounds',
    { timeout: 180_000 },
    async () => {
      const costs = await measure(kernelImage('nrf52840dk'));
      const median = (name: string): number => summary(costs.syscalls.get(name) ?? []).median;
      // Every call of the app was seen and classified (200 of each; a call that an interrupt
      // interrupted is left out).
      for (const [name, samples] of costs.syscalls)
        expect(samples.length, name).toBeGreaterThan(150);
      expect(median('yield-no-wait')).toBeLessThanOrEqual(180);
      expect(median('memop 2 (RAM start)')).toBeLessThanOrEqual(180);
      expect(median('command 8 0 (low-level debug exists)')).toBeLessThanOrEqual(680);
      const switches = summary(costs.switches);
      expect(switches.count).toBeGreaterThanOrEqual(40);
      expect(switches.median).toBeLessThanOrEqual(200);
    },
  );
});
