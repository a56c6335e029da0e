/**
 * CLOCK and POWER (nRF52840 PS "CLOCK — Clock control", "POWER — Power supply"): start events
 * after the oscillators' start-up times, status registers, the calibration timer, RESETREAS
 * write-1-to-clear and retention, SYSTEMOFF, RAM power, USB supply events, snapshots.
 */
import { describe, expect, it } from 'vitest';
import { TestClock, TestLines } from '../test-clock';
import {
  CLOCK_REGISTERS,
  ClockPower,
  LFCLK_RC,
  LFCLK_XTAL,
  POWER_REGISTERS,
  T_START_HFXO_US,
  T_START_LFRC_US,
  T_START_LFXO_US,
  T_USBREG_US,
} from './clock-power';
import { expandRegisters } from './registers';

function make() {
  const clock = new TestClock(64_000_000);
  const irq = new TestLines();
  const published: number[] = [];
  const cp = new ClockPower({
    clock,
    irq,
    dma: { read: () => new Uint8Array(0), write: () => undefined, inRam: () => false },
    publish: (a) => published.push(a),
  });
  return { clock, irq, cp, published, us: (n: number) => Math.round(n * 64) };
}

describe('ClockPower', () => {
  it('reads its reset values (every readable register of CLOCK_ and POWER_REGISTERS)', () => {
    const { cp } = make();
    for (const r of expandRegisters([...CLOCK_REGISTERS, ...POWER_REGISTERS]))
      if (r.access !== 'write-only') expect(cp.read(r.offset, 4), r.name).toBe(r.reset);
  });

  it('sets HFCLKSTARTED after the HFXO start-up time; HFCLKSTAT then reads Xtal, Running', () => {
    const { cp, clock, us, published } = make();
    cp.write(0x000, 4, 1);
    expect(cp.read(0x408, 4)).toBe(1); // HFCLKRUN: the task was triggered
    clock.advance(us(T_START_HFXO_US) - 1);
    expect(cp.read(0x100, 4)).toBe(0);
    expect(cp.read(0x40c, 4)).toBe(0);
    clock.advance(1);
    expect(cp.read(0x100, 4)).toBe(1);
    expect(cp.read(0x40c, 4)).toBe(0x10001);
    expect(cp.hfxoRunning).toBe(true);
    expect(published).toEqual([0x40000100]);
    cp.write(0x004, 4, 1); // HFCLKSTOP
    expect(cp.read(0x40c, 4)).toBe(0);
    expect(cp.read(0x408, 4)).toBe(0);
  });

  it('starts LFCLK from the RC oscillator after 0.6 ms, copying LFCLKSRC at start', () => {
    const { cp, clock, us } = make();
    cp.write(0x518, 4, LFCLK_RC);
    cp.write(0x008, 4, 1);
    cp.write(0x518, 4, LFCLK_XTAL); // changing the source afterwards does not affect this start
    expect(cp.read(0x414, 4)).toBe(1);
    expect(cp.read(0x41c, 4)).toBe(LFCLK_RC);
    clock.advance(us(T_START_LFRC_US) - 1);
    expect(cp.read(0x104, 4)).toBe(0);
    clock.advance(1);
    expect(cp.read(0x104, 4)).toBe(1);
    expect(cp.read(0x418, 4)).toBe(0x10000 | LFCLK_RC);
    expect(cp.lfclkRunning).toBe(true);
  });

  it('takes the LFXO start-up time (0.25 s) for LFCLKSRC=Xtal; LFCLKSTOP cancels a start', () => {
    const { cp, clock, us } = make();
    cp.write(0x518, 4, LFCLK_XTAL);
    cp.write(0x008, 4, 1);
    clock.advance(us(T_START_LFRC_US));
    expect(cp.read(0x104, 4)).toBe(0);
    clock.advance(us(T_START_LFXO_US - T_START_LFRC_US));
    expect(cp.read(0x104, 4)).toBe(1);
    expect(cp.read(0x418, 4)).toBe(0x10001);
    cp.write(0x104, 4, 0);
    cp.write(0x00c, 4, 1);
    expect(cp.read(0x418, 4)).toBe(0);
    cp.write(0x008, 4, 1);
    cp.write(0x00c, 4, 1);
    clock.advance(us(T_START_LFXO_US * 2));
    expect(cp.read(0x104, 4)).toBe(0);
    expect(clock.nextEventAt()).toBe(Infinity);
  });

  it('runs the calibration timer: CTSTARTED at once, CTTO after CTIV x 0.25 s, CTSTOP stops it', () => {
    const { cp, clock, us } = make();
    cp.write(0x538, 4, 2); // 0.5 s
    cp.write(0x014, 4, 1);
    expect(cp.read(0x128, 4)).toBe(1);
    clock.advance(us(500_000) - 1);
    expect(cp.read(0x110, 4)).toBe(0);
    clock.advance(1);
    expect(cp.read(0x110, 4)).toBe(1);
    cp.write(0x110, 4, 0);
    cp.write(0x014, 4, 1);
    cp.write(0x018, 4, 1);
    expect(cp.read(0x12c, 4)).toBe(1);
    clock.advance(us(1_000_000));
    expect(cp.read(0x110, 4)).toBe(0);
  });

  it('raises DONE after a calibration and interrupts on line 0 when enabled', () => {
    const { cp, clock, us, irq } = make();
    cp.write(0x304, 4, 1 << 3);
    cp.write(0x010, 4, 1);
    clock.advance(us(2000));
    expect(cp.read(0x10c, 4)).toBe(1);
    expect(irq.high(0)).toBe(true);
    expect(cp.read(0x304, 4)).toBe(8);
  });

  it('clears RESETREAS bits written 1 and keeps RESETREAS/GPREGRET through a system reset', () => {
    const { cp } = make();
    cp.noteReset('dog');
    cp.noteReset('sreq');
    expect(cp.read(0x400, 4)).toBe(0b110);
    cp.write(0x400, 4, 0b010);
    expect(cp.read(0x400, 4)).toBe(0b100);
    cp.write(0x51c, 4, 0x1b5);
    expect(cp.read(0x51c, 4)).toBe(0xb5); // 8-bit register
    cp.write(0x520, 4, 7);
    cp.reset();
    expect(cp.read(0x400, 4)).toBe(0b100);
    expect(cp.read(0x51c, 4)).toBe(0xb5);
    expect(cp.read(0x520, 4)).toBe(7);
    cp.powerOnReset();
    expect(cp.read(0x400, 4)).toBe(0);
    expect(cp.read(0x51c, 4)).toBe(0);
    expect(() => cp.noteReset('bogus' as never)).toThrow(/unknown reset reason 'bogus'/);
  });

  it('calls onSystemOff when firmware writes SYSTEMOFF=1 (only then)', () => {
    const { cp } = make();
    let off = 0;
    cp.write(0x500, 4, 1); // no hook set: nothing happens
    cp.onSystemOff = () => off++;
    cp.write(0x500, 4, 0);
    expect(off).toBe(0);
    cp.write(0x500, 4, 1);
    expect(off).toBe(1);
  });

  it('sets and clears RAM section power bits through RAM[n].POWERSET/POWERCLR', () => {
    const { cp } = make();
    cp.write(0x908, 4, 0x3); // RAM[0].POWERCLR
    expect(cp.read(0x900, 4)).toBe(0xfffc);
    cp.write(0x984, 4, 0x10000); // RAM[8].POWERSET: retention of section 0
    expect(cp.read(0x980, 4)).toBe(0x1ffff);
    expect(cp.read(0x904, 4)).toBe(0); // write-only
  });

  it('raises USBDETECTED, then USBPWRRDY once the regulator is ready, and USBREMOVED', () => {
    const { cp, clock, us } = make();
    cp.setVbus(true);
    expect(cp.read(0x11c, 4)).toBe(1);
    expect(cp.read(0x438, 4)).toBe(1);
    clock.advance(us(T_USBREG_US));
    expect(cp.read(0x124, 4)).toBe(1);
    expect(cp.read(0x438, 4)).toBe(3);
    cp.setVbus(false);
    expect(cp.read(0x120, 4)).toBe(1);
    expect(cp.read(0x438, 4)).toBe(0);
  });

  it('raises SLEEPENTER/SLEEPEXIT and records the sub-power mode', () => {
    const { cp } = make();
    cp.cpuSleep(true);
    cp.cpuSleep(false);
    expect(cp.read(0x114, 4)).toBe(1);
    expect(cp.read(0x118, 4)).toBe(1);
    cp.write(0x078, 4, 1);
    expect(cp.constantLatency).toBe(true);
    cp.write(0x07c, 4, 1);
    expect(cp.constantLatency).toBe(false);
  });

  it('restores a snapshot with a clock start in progress', () => {
    const { cp, clock, us } = make();
    cp.write(0x518, 4, LFCLK_XTAL);
    cp.write(0x008, 4, 1);
    cp.write(0x51c, 4, 9);
    clock.advance(us(1000));
    const snap = structuredClone(cp.snapshot());
    cp.powerOnReset();
    expect(cp.read(0x414, 4)).toBe(0);
    cp.restore(snap);
    expect(cp.read(0x414, 4)).toBe(1);
    expect(cp.read(0x51c, 4)).toBe(9);
    clock.advance(us(T_START_LFXO_US - 1000));
    expect(cp.read(0x104, 4)).toBe(1);
    expect(cp.read(0x418, 4)).toBe(0x10001);
  });
});
