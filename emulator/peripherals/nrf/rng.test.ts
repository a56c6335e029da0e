/**
 * RNG (nRF52840 PS "RNG — Random number generator"): VALRDY timing from the electrical
 * specification (tRNG,START then one byte per tRNG,RAW or tRNG,BC), VALUE changing per byte,
 * STOP halting generation, the VALRDY->STOP shortcut, and reproducibility from the seed.
 */
import { describe, expect, it } from 'vitest';
import { TestClock, TestLines } from '../test-clock';
import { expandRegisters } from './registers';
import { RNG_REGISTERS, Rng, T_RNG_BC_US, T_RNG_RAW_US, T_RNG_START_US } from './rng';

function make(seed = 1) {
  const clock = new TestClock(64_000_000);
  const irq = new TestLines();
  const published: number[] = [];
  const rng = new Rng(
    {
      clock,
      irq,
      dma: { read: () => new Uint8Array(0), write: () => undefined, inRam: () => false },
      publish: (a) => published.push(a),
    },
    seed,
  );
  const us = (n: number): number => Math.round(n * 64);
  return { clock, irq, rng, published, us };
}

/** Collect `n` bytes by waiting for VALRDY and clearing it, as a polling driver does. */
function bytes(r: ReturnType<typeof make>, n: number): number[] {
  const out: number[] = [];
  r.rng.write(0x000, 4, 1);
  while (out.length < n) {
    r.clock.advance(r.us(1));
    if (r.rng.read(0x100, 4)) {
      out.push(r.rng.read(0x508, 4));
      r.rng.write(0x100, 4, 0);
    }
  }
  r.rng.write(0x004, 4, 1);
  return out;
}

describe('Rng', () => {
  it('reads its reset values (every readable register of RNG_REGISTERS)', () => {
    const { rng } = make();
    for (const r of expandRegisters(RNG_REGISTERS))
      if (r.access !== 'write-only') expect(rng.read(r.offset, 4), r.name).toBe(r.reset);
  });

  it('raises the first VALRDY tRNG,START + tRNG,RAW after START, not before', () => {
    const { rng, clock, us, published } = make();
    rng.write(0x000, 4, 1);
    clock.advance(us(T_RNG_START_US + T_RNG_RAW_US) - 1);
    expect(rng.read(0x100, 4)).toBe(0);
    clock.advance(1);
    expect(rng.read(0x100, 4)).toBe(1);
    expect(published).toEqual([0x4000d100]);
  });

  it('produces one byte per tRNG,RAW while running, and per tRNG,BC with CONFIG.DERCEN', () => {
    const { rng, clock, us, published } = make();
    rng.write(0x000, 4, 1);
    clock.advance(us(T_RNG_START_US + T_RNG_RAW_US));
    clock.advance(us(T_RNG_RAW_US) * 3);
    expect(published).toHaveLength(4);
    rng.write(0x004, 4, 1);
    published.length = 0;
    rng.write(0x504, 4, 1);
    expect(rng.read(0x504, 4)).toBe(1);
    rng.write(0x000, 4, 1);
    clock.advance(us(T_RNG_START_US + T_RNG_BC_US) - 1);
    expect(published).toHaveLength(0);
    clock.advance(1 + us(T_RNG_BC_US));
    expect(published).toHaveLength(2);
  });

  it('changes VALUE from byte to byte (8-bit values)', () => {
    const r = make(12345);
    const b = bytes(r, 32);
    expect(b.every((x) => x >= 0 && x <= 255)).toBe(true);
    expect(new Set(b).size).toBeGreaterThan(16);
  });

  it('gives the same bytes for the same seed and different ones for another seed', () => {
    expect(bytes(make(7), 16)).toEqual(bytes(make(7), 16));
    expect(bytes(make(7), 16)).not.toEqual(bytes(make(8), 16));
  });

  it('stops generating on STOP: no VALRDY afterwards', () => {
    const { rng, clock, us, published } = make();
    rng.write(0x000, 4, 1);
    clock.advance(us(T_RNG_START_US + T_RNG_RAW_US) + 10);
    rng.write(0x004, 4, 1);
    expect(rng.isRunning).toBe(false);
    clock.advance(us(10_000));
    expect(published).toHaveLength(1);
    expect(clock.nextEventAt()).toBe(Infinity);
  });

  it('stops after one byte with the VALRDY->STOP shortcut (SHORTS bit 0)', () => {
    const { rng, clock, us, published } = make();
    rng.write(0x200, 4, 1);
    rng.write(0x000, 4, 1);
    clock.advance(us(10_000));
    expect(published).toHaveLength(1);
    expect(rng.isRunning).toBe(false);
  });

  it('drives its interrupt line (ID 13) when VALRDY is enabled in INTENSET', () => {
    const { rng, clock, us, irq } = make();
    rng.write(0x304, 4, 1);
    rng.write(0x000, 4, 1);
    clock.advance(us(T_RNG_START_US + T_RNG_RAW_US));
    expect(irq.high(13)).toBe(true);
    rng.write(0x100, 4, 0);
    expect(irq.high(13)).toBe(false);
  });

  it('restores a snapshot with the pending byte rescheduled and the generator state', () => {
    const a = make(99);
    a.rng.write(0x000, 4, 1);
    a.clock.advance(a.us(T_RNG_START_US + T_RNG_RAW_US) + 5);
    const snap = structuredClone(a.rng.snapshot());
    a.clock.advance(a.us(T_RNG_RAW_US));
    const expected = a.rng.read(0x508, 4);
    a.rng.reset();
    expect(a.rng.read(0x508, 4)).toBe(0);
    a.clock.now -= a.us(T_RNG_RAW_US); // back to the snapshot's time
    a.rng.restore(snap);
    a.clock.advance(a.us(T_RNG_RAW_US) - 6);
    expect(a.rng.read(0x508, 4)).not.toBe(expected);
    a.clock.advance(1);
    expect(a.rng.read(0x508, 4)).toBe(expected);
  });

  it('rejects a seed that is not an integer', () => {
    const clock = new TestClock(64_000_000);
    const ctx = {
      clock,
      irq: new TestLines(),
      dma: { read: () => new Uint8Array(0), write: () => undefined, inRam: () => false },
    };
    expect(() => new Rng(ctx, 1.5)).toThrow(/seed must be an integer/);
  });
});
