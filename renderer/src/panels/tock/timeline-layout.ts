/**
 * The Timeline panel's geometry, apart from React: which span of cycles the view shows at a
 * zoom, where an event sits (x, width) on a lane, and the time axis' ticks in words (µs, ms).
 * Pure functions, so the panel's drawing is tested without a DOM.
 *
 * @example
 *   const v = fitView(events, 800);                  // { start, cyclesPerPx }
 *   const box = place(v, event);                     // { x, width } in px
 *   axisTicks(v, 800, 64_000_000);                   // [{ x: 0, label: '0 µs' }, ...]
 */
import type { TockTimelineEvent } from '../../../../main/common/contract';

export interface TimelineViewport {
  /** Cycle at the left edge. */
  start: number;
  /** Zoom: cycles per pixel (> 0). */
  cyclesPerPx: number;
}

/** Narrowest an event is drawn (so instants and short calls can be seen and clicked). */
export const MIN_EVENT_PX = 3;

/** The viewport that shows every event in `width` pixels (a margin of 2 % each side). */
export function fitView(events: readonly TockTimelineEvent[], width: number): TimelineViewport {
  if (events.length === 0 || width <= 0) return { start: 0, cyclesPerPx: 1000 };
  let lo = Infinity;
  let hi = -Infinity;
  for (const e of events) {
    lo = Math.min(lo, e.start);
    hi = Math.max(hi, e.start + e.duration);
  }
  const span = Math.max(hi - lo, 64);
  const margin = span * 0.02;
  return { start: lo - margin, cyclesPerPx: (span + 2 * margin) / width };
}

/** Zooms by `factor` (> 1: in) keeping the cycle under pixel `anchorX` where it is. */
export function zoom(v: TimelineViewport, factor: number, anchorX: number): TimelineViewport {
  const at = v.start + anchorX * v.cyclesPerPx;
  const cyclesPerPx = Math.min(Math.max(v.cyclesPerPx / factor, 0.01), 1e9);
  return { start: at - anchorX * cyclesPerPx, cyclesPerPx };
}

/** Moves the view by `dx` pixels (positive: later). */
export function pan(v: TimelineViewport, dx: number): TimelineViewport {
  return { ...v, start: v.start + dx * v.cyclesPerPx };
}

/** An event's box on its lane, or null when it lies wholly outside `width` pixels. */
export function place(
  v: TimelineViewport,
  e: Pick<TockTimelineEvent, 'start' | 'duration'>,
  width: number,
): { x: number; width: number } | null {
  const x = (e.start - v.start) / v.cyclesPerPx;
  const w = Math.max(e.duration / v.cyclesPerPx, MIN_EVENT_PX);
  if (x + w < 0 || x > width) return null;
  return { x, width: w };
}

/** A duration in cycles as time at `hz`, in the unit that reads best ("3.2 ms", "840 ns"). */
export function formatTime(cycles: number, hz: number): string {
  const s = cycles / hz;
  const a = Math.abs(s);
  if (a >= 1) return `${+s.toFixed(3)} s`;
  if (a >= 1e-3) return `${+(s * 1e3).toFixed(3)} ms`;
  if (a >= 1e-6) return `${+(s * 1e6).toFixed(3)} µs`;
  return `${+(s * 1e9).toFixed(0)} ns`;
}

/** Ticks every 1, 2 or 5 × 10^n seconds, about every 100 px across `width`. */
export function axisTicks(
  v: TimelineViewport,
  width: number,
  hz: number,
): { x: number; label: string }[] {
  const target = (v.cyclesPerPx * 100) / hz; // seconds per 100 px
  const p = 10 ** Math.floor(Math.log10(target));
  const step = ([1, 2, 5, 10].map((m) => m * p).find((s) => s >= target) ?? 10 * p) * hz;
  const ticks: { x: number; label: string }[] = [];
  const first = Math.ceil(v.start / step) * step;
  for (let c = first; (c - v.start) / v.cyclesPerPx <= width && ticks.length < 200; c += step)
    ticks.push({ x: (c - v.start) / v.cyclesPerPx, label: formatTime(c, hz) });
  return ticks;
}
