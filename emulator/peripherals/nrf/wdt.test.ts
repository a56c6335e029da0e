/**
 * WDT (nRF52840 PS "WDT — Watchdog timer"): timeout (CRV+1)/32768 s after START, TIMEOUT event
 * then a system reset two LFCLK cycles later, reload only when every enabled RR[n] got the
 * reload value, configuration locked while running, optional pausing in sleep/halt.
 */
import { describe, expect, it } from 'vitest';
import { TestClock, TestLines } from '../test-clock';
import { expandRegisters } from './registers';
import { WDT_REGISTERS, WDT_RELOAD_VALUE, Wdt } from './wdt';

const HZ = 64_000_000;
const tick = (n: number): number => Math.round((n * HZ) / 32768);

function make() {
  const clock = new TestClock(HZ);
  const irq = new TestLines();
  const resets: number[] = [];
  const wdt = new Wdt(
    {
      clock,
      irq,
      dma: { read: () => new Uint8Array(0), write: () => undefined, inRam: () => false },
    },
    () => resets.push(clock.now),
  );
  return { clock, irq, wdt, resets };
}

describe('Wdt', () => {
  it('reads its reset values (every readable register of WDT_REGISTERS)', () => {
    const { wdt } = make();
    for (const r of expandRegisters(WDT_REGISTERS))
      if (r.access !== 'write-only') expect(wdt.read(r.offset, 4), r.name).toBe(r.reset);
  });

  it('times out (CRV+1)/32768 s after START, then resets the system 2 LFCLK cycles later', () => {
    const { wdt, clock, resets, irq } = make();
    wdt.write(0x504, 4, 327); // 10 ms
    wdt.write(0x304, 4, 1);
    wdt.write(0x000, 4, 1);
    expect(wdt.read(0x400, 4)).toBe(1);
    clock.advance(tick(328) - 1);
    expect(wdt.read(0x100, 4)).toBe(0);
    clock.advance(1);
    expect(wdt.read(0x100, 4)).toBe(1);
    expect(irq.high(0x10)).toBe(true);
    expect(resets).toEqual([]);
    const at = clock.now;
    clock.advance(tick(2));
    expect(resets).toEqual([at + tick(2)]);
  });

  it('reloads when RR[0] gets 0x6E524635, restarting the period; other values do nothing', () => {
    const { wdt, clock, resets } = make();
    wdt.write(0x504, 4, 32767); // 1 s
    wdt.write(0x000, 4, 1);
    clock.advance(tick(30000));
    wdt.write(0x600, 4, 0x12345678);
    expect(wdt.read(0x404, 4)).toBe(1);
    wdt.write(0x600, 4, WDT_RELOAD_VALUE);
    expect(wdt.read(0x404, 4)).toBe(1); // a new period awaits RR[0] again
    clock.advance(tick(32768) - 1);
    expect(wdt.read(0x100, 4)).toBe(0);
    clock.advance(1 + tick(2));
    expect(wdt.read(0x100, 4)).toBe(1);
    expect(resets).toHaveLength(1);
  });

  it('reloads only after every RR[n] enabled in RREN was written (REQSTATUS)', () => {
    const { wdt, clock } = make();
    wdt.write(0x504, 4, 999);
    wdt.write(0x508, 4, 0b101); // RR0 and RR2
    wdt.write(0x000, 4, 1);
    expect(wdt.read(0x404, 4)).toBe(0b101);
    clock.advance(tick(900));
    wdt.write(0x600, 4, WDT_RELOAD_VALUE);
    expect(wdt.read(0x404, 4)).toBe(0b100);
    wdt.write(0x604, 4, WDT_RELOAD_VALUE); // RR1 not enabled: no effect
    clock.advance(tick(100));
    expect(wdt.read(0x100, 4)).toBe(1); // timed out: RR2 never came
    const { wdt: w2, clock: c2 } = make();
    w2.write(0x504, 4, 999);
    w2.write(0x508, 4, 0b101);
    w2.write(0x000, 4, 1);
    c2.advance(tick(900));
    w2.write(0x600, 4, WDT_RELOAD_VALUE);
    w2.write(0x608, 4, WDT_RELOAD_VALUE);
    expect(w2.read(0x404, 4)).toBe(0b101);
    c2.advance(tick(999));
    expect(w2.read(0x100, 4)).toBe(0);
  });

  it('locks CRV, RREN and CONFIG while running and cannot be started twice', () => {
    const { wdt, clock } = make();
    wdt.write(0x504, 4, 99);
    wdt.write(0x000, 4, 1);
    wdt.write(0x504, 4, 5);
    wdt.write(0x508, 4, 0xff);
    wdt.write(0x50c, 4, 0);
    expect(wdt.read(0x504, 4)).toBe(99);
    expect(wdt.read(0x508, 4)).toBe(1);
    expect(wdt.read(0x50c, 4)).toBe(1);
    clock.advance(tick(50));
    wdt.write(0x000, 4, 1); // no restart
    clock.advance(tick(100) - tick(50));
    expect(wdt.read(0x100, 4)).toBe(1);
  });

  it('pauses while the CPU sleeps when CONFIG.SLEEP=Pause, keeps running otherwise', () => {
    const a = make();
    a.wdt.write(0x504, 4, 99);
    a.wdt.write(0x50c, 4, 0); // pause in sleep and halt
    a.wdt.write(0x000, 4, 1);
    a.clock.advance(tick(50));
    a.wdt.setCpuSleeping(true);
    a.clock.advance(tick(1000));
    expect(a.wdt.read(0x100, 4)).toBe(0);
    a.wdt.setCpuSleeping(false);
    a.clock.advance(tick(100) - tick(50) - 1);
    expect(a.wdt.read(0x100, 4)).toBe(0);
    a.clock.advance(1);
    expect(a.wdt.read(0x100, 4)).toBe(1);

    const b = make(); // CONFIG reset value: run in sleep, pause when halted
    b.wdt.write(0x504, 4, 99);
    b.wdt.write(0x000, 4, 1);
    b.wdt.setCpuSleeping(true);
    b.clock.advance(tick(100));
    expect(b.wdt.read(0x100, 4)).toBe(1);
  });

  it('is stopped by reset and restores a snapshot with its running period', () => {
    const { wdt, clock, resets } = make();
    wdt.write(0x504, 4, 99);
    wdt.write(0x000, 4, 1);
    clock.advance(tick(40));
    const snap = structuredClone(wdt.snapshot());
    wdt.reset();
    expect(wdt.read(0x400, 4)).toBe(0);
    clock.advance(tick(1000));
    expect(resets).toEqual([]);
    clock.now -= tick(1000);
    wdt.restore(snap);
    expect(wdt.read(0x400, 4)).toBe(1);
    expect(wdt.read(0x504, 4)).toBe(99);
    clock.advance(tick(100) - tick(40) + tick(2));
    expect(resets).toHaveLength(1);
  });
});
