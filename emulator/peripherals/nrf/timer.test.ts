/**
 * TIMER behaviour from the nRF52840 PS ("TIMER — Timer/counter"): counting at
 * 16 MHz / 2^PRESCALER, BITMODE widths and wrap, COMPARE on increment to CC with the CLEAR and
 * STOP shortcuts, CAPTURE, Counter mode's COUNT task, and snapshot/restore mid-count. The core
 * clock is 64 MHz, so one tick at PRESCALER 0 is 4 cycles and at PRESCALER 4 (1 MHz) 64 cycles.
 */
import { describe, expect, it } from 'vitest';
import { TestClock, TestLines } from '../test-clock';
import type { DmaPort } from './nrf-peripheral';
import { expandRegisters } from './registers';
import { Timer, cyclesFor, ticksIn, timerRegisters } from './timer';

const noDma: DmaPort = {
  read: () => new Uint8Array(0),
  write: () => undefined,
  inRam: () => false,
};

const BASE = 0x40008000; // TIMER0, ID 8
const START = 0x000;
const STOP = 0x004;
const COUNT = 0x008;
const CLEAR = 0x00c;
const CAPTURE = (n: number): number => 0x040 + 4 * n;
const COMPARE = (n: number): number => 0x140 + 4 * n;
const SHORTS = 0x200;
const INTENSET = 0x304;
const MODE = 0x504;
const BITMODE = 0x508;
const PRESCALER = 0x510;
const CC = (n: number): number => 0x540 + 4 * n;

function make(ccCount = 4, clock = new TestClock(64_000_000)) {
  const irq = new TestLines();
  const published: [number, number][] = [];
  const t = new Timer(
    'TIMER0',
    BASE,
    { clock, irq, dma: noDma, publish: (a) => published.push([a, clock.now]) },
    ccCount,
  );
  const task = (offset: number): void => t.write(offset, 4, 1);
  /** CAPTURE into CC[n] and read it back. */
  const capture = (n = 3): number => {
    task(CAPTURE(n));
    return t.read(CC(n), 4);
  };
  return { t, clock, irq, published, task, capture };
}

describe('tick arithmetic', () => {
  it('counts whole ticks exactly and inverts', () => {
    const core = 64_000_000;
    expect(ticksIn(1953, core, 32768)).toBe(0);
    expect(ticksIn(1954, core, 32768)).toBe(1);
    expect(cyclesFor(1, core, 32768)).toBe(1954);
    // Far in the future (a day of virtual time) the split keeps it exact.
    const day = 86_400 * core;
    expect(ticksIn(day, core, 32768)).toBe(86_400 * 32768);
    for (const k of [1, 7, 32767, 32768, 123_456_789, 2 ** 40 + 3]) {
      const c = cyclesFor(k, core, 32768);
      expect(ticksIn(c, core, 32768)).toBe(k);
      expect(ticksIn(c - 1, core, 32768)).toBe(k - 1);
    }
  });
});

