/**
 * System-call fuzzing, on mps2-an386 under QEMU and on the emulated nRF52840-DK (same checks):
 * the fuzzer app issues at least 100,000 random system calls (random classes, drivers,
 * arguments and pointers) and finds no ABI violation; the kernel does not panic and the timer
 * app next to it keeps running.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  bootBoard,
  builtTbf,
  composeImage,
  faultReports,
  kernelImage,
  kernelPanics,
  type QemuRun,
} from './qemu';

for (const board of ['mps2-an386', 'nrf52840dk']) {
  describe(`system-call fuzzer (${board})`, () => {
    let q: QemuRun | undefined;
    afterAll(async () => {
      await q?.stop();
    });

    it('completes 100,000 calls with no violation and no kernel panic', async () => {
      const img = kernelImage(board);
      const appsBin = await composeImage(
        img.manifest,
        ['timer', 'fuzzer'].map((n) => builtTbf(img.manifest, n)),
        `fuzz-${board}`,
      );
      q = bootBoard(board, {
        kernelElf: img.kernelElf,
        appsBin,
        // The fuzzer sets alarms at random distances: at the nRF's 32768 Hz that can be hours of
        // virtual time, which the emulator skips instead of waiting for.
        pace: 'fast',
      });
      await q.waitFor(/fuzz: start seed (0x[0-9a-f]+)/, 30_000);
      const done = await q.waitFor(
        /fuzz: done (\d+) syscalls, (\d+) violations, (\d+) upcalls; per class ([\d ]+)\n/,
        240_000,
      );
      const calls = Number(done[1]);
      expect(calls).toBeGreaterThanOrEqual(100_000);
      expect(
        Number(done[2]),
        q
          .output()
          .split('\n')
          .filter((l) => l.includes('VIOLATION'))
          .slice(0, 10)
          .join('\n'),
      ).toBe(0);
      const perClass = done[4]!.trim().split(/\s+/).map(Number);
      // Every class but exit (6) was exercised, and plenty of each.
      perClass.forEach((n, cls) =>
        cls === 6 ? expect(n).toBe(0) : expect(n).toBeGreaterThan(1000),
      );
      expect(faultReports(q.output()).filter((r) => r.name === 'fuzzer')).toEqual([]);
      await q.waitFor(/process 'fuzzer' exited with code 0/, 10_000);
      expect(kernelPanics(q.output())).toEqual([]);
      // The kernel still answers on its console after the storm.
      const from = q.output().length;
      await q.type('list\r');
      await q.waitFor(/\d+\s+\S+\s+fuzzer\s+\d+\s+\d+/, 30_000, from);
    });
  });
}
