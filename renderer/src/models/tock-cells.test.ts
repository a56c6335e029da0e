import { describe, expect, it } from 'vitest';
import type { TockCell } from '../../../main/common/contract';
import { cellHover, cellWords } from './tock-cells';

const cell = (over: Partial<TockCell>): TockCell => ({
  path: 'platform.console.buffer',
  address: 0x2000_1000,
  kind: 'TakeCell',
  owner: 'capsules::console::Console',
  capsule: 'capsules::console',
  field: 'buffer',
  heldType: '&mut [u8]',
  occupancy: 'present',
  held: { ptr: 0x2000_2000, length: 128 },
  decl: { path: 'capsules/src/console.rs', inProject: true, line: 35, column: 5 },
  changedAt: null,
  reason: null,
  ...over,
});

describe('cell words', () => {
  it('says how long ago a cell was taken and where its buffer went', () => {
    const taken = cell({
      occupancy: 'taken',
      held: null,
      changedAt: 1000,
      reason: 'UARTE0 TXD in flight',
    });
    expect(cellWords(taken, 1000 + 204_800, 64e6)).toBe('taken 3.2 ms ago: UARTE0 TXD in flight');
    expect(cellWords(taken, 1000 + 640, 64e6)).toBe('taken 10 µs ago: UARTE0 TXD in flight');
    expect(cellWords(taken, null, null)).toBe('taken: UARTE0 TXD in flight');
    expect(cellWords(taken, 1000, 64e6)).toBe('taken: UARTE0 TXD in flight');
    expect(cellWords(cell({ changedAt: 5 }), 100, 64e6)).toBe('present');
    expect(cellWords(cell({ occupancy: 'busy' }), null, null)).toBe('busy (lent to a closure)');
  });

  it('hovers with the type, the path and what it holds', () => {
    expect(cellHover(cell({}))).toBe(
      '**TakeCell<&mut [u8]>** `platform.console.buffer` at 0x20001000  \npresent: holds 0x20002000 (128 bytes)',
    );
  });
});
