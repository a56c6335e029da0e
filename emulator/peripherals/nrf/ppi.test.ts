/**
 * PPI behaviour from the nRF52840 PS ("PPI — Programmable peripheral interconnect"): enabled
 * channels start their TEP and fork TEP when their EEP event happens, one 16 MHz period later
 * (4 core cycles at 64 MHz); channel groups are enabled/disabled by TASKS_CHG; channels 20-31
 * have fixed end points. Wired here as the machine wires it: events published by real RTC,
 * TIMER and EGU models go to `onEvent`, and task addresses are routed back by base address.
 */
import { describe, expect, it } from 'vitest';
import type { MmioDevice } from '../../core/interfaces';
import { TestClock, TestLines } from '../test-clock';
import { Egu } from './egu';
import type { DmaPort, NrfContext } from './nrf-peripheral';
import { PPI_FIXED_CHANNELS, PPI_REGISTERS, Ppi } from './ppi';
import { expandRegisters } from './registers';
import { Rtc } from './rtc';
import { Timer } from './timer';

const noDma: DmaPort = {
  read: () => new Uint8Array(0),
  write: () => undefined,
  inRam: () => false,
};

const PPI = 0x4001f000;
const RTC0 = 0x4000b000;
const TIMER0 = 0x40008000;
const EGU0 = 0x40014000;
const CHEN = 0x500;
const CHENSET = 0x504;
const CHENCLR = 0x508;
const EEP = (n: number): number => 0x510 + 8 * n;
const TEP = (n: number): number => 0x514 + 8 * n;
const CHG = (n: number): number => 0x800 + 4 * n;
const FORK = (n: number): number => 0x910 + 4 * n;

/** A tiny machine: RTC0, TIMER0, EGU0 and the PPI on one clock, routed by base address. */
function machine(clock = new TestClock(64_000_000)) {
  const irq = new TestLines();
  const started: [number, number][] = [];
  const devices = new Map<number, { triggerTask(offset: number): void } & MmioDevice>();
  const ctx: NrfContext = { clock, irq, dma: noDma, publish: (a) => ppi.onEvent(a) };
  const ppi: Ppi = new Ppi(ctx, (address) => {
    started.push([address, clock.now]);
    devices.get(address & ~0xfff)?.triggerTask(address & 0xfff);
  });
  const rtc = new Rtc('RTC0', RTC0, ctx, 3);
  const timer = new Timer('TIMER0', TIMER0, ctx, 4);
  const egu = new Egu('EGU0', EGU0, ctx);
  devices.set(RTC0, rtc).set(TIMER0, timer).set(EGU0, egu).set(PPI, ppi);
  return { clock, ppi, rtc, timer, egu, started };
}

