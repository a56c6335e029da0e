/**
 * The occupancy history: stores recorded on a cell's bytes are applied to its copy and decoded,
 * so a niche-encoded Option (None: pointer word 0) shows each take and put back at its cycle,
 * a store that leaves the bytes as they were makes no entry, a halt's reading corrects a copy a
 * store the observers did not see left stale, and the recorder's `watch` request records CPU
 * stores (and only those) into the ring the history reads, one write observer per cell (or, clustered,
 * one per group of cells sharing a 32-byte granule).
 */
import { describe, expect, it } from 'vitest';
import type { CortexM } from '../../core/cortex-m';
import { CellHistory } from './cell-history';
import { RECORD_WORDS, RecordKind, TockRecorder, type RecorderChunk } from './recorder';

const CELL = 0x2000_0100;
const decode = (_a: number, b: Uint8Array) =>
  b[0]! | b[1]! | b[2]! | b[3]! ? ('present' as const) : ('empty' as const);

function writes(first: number, list: [number, number, number, number][]): RecorderChunk {
  const words = new Int32Array(list.length * RECORD_WORDS);
  list.forEach(([, address, value, size], i) =>
    words.set([RecordKind.CellWrite, 0, address, value, size, 0], i * RECORD_WORDS),
  );
  return {
    first,
    lost: 0,
    cycles: Float64Array.from(list.map(([c]) => c)),
    words,
    now: 10_000,
    frequencyHz: 64_000_000,
    recording: true,
  };
}

