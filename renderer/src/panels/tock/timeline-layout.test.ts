import { describe, expect, it } from 'vitest';
import type { TockTimelineEvent } from '../../../../main/common/contract';
import { axisTicks, fitView, formatTime, MIN_EVENT_PX, pan, place, zoom } from './timeline-layout';

const ev = (start: number, duration: number): TockTimelineEvent => ({
  kind: 'syscall',
  lane: 'hello',
  name: 'command console 1',
  start,
  duration,
  pc: null,
  args: {},
});

describe('timeline layout', () => {
  it('fits every event in the width, with a margin', () => {
    const events = [ev(1000, 100), ev(5000, 0), ev(2000, 4000)];
    const v = fitView(events, 500);
    for (const e of events) {
      const box = place(v, e, 500)!;
      expect(box.x).toBeGreaterThan(0);
      expect(box.x + box.width).toBeLessThanOrEqual(500 + MIN_EVENT_PX);
    }
    expect(place(v, ev(6000, 0), 500)!.x).toBeCloseTo(500 * (1 - 0.02 / 1.04), 0);
  });

  it('zooms around the anchor pixel and pans by pixels', () => {
    const v = { start: 0, cyclesPerPx: 10 };
    const z = zoom(v, 2, 100);
    expect(z.cyclesPerPx).toBe(5);
    expect(z.start + 100 * z.cyclesPerPx).toBe(1000);
    expect(pan(z, 20).start).toBe(z.start + 100);
  });

  it('drops events outside the view and widens instants to be clickable', () => {
    const v = { start: 1000, cyclesPerPx: 10 };
    expect(place(v, ev(0, 500), 100)).toBeNull();
    expect(place(v, ev(3000, 0), 100)).toBeNull();
    expect(place(v, ev(1500, 0), 100)).toEqual({ x: 50, width: MIN_EVENT_PX });
    expect(place(v, ev(1500, 300), 100)).toEqual({ x: 50, width: 30 });
  });

  it('labels the axis in readable units at round steps', () => {
    expect(formatTime(64, 64e6)).toBe('1 µs');
    expect(formatTime(204_800, 64e6)).toBe('3.2 ms');
    expect(formatTime(32, 64e6)).toBe('500 ns');
    const ticks = axisTicks({ start: 0, cyclesPerPx: 640 }, 1000, 64e6);
    // 100 px = 64000 cycles = 1 ms: a tick each millisecond.
    expect(ticks.slice(0, 3).map((t) => t.label)).toEqual(['0 ns', '1 ms', '2 ms']);
    expect(ticks[1]!.x).toBe(100);
  });
});