describe('PPI', () => {
  it('reads every readable register at its table reset value', () => {
    const { ppi } = machine();
    ppi.write(CHEN, 4, 0xffffffff);
    ppi.write(EEP(3), 4, 0x1234);
    ppi.write(FORK(31), 4, 0x40000000);
    ppi.reset();
    for (const r of expandRegisters(PPI_REGISTERS)) {
      if (r.access === 'write-only') continue;
      expect(ppi.read(r.offset, 4), r.name).toBe(r.reset);
    }
  });

  it('routes an RTC COMPARE event to a TIMER CAPTURE task one 16 MHz period later', () => {
    const { clock, ppi, rtc, timer, started } = machine();
    timer.write(0x510, 4, 0); // PRESCALER 0: 16 MHz, one tick per 4 cycles
    timer.write(0x508, 4, 3); // 32-bit
    timer.write(0x000, 4, 1); // START at cycle 0
    rtc.write(0x540, 4, 2); // CC[0] = 2
    rtc.write(0x344, 4, 1 << 16); // EVTENSET COMPARE0
    ppi.write(EEP(0), 4, RTC0 + 0x140);
    ppi.write(TEP(0), 4, TIMER0 + 0x040); // CAPTURE[0]
    ppi.write(CHENSET, 4, 1);
    rtc.write(0x000, 4, 1);
    const compareAt = Math.ceil((2 * 64_000_000) / 32768);
    clock.advance(compareAt + 3);
    expect(started).toEqual([]); // not before the 16 MHz synchronization
    clock.advance(1);
    expect(started).toEqual([[TIMER0 + 0x040, compareAt + 4]]);
    expect(timer.read(0x540, 4)).toBe(Math.floor((compareAt + 4) / 4));
  });

  it('ignores events of disabled channels and CHENCLR disables', () => {
    const { clock, ppi, egu, started } = machine();
    ppi.write(EEP(5), 4, EGU0 + 0x100);
    ppi.write(TEP(5), 4, EGU0 + 0x004);
    egu.write(0x000, 4, 1);
    clock.advance(10);
    expect(started).toEqual([]);
    ppi.write(CHEN, 4, 1 << 5);
    expect(ppi.read(CHENSET, 4)).toBe(1 << 5);
    egu.write(0x000, 4, 1);
    clock.advance(10);
    expect(egu.read(0x104, 4)).toBe(1); // TRIGGERED[0] -> TRIGGER[1]
    ppi.write(CHENCLR, 4, 1 << 5);
    expect(ppi.read(CHEN, 4)).toBe(0);
  });

  it('starts the fork task with the channel task', () => {
    const { clock, ppi, egu, started } = machine();
    ppi.write(EEP(0), 4, EGU0 + 0x100);
    ppi.write(TEP(0), 4, EGU0 + 0x008);
    ppi.write(FORK(0), 4, EGU0 + 0x00c);
    ppi.write(CHENSET, 4, 1);
    egu.write(0x000, 4, 1);
    clock.advance(4);
    expect(started.map((s) => s[0])).toEqual([EGU0 + 0x008, EGU0 + 0x00c]);
    expect(egu.read(0x108, 4)).toBe(1);
    expect(egu.read(0x10c, 4)).toBe(1);
  });

  it('enables and disables channel groups with TASKS_CHG[n].EN/DIS, also through the PPI', () => {
    const { clock, ppi, egu } = machine();
    ppi.write(CHG(2), 4, 0b1010);
    expect(ppi.read(CHG(2), 4)).toBe(0b1010);
    ppi.write(CHEN, 4, 1 << 7);
    ppi.write(0x000 + 8 * 2, 4, 1); // TASKS_CHG[2].EN
    expect(ppi.read(CHEN, 4)).toBe(0b1010 | (1 << 7));
    ppi.write(0x004 + 8 * 2, 4, 1); // TASKS_CHG[2].DIS
    expect(ppi.read(CHEN, 4)).toBe(1 << 7);
    // Channel 7: EGU0 TRIGGERED[3] -> TASKS_CHG[2].EN
    ppi.write(EEP(7), 4, EGU0 + 0x10c);
    ppi.write(TEP(7), 4, PPI + 0x000 + 8 * 2);
    egu.write(0x00c, 4, 1);
    clock.advance(4);
    expect(ppi.read(CHEN, 4)).toBe(0b1010 | (1 << 7));
  });

  it('pre-programs channels 20-31, e.g. 31: RTC0 COMPARE[0] -> TIMER0 START', () => {
    expect(PPI_FIXED_CHANNELS.map((c) => c.channel)).toEqual([
      20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    ]);
    const { clock, ppi, rtc, timer } = machine();
    timer.write(0x510, 4, 0);
    rtc.write(0x540, 4, 1);
    rtc.write(0x344, 4, 1 << 16);
    ppi.write(CHENSET, 4, 1 << 31);
    rtc.write(0x000, 4, 1);
    const at = Math.ceil(64_000_000 / 32768) + 4;
    clock.advance(at + 400);
    timer.write(0x040, 4, 1);
    expect(timer.read(0x540, 4)).toBe(100);
    expect(ppi.endpoints(31)).toEqual({ eep: RTC0 + 0x140, tep: TIMER0, fork: 0 });
    expect(() => ppi.endpoints(32)).toThrow(/channels 0-31/);
  });

  it('runs an event loop once per synchronization delay instead of recursing', () => {
    const { clock, ppi, egu, started } = machine();
    ppi.write(EEP(0), 4, EGU0 + 0x100);
    ppi.write(TEP(0), 4, EGU0 + 0x000); // TRIGGERED[0] -> TRIGGER[0]
    ppi.write(CHENSET, 4, 1);
    egu.write(0x000, 4, 1);
    clock.advance(400);
    expect(started).toHaveLength(100);
  });

  // Issue 12 audit: a loop whose fork (or a second channel) starts the same task doubled the
  // queued starts every period: 2^n host work after n periods, for one task pulse per edge.
  it('starts a task once per 16 MHz edge however many channels and forks ask for it', () => {
    const { clock, ppi, egu, started } = machine();
    ppi.write(EEP(0), 4, EGU0 + 0x100);
    ppi.write(TEP(0), 4, EGU0 + 0x000); // TRIGGERED[0] -> TRIGGER[0] ...
    ppi.write(FORK(0), 4, EGU0 + 0x000); // ... and again through the fork
    ppi.write(EEP(1), 4, EGU0 + 0x100);
    ppi.write(TEP(1), 4, EGU0 + 0x000); // ... and through a second channel
    ppi.write(CHENSET, 4, 0b11);
    egu.write(0x000, 4, 1);
    // Ten periods: 10 starts on the chip (3^10 on the host before the fix).
    clock.advance(4 * 10);
    expect(started).toHaveLength(10);
    expect(new Set(started.map((s) => s[1])).size).toBe(10);
    expect((ppi.snapshot() as { pending: unknown[] }).pending.length).toBeLessThanOrEqual(1);
  });

  it('round-trips configuration and in-flight task starts through a snapshot', () => {
    const a = machine();
    a.ppi.write(EEP(1), 4, EGU0 + 0x100);
    a.ppi.write(TEP(1), 4, EGU0 + 0x014);
    a.ppi.write(CHG(5), 4, 0xf0);
    a.ppi.write(CHENSET, 4, 2);
    a.egu.write(0x000, 4, 1);
    a.clock.advance(2); // the task start is in flight
    const snap = structuredClone(a.ppi.snapshot());
    const clock = new TestClock(64_000_000);
    clock.now = a.clock.now;
    const b = machine(clock);
    b.ppi.restore(snap);
    expect(b.ppi.read(TEP(1), 4)).toBe(EGU0 + 0x014);
    expect(b.ppi.read(CHG(5), 4)).toBe(0xf0);
    b.clock.advance(2);
    expect(b.started).toEqual([[EGU0 + 0x014, 4]]);
    expect(b.egu.read(0x114, 4)).toBe(1);
    expect(() => b.ppi.restore({ ...snap, fork: [] })).toThrow(/'fork' must hold 32/);
  });
});
