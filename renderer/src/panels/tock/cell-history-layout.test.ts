/** The occupancy strip's segments: clipped to the window, ending at now, one per change. */
import { describe, expect, it } from 'vitest';
import { historySegments } from './cell-history-layout';

describe('historySegments', () => {
  it('lays the changes over the window ending now', () => {
    const h = [
      { at: 0, occupancy: 'present' as const },
      { at: 600, occupancy: 'empty' as const },
      { at: 900, occupancy: 'present' as const },
    ];
    expect(historySegments(h, 0, 1000, 1000)).toEqual([
      { from: 0, to: 0.6, occupancy: 'present' },
      { from: 0.6, to: 0.9, occupancy: 'empty' },
      { from: 0.9, to: 1, occupancy: 'present' },
    ]);
    // A window of the last 500 cycles: the first change is before it, its state runs into it.
    expect(historySegments(h, 0, 1000, 500)).toEqual([
      { from: 0, to: 0.2, occupancy: 'present' },
      { from: 0.2, to: 0.8, occupancy: 'empty' },
      { from: 0.8, to: 1, occupancy: 'present' },
    ]);
  });

  it('is empty before watching began or without changes', () => {
    expect(historySegments([], 0, 1000, 1000)).toEqual([]);
    expect(historySegments([{ at: 5, occupancy: 'busy' }], 1000, 1000, 1000)).toEqual([]);
  });
});
