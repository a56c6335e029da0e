/**
 * RTC behaviour from the nRF52840 PS ("RTC — Real-time counter"): COUNTER at
 * 32768 / (PRESCALER+1), the 0xFFFFFF -> 0 wrap and OVRFLW, TRIGOVRFLW, COMPARE at CC (with the
 * "Compare" section's notes on CLEAR, START and writing N+1), EVTEN routing to the PPI, TICK,
 * the PRESCALER write rule, and snapshot/restore mid-count. The core clock is 64 MHz, so one
 * LFCLK period is 1953.125 cycles; LFCLK edge k is at cycle ceil(k * 1953.125).
 */
import { describe, expect, it } from 'vitest';
import { TestClock, TestLines } from '../test-clock';
import type { DmaPort } from './nrf-peripheral';
import { expandRegisters } from './registers';
import { Rtc, rtcRegisters } from './rtc';

const noDma: DmaPort = {
  read: () => new Uint8Array(0),
  write: () => undefined,
  inRam: () => false,
};

const BASE = 0x4000b000; // RTC0, ID 11
const START = 0x000;
const STOP = 0x004;
const CLEAR = 0x008;
const TRIGOVRFLW = 0x00c;
const EV_TICK = 0x100;
const EV_OVRFLW = 0x104;
const EV_COMPARE = (n: number): number => 0x140 + 4 * n;
const INTENSET = 0x304;
const INTENCLR = 0x308;
const EVTEN = 0x340;
const EVTENSET = 0x344;
const EVTENCLR = 0x348;
const COUNTER = 0x504;
const PRESCALER = 0x508;
const CC = (n: number): number => 0x540 + 4 * n;

/** Core cycle of LFCLK edge k at 64 MHz. */
const edge = (k: number): number => Math.ceil((k * 64_000_000) / 32768);

function make(ccCount = 3, clock = new TestClock(64_000_000), base = BASE) {
  const irq = new TestLines();
  const published: [number, number][] = [];
  const r = new Rtc(
    'RTC0',
    base,
    { clock, irq, dma: noDma, publish: (a) => published.push([a, clock.now]) },
    ccCount,
  );
  const task = (offset: number): void => r.write(offset, 4, 1);
  const to = (cycle: number): void => clock.advance(cycle - clock.now);
  return { r, clock, irq, published, task, to };
}

