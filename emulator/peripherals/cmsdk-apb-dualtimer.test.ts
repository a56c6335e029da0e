/** Tests for the CMSDK dual timer: periodic, free-running, one-shot, prescale, 16-bit, masking. */
import { describe, expect, it } from 'vitest';
import {
  CONTROL_ENABLE,
  CONTROL_INTEN,
  CONTROL_ONESHOT,
  CONTROL_PERIODIC,
  CONTROL_SIZE32,
  CmsdkApbDualTimer,
  DT_BGLOAD,
  DT_CONTROL,
  DT_INTCLR,
  DT_ITCR,
  DT_ITOP,
  DT_LOAD,
  DT_MIS,
  DT_RIS,
  DT_VALUE,
  DUALTIMER_STRIDE,
} from './cmsdk-apb-dualtimer';
import { TestClock, TestLines } from './test-clock';

function make() {
  const clock = new TestClock();
  const lines = new TestLines();
  const dt = new CmsdkApbDualTimer('dualtimer', clock, { irq: lines, line: 10 });
  return { clock, lines, dt };
}

describe('CmsdkApbDualTimer', () => {
  it('resets CONTROL to 0x20 and reads ID words', () => {
    const { dt } = make();
    expect(dt.read(DT_CONTROL, 4)).toBe(0x20);
    expect(dt.read(DT_VALUE, 4)).toBe(0xffff); // 16-bit after reset
    expect(dt.read(0xfe0, 4)).toBe(0x23);
  });

  it('runs periodic with prescale 16 and interrupts through MIS', () => {
    const { clock, lines, dt } = make();
    dt.write(DT_LOAD, 4, 9);
    dt.write(
      DT_CONTROL,
      4,
      CONTROL_ENABLE | CONTROL_PERIODIC | CONTROL_SIZE32 | CONTROL_INTEN | (1 << 2),
    );
    clock.advance(16 * 5);
    expect(dt.read(DT_VALUE, 4)).toBe(4);
    clock.advance(16 * 4);
    expect(lines.high(10)).toBe(true);
    expect(dt.read(DT_RIS, 4)).toBe(1);
    expect(dt.read(DT_MIS, 4)).toBe(1);
    dt.write(DT_INTCLR, 4, 1);
    expect(lines.high(10)).toBe(false);
    clock.advance(16);
    expect(dt.read(DT_VALUE, 4)).toBe(9);
  });

  it('free-running wraps to the full range; one-shot stops at zero', () => {
    const { clock, dt } = make();
    dt.write(DT_LOAD, 4, 3);
    dt.write(DT_CONTROL, 4, CONTROL_ENABLE); // 16-bit free-running, interrupt masked off
    clock.advance(4);
    expect(dt.read(DT_VALUE, 4)).toBe(0xffff);
    expect(dt.interruptLevel).toBe(false);
    expect(dt.read(DT_RIS, 4)).toBe(1);
    const b = DUALTIMER_STRIDE;
    dt.write(b + DT_LOAD, 4, 5);
    dt.write(b + DT_CONTROL, 4, CONTROL_ENABLE | CONTROL_ONESHOT | CONTROL_SIZE32 | CONTROL_INTEN);
    clock.advance(50);
    expect(dt.read(b + DT_VALUE, 4)).toBe(0);
    expect(dt.interruptLevel).toBe(true);
  });

  it('applies BGLOAD at the next wrap and honours integration test mode', () => {
    const { clock, dt, lines } = make();
    dt.write(DT_LOAD, 4, 10);
    dt.write(DT_CONTROL, 4, CONTROL_ENABLE | CONTROL_PERIODIC | CONTROL_SIZE32);
    clock.advance(3);
    dt.write(DT_BGLOAD, 4, 100);
    expect(dt.read(DT_VALUE, 4)).toBe(7);
    clock.advance(8);
    expect(dt.read(DT_VALUE, 4)).toBe(100);
    dt.write(DT_ITCR, 4, 1);
    dt.write(DT_ITOP, 4, 1);
    expect(lines.high(10)).toBe(true);
  });

  // Issue 12: in 32-bit mode LOAD >= 0x80000000 made `LOAD & 0xffffffff` negative, so every
  // expiry rescheduled itself at once and the host hung inside one instruction.
  it('counts unsigned 32-bit loads at and above 0x80000000', () => {
    for (const load of [0x80000000, 0xfffffffe, 0xffffffff]) {
      const { clock, dt } = make();
      const mode = CONTROL_PERIODIC | CONTROL_SIZE32 | CONTROL_INTEN;
      dt.write(DT_CONTROL, 4, mode);
      dt.write(DT_LOAD, 4, load);
      dt.write(DT_CONTROL, 4, mode | CONTROL_ENABLE);
      expect(dt.read(DT_VALUE, 4)).toBe(load);
      expect(clock.nextEventAt() - clock.now).toBe(load);
      clock.advance(1000);
      expect(dt.read(DT_VALUE, 4)).toBe(load - 1000);
      clock.advance(load - 1000);
      expect(dt.read(DT_RIS, 4)).toBe(1);
      expect(dt.read(DT_VALUE, 4)).toBe(0);
      // Periodic: the count reloads on the next tick; the next zero is LOAD + 1 ticks away.
      expect(clock.nextEventAt() - clock.now).toBe(load + 1);
      clock.advance(1);
      expect(dt.read(DT_VALUE, 4)).toBe(load);
    }
  });

  it('schedules the next wrap in the future for the image that hung the host', () => {
    // tests/fixtures/reliability/dualtimer-hang.bin: LOAD = 0x80000000, then CONTROL = 0xC2.
    const { clock, dt } = make();
    dt.write(DT_LOAD, 4, 0x80000000);
    dt.write(DT_CONTROL, 4, 0xc2);
    expect(clock.nextEventAt()).toBeGreaterThan(clock.now);
    clock.advance(0x80000002);
    expect(dt.read(DT_RIS, 4)).toBe(1);
    expect(clock.nextEventAt() - clock.now).toBeGreaterThanOrEqual(0x80000000);
  });

  it('free-runs through the full 32-bit range without rescheduling at once', () => {
    const { clock, dt } = make();
    dt.write(DT_LOAD, 4, 5);
    dt.write(DT_CONTROL, 4, CONTROL_ENABLE | CONTROL_SIZE32); // free-running, 32-bit
    clock.advance(6);
    expect(dt.read(DT_VALUE, 4)).toBe(0xffffffff);
    expect(clock.nextEventAt() - clock.now).toBe(0xffffffff);
    clock.advance(0x80000000);
    expect(dt.read(DT_VALUE, 4)).toBe(0x7fffffff);
  });
});
