/**
 * Board I/O of the nRF kernels in the emulator: the DK lights LED1 and the micro:bit its
 * top-left matrix pixel at boot (read from the pins the firmware drives), and pressing a button
 * (driving its pin low, as the switch does) reaches the kernel through GPIO sense and GPIOTE,
 * which prints `[board] button N pressed`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bootEmulator, type EmulatorRun } from './emulated';
import { builtTbf, composeImage, kernelImage, kernelPanics } from './qemu';

let run: EmulatorRun | undefined;
afterEach(async () => {
  await run?.stop();
  run = undefined;
});

async function boot(board: string, machine: string): Promise<EmulatorRun> {
  const img = kernelImage(board);
  const appsBin = await composeImage(
    img.manifest,
    [builtTbf(img.manifest, 'hello')],
    `board-${board}`,
  );
  const r = bootEmulator({ machine, kernelElf: img.kernelElf, appsBin });
  await r.waitFor(/hello: Hello, World!/, 60_000);
  return r;
}

describe('nRF board I/O', () => {
  it('nrf52840dk: LED1 lit at boot, buttons reach the kernel', async () => {
    run = await boot('nrf52840dk', 'nrf52840dk');
    const nrf = run.session;
    expect(nrf.leds().map((l) => `${l.name}=${l.lit ? 'on' : 'off'}`)).toEqual([
      'LED1=on',
      'LED2=off',
      'LED3=off',
      'LED4=off',
    ]);
    for (const [i, name] of ['BUTTON1', 'BUTTON2', 'BUTTON3', 'BUTTON4'].entries()) {
      const from = run.output().length;
      expect(nrf.setButton(name, true)).toEqual({ ok: true });
      await run.waitFor(new RegExp(`\\[board\\] button ${i + 1} pressed\\n`), 10_000, from);
      nrf.setButton(name, false);
    }
    expect(kernelPanics(run.output())).toEqual([]);
  });

  it('microbit-v2: the top-left pixel lit at boot, buttons A and B reach the kernel', async () => {
    run = await boot('microbit-v2', 'microbit-v2');
    const nrf = run.session;
    expect(
      nrf
        .leds()
        .filter((l) => l.lit)
        .map((l) => l.name),
    ).toEqual(['(0,0)']);
    for (const [i, name] of ['A', 'B'].entries()) {
      const from = run.output().length;
      nrf.setButton(name, true);
      await run.waitFor(new RegExp(`\\[board\\] button ${i + 1} pressed\\n`), 10_000, from);
      nrf.setButton(name, false);
    }
    expect(kernelPanics(run.output())).toEqual([]);
  });
});
