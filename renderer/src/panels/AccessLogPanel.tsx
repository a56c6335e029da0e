/**
 * The Access Log panel: every MMIO access the emulated firmware makes (time, read or write,
 * register, value decoded per field, PC and its source line, and the capsule line that called
 * the driver making it), in a virtualised table that
 * draws only the rows on screen (100,000 entries scroll as fast as 100), with filters by
 * peripheral and register and a timeline with one lane per peripheral. Clicking an entry opens
 * its source line. Recording is off until the person turns it on (it costs the emulator
 * nothing while off).
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AccessLogEntry, AccessLogSource } from '../../../main/common/contract';
import { useModel } from '../models/use';
import type { Studio } from '../studio';
import { unavailable } from './PeripheralsPanel';

export const ROW_HEIGHT = 20;

/** The rows a viewport shows: [first, last) with a few spare above and below. */
export function visibleRows(scrollTop: number, height: number, total: number): [number, number] {
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - 5);
  const last = Math.min(total, Math.ceil((scrollTop + height) / ROW_HEIGHT) + 5);
  return [first, last];
}

function time(e: AccessLogEntry, hz: number): string {
  return `${((e.cycle / hz) * 1000).toFixed(3)} ms`;
}

/**
 * One lane per peripheral, a mark per access (at most one per pixel column, lane and
 * direction). Memoised: scrolling the table re-renders the panel every frame, and walking
 * 100,000 entries for the marks each time cost more than a frame.
 */
const Timeline = memo(function Timeline({
  entries,
  hz,
  onPick,
}: {
  entries: AccessLogEntry[];
  hz: number;
  onPick: (i: number) => void;
}) {
  const width = 1000;
  const lane = 14;
  const { lanes, marks } = useMemo(() => {
    const lanes = [...new Set(entries.map((e) => e.peripheral ?? '?'))].sort();
    const laneOf = new Map(lanes.map((l, y) => [l, y]));
    const marks: { x: number; y: number; w: boolean; i: number }[] = [];
    if (entries.length === 0) return { lanes, marks };
    const t0 = entries[0]!.cycle;
    const t1 = Math.max(t0 + 1, entries[entries.length - 1]!.cycle);
    // At most one mark per pixel column per lane: 100,000 entries draw as fast as 1,000.
    const seen = new Set<number>();
    entries.forEach((e, i) => {
      const x = Math.round(((e.cycle - t0) / (t1 - t0)) * (width - 1));
      const y = laneOf.get(e.peripheral ?? '?')!;
      const k = (y * width + x) * 2 + (e.write ? 1 : 0);
      if (seen.has(k)) return;
      seen.add(k);
      marks.push({ x, y, w: e.write, i });
    });
    return { lanes, marks };
  }, [entries]);
  if (entries.length === 0) return null;
  return (
    <svg
      className="log-timeline"
      viewBox={`0 0 ${width + 90} ${lanes.length * lane + 14}`}
      preserveAspectRatio="none"
      style={{ height: lanes.length * lane + 14 }}
      data-lanes={lanes.join(',')}
    >
      {lanes.map((l, y) => (
        <g key={l}>
          <text x={2} y={y * lane + 11} className="lane-name">
            {l}
          </text>
          <line x1={90} x2={90 + width} y1={y * lane + 7} y2={y * lane + 7} className="lane-line" />
        </g>
      ))}
      {marks.map((m) => (
        <rect
          key={`${m.x},${m.y},${m.w}`}
          x={90 + m.x}
          y={m.y * lane + (m.w ? 1 : 7)}
          width={1.5}
          height={6}
          className={m.w ? 'mark-write' : 'mark-read'}
          onClick={() => onPick(m.i)}
        />
      ))}
      <text x={90} y={lanes.length * lane + 12} className="lane-name">
        {time(entries[0]!, hz)}
      </text>
      <text x={90 + width} y={lanes.length * lane + 12} className="lane-name" textAnchor="end">
        {time(entries[entries.length - 1]!, hz)}
      </text>
    </svg>
  );
});

