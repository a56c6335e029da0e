/** Tests for the CMSDK watchdog: countdown, interrupt, reset on second expiry, lock. */
import { describe, expect, it } from 'vitest';
import {
  CmsdkApbWatchdog,
  CONTROL_INTEN,
  CONTROL_RESEN,
  UNLOCK_KEY,
  WDOG_CONTROL,
  WDOG_INTCLR,
  WDOG_LOAD,
  WDOG_LOCK,
  WDOG_MIS,
  WDOG_VALUE,
} from './cmsdk-apb-watchdog';
import { TestClock } from './test-clock';

function make() {
  const clock = new TestClock();
  let irq = false;
  let resets = 0;
  const wd = new CmsdkApbWatchdog('watchdog', clock, {
    interrupt: (h) => (irq = h),
    reset: () => resets++,
  });
  return { clock, wd, irq: () => irq, resets: () => resets };
}

describe('CmsdkApbWatchdog', () => {
  it('interrupts at zero, reloads, and resets if still pending at the next zero', () => {
    const { clock, wd, irq, resets } = make();
    expect(wd.read(0xfe0, 4)).toBe(0x24);
    wd.write(WDOG_LOAD, 4, 100);
    wd.write(WDOG_CONTROL, 4, CONTROL_INTEN | CONTROL_RESEN);
    clock.advance(40);
    expect(wd.read(WDOG_VALUE, 4)).toBe(60);
    clock.advance(60);
    expect(irq()).toBe(true);
    expect(wd.read(WDOG_MIS, 4)).toBe(1);
    wd.write(WDOG_INTCLR, 4, 1);
    expect(irq()).toBe(false);
    clock.advance(100);
    expect(irq()).toBe(true);
    expect(resets()).toBe(0);
    clock.advance(100);
    expect(resets()).toBe(1);
  });

  it('ignores writes while locked', () => {
    const { wd } = make();
    wd.write(WDOG_LOCK, 4, 0);
    expect(wd.read(WDOG_LOCK, 4)).toBe(1);
    wd.write(WDOG_LOAD, 4, 5);
    expect(wd.read(WDOG_LOAD, 4)).toBe(0xffffffff);
    wd.write(WDOG_LOCK, 4, UNLOCK_KEY);
    wd.write(WDOG_LOAD, 4, 5);
    expect(wd.read(WDOG_LOAD, 4)).toBe(5);
  });
});