describe('TIMER', () => {
  it('reads every readable register at its table reset value, for 4 and 6 CC', () => {
    for (const n of [4, 6]) {
      const { t } = make(n);
      t.write(CC(0), 4, 123);
      t.write(PRESCALER, 4, 7);
      t.reset();
      for (const r of expandRegisters(timerRegisters(n))) {
        if (r.access === 'write-only') continue;
        expect(t.read(r.offset, 4), `${r.name}`).toBe(r.reset);
      }
    }
  });

  it('rejects an impossible CC count', () => {
    expect(() => make(7)).toThrow(/1 to 6 CC/);
  });

  it('takes interrupt line 8 at TIMER0 and 0x1B at TIMER4', () => {
    expect(make().t.id).toBe(8);
    const t4 = new Timer(
      'TIMER4',
      0x4001b000,
      { clock: new TestClock(64e6), irq: new TestLines(), dma: noDma },
      6,
    );
    expect(t4.id).toBe(0x1b);
  });

  it('counts at 16 MHz / 2^PRESCALER only while started (reset PRESCALER 4 = 1 MHz)', () => {
    const { clock, task, capture, t } = make();
    clock.advance(1000);
    expect(capture()).toBe(0); // not started
    task(START);
    clock.advance(64 * 100 + 63);
    expect(capture()).toBe(100);
    task(STOP);
    clock.advance(64 * 50);
    expect(capture()).toBe(100); // held while stopped
    task(START);
    clock.advance(64 * 5);
    expect(capture()).toBe(105); // resumes from the held value
    task(STOP);
    t.write(PRESCALER, 4, 0);
    task(START);
    clock.advance(4 * 10);
    expect(capture()).toBe(115);
  });

  it('treats PRESCALER above 9 as 9 (16 MHz / 512)', () => {
    const { clock, task, capture, t } = make();
    t.write(PRESCALER, 4, 15);
    expect(t.read(PRESCALER, 4)).toBe(15);
    task(START);
    clock.advance(2048 * 3);
    expect(capture()).toBe(3);
  });

  it('32-bit compare with the COMPARE0_CLEAR short gives a period of CC ticks', () => {
    const { clock, task, capture, t, irq, published } = make();
    t.write(BITMODE, 4, 3);
    t.write(PRESCALER, 4, 0);
    t.write(CC(0), 4, 1000);
    t.write(SHORTS, 4, 1); // COMPARE0_CLEAR
    t.write(INTENSET, 4, 1 << 16);
    task(START);
    clock.advance(3999);
    expect(t.read(COMPARE(0), 4)).toBe(0);
    expect(irq.high(8)).toBe(false);
    clock.advance(1);
    expect(t.read(COMPARE(0), 4)).toBe(1);
    expect(irq.high(8)).toBe(true);
    expect(published).toEqual([[BASE + 0x140, 4000]]);
    clock.advance(40);
    expect(capture()).toBe(10); // cleared at the match
    t.write(COMPARE(0), 4, 0);
    clock.advance(4000 - 40);
    expect(published.map((p) => p[1])).toEqual([4000, 8000]);
  });

  it('16-bit BITMODE wraps 0xFFFF -> 0 and compares against 0 at the wrap', () => {
    const { clock, task, capture, t, published } = make();
    t.write(PRESCALER, 4, 0);
    for (const n of [0, 2]) t.write(CC(n), 4, 0x10000); // low 16 bits: 0
    t.write(CC(1), 4, 0);
    task(START);
    clock.advance(0x10000 * 4 - 1);
    expect(capture()).toBe(0xffff); // CC[3] written equal to the counter: no event for it
    expect(published).toEqual([]);
    clock.advance(1);
    expect(published).toEqual([
      [BASE + 0x140, 0x40000],
      [BASE + 0x144, 0x40000],
      [BASE + 0x148, 0x40000],
    ]);
    clock.advance(4 * 5);
    expect(capture()).toBe(5);
  });

  it('8-bit and 24-bit widths wrap at 2^8 and 2^24', () => {
    const { clock, task, capture, t } = make();
    t.write(PRESCALER, 4, 0);
    t.write(BITMODE, 4, 1);
    task(START);
    clock.advance(4 * 300);
    expect(capture()).toBe(300 - 256);
    task(CLEAR);
    t.write(BITMODE, 4, 2);
    clock.advance(4 * (0x1000000 + 7));
    expect(capture()).toBe(7);
  });

  it('compares the low BITMODE bits of CC; no match on CLEAR to CC 0 or on a CC written equal', () => {
    const { clock, task, t, published } = make();
    t.write(PRESCALER, 4, 0);
    for (let n = 0; n < 4; n++) t.write(CC(n), 4, 0x10005 + n); // 16-bit mode: 5, 6, 7, 8
    expect(t.read(CC(1), 4)).toBe(0x10006);
    task(START);
    clock.advance(4 * 6);
    expect(published).toEqual([
      [BASE + 0x140, 20],
      [BASE + 0x144, 24],
    ]);
    published.length = 0;
    for (let n = 0; n < 4; n++) t.write(CC(n), 4, 0xfff0);
    t.write(CC(0), 4, 0);
    clock.advance(4 * 3);
    task(CLEAR); // to 0, not an increment
    expect(published).toEqual([]);
    task(CAPTURE(1)); // CC[1] = counter: equal now, no event until the next wrap
    expect(published).toEqual([]);
    clock.advance(4 * 10);
    expect(published).toEqual([]);
  });

  it('SHUTDOWN stops the timer and loses the count', () => {
    const { clock, task, capture } = make();
    task(START);
    clock.advance(64 * 9);
    task(0x010);
    expect(capture()).toBe(0);
    clock.advance(64 * 9);
    expect(capture()).toBe(0);
  });

  it('COMPARE_STOP stops the count at CC', () => {
    const { clock, task, capture, t } = make();
    t.write(PRESCALER, 4, 0);
    t.write(CC(2), 4, 50);
    t.write(SHORTS, 4, 1 << (8 + 2));
    task(START);
    clock.advance(4 * 200);
    expect(t.read(COMPARE(2), 4)).toBe(1);
    expect(capture()).toBe(50);
  });

  it('implements only the SHORTS bits of its CC registers', () => {
    const { t } = make(4);
    t.write(SHORTS, 4, 0xffffffff);
    expect(t.read(SHORTS, 4)).toBe(0x0f0f);
    const six = make(6).t;
    six.write(SHORTS, 4, 0xffffffff);
    expect(six.read(SHORTS, 4)).toBe(0x3f3f);
    six.write(INTENSET, 4, 0xffffffff);
    expect(six.read(INTENSET, 4)).toBe(0x3f0000);
  });

  it('has no INTEN register at 0x300', () => {
    const { t } = make();
    t.write(0x300, 4, 0xffffffff);
    expect(t.read(0x300, 4)).toBe(0);
    expect(t.read(INTENSET, 4)).toBe(0);
  });

  it('counts COUNT tasks in Counter mode only while started, with compares', () => {
    const { clock, task, capture, t, published } = make();
    t.write(MODE, 4, 1);
    t.write(CC(0), 4, 3);
    task(COUNT);
    expect(capture()).toBe(0); // stopped: COUNT ignored
    task(START);
    clock.advance(1_000_000);
    expect(capture()).toBe(0); // the clock does not count in Counter mode
    task(COUNT);
    task(COUNT);
    expect(published).toEqual([]);
    task(COUNT);
    expect(capture()).toBe(3);
    expect(published).toEqual([[BASE + 0x140, clock.now]]);
    t.write(MODE, 4, 0); // back to Timer mode: COUNT does nothing, the clock counts
    task(COUNT);
    expect(capture()).toBe(3);
  });

  it('schedules no clock event while stopped or counting, one for the next compare', () => {
    const { clock, task, t } = make();
    t.write(PRESCALER, 4, 0);
    t.write(CC(0), 4, 100);
    expect(clock.nextEventAt()).toBe(Infinity);
    task(START);
    expect(clock.nextEventAt()).toBe(400);
    task(STOP);
    expect(clock.nextEventAt()).toBe(Infinity);
    t.write(MODE, 4, 1);
    task(START);
    expect(clock.nextEventAt()).toBe(Infinity);
  });

  it('restores a snapshot taken mid-count and continues identically', () => {
    const a = make();
    a.t.write(PRESCALER, 4, 2);
    a.t.write(BITMODE, 4, 3);
    a.t.write(CC(0), 4, 5000);
    a.t.write(SHORTS, 4, 1);
    a.t.write(INTENSET, 4, 1 << 16);
    a.task(START);
    a.clock.advance(123_457);
    const snap = structuredClone(a.t.snapshot());
    const at = a.clock.now;
    const before = a.published.length;

    const clock = new TestClock(64_000_000);
    clock.now = at;
    const b = make(4, clock);
    b.t.restore(snap);
    expect(b.capture()).toBe(a.capture());
    a.clock.advance(300_000);
    b.clock.advance(300_000);
    expect(b.published).toEqual(a.published.slice(before));
    expect(b.published.length).toBeGreaterThan(1);
    expect(b.capture()).toBe(a.capture());
    expect(b.irq.high(8)).toBe(a.irq.high(8));
  });
});