export function AccessLogPanel({ studio }: { studio: Studio }) {
  const model = studio.peripherals;
  const s = useModel(model);
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 300 });
  const [follow, setFollow] = useState(true);
  const entries = model.filtered();
  useEffect(() => {
    const el = scroller.current;
    if (el && follow) el.scrollTop = entries.length * ROW_HEIGHT;
  }, [entries.length, follow]);
  // The filter's choices: computed when the entries change, not at every scrolled frame.
  const all = model.entries;
  const peripherals = useMemo(
    () => [...new Set(all.map((e) => e.peripheral).filter((p): p is string => !!p))].sort(),
    [all],
  );
  const pick = useCallback((i: number) => {
    setFollow(false);
    if (scroller.current) scroller.current.scrollTop = i * ROW_HEIGHT;
  }, []);
  const none = unavailable(s);
  if (none) return none;
  const [first, last] = visibleRows(view.top, view.height, entries.length);
  const hz = s.log.frequencyHz;
  const openSource = (src: AccessLogSource) => {
    if (src.inProject && src.path)
      void studio.workspace.open(src.path, { line: src.line, column: 1 });
  };
  const open = (e: AccessLogEntry) => {
    if (e.source) openSource(e.source);
  };
  return (
    <div className="access-log-panel">
      <div className="periph-toolbar">
        <button
          className={`small${s.log.on ? ' recording' : ''}`}
          data-log-toggle
          onClick={() => void model.setLogging(!s.log.on)}
        >
          {s.log.on ? '■ Stop recording' : '● Record accesses'}
        </button>
        <button className="small" onClick={() => model.clearLog()}>
          Clear
        </button>
        <select
          aria-label="Filter by peripheral"
          value={s.log.peripheralFilter}
          onChange={(e) => model.setLogFilter({ peripheralFilter: e.target.value })}
        >
          <option value="">all peripherals</option>
          {peripherals.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <input
          aria-label="Filter by register"
          placeholder="register"
          value={s.log.registerFilter}
          onChange={(e) => model.setLogFilter({ registerFilter: e.target.value })}
        />
        <label className="dim">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />{' '}
          follow
        </label>
        <span className="dim" data-log-count={entries.length} data-log-sequence={model.logSequence}>
          {entries.length.toLocaleString()} of {s.log.count.toLocaleString()} entries
          {s.log.missed > 0 ? `, ${s.log.missed.toLocaleString()} dropped` : ''}
        </span>
        {s.log.unsearched > 0 ? (
          <span className="log-unsearched" data-log-unsearched={s.log.unsearched}>
            {s.log.unsearched.toLocaleString()} earlier accesses had left the emulator&apos;s ring
            before this filter was set: not searched, except debugger reads and EasyDMA transfers
            (kept apart). Set the filter before recording to see every match.
          </span>
        ) : null}
      </div>
      {!s.log.on && model.entries.length === 0 ? (
        <div className="panel-empty">
          Recording is off (it costs the emulator nothing then). Press Record to log every
          peripheral access with the line of code that made it.
        </div>
      ) : null}
      <Timeline entries={entries} hz={hz} onPick={pick} />
      <div className="log-head log-row">
        <span>time</span>
        <span>r/w</span>
        <span>register</span>
        <span>value</span>
        <span>decoded</span>
        <span>pc</span>
        <span>source</span>
        <span>capsule (caller)</span>
      </div>
      <div
        className="log-scroller"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          setView({ top: el.scrollTop, height: el.clientHeight });
          if (el.scrollTop + el.clientHeight < el.scrollHeight - ROW_HEIGHT * 2) setFollow(false);
        }}
      >
        <div style={{ height: entries.length * ROW_HEIGHT, position: 'relative' }}>
          {entries.slice(first, last).map((e, k) => (
            <div
              key={e.seq}
              className={`log-row${e.write ? ' write' : ' read'}${e.debugger ? ' debugger' : ''}${e.dma ? ' dma' : ''}`}
              style={{ position: 'absolute', top: (first + k) * ROW_HEIGHT, height: ROW_HEIGHT }}
              data-log-seq={e.seq}
              data-log-register={e.register ?? ''}
              data-log-kind={e.write ? 'write' : 'read'}
              data-log-dma={e.dma ? '1' : undefined}
              onClick={() => open(e)}
              title={e.source?.path ? `${e.source.path}:${e.source.line}` : undefined}
            >
              <span className="mono">{time(e, hz)}</span>
              <span>
                {e.debugger ? 'dbg' : e.dma ? (e.write ? 'DW' : 'DR') : e.write ? 'W' : 'R'}
              </span>
              <span>{e.register ?? `0x${e.address.toString(16)}`}</span>
              <span className="mono">0x{e.value.toString(16)}</span>
              <span className="dim">{e.decoded}</span>
              <span className="mono">{e.debugger || e.dma ? '' : `0x${e.pc.toString(16)}`}</span>
              <span
                className="log-source"
                data-log-source={e.source?.path ? `${e.source.path}:${e.source.line}` : ''}
              >
                {e.debugger
                  ? 'debugger (read on demand)'
                  : e.dma
                    ? `${e.peripheral ?? 'peripheral'} (EasyDMA)`
                    : e.source?.path
                      ? `${e.source.path.split('/').pop()}:${e.source.line}${e.source.function ? ` ${e.source.function}` : ''}`
                      : (e.source?.function ?? '')}
              </span>
              <span
                className="log-caller"
                data-log-caller={e.caller?.path ? `${e.caller.path}:${e.caller.line}` : ''}
                title={e.caller?.path ? `called from ${e.caller.path}:${e.caller.line}` : undefined}
                onClick={(ev) => {
                  if (!e.caller) return;
                  ev.stopPropagation();
                  openSource(e.caller);
                }}
              >
                {e.caller?.path
                  ? `${e.caller.path.split('/').pop()}:${e.caller.line}${e.caller.function ? ` ${e.caller.function}` : ''}`
                  : ''}
              </span>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
