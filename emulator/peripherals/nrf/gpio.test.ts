/**
 * GPIO P0/P1 against the Product Specification's "GPIO" chapter: register reset values, the
 * OUT/DIR set-clear registers, IN with the input buffer and pulls, the pin sense mechanism with
 * LATCH and DETECTMODE, P1's address offset and pin count, and the host side (buttons, LEDs).
 */
import { describe, expect, it } from 'vitest';
import { BusErrorSignal } from '../../core/interfaces';
import { TestClock, TestLines } from '../test-clock';
import {
  GPIO_DETECTMODE,
  GPIO_DIR,
  GPIO_DIRCLR,
  GPIO_DIRSET,
  GPIO_IN,
  GPIO_LATCH,
  GPIO_OUT,
  GPIO_OUTCLR,
  GPIO_OUTSET,
  GPIO_P1_OFFSET,
  GPIO_PIN_CNF,
  GPIO_REGISTERS,
  Gpio,
  type GpioPort,
} from './gpio';
import type { NrfContext } from './nrf-peripheral';
import { expandRegisters } from './registers';

const ctx = (): NrfContext => ({
  clock: new TestClock(64_000_000),
  irq: new TestLines(),
  dma: { read: () => new Uint8Array(0), write: () => undefined, inRam: () => false },
});

const cnf = (pin: number, port: GpioPort = 0): number =>
  GPIO_PIN_CNF + 4 * pin + port * GPIO_P1_OFFSET;
// PIN_CNF values: input connected with a pull; output.
const INPUT_PULLUP = 0x0000000c;
const INPUT_PULLDOWN = 0x00000004;
const INPUT_NOPULL = 0x00000000;
const OUTPUT = 0x00000003; // DIR output, input buffer disconnected

