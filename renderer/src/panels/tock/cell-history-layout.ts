/**
 * The Cells panel's occupancy strip: a cell's recorded changes (TockCell.history) laid out as
 * segments of one small bar over the last stretch of machine time, so a cell that is taken and
 * put back thousands of times a second looks different from one that was taken once and never
 * came back.
 *
 * @example
 *   historySegments([{ at: 0, occupancy: 'present' }, { at: 600, occupancy: 'empty' }], 0, 1000, 1000);
 *   // [{ from: 0, to: 0.6, occupancy: 'present' }, { from: 0.6, to: 1, occupancy: 'empty' }]
 */
export interface HistorySegment {
  /** Fractions of the strip's width (0: its left end, `now - window`; 1: now). */
  from: number;
  to: number;
  occupancy: 'present' | 'empty' | 'busy';
}

/**
 * Segments of the strip ending at `now` and `window` cycles long (shorter when watching began
 * later: `since`). Changes closer than a pixel still each get their own segment; the SVG draws
 * them over each other.
 */
export function historySegments(
  entries: readonly { at: number; occupancy: HistorySegment['occupancy'] }[],
  since: number,
  now: number,
  window: number,
): HistorySegment[] {
  const start = Math.max(since, now - window);
  const span = now - start;
  if (span <= 0 || entries.length === 0) return [];
  const out: HistorySegment[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const end = Math.min(entries[i + 1]?.at ?? now, now);
    const from = Math.max(e.at, start);
    if (end < start || end <= from) continue;
    out.push({ from: (from - start) / span, to: (end - start) / span, occupancy: e.occupancy });
  }
  return out;
}