describe('RTC', () => {
  it('reads every readable register at its table reset value, for 3 and 4 CC', () => {
    for (const n of [3, 4]) {
      const { r, task } = make(n);
      r.write(PRESCALER, 4, 5);
      r.write(CC(0), 4, 9);
      r.write(EVTENSET, 4, 3);
      task(START);
      r.reset();
      for (const reg of expandRegisters(rtcRegisters(n))) {
        if (reg.access === 'write-only') continue;
        expect(r.read(reg.offset, 4), reg.name).toBe(reg.reset);
      }
    }
  });

  it('takes its interrupt line from its base (RTC0 11, RTC1 17, RTC2 36) and checks CC count', () => {
    expect(make().r.id).toBe(11);
    expect(make(4, new TestClock(64e6), 0x40011000).r.id).toBe(17);
    expect(make(4, new TestClock(64e6), 0x40024000).r.id).toBe(36);
    expect(() => make(5)).toThrow(/1 to 4 CC/);
  });

  it('increments COUNTER on LFCLK edges at 32768 / (PRESCALER+1), only while started', () => {
    const { r, task, to } = make();
    to(edge(10));
    expect(r.read(COUNTER, 4)).toBe(0);
    task(START); // at edge 10: the next increment is on edge 11
    to(edge(11) - 1);
    expect(r.read(COUNTER, 4)).toBe(0);
    to(edge(11));
    expect(r.read(COUNTER, 4)).toBe(1);
    to(edge(10 + 32768));
    expect(r.read(COUNTER, 4)).toBe(32768); // one second
    task(STOP);
    to(edge(100_000));
    expect(r.read(COUNTER, 4)).toBe(32768);
    r.write(PRESCALER, 4, 3); // stopped: accepted
    task(START); // at edge 100000; increments every 4 edges
    to(edge(100_000 + 4 * 7) - 1);
    expect(r.read(COUNTER, 4)).toBe(32768 + 6);
    to(edge(100_000 + 4 * 7));
    expect(r.read(COUNTER, 4)).toBe(32768 + 7);
  });

  it('keeps counting through a START of a running RTC (the prescaler is not restarted)', () => {
    const { r, task, to } = make();
    r.write(PRESCALER, 4, 7);
    task(START);
    to(edge(5));
    task(START);
    to(edge(8));
    expect(r.read(COUNTER, 4)).toBe(1);
  });

  it('generates no COMPARE while it is enabled in neither INTEN nor EVTEN', () => {
    const { r, task, clock } = make();
    r.write(CC(0), 4, 2);
    task(START);
    expect(clock.nextEventAt()).toBe(Infinity);
    clock.advance(edge(4));
    expect(r.read(EV_COMPARE(0), 4)).toBe(0);
  });

  it('ignores PRESCALER writes while running and masks it to 12 bits', () => {
    const { r, task, clock } = make();
    r.write(PRESCALER, 4, 0x1fff);
    expect(r.read(PRESCALER, 4)).toBe(0xfff);
    r.write(PRESCALER, 4, 1);
    task(START);
    r.write(PRESCALER, 4, 7);
    expect(r.read(PRESCALER, 4)).toBe(1);
    clock.advance(edge(20));
    expect(r.read(COUNTER, 4)).toBe(10); // still counting every 2 edges
  });

  it('raises COMPARE[n] when COUNTER steps to CC, with a prescaler', () => {
    const { r, task, to, irq, published } = make();
    r.write(PRESCALER, 4, 327); // ~100 Hz
    r.write(CC(1), 4, 5);
    r.write(INTENSET, 4, 1 << 17);
    task(START);
    to(edge(5 * 328) - 1);
    expect(r.read(EV_COMPARE(1), 4)).toBe(0);
    expect(irq.high(11)).toBe(false);
    to(edge(5 * 328));
    expect(r.read(EV_COMPARE(1), 4)).toBe(1);
    expect(r.read(COUNTER, 4)).toBe(5);
    expect(irq.high(11)).toBe(true);
    expect(published).toEqual([]); // EVTEN off: not routed to the PPI
    r.write(EV_COMPARE(1), 4, 0);
    expect(irq.high(11)).toBe(false);
  });

  it('routes an event to the PPI only while its EVTEN bit is set', () => {
    const { r, task, clock, published } = make();
    r.write(CC(0), 4, 3);
    r.write(EVTENSET, 4, 1 << 16);
    expect(r.read(EVTEN, 4)).toBe(1 << 16);
    expect(r.read(EVTENCLR, 4)).toBe(1 << 16);
    task(START);
    clock.advance(edge(3));
    expect(published).toEqual([[BASE + 0x140, edge(3)]]);
    expect(r.read(EV_COMPARE(0), 4)).toBe(1); // EVTEN alone also generates the event
    r.write(EVTENCLR, 4, 1 << 16);
    r.write(INTENSET, 4, 1 << 16);
    r.write(CC(0), 4, 6);
    clock.advance(edge(6) - edge(3));
    expect(r.read(COUNTER, 4)).toBe(6);
    expect(published).toHaveLength(1);
    r.write(EVTEN, 4, 0xffffffff);
    expect(r.read(EVTEN, 4)).toBe(0x70003); // TICK, OVRFLW, COMPARE[0..2]
  });

  it('generates TICK on every increment only while enabled, without clock events otherwise', () => {
    const { r, task, clock, published } = make();
    task(START);
    expect(clock.nextEventAt()).toBe(Infinity); // nothing enabled: no clock events at all
    clock.advance(edge(50));
    expect(r.read(EV_TICK, 4)).toBe(0);
    r.write(EVTENSET, 4, 1);
    expect(clock.nextEventAt()).toBe(edge(51));
    clock.advance(edge(53) - edge(50));
    expect(published.map((p) => p[1])).toEqual([edge(51), edge(52), edge(53)]);
    expect(r.read(EV_TICK, 4)).toBe(1);
    r.write(EVTENCLR, 4, 1);
    expect(clock.nextEventAt()).toBe(Infinity);
  });

  it('wraps 0xFFFFFF -> 0 with OVRFLW; TRIGOVRFLW sets COUNTER to 0xFFFFF0', () => {
    const { r, task, to, irq } = make();
    task(TRIGOVRFLW);
    expect(r.read(COUNTER, 4)).toBe(0xfffff0);
    r.write(INTENSET, 4, 2);
    task(START);
    to(edge(15));
    expect(r.read(COUNTER, 4)).toBe(0xffffff);
    expect(r.read(EV_OVRFLW, 4)).toBe(0);
    to(edge(16));
    expect(r.read(COUNTER, 4)).toBe(0);
    expect(r.read(EV_OVRFLW, 4)).toBe(1);
    expect(irq.high(11)).toBe(true);
  });

  it('does not generate OVRFLW while it is disabled in INTEN and EVTEN', () => {
    const { r, task, clock } = make();
    task(TRIGOVRFLW);
    task(START);
    clock.advance(edge(20));
    expect(r.read(COUNTER, 4)).toBe(4);
    expect(r.read(EV_OVRFLW, 4)).toBe(0);
  });

  it('CLEAR sets COUNTER to 0 and a CC of 0 does not match on it; START at CC does not match', () => {
    const { r, task, clock } = make();
    r.write(INTENSET, 4, 0x70000);
    r.write(CC(0), 4, 0);
    r.write(CC(1), 4, 4);
    r.write(CC(2), 4, 0x800000);
    task(START);
    clock.advance(edge(4));
    expect(r.read(EV_COMPARE(1), 4)).toBe(1);
    task(CLEAR);
    expect(r.read(COUNTER, 4)).toBe(0);
    expect(r.read(EV_COMPARE(0), 4)).toBe(0);
    r.write(EV_COMPARE(1), 4, 0);
    clock.advance(edge(8) - edge(4));
    expect(r.read(COUNTER, 4)).toBe(4);
    expect(r.read(EV_COMPARE(1), 4)).toBe(1);
    r.write(EV_COMPARE(1), 4, 0);
    task(STOP);
    task(START); // COUNTER = CC[1] = 4 at START: no event
    expect(r.read(EV_COMPARE(1), 4)).toBe(0);
  });

  it('misses a CC written as COUNTER+1 at PRESCALER 0 but catches COUNTER+2 (PS "Compare")', () => {
    const { r, task, clock } = make();
    r.write(INTENSET, 4, 0x30000);
    task(START);
    clock.advance(edge(100) + 5);
    const n = r.read(COUNTER, 4);
    expect(n).toBe(100);
    r.write(CC(0), 4, n + 1);
    r.write(CC(1), 4, n + 2);
    clock.advance(edge(103) - clock.now);
    expect(r.read(EV_COMPARE(0), 4)).toBe(0);
    expect(r.read(EV_COMPARE(1), 4)).toBe(1);
    // The missed CC matches one full wrap later (2^24 increments).
    expect(clock.nextEventAt()).toBe(edge(0x1000000 + 101));
  });

  it('catches COUNTER+1 when the increment is more than one LFCLK edge away', () => {
    const { r, task, clock } = make();
    r.write(PRESCALER, 4, 7);
    r.write(INTENSET, 4, 0x10000);
    task(START);
    clock.advance(edge(8 * 3 + 2));
    r.write(CC(0), 4, r.read(COUNTER, 4) + 1); // COUNTER 3, next increment 6 edges away
    clock.advance(edge(8 * 4) - clock.now);
    expect(r.read(EV_COMPARE(0), 4)).toBe(1);
  });

  it('masks CC to 24 bits and reads COUNTER through narrow accesses', () => {
    const { r, task, clock } = make();
    r.write(CC(2), 4, 0xabcdef12);
    expect(r.read(CC(2), 4)).toBe(0xcdef12);
    task(TRIGOVRFLW);
    task(START);
    clock.advance(edge(3));
    expect(r.read(COUNTER, 4)).toBe(0xfffff3);
    expect(r.read(COUNTER + 2, 1)).toBe(0xff);
    expect(r.read(COUNTER, 2)).toBe(0xfff3);
  });

  it('has no INTEN register at 0x300; INTENCLR disables', () => {
    const { r } = make();
    r.write(0x300, 4, 0xffffffff);
    expect(r.read(0x300, 4)).toBe(0);
    expect(r.read(INTENSET, 4)).toBe(0);
    r.write(INTENSET, 4, 0xffffffff);
    expect(r.read(INTENSET, 4)).toBe(0x70003);
    r.write(INTENCLR, 4, 0x10001);
    expect(r.read(INTENCLR, 4)).toBe(0x60002);
  });

  it('restores a snapshot taken mid-count and continues identically', () => {
    const a = make(4);
    a.r.write(PRESCALER, 4, 2);
    a.r.write(CC(0), 4, 40);
    a.r.write(CC(3), 4, 90);
    a.r.write(EVTENSET, 4, 0x90000);
    a.r.write(INTENSET, 4, 0x10000);
    a.task(START);
    a.clock.advance(edge(3 * 40) + 17);
    expect(a.published).toHaveLength(1);
    const snap = structuredClone(a.r.snapshot());
    const clock = new TestClock(64_000_000);
    clock.now = a.clock.now;
    const b = make(4, clock);
    b.r.restore(snap);
    expect(b.r.read(COUNTER, 4)).toBe(a.r.read(COUNTER, 4));
    expect(b.irq.high(11)).toBe(true);
    a.clock.advance(edge(3 * 100));
    b.clock.advance(edge(3 * 100));
    expect(b.published).toEqual(a.published.slice(1));
    expect(b.published.map((p) => p[0])).toEqual([BASE + 0x14c]);
    expect(b.r.read(COUNTER, 4)).toBe(a.r.read(COUNTER, 4));
    expect(() => b.r.restore({ ...snap, extra: { ...(snap.extra as object), cc: [1] } })).toThrow(
      /'cc' must hold 4 values/,
    );
  });
});
