/**
 * The translator must not change a kernel run: the kernel with the fuzzer and timer apps (MPU
 * on, system calls, context switches, alarms) runs on both nRF boards and on mps2-an386 in
 * Capsule Studio's emulator twice, translator on and every instruction interpreted; instruction count, cycle count and register file must agree at every exception
 * entry and at the end, and so must the console output (tests/differential/record.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ImageFile } from '../../emulator/session/session';
import { compareRuns, recordRun } from '../differential/record';
import { machineOfBoard } from './emulated';
import { builtTbf, composeImage, fuzzerTbf, kernelImage } from './qemu';

/**
 * Each run: 1 virtual second (boot waits 0.25 s for the LFXO on the nRF boards, then the
 * apps start), at most 12 million instructions on mps2-an386 and 30 million on the nRF boards:
 * their LFXO wait polls CLOCK, and the thin-LTO kernel (kernel/Cargo.toml) spends more
 * instructions per poll, so 12 million ended the run at the first `loaded process` lines.
 */
const SECONDS = 1.0;
const INSTRUCTIONS: Record<string, number> = {
  nrf52840dk: 30_000_000,
  'microbit-v2': 30_000_000,
  'mps2-an386': 12_000_000,
};
/**
 * The fuzzer's seed is fixed here: unpatched, it draws one from the RNG at boot, and some seeds
 * set an alarm hours away early on, so the run would sleep through most of its virtual time.
 */
const FUZZ = { seed: 0x0c0ffee1, calls: 100_000 };
/** The busy image (fuzzer and timer apps: system calls, MPU switches, alarms) on each board. */
const CASES: [string, string, string[] | null][] = [
  ['nrf52840dk', 'fuzzer and timer', ['timer', 'fuzzer']],
  ['microbit-v2', 'fuzzer and timer', ['timer', 'fuzzer']],
  ['mps2-an386', 'fuzzer and timer', ['timer', 'fuzzer']],
];
const HZ: Record<string, number> = { nrf52840dk: 64e6, 'microbit-v2': 64e6, 'mps2-an386': 25e6 };

async function files(board: string, apps: string[] | null): Promise<ImageFile[]> {
  const img = kernelImage(board);
  const appsBin =
    apps === null
      ? img.appsBin
      : await composeImage(
          img.manifest,
          apps.map((n) =>
            n === 'fuzzer' ? fuzzerTbf(img.manifest, FUZZ) : builtTbf(img.manifest, n),
          ),
          `diff-${board}`,
        );
  return [
    { name: img.kernelElf, bytes: new Uint8Array(readFileSync(img.kernelElf)) },
    {
      name: appsBin,
      bytes: new Uint8Array(readFileSync(appsBin)),
      address: img.manifest.appsStart,
    },
  ];
}

for (const [board, label, apps] of CASES) {
  describe(`translator on and off give the same kernel run (${board})`, () => {
    it(label, { timeout: 400_000 }, async () => {
      const image = await files(board, apps);
      const opts = { machine: machineOfBoard(board)! };
      const until = SECONDS * HZ[board]!;
      const off = recordRun(opts, image, INSTRUCTIONS[board]!, false, 300_007, until);
      const on = recordRun(opts, image, INSTRUCTIONS[board]!, true, 300_007, until);
      expect(off.output).toMatch(/Hello|hello|fuzz/);
      expect(off.points.length).toBeGreaterThan(50); // interrupts, system calls, faults (deterministic: fixed seed)
      expect(on.compiled).toBeGreaterThan(10);
      expect(compareRuns(off, on)).toBeNull();
    });
  });
}
