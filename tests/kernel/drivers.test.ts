/**
 * Tock's LED (0x2), button (0x3), GPIO (0x4) and temperature (0x60000) drivers on the nRF
 * boards, driven by C test apps written against Tock's command numbers and upcalls
 * (kernel/apps/c/{led,buttons,gpio,temperature}), with the emulator playing the world: the
 * test reads the LED pins, presses buttons, drives a GPIO input and sets the die temperature.
 * All four apps run in one boot, each where the test puts it (they are position independent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootEmulator, type EmulatorRun } from './emulated';
import { builtTbf, composeImage, kernelImage, kernelPanics } from './qemu';
import { nrf52Of } from '../../emulator/machines/nrf52';

const BOARDS = [
  {
    board: 'nrf52840dk',
    machine: 'nrf52840dk',
    leds: 4,
    lit: ['LED1', 'LED3'],
    buttons: ['BUTTON1', 'BUTTON2', 'BUTTON3', 'BUTTON4'],
    gpio: { count: 8, out: [1, 1], in: [1, 2] },
  },
  {
    board: 'microbit-v2',
    machine: 'microbit-v2',
    // The matrix's top row (row 1 is driven by the kernel; LEDs are its columns).
    leds: 5,
    lit: ['(0,0)', '(0,2)'],
    buttons: ['A', 'B'],
    gpio: { count: 3, out: [0, 2], in: [0, 3] },
  },
] as const;

for (const b of BOARDS) {
  describe(`Tock drivers (${b.board})`, () => {
    let run: EmulatorRun;

    beforeAll(async () => {
      const img = kernelImage(b.board);
      const tbfs = ['led', 'buttons', 'gpio', 'temperature'].map((name, i) => ({
        address: img.manifest.appsStart + i * 0x4000,
        bytes: builtTbf(img.manifest, name).bytes,
      }));
      const appsBin = await composeImage(img.manifest, tbfs, `drivers-${b.board}`);
      run = bootEmulator({ machine: b.machine, kernelElf: img.kernelElf, appsBin });
      // Before any app runs: the die reads -5.25 °C (TEMP's resolution is 0.25 °C).
      nrf52Of(run.session.machine)!.temp.setTemperature(-5.25);
      await run.waitFor(/led: done/, 30_000);
      await run.waitFor(/buttons: \d+ buttons, waiting\n/, 30_000);
      await run.waitFor(/gpio: pin 1 input with pull-up/, 30_000);
    });

    afterAll(async () => {
      await run?.stop();
    });

    it('LED: command 0 counts the LEDs, on/off/toggle drive the pins, a bad index is INVALID', () => {
      expect(run.output()).toContain(`led: ${b.leds} LEDs\n`);
      expect(run.output()).toContain(`led: led ${b.leds} -> INVALID\n`);
      const lit = run.session
        .leds()
        .filter((l) => l.lit)
        .map((l) => l.name);
      expect(lit).toEqual(b.lit);
    });

    it('button: every press and release is an upcall with the index and state', async () => {
      const nrf = run.session;
      expect(run.output()).toContain(`buttons: ${b.buttons.length} buttons, waiting\n`);
      for (const [i, name] of b.buttons.entries()) {
        let from = run.output().length;
        expect(nrf.setButton(name, true)).toEqual({ ok: true });
        run.nudge();
        await run.waitFor(new RegExp(`buttons: button ${i} pressed, reads 1\\n`), 10_000, from);
        from = run.output().length;
        nrf.setButton(name, false);
        run.nudge();
        await run.waitFor(new RegExp(`buttons: button ${i} released, reads 0\\n`), 10_000, from);
      }
    });

    it('GPIO: output pin driven, input edges reported with the level', async () => {
      const gpio = nrf52Of(run.session.machine)!.gpio;
      expect(run.output()).toContain(`gpio: ${b.gpio.count} pins; pin 0 output high, reads 1\n`);
      expect(run.output()).toContain(`interrupts on; pin ${b.gpio.count} -> INVALID\n`);
      expect(gpio.outputLevel(b.gpio.out[0], b.gpio.out[1])).toBe(true);
      let from = run.output().length;
      gpio.setInput(b.gpio.in[0], b.gpio.in[1], false);
      run.nudge();
      await run.waitFor(/gpio: pin 1 changed to 0, reads 0\n/, 10_000, from);
      from = run.output().length;
      gpio.setInput(b.gpio.in[0], b.gpio.in[1], true);
      run.nudge();
      await run.waitFor(/gpio: pin 1 changed to 1, reads 1\n/, 10_000, from);
    });

    it('temperature: one reading per start in hundredths of a degree, a second start is BUSY', async () => {
      await run.waitFor(/temperature: -525 hundredths of a degree C\n/, 10_000);
      expect(run.output()).toContain('temperature: second start -> BUSY\n');
      await run.waitFor(/process 'temperature' exited with code 0/, 10_000);
      expect(kernelPanics(run.output())).toEqual([]);
    });
  });
}
