/**
 * EGU behaviour from the nRF52840 PS ("EGU — Event generator unit"): TASKS_TRIGGER[n] raises
 * EVENTS_TRIGGERED[n], which drives the instance's interrupt line (shared with SWIn) through
 * INTEN/INTENSET/INTENCLR bit n and is published to the PPI.
 */
import { describe, expect, it } from 'vitest';
import { TestClock, TestLines } from '../test-clock';
import { EGU_REGISTERS, Egu } from './egu';
import type { DmaPort } from './nrf-peripheral';
import { expandRegisters } from './registers';

const noDma: DmaPort = {
  read: () => new Uint8Array(0),
  write: () => undefined,
  inRam: () => false,
};

function make(base = 0x40014000) {
  const irq = new TestLines();
  const published: number[] = [];
  const e = new Egu('EGU0', base, {
    clock: new TestClock(64_000_000),
    irq,
    dma: noDma,
    publish: (a) => published.push(a),
  });
  return { e, irq, published };
}

describe('EGU', () => {
  it('reads every readable register at its table reset value', () => {
    const { e } = make();
    e.write(0x304, 4, 0xffff);
    e.write(0x008, 4, 1);
    e.reset();
    for (const r of expandRegisters(EGU_REGISTERS)) {
      if (r.access === 'write-only') continue;
      expect(e.read(r.offset, 4), r.name).toBe(r.reset);
    }
  });

  it('uses IDs 20-25 for EGU0-5 (shared with SWI0-5)', () => {
    expect(make(0x40014000).e.id).toBe(20);
    expect(make(0x40019000).e.id).toBe(25);
  });

  it('TRIGGER[n] raises TRIGGERED[n], publishes it and interrupts when enabled', () => {
    const { e, irq, published } = make(0x40015000); // EGU1, ID 21
    e.write(0x000 + 4 * 7, 4, 1);
    expect(e.read(0x100 + 4 * 7, 4)).toBe(1);
    expect(published).toEqual([0x40015000 + 0x100 + 4 * 7]);
    expect(irq.high(21)).toBe(false);
    e.write(0x304, 4, 1 << 7);
    expect(irq.high(21)).toBe(true);
    e.write(0x100 + 4 * 7, 4, 0);
    expect(irq.high(21)).toBe(false);
    e.write(0x000 + 4 * 15, 4, 1);
    e.write(0x300, 4, 1 << 15); // INTEN exists on the EGU
    expect(irq.high(21)).toBe(true);
    e.write(0x308, 4, 1 << 15);
    expect(irq.high(21)).toBe(false);
  });

  it('has 16 channels only: INTEN bits and events beyond 15 do not exist', () => {
    const { e, published } = make();
    e.write(0x304, 4, 0xffffffff);
    expect(e.read(0x300, 4)).toBe(0xffff);
    e.write(0x040, 4, 1); // TASKS_TRIGGER[16] would be here
    e.write(0x140, 4, 1);
    expect(e.read(0x140, 4)).toBe(0);
    expect(published).toEqual([]);
  });

  it('round-trips events and INTEN through a snapshot', () => {
    const a = make();
    a.e.write(0x304, 4, 0b101);
    a.e.write(0x008, 4, 1);
    const snap = structuredClone(a.e.snapshot());
    const b = make();
    b.e.restore(snap);
    expect(b.e.read(0x108, 4)).toBe(1);
    expect(b.e.read(0x300, 4)).toBe(0b101);
    expect(b.irq.high(20)).toBe(true);
  });
});
