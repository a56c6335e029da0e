/**
 * GPIOTE against the Product Specification's "GPIOTE" chapter: event mode (IN[n] on the
 * configured edge, pin taken over as input), task mode (OUT/SET/CLR driving the pin from
 * OUTINIT), the PORT event from the GPIO sense mechanism, interrupts and snapshots.
 */
import { describe, expect, it } from 'vitest';
import { BusErrorSignal } from '../../core/interfaces';
import { TestClock, TestLines } from '../test-clock';
import { GPIO_DIRSET, GPIO_OUTSET, GPIO_PIN_CNF, Gpio } from './gpio';
import { GPIOTE_REGISTERS, Gpiote } from './gpiote';
import type { NrfContext } from './nrf-peripheral';
import { expandRegisters } from './registers';

const IRQ = 6;

function make() {
  const irq = new TestLines();
  const published: number[] = [];
  const ctx: NrfContext = {
    clock: new TestClock(64_000_000),
    irq,
    dma: { read: () => new Uint8Array(0), write: () => undefined, inRam: () => false },
    publish: (a) => published.push(a),
  };
  const outputs: string[] = [];
  const gpio = new Gpio(ctx, { onOutput: (po, pi, l) => outputs.push(`${po}.${pi}=${+l}`) });
  const gpiote = new Gpiote(ctx, gpio);
  return { irq, published, gpio, gpiote, outputs };
}

/** CONFIG[n] value. */
const config = (mode: number, port: number, pin: number, polarity: number, outInit = 0): number =>
  mode | (pin << 8) | (port << 13) | (polarity << 16) | (outInit << 20);

const EVENTS_IN = (n: number): number => 0x100 + 4 * n;
const CONFIG = (n: number): number => 0x510 + 4 * n;

