/** Tests for the CMSDK APB timer: lazy counting, reload, interrupt edges, disable, snapshot. */
import { describe, expect, it } from 'vitest';
import {
  CTRL_ENABLE,
  CTRL_EXTIN_ENABLE,
  CTRL_IRQ_ENABLE,
  CmsdkApbTimer,
  TIMER_CTRL,
  TIMER_INTSTATUS,
  TIMER_RELOAD,
  TIMER_VALUE,
} from './cmsdk-apb-timer';
import { TestClock, TestLines } from './test-clock';

describe('CmsdkApbTimer', () => {
  it('counts down from RELOAD, wraps and interrupts at zero', () => {
    const clock = new TestClock();
    const lines = new TestLines();
    const t = new CmsdkApbTimer('timer0', clock, { irq: lines, line: 8 });
    t.write(TIMER_RELOAD, 4, 99);
    t.write(TIMER_CTRL, 4, CTRL_ENABLE | CTRL_IRQ_ENABLE);
    clock.advance(10);
    expect(t.read(TIMER_VALUE, 4)).toBe(89);
    clock.advance(88);
    expect(lines.high(8)).toBe(false);
    clock.advance(1);
    expect(t.read(TIMER_VALUE, 4)).toBe(0);
    expect(lines.high(8)).toBe(true);
    expect(t.read(TIMER_INTSTATUS, 4)).toBe(1);
    clock.advance(1);
    expect(t.read(TIMER_VALUE, 4)).toBe(99);
    t.write(TIMER_INTSTATUS, 4, 1);
    expect(lines.high(8)).toBe(false);
    clock.advance(99);
    expect(lines.high(8)).toBe(true); // one full period (reload+1 ticks) later
    expect(t.read(TIMER_VALUE, 4)).toBe(0);
  });

  it('schedules no clock event while its interrupt is disabled, so an idle core can sleep', () => {
    // A free-running tick counter (the kernel's timebase) must not wake the machine at every
    // wrap: that made an idle kernel spin through billions of virtual seconds.
    const clock = new TestClock();
    const t = new CmsdkApbTimer('timer1', clock, { irq: new TestLines(), line: 9 });
    t.write(TIMER_RELOAD, 4, 0xffffffff);
    t.write(TIMER_CTRL, 4, CTRL_ENABLE);
    expect(clock.nextEventAt()).toBe(Infinity);
    clock.advance(1000);
    expect(t.read(TIMER_VALUE, 4)).toBe(0xffffffff - 1000);
    t.write(TIMER_CTRL, 4, CTRL_ENABLE | CTRL_IRQ_ENABLE);
    expect(clock.nextEventAt()).toBe(clock.now + 0xffffffff - 1000);
  });

  it('does not interrupt without IRQ enable and freezes when disabled or externally gated', () => {
    const clock = new TestClock();
    const t = new CmsdkApbTimer('timer0', clock);
    t.write(TIMER_RELOAD, 4, 10);
    t.write(TIMER_CTRL, 4, CTRL_ENABLE);
    clock.advance(30);
    expect(t.read(TIMER_INTSTATUS, 4)).toBe(0);
    const v = t.read(TIMER_VALUE, 4);
    t.write(TIMER_CTRL, 4, 0);
    clock.advance(5);
    expect(t.read(TIMER_VALUE, 4)).toBe(v);
    t.write(TIMER_CTRL, 4, CTRL_ENABLE | CTRL_EXTIN_ENABLE);
    clock.advance(5);
    expect(t.read(TIMER_VALUE, 4)).toBe(v);
    expect(clock.nextEventAt()).toBe(Infinity);
  });

  it('restores a snapshot with the same count', () => {
    const clock = new TestClock();
    const t = new CmsdkApbTimer('timer0', clock);
    t.write(TIMER_RELOAD, 4, 1000);
    t.write(TIMER_CTRL, 4, CTRL_ENABLE);
    clock.advance(123);
    const snap = structuredClone(t.snapshot());
    clock.advance(50);
    clock.now = 123; // a machine restores its clock with its devices
    t.restore(snap);
    expect(t.read(TIMER_VALUE, 4)).toBe(877);
  });
});
