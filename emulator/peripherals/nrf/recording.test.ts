/**
 * RecordingDevice: the register file standing in for unmodelled nRF52 peripherals. It must read
 * back what was written (0 after reset), keep byte lanes apart, count accesses per register and
 * keep only the last 64 accesses, and survive a snapshot round trip.
 */
import { describe, expect, it } from 'vitest';
import { BusErrorSignal } from '../../core/interfaces';
import { RECENT_ACCESSES, RecordingDevice } from './recording';

describe('RecordingDevice', () => {
  it('reads 0 after reset and reads back written words', () => {
    const d = new RecordingDevice('SAADC', 0x1000);
    expect(d.read(0x500, 4)).toBe(0);
    d.write(0x500, 4, 0xdeadbeef);
    expect(d.read(0x500, 4)).toBe(0xdeadbeef);
    expect(d.read(0x504, 4)).toBe(0);
    d.reset();
    expect(d.read(0x500, 4)).toBe(0);
  });

  it('merges narrow writes into their byte lanes and reads lanes back', () => {
    const d = new RecordingDevice('TWIM0', 0x1000);
    d.write(0x10, 4, 0x11223344);
    d.write(0x11, 1, 0xaa);
    expect(d.read(0x10, 4)).toBe(0x1122aa44);
    d.write(0x12, 2, 0xbeef);
    expect(d.read(0x10, 4)).toBe(0xbeefaa44);
    expect(d.read(0x13, 1)).toBe(0xbe);
    expect(d.read(0x12, 2)).toBe(0xbeef);
  });

  it('counts reads and writes per register with the last value', () => {
    const d = new RecordingDevice('RADIO', 0x1000);
    d.write(0x504, 4, 7);
    d.read(0x504, 4);
    d.read(0x504, 4);
    d.write(0x100, 4, 0);
    d.write(0x506, 1, 1); // same word as 0x504
    expect(d.accesses()).toEqual([
      { offset: 0x100, reads: 0, writes: 1, lastValue: 0 },
      { offset: 0x504, reads: 2, writes: 2, lastValue: 0x10007 },
    ]);
    expect(d.accessCount).toBe(5);
  });

  it(`keeps only the last ${RECENT_ACCESSES} accesses, oldest first`, () => {
    const d = new RecordingDevice('USBD', 0x1000);
    for (let i = 0; i < 100; i++) d.write(0x800, 4, i);
    const r = d.recent();
    expect(r).toHaveLength(RECENT_ACCESSES);
    expect(r[0]!.value).toBe(100 - RECENT_ACCESSES);
    expect(r.at(-1)!.value).toBe(99);
    expect(r.every((e) => e.kind === 'write' && e.offset === 0x800)).toBe(true);
  });

  it('restores a snapshot (plain data) and keeps the ring order afterwards', () => {
    const d = new RecordingDevice('QSPI', 0x1000);
    for (let i = 0; i < 70; i++) d.write(4 * (i % 8), 4, i);
    const snap = structuredClone(d.snapshot());
    d.reset();
    expect(d.accesses()).toEqual([]);
    d.restore(snap);
    expect(d.read(0x1c, 4)).toBe(63);
    expect(d.accessCount).toBe(71);
    const r = d.recent();
    expect(r).toHaveLength(RECENT_ACCESSES);
    expect(r.at(-1)).toMatchObject({ kind: 'read', offset: 0x1c, value: 63 });
    expect(r[0]!.seq).toBe(71 - RECENT_ACCESSES);
  });

  it('reuses its snapshot while untouched, and takes a new one after any access', () => {
    const d = new RecordingDevice('SAADC', 0x1000);
    const a = d.snapshot();
    expect(d.snapshot()).toBe(a); // nothing changed: the same read-only data
    d.write(0x500, 4, 1);
    const b = d.snapshot();
    expect(b).not.toBe(a);
    expect(b.words[0x140]).toBe(1);
    expect(a.words[0x140]).toBe(0); // the earlier snapshot still holds its moment
    d.read(0x500, 4); // a read is counted and logged: the state changed
    const c = d.snapshot();
    expect(c).not.toBe(b);
    expect(c.seq).toBe(2);
    d.poke(0x504, 4, 7);
    expect(d.snapshot().words[0x141]).toBe(7);
    d.restore(a);
    expect(d.snapshot().words[0x140]).toBe(0);
    d.write(0, 4, 3);
    d.reset();
    expect(d.snapshot().words[0]).toBe(0);
  });

  it('rejects a bad size and accesses outside its block', () => {
    expect(() => new RecordingDevice('X', 6)).toThrow(/multiple of 4/);
    const d = new RecordingDevice('ACL', 0x800);
    expect(() => d.read(0x800, 4)).toThrow(BusErrorSignal);
    expect(() => d.restore({ words: [1] })).toThrow(/snapshot/);
  });
});