describe('GPIO', () => {
  it('reads every register of both ports at its reset value (the register table)', () => {
    const gpio = new Gpio(ctx());
    gpio.write(GPIO_OUT, 4, 0xff);
    gpio.write(cnf(3, 1), 4, 0x30000);
    gpio.reset();
    for (const port of [0, 1] as const)
      for (const r of expandRegisters(GPIO_REGISTERS)) {
        const off = r.offset + port * GPIO_P1_OFFSET;
        expect(gpio.read(off, 4), `P${port}.${r.name}`).toBe(r.reset);
      }
  });

  it('sets and clears OUT through OUTSET/OUTCLR and reads OUT back through all three', () => {
    const gpio = new Gpio(ctx());
    gpio.write(GPIO_OUTSET, 4, 0x00000011);
    gpio.write(GPIO_OUTSET, 4, 0x00000100);
    expect(gpio.read(GPIO_OUT, 4)).toBe(0x111);
    gpio.write(GPIO_OUTCLR, 4, 0x00000010);
    expect(gpio.read(GPIO_OUT, 4)).toBe(0x101);
    expect(gpio.read(GPIO_OUTSET, 4)).toBe(0x101);
    expect(gpio.read(GPIO_OUTCLR, 4)).toBe(0x101);
    gpio.write(GPIO_OUT, 4, 0x80000000);
    expect(gpio.read(GPIO_OUT, 4)).toBe(0x80000000);
  });

  it('keeps DIR and PIN_CNF[n].DIR as one bit', () => {
    const gpio = new Gpio(ctx());
    gpio.write(GPIO_DIRSET, 4, 1 << 13);
    expect(gpio.read(cnf(13), 4)).toBe(0x3); // DIR output, INPUT still disconnected
    gpio.write(cnf(14), 4, OUTPUT);
    expect(gpio.read(GPIO_DIR, 4)).toBe((1 << 13) | (1 << 14));
    gpio.write(GPIO_DIRCLR, 4, 1 << 13);
    expect(gpio.read(GPIO_DIR, 4)).toBe(1 << 14);
    expect(gpio.read(cnf(13), 4)).toBe(0x2);
    gpio.write(GPIO_DIR, 4, 0);
    expect(gpio.read(cnf(14), 4)).toBe(0x2);
  });

  it('shows pin levels in IN only with the input buffer connected, pulls deciding idle pins', () => {
    const gpio = new Gpio(ctx());
    // Reset: every input buffer disconnected, so IN reads 0 even for a driven pin.
    gpio.setInput(0, 5, true);
    expect(gpio.read(GPIO_IN, 4)).toBe(0);
    gpio.write(cnf(5), 4, INPUT_NOPULL);
    gpio.write(cnf(6), 4, INPUT_PULLUP);
    gpio.write(cnf(7), 4, INPUT_PULLDOWN);
    expect(gpio.read(GPIO_IN, 4)).toBe((1 << 5) | (1 << 6));
    // A driven level beats the pull; released, the pull decides again.
    gpio.setInput(0, 6, false);
    gpio.setInput(0, 7, true);
    expect(gpio.read(GPIO_IN, 4)).toBe((1 << 5) | (1 << 7));
    gpio.release(0, 6);
    gpio.release(0, 7);
    expect(gpio.read(GPIO_IN, 4)).toBe((1 << 5) | (1 << 6));
    // An output with its input buffer connected reads its own level.
    gpio.write(cnf(8), 4, 0x1);
    gpio.write(GPIO_OUTSET, 4, 1 << 8);
    expect(gpio.read(GPIO_IN, 4) & (1 << 8)).toBe(1 << 8);
    expect(gpio.read(GPIO_IN, 1)).toBe(0x60);
  });

  it('tells the host about output changes (LEDs) and listeners about every level change', () => {
    const outputs: string[] = [];
    const levels: string[] = [];
    const gpio = new Gpio(ctx(), { onOutput: (po, pi, l) => outputs.push(`${po}.${pi}=${+l}`) });
    gpio.subscribe((po, pi, l) => levels.push(`${po}.${pi}=${+l}`));
    gpio.write(GPIO_OUTSET, 4, 1 << 13); // not an output yet: nothing changes on the pin
    expect(outputs).toEqual([]);
    gpio.write(GPIO_DIRSET, 4, 1 << 13);
    gpio.write(GPIO_OUTCLR, 4, 1 << 13);
    expect(outputs).toEqual(['0.13=1', '0.13=0']);
    expect(levels).toEqual(['0.13=1', '0.13=0']);
    expect(gpio.outputLevel(0, 13)).toBe(false);
    expect(gpio.outputLevel(0, 12)).toBeNull();
    gpio.setInput(0, 12, true); // the host's own drive is not an output
    expect(outputs).toHaveLength(2);
    expect(levels.at(-1)).toBe('0.12=1');
    expect(gpio.pinLevel(0, 12)).toBe(true);
  });

  it('senses a button press: LATCH, DETECT in default mode, set again while held', () => {
    const gpio = new Gpio(ctx());
    const detects: string[] = [];
    gpio.onDetect((port, high) => detects.push(`${port}:${+high}`));
    gpio.write(cnf(11), 4, INPUT_PULLUP | (3 << 16)); // pull-up, SENSE low
    expect(gpio.detect(0)).toBe(false);
    gpio.setInput(0, 11, false); // pressed
    expect(gpio.read(GPIO_LATCH, 4)).toBe(1 << 11);
    expect(detects).toEqual(['0:1']);
    gpio.write(GPIO_LATCH, 4, 1 << 11); // clear while still held: set again at once
    expect(gpio.read(GPIO_LATCH, 4)).toBe(1 << 11);
    gpio.release(0, 11);
    expect(detects).toEqual(['0:1', '0:0']); // default mode follows the pin
    expect(gpio.read(GPIO_LATCH, 4)).toBe(1 << 11); // the latch remembers
    gpio.write(GPIO_LATCH, 4, 1 << 11);
    expect(gpio.read(GPIO_LATCH, 4)).toBe(0);
  });

  it('holds DETECT high in LDETECT mode until LATCH is cleared', () => {
    const gpio = new Gpio(ctx());
    gpio.write(GPIO_DETECTMODE, 4, 1);
    gpio.write(cnf(2), 4, INPUT_PULLDOWN | (2 << 16)); // SENSE high
    gpio.setInput(0, 2, true);
    gpio.release(0, 2);
    expect(gpio.detect(0)).toBe(true);
    gpio.write(GPIO_LATCH, 4, 1 << 2);
    expect(gpio.detect(0)).toBe(false);
  });

  it('does not sense a pin whose input buffer is disconnected', () => {
    const gpio = new Gpio(ctx());
    gpio.write(cnf(4), 4, 0x2 | (2 << 16)); // disconnected, SENSE high
    gpio.setInput(0, 4, true);
    expect(gpio.detect(0)).toBe(false);
    expect(gpio.read(GPIO_LATCH, 4)).toBe(0);
  });

  it('puts P1 at +0x300 with only its 16 pins (10 on the nRF52833)', () => {
    const gpio = new Gpio(ctx());
    gpio.write(GPIO_OUT + GPIO_P1_OFFSET, 4, 0xffffffff);
    expect(gpio.read(GPIO_OUT + GPIO_P1_OFFSET, 4)).toBe(0xffff);
    expect(gpio.read(GPIO_OUT, 4)).toBe(0);
    gpio.write(cnf(5, 1), 4, INPUT_PULLUP);
    expect(gpio.read(GPIO_IN + GPIO_P1_OFFSET, 4)).toBe(1 << 5);
    expect(() => gpio.setInput(1, 16, true)).toThrow(/P1 has no pin 16/);
    const small = new Gpio(ctx(), {}, 10);
    small.write(GPIO_DIRSET + GPIO_P1_OFFSET, 4, 0xffffffff);
    expect(small.read(GPIO_DIR + GPIO_P1_OFFSET, 4)).toBe(0x3ff);
    expect(small.hasPin(1, 9)).toBe(true);
    expect(small.hasPin(1, 10)).toBe(false);
  });

  it('bus-faults addresses the block does not decode and rejects bad host input', () => {
    const gpio = new Gpio(ctx());
    for (const off of [0x000, 0x500, 0x528, 0x6fc, 0x780, 0x800, 0xa80, 0xffc])
      expect(() => gpio.read(off, 4), off.toString(16)).toThrow(BusErrorSignal);
    expect(() => gpio.write(0x528, 4, 1)).toThrow(/GPIO has no register at offset 0x528/);
    expect(() => gpio.setInput(2 as GpioPort, 0, true)).toThrow(/port must be 0 or 1/);
    expect(() => gpio.pinLevel(0, 32)).toThrow(/no pin 32/);
    expect(() => new Gpio(ctx(), {}, 33)).toThrow(/pin count/);
  });

  it('changes only the written byte lanes of a narrow write', () => {
    const gpio = new Gpio(ctx());
    gpio.write(GPIO_OUT, 4, 0x11223344);
    gpio.write(GPIO_OUT + 1, 1, 0xaa);
    expect(gpio.read(GPIO_OUT, 4)).toBe(0x1122aa44);
    gpio.write(GPIO_OUTSET + 2, 2, 0x0100);
    expect(gpio.read(GPIO_OUT, 4)).toBe(0x1122aa44 | 0x01000000);
    expect(gpio.read(GPIO_OUT + 3, 1)).toBe(0x11 | 0x01);
  });

  it('restores a snapshot without replaying edges, and keeps host drives across reset', () => {
    const gpio = new Gpio(ctx());
    const levels: number[] = [];
    gpio.subscribe((_po, pi) => levels.push(pi));
    gpio.write(GPIO_DIRSET, 4, 1 << 3);
    gpio.write(GPIO_OUTSET, 4, 1 << 3);
    gpio.write(cnf(9), 4, INPUT_NOPULL);
    gpio.setInput(0, 9, true);
    const snap = structuredClone(gpio.snapshot());
    gpio.reset();
    expect(gpio.pinLevel(0, 3)).toBe(false);
    expect(gpio.pinLevel(0, 9)).toBe(true); // the button is still pressed
    expect(gpio.read(GPIO_IN, 4)).toBe(0); // but its input buffer is disconnected again
    const seen = levels.length;
    gpio.restore(snap);
    expect(levels.length).toBe(seen);
    expect(gpio.pinLevel(0, 3)).toBe(true);
    expect(gpio.read(GPIO_IN, 4)).toBe(1 << 9);
  });
});