describe('GPIOTE', () => {
  it('reads every register at its reset value (the register table)', () => {
    const { gpiote } = make();
    gpiote.write(CONFIG(2), 4, 0xffffffff);
    gpiote.reset();
    for (const r of expandRegisters(GPIOTE_REGISTERS))
      expect(gpiote.read(r.offset, 4), r.name).toBe(r.reset);
  });

  it('keeps only the CONFIG fields the PS defines', () => {
    const { gpiote } = make();
    gpiote.write(CONFIG(0), 4, 0xffffffff);
    expect(gpiote.read(CONFIG(0), 4)).toBe(0x00133f03);
  });

  it('raises IN[n] on the edge POLARITY selects, with its interrupt', () => {
    const { gpio, gpiote, irq, published } = make();
    gpiote.write(CONFIG(0), 4, config(1, 0, 11, 2)); // event, P0.11, HiToLo
    gpiote.write(CONFIG(1), 4, config(1, 0, 12, 1)); // event, P0.12, LoToHi
    gpiote.write(CONFIG(2), 4, config(1, 1, 3, 3)); // event, P1.03, Toggle
    gpiote.write(0x304, 4, 0b111);
    gpio.setInput(0, 11, true); // rising: not HiToLo
    expect(gpiote.read(EVENTS_IN(0), 4)).toBe(0);
    gpio.setInput(0, 11, false);
    expect(gpiote.read(EVENTS_IN(0), 4)).toBe(1);
    expect(irq.high(IRQ)).toBe(true);
    expect(published).toEqual([0x40006100]);
    gpio.setInput(0, 12, false); // no edge (already low)
    expect(gpiote.read(EVENTS_IN(1), 4)).toBe(0);
    gpio.setInput(0, 12, true);
    expect(gpiote.read(EVENTS_IN(1), 4)).toBe(1);
    gpio.setInput(1, 3, true);
    gpiote.write(EVENTS_IN(2), 4, 0);
    gpio.setInput(1, 3, false);
    expect(gpiote.read(EVENTS_IN(2), 4)).toBe(1);
    gpiote.write(EVENTS_IN(0), 4, 0);
    gpiote.write(EVENTS_IN(1), 4, 0);
    gpiote.write(EVENTS_IN(2), 4, 0);
    expect(irq.high(IRQ)).toBe(false);
  });

  it('takes an event-mode pin over as an input, whatever DIR says', () => {
    const { gpio, gpiote } = make();
    gpio.write(GPIO_DIRSET, 4, 1 << 20);
    gpio.write(GPIO_OUTSET, 4, 1 << 20);
    expect(gpio.pinLevel(0, 20)).toBe(true);
    gpiote.write(CONFIG(4), 4, config(1, 0, 20, 3));
    expect(gpio.outputLevel(0, 20)).toBeNull();
    expect(gpio.pinLevel(0, 20)).toBe(false); // floating, no pull
    gpio.setInput(0, 20, true);
    expect(gpiote.read(EVENTS_IN(4), 4)).toBe(1);
    gpiote.write(CONFIG(4), 4, 0); // back to GPIO: it drives its OUT again
    expect(gpio.outputLevel(0, 20)).toBe(true);
  });

  it('drives a task-mode pin from OUTINIT; OUT toggles it (an LED), SET and CLR force it', () => {
    const { gpio, gpiote, outputs } = make();
    gpiote.write(CONFIG(0), 4, config(3, 0, 13, 3, 1)); // task, P0.13, toggle, OUTINIT high
    expect(gpio.outputLevel(0, 13)).toBe(true);
    gpiote.write(0x000, 4, 1); // TASKS_OUT[0]
    expect(gpio.pinLevel(0, 13)).toBe(false);
    gpiote.write(0x000, 4, 1);
    expect(gpio.pinLevel(0, 13)).toBe(true);
    gpiote.write(0x060, 4, 1); // TASKS_CLR[0]
    expect(gpio.pinLevel(0, 13)).toBe(false);
    gpiote.write(0x030, 4, 1); // TASKS_SET[0]
    expect(gpio.pinLevel(0, 13)).toBe(true);
    expect(outputs).toEqual(['0.13=1', '0.13=0', '0.13=1', '0.13=0', '0.13=1']);
    // Channel 7's SET task (0x04C) lands on channel 7, not on another.
    gpiote.write(CONFIG(7), 4, config(3, 1, 2, 1, 0));
    gpiote.write(0x04c, 4, 1);
    expect(gpio.pinLevel(1, 2)).toBe(true);
    gpiote.write(0x07c, 4, 1);
    expect(gpio.pinLevel(1, 2)).toBe(false);
    // LoToHi and HiToLo make OUT a set or a clear.
    gpiote.write(0x01c, 4, 1);
    expect(gpio.pinLevel(1, 2)).toBe(true);
    gpiote.write(CONFIG(7), 4, config(3, 1, 2, 2, 1));
    gpiote.write(0x01c, 4, 1);
    gpiote.write(0x01c, 4, 1);
    expect(gpio.pinLevel(1, 2)).toBe(false);
  });

  it('ignores tasks of a channel that is not in task mode, and GPIO writes to a held pin', () => {
    const { gpio, gpiote } = make();
    gpiote.write(CONFIG(1), 4, config(1, 0, 5, 3));
    gpiote.write(0x004, 4, 1);
    gpiote.write(0x034, 4, 1);
    expect(gpio.outputLevel(0, 5)).toBeNull();
    gpiote.write(CONFIG(2), 4, config(3, 0, 6, 3, 0));
    gpio.write(GPIO_DIRSET, 4, 1 << 6);
    gpio.write(GPIO_OUTSET, 4, 1 << 6);
    expect(gpio.pinLevel(0, 6)).toBe(false);
  });

  it('raises PORT when a sensed button is pressed, and interrupts with INTENSET bit 31', () => {
    const { gpio, gpiote, irq } = make();
    gpio.write(GPIO_PIN_CNF + 4 * 11, 4, 0x0003000c); // input, pull-up, SENSE low
    gpiote.write(0x304, 4, 0x80000000);
    expect(gpiote.read(0x304, 4)).toBe(0x80000000);
    gpio.setInput(0, 11, false);
    expect(gpiote.read(0x17c, 4)).toBe(1);
    expect(irq.high(IRQ)).toBe(true);
    gpiote.write(0x17c, 4, 0);
    gpio.release(0, 11); // DETECT falls: no event
    expect(gpiote.read(0x17c, 4)).toBe(0);
    expect(irq.high(IRQ)).toBe(false);
  });

  it('bus-faults registers it does not have', () => {
    const { gpiote } = make();
    expect(() => gpiote.read(0x500, 4)).toThrow(BusErrorSignal);
    expect(() => gpiote.write(0x530, 4, 1)).toThrow(/GPIOTE has no register at offset 0x530/);
  });

  it('restores a snapshot: pins held again, no events invented', () => {
    const { gpio, gpiote } = make();
    gpiote.write(CONFIG(0), 4, config(3, 0, 13, 3, 0));
    gpiote.write(0x000, 4, 1);
    gpiote.write(CONFIG(1), 4, config(1, 0, 14, 3));
    const snap = structuredClone(gpiote.snapshot());
    gpiote.reset();
    expect(gpio.outputLevel(0, 13)).toBeNull();
    gpiote.restore(snap);
    expect(gpio.outputLevel(0, 13)).toBe(true);
    expect(gpiote.read(EVENTS_IN(1), 4)).toBe(0);
    gpio.setInput(0, 14, true);
    expect(gpiote.read(EVENTS_IN(1), 4)).toBe(1);
  });
});