describe('CellHistory', () => {
  it('applies a store once when two readings fetch overlapping chunks', async () => {
    const h = new CellHistory(decode);
    h.begin([{ address: CELL, bytes: Uint8Array.of(1, 0, 0, 0), occupancy: 'present' }], 0, 0);
    const take = writes(0, [[10, CELL, 0, 4]]);
    const both = writes(0, [
      [10, CELL, 0, 4],
      [20, CELL, 1, 4], // put back
    ]);
    await h.add(take);
    await h.add(both); // a live reading and a stop's walk both fetched from 0
    await h.add(take); // an older chunk answered late
    expect(h.cursor).toBe(2);
    expect(h.of(CELL)).toEqual([
      { at: 0, occupancy: 'present' },
      { at: 10, occupancy: 'empty' },
      { at: 20, occupancy: 'present' },
    ]);
  });

  it('records each take and put back of a niche Option at its cycle', async () => {
    const h = new CellHistory(decode);
    const bytes = Uint8Array.of(0x00, 0x10, 0x00, 0x20, 128, 0, 0, 0); // Some(&mut [u8; 128])
    h.begin([{ address: CELL, bytes, occupancy: 'present' }], 5, 100);
    expect(h.watches()).toEqual([{ id: 0, address: CELL, length: 8 }]);
    await h.add(
      writes(5, [
        [200, CELL, 0, 4], // take: pointer word 0
        [250, CELL + 4, 0, 4], // the length word: no change of occupancy
        [300, CELL, 0x2000_1000, 4], // put back
        [310, CELL, 0x2000_1000, 4], // the same bytes again: nothing
      ]),
    );
    expect(h.cursor).toBe(9);
    expect(h.of(CELL)).toEqual([
      { at: 100, occupancy: 'present' },
      { at: 200, occupancy: 'empty' },
      { at: 300, occupancy: 'present' },
    ]);
    // A halt reads the cell empty (the debugger cleared it: no store was observed).
    h.resync([{ address: CELL, bytes: new Uint8Array(8), occupancy: 'empty' }], 400);
    expect(h.of(CELL)!.at(-1)).toEqual({ at: 400, occupancy: 'empty' });
    // The same cells keep the watches and the entries; another set starts over.
    expect(h.covers([{ address: CELL, size: 8 }])).toBe(true);
    expect(h.covers([{ address: CELL, size: 4 }])).toBe(false);
    expect(h.of(CELL + 8)).toBeNull();
  });

  it('watches only the occupancy bytes a model names, each cell whole otherwise', async () => {
    const h = new CellHistory(decode);
    const cells = [CELL, CELL + 0x20].map((address) => ({
      address,
      bytes: new Uint8Array([1, 0, 0, 0, 9, 9, 9, 9]),
      occupancy: 'present' as const,
    }));
    h.begin(cells, 0, 0);
    expect(h.watches()).toEqual([
      { id: 0, address: CELL, length: 8 },
      { id: 1, address: CELL + 0x20, length: 8 },
    ]);
    // The first cell's occupancy is read from its pointer word and a flag byte (two watches of
    // one id); the model does not know the second.
    const spans = (a: number) =>
      a === CELL
        ? [
            { address: CELL, length: 4 },
            { address: CELL + 6, length: 1 },
          ]
        : null;
    expect(h.watches(spans)).toEqual([
      { id: 0, address: CELL, length: 4 },
      { id: 0, address: CELL + 6, length: 1 },
      { id: 1, address: CELL + 0x20, length: 8 },
    ]);
    // Stores recorded through those watches change the occupancy as before.
    await h.add(writes(0, [[50, CELL, 0, 4]]));
    expect(h.of(CELL)).toEqual([
      { at: 0, occupancy: 'present' },
      { at: 50, occupancy: 'empty' },
    ]);
  });

  it("the recorder's watch request records stores to the watched words", () => {
    const observers: {
      start: number;
      end: number;
      fn: (a: number, s: number, v: number) => void;
    }[] = [];
    const core = {
      pc: 0x4_0000,
      clock: { now: 77, frequencyHz: 64_000_000 },
      onExceptionEntry: null,
      onExceptionReturn: null,
      onItmWrite: null,
      observeWrites(start: number, length: number, fn: (a: number, s: number, v: number) => void) {
        const o = { start, end: start + length, fn };
        observers.push(o);
        return () => observers.splice(observers.indexOf(o), 1);
      },
    };
    const store = (a: number, v: number, size: number) => {
      for (const o of observers) if (a < o.end && a + size > o.start) o.fn(a, size, v);
    };
    const rec = new TockRecorder({ core: core as unknown as CortexM, dma: [] });
    const reply = rec.handle({ op: 'watch', watches: [{ id: 3, address: CELL, length: 8 }] });
    expect(reply).toEqual({ op: 'watching', count: 1, next: 0 });
    // Recording the timeline starts and stops without dropping the watches.
    rec.handle({ op: 'start', timeline: true });
    rec.handle({ op: 'stop' });
    store(CELL + 4, 0x1234, 4);
    store(CELL + 8, 1, 4); // outside
    const chunk = rec.fetch(0);
    expect(chunk.cycles.length).toBe(1);
    expect(Array.from(chunk.words.subarray(0, 6))).toEqual([
      RecordKind.CellWrite,
      3,
      CELL + 4,
      0x1234,
      4,
      0x4_0000,
    ]);
    // A new set replaces the old one; an empty one stops watching.
    rec.handle({ op: 'watch', watches: [] });
    expect(observers.length).toBe(0);

    // Clustered, cells sharing a granule share one observer; each store is recorded for the cells it hits
    // only (not for the bytes between them); cells in other granules have their own.
    const next = rec.watch(
      [
        { id: 7, address: CELL + 0x18, length: 4 },
        { id: 5, address: CELL, length: 8 },
        { id: 6, address: CELL + 0x10, length: 8 },
        { id: 8, address: CELL + 0x20, length: 4 },
      ],
      true,
    );
    expect(observers.map((o) => [o.start, o.end])).toEqual([
      [CELL, CELL + 0x1c],
      [CELL + 0x20, CELL + 0x24],
    ]);
    store(CELL + 0x0c, 9, 4); // between cells 5 and 6: nothing
    store(CELL + 0x14, 1, 4); // cell 6
    store(CELL + 0x18, 2, 2); // cell 7
    store(CELL + 0x20, 3, 1); // cell 8
    store(CELL + 4, 0xffff, 8 as 4); // a store across cell 5's end only
    const ids = (c: RecorderChunk) =>
      Array.from({ length: c.cycles.length }, (_, i) => c.words[i * RECORD_WORDS + 1]);
    expect(ids(rec.fetch(next))).toEqual([6, 7, 8, 5]);
    // By default one observer per cell.
    rec.watch([
      { id: 5, address: CELL, length: 8 },
      { id: 6, address: CELL + 0x10, length: 8 },
    ]);
    expect(observers.length).toBe(2);
  });
});
