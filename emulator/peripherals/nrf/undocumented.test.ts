// Undocumented words laid over a peripheral's page: what the page's device promises its polling
// loops (stable registers between clock events) is passed on, the recorded words promise nothing.
import { describe, expect, it } from 'vitest';
import { TestClock, TestLines } from '../test-clock';
import { ClockPower } from './clock-power';
import { UndocumentedWords } from './undocumented';

describe('undocumented words over a peripheral page', () => {
  it("passes on the page device's promise of stable registers, and makes none for its own words", () => {
    const inner = new ClockPower({
      clock: new TestClock(64_000_000),
      irq: new TestLines(),
      dma: { read: () => new Uint8Array(0), write: () => undefined, inRam: () => false },
    });
    const page = new UndocumentedWords('undocumented (errata 108)', 0x40000000, [0xee4], inner);
    // EVENTS_LFCLKSTARTED (PS "CLOCK" registers: 0x104) as CLOCK promises it.
    expect(inner.stableUntilEvent(0x104)).toBe(true);
    expect(page.stableUntilEvent(0x104)).toBe(true);
    // A task register and the recorded errata word: no promise.
    expect(page.stableUntilEvent(0x008)).toBe(inner.stableUntilEvent(0x008));
    expect(page.stableUntilEvent(0x008)).toBe(false);
    expect(page.stableUntilEvent(0xee4)).toBe(false);
    // A page of errata words alone.
    const alone = new UndocumentedWords('undocumented (errata 16)', 0x4007c000, [0x074], null);
    expect(alone.stableUntilEvent(0x074)).toBe(false);
    expect(alone.stableUntilEvent(0x100)).toBe(false);
  });
});
