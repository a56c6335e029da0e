/**
 * System-call fuzzing, on mps2-an386 under QEMU and on the emulated nRF52840-DK (same checks):
 * the fuzzer app issues random system calls (random classes, drivers, arguments and pointers)
 * and finds no ABI violation; the kernel does not panic and the timer app next to it keeps
 * running.
 *
 * Each run is seeded with a value this test chooses and prints, patched into the fuzzer's TBF
 * with the number of calls (FUZZ_PARAMS), so a failure replays with the printed
 * `FUZZ_SEED=... FUZZ_CALLS=...`. `npm run test:kernel` makes 100,000 calls per board;
 * `npm run test:kernel:full` (vitest --mode full) makes 1,000,000.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  bootBoard,
  builtTbf,
  composeImage,
  faultReports,
  fuzzerTbf,
  fuzzPlan,
  kernelImage,
  kernelPanics,
  type QemuRun,
} from './qemu';

const CALLS = process.env.KERNEL_SUITE_MODE === 'full' ? 1_000_000 : 100_000;
/** Real seconds per 100,000 calls, generously (measured: ~3.5 on QEMU, ~8 in the emulator). */
const SECONDS_PER_100K = 60;

for (const board of ['mps2-an386', 'nrf52840dk']) {
  describe(`system-call fuzzer (${board})`, () => {
    let q: QemuRun | undefined;
    afterAll(async () => {
      await q?.stop();
    });

    const plan = fuzzPlan(CALLS);
    const budgetMs = Math.max(240, (plan.calls / 100_000) * SECONDS_PER_100K) * 1000;

    it(
      `completes ${plan.calls.toLocaleString('en')} calls with no violation and no kernel panic`,
      async () => {
        console.log(`fuzz (${board}): seed and count to replay this run: ${plan.replay}`);
        const img = kernelImage(board);
        const appsBin = await composeImage(
          img.manifest,
          [builtTbf(img.manifest, 'timer'), fuzzerTbf(img.manifest, plan)],
          `fuzz-${board}`,
        );
        q = bootBoard(board, {
          kernelElf: img.kernelElf,
          appsBin,
          // The fuzzer sets alarms at random distances: at the nRF's 32768 Hz that can be hours
          // of virtual time, which the emulator skips instead of waiting for.
          pace: 'fast',
        });
        // The whole line: output arrives in chunks, and "calls 100000" cut after "10" would
        // read as 10.
        const start = await q.waitFor(/fuzz: start seed (0x[0-9a-f]+) calls (\d+)[^\n]*\n/, 30_000);
        // The app runs with the seed and count this test chose.
        expect(Number(start[1]), plan.replay).toBe(plan.seed);
        expect(Number(start[2]), plan.replay).toBe(plan.calls);
        const done = await q.waitFor(
          /fuzz: done (\d+) syscalls, (\d+) violations, (\d+) upcalls; per class ([\d ]+)\n/,
          budgetMs,
        );
        const calls = Number(done[1]);
        expect(calls, plan.replay).toBeGreaterThanOrEqual(plan.calls);
        expect(
          Number(done[2]),
          `${plan.replay}\n${q
            .output()
            .split('\n')
            .filter((l) => l.includes('VIOLATION'))
            .slice(0, 10)
            .join('\n')}`,
        ).toBe(0);
        const perClass = done[4]!.trim().split(/\s+/).map(Number);
        // Every class but exit (6) was exercised, and plenty of each.
        perClass.forEach((n, cls) =>
          cls === 6 ? expect(n).toBe(0) : expect(n).toBeGreaterThan(plan.calls / 100),
        );
        expect(
          faultReports(q.output()).filter((r) => r.name === 'fuzzer'),
          plan.replay,
        ).toEqual([]);
        await q.waitFor(/process 'fuzzer' exited with code 0/, 10_000);
        expect(kernelPanics(q.output()), plan.replay).toEqual([]);
        // The kernel still answers on its console after the storm.
        const from = q.output().length;
        await q.type('list\r');
        await q.waitFor(/\d+\s+\S+\s+fuzzer\s+\d+\s+\d+/, 30_000, from);
      },
      budgetMs + 60_000,
    );
  });
}
