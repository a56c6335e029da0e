/**
 * TEMP (nRF52840 PS "TEMP — Temperature sensor"): one-shot measurement, DATARDY after tTEMP,
 * the result in signed 0.25 °C steps, STOP abandoning a measurement, coefficient registers
 * with their PS reset values.
 */
import { describe, expect, it } from 'vitest';
import { TestClock, TestLines } from '../test-clock';
import { expandRegisters } from './registers';
import { T_TEMP_US, TEMP_REGISTERS, Temp } from './temp';

function make(celsius?: number) {
  const clock = new TestClock(64_000_000);
  const irq = new TestLines();
  const temp = new Temp(
    {
      clock,
      irq,
      dma: { read: () => new Uint8Array(0), write: () => undefined, inRam: () => false },
    },
    celsius,
  );
  return { clock, irq, temp, us: (n: number) => Math.round(n * 64) };
}

describe('Temp', () => {
  it('reads its reset values (every readable register of TEMP_REGISTERS)', () => {
    const { temp } = make();
    for (const r of expandRegisters(TEMP_REGISTERS))
      if (r.access !== 'write-only') expect(temp.read(r.offset, 4), r.name).toBe(r.reset);
    expect(temp.read(0x520, 4)).toBe(0x326); // A0 per the PS
    expect(temp.read(0x570, 4)).toBe(0x50); // T4
  });

  it('sets DATARDY tTEMP (36 µs) after START, not before, with TEMP in 0.25 °C units', () => {
    const { temp, clock, us } = make(21.5);
    temp.write(0x000, 4, 1);
    clock.advance(us(T_TEMP_US) - 1);
    expect(temp.read(0x100, 4)).toBe(0);
    expect(temp.read(0x508, 4)).toBe(0);
    clock.advance(1);
    expect(temp.read(0x100, 4)).toBe(1);
    expect(temp.read(0x508, 4)).toBe(86);
  });

  it('reports a negative temperature as a signed value, rounded to 0.25 °C', () => {
    const { temp, clock, us } = make();
    temp.setTemperature(-10.1);
    temp.write(0x000, 4, 1);
    clock.advance(us(T_TEMP_US));
    expect(temp.read(0x508, 4) | 0).toBe(-40);
  });

  it('is one-shot: a second result needs a second START', () => {
    const { temp, clock, us } = make(30);
    temp.write(0x000, 4, 1);
    clock.advance(us(T_TEMP_US));
    temp.write(0x100, 4, 0);
    temp.setTemperature(31);
    clock.advance(us(1000));
    expect(temp.read(0x100, 4)).toBe(0);
    expect(temp.read(0x508, 4)).toBe(120);
    temp.write(0x000, 4, 1);
    clock.advance(us(T_TEMP_US));
    expect(temp.read(0x508, 4)).toBe(124);
  });

  it('abandons the measurement on STOP', () => {
    const { temp, clock, us } = make();
    temp.write(0x000, 4, 1);
    clock.advance(us(10));
    temp.write(0x004, 4, 1);
    clock.advance(us(100));
    expect(temp.read(0x100, 4)).toBe(0);
    expect(clock.nextEventAt()).toBe(Infinity);
  });

  it('interrupts on DATARDY when enabled (line 12)', () => {
    const { temp, clock, us, irq } = make();
    temp.write(0x304, 4, 1);
    temp.write(0x000, 4, 1);
    clock.advance(us(T_TEMP_US));
    expect(irq.high(12)).toBe(true);
  });

  it('stores coefficient writes within their field widths; reset restores the PS values', () => {
    const { temp } = make();
    temp.write(0x520, 4, 0xffffffff);
    expect(temp.read(0x520, 4)).toBe(0xfff);
    temp.write(0x540, 4, 0xffffffff);
    expect(temp.read(0x540, 4)).toBe(0x3fff);
    temp.reset();
    expect(temp.read(0x520, 4)).toBe(0x326);
  });

  it('restores a snapshot with a measurement in progress', () => {
    const { temp, clock, us } = make(40);
    temp.write(0x000, 4, 1);
    clock.advance(us(20));
    const snap = structuredClone(temp.snapshot());
    temp.reset();
    temp.setTemperature(0);
    temp.restore(snap);
    clock.advance(us(T_TEMP_US - 20));
    expect(temp.read(0x100, 4)).toBe(1);
    expect(temp.read(0x508, 4)).toBe(160);
  });

  it('rejects a temperature that is not a finite number', () => {
    const { temp } = make();
    expect(() => temp.setTemperature(Number.NaN)).toThrow(/finite/);
  });
});
