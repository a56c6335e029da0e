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
});
