/**
 * The nRF boards' transcript against QEMU's: the same apps (hello, rng, timer) booted on
 * mps2-an386 under QEMU and on the nRF52840-DK and micro:bit v2 in Capsule Studio's emulator
 * print the same lines, board lines aside.
 *
 * Lines are compared per source (the kernel and each app), because the interleaving of two
 * apps' output depends on each board's clocks. Within a line only what is random or timed is
 * masked: the RNG's bytes, the alarm frequency the timer app reports (each board's own) and the
 * millisecond stamps of timer ticks (checked separately to be at least the requested interval
 * apart). The image `kernel.mjs build` writes for the board
 * (image.hex: kernel and apps exactly as flashed) boots too.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootEmulator } from './emulated';
import { bootBoard, builtTbf, composeImage, kernelImage, kernelPanics, type QemuRun } from './qemu';

const APPS = ['hello', 'rng', 'timer'];
const runs: QemuRun[] = [];
afterAll(async () => {
  await Promise.all(runs.map((r) => r.stop()));
});

/** The transcript up to `timer: done`, split by source, with random and timed parts masked. */
async function transcript(board: string): Promise<{ lines: Map<string, string[]>; raw: string }> {
  const img = kernelImage(board);
  const appsBin = await composeImage(
    img.manifest,
    APPS.map((n) => builtTbf(img.manifest, n)),
    `transcript-${board}`,
  );
  const run = bootBoard(board, { kernelElf: img.kernelElf, appsBin });
  runs.push(run);
  await run.waitFor(/timer: done\n/, 120_000);
  await run.waitFor(/rng: round 3 got 8 bytes [0-9a-f]{16}\n/, 30_000);
  // Up to the end of the timer's last line: what follows (the timer's exit) depends on when
  // each run is stopped.
  const full = run.output();
  const raw = full.slice(0, full.indexOf('timer: done\n') + 'timer: done\n'.length);
  await run.stop();
  const lines = new Map<string, string[]>();
  for (const line of raw.split('\n')) {
    const m = /^(\[kernel\]|hello:|rng:|timer:)/.exec(line);
    if (!m) continue;
    const masked = line
      .replace(/got 8 bytes [0-9a-f]{16}/, 'got 8 bytes <random>')
      .replace(/ at \d+ ms/, ' at <t> ms')
      // The alarm's frequency is the board's (QEMU's 25 MHz timer, the nRF's 32768 Hz RTC).
      .replace(/alarm at \d+ Hz/, 'alarm at <f> Hz');
    const list = lines.get(m[1]!) ?? [];
    list.push(masked);
    lines.set(m[1]!, list);
  }
  return { lines, raw };
}

describe('nRF boards print the transcript QEMU prints', () => {
  let reference: Map<string, string[]> | undefined;

  it('mps2-an386 on QEMU (the reference)', async () => {
    const t = await transcript('mps2-an386');
    reference = t.lines;
    expect(t.raw).toMatch(/^Capsule kernel \d+\.\d+\.\d+ on mps2-an386$/m);
    expect(reference.get('timer:')?.length).toBeGreaterThanOrEqual(11);
  });

  for (const board of ['nrf52840dk', 'microbit-v2']) {
    it(`${board} in the emulator`, async () => {
      expect(reference, 'the QEMU reference run failed').toBeDefined();
      const t = await transcript(board);
      expect(t.raw).toMatch(new RegExp(`^Capsule kernel \\d+\\.\\d+\\.\\d+ on ${board}$`, 'm'));
      for (const source of ['[kernel]', 'hello:', 'rng:', 'timer:']) {
        expect(t.lines.get(source), `${source} lines on ${board}`).toEqual(reference!.get(source));
      }
      // Ticks honour the requested 250 ms intervals on the board's RTC too.
      const ticks = [...t.raw.matchAll(/timer: tick (\d+) at (\d+) ms/g)].map((m) => Number(m[2]));
      ticks.forEach((ms, i) => expect(ms).toBeGreaterThanOrEqual(250 * (i + 1)));
      // Three different random words from the hardware RNG.
      const words = [...t.raw.matchAll(/rng: round \d got 8 bytes ([0-9a-f]{16})/g)].map(
        (m) => m[1],
      );
      expect(new Set(words).size).toBe(3);
      expect(kernelPanics(t.raw)).toEqual([]);
    });
  }

  it('the nrf52840dk image.hex from kernel.mjs build boots as flashed', async () => {
    const img = kernelImage('nrf52840dk');
    const run = bootEmulator({ machine: 'nrf52840dk', hex: join(img.dir, 'image.hex') });
    runs.push(run);
    await run.waitFor(/hello: Hello, World!/, 60_000);
    expect(kernelPanics(run.output())).toEqual([]);
  });
});
