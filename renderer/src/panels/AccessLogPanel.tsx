/**
 * The Access Log panel: every MMIO access the emulated firmware makes (time, read or write,
 * register, value decoded per field, PC and its source line, and the capsule line that called
 * the driver making it), in a virtualised table that
 * draws only the rows on screen (100,000 entries scroll as fast as 100; the entries are kept as
 * columns and an entry's object is made only for a row on screen), with filters by
 * peripheral and register and a timeline with one lane per peripheral (a canvas). Clicking an entry opens
 * its source line. Recording is off until the person turns it on (it costs the emulator
 * nothing while off).
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AccessLogEntry, AccessLogSource } from '../../../main/common/contract';
import { LOG_LIMIT, type LogView } from '../models/peripherals';
import { PERIPHERAL_QUOTA } from '../../../emulator/debug/peripherals/access-log';
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

function time(cycle: number, hz: number): string {
  return `${((cycle / hz) * 1000).toFixed(3)} ms`;
}

const TIMELINE_WIDTH = 1000;
const LANE = 14;
const NAMES = 90;

/**
 * One lane per peripheral, a mark per access (at most one per pixel column, lane and
 * direction), drawn on a canvas from the log's columns: a page arriving while the log records
 * redraws it in a few milliseconds, without an element per mark. Memoised: scrolling the table
 * re-renders the panel every frame.
 */
const Timeline = memo(function Timeline({
  view,
  version,
  hz,
  onPick,
}: {
  view: LogView;
  /** The view's content (the same view object is refilled as pages arrive). */
  version: number;
  hz: number;
  onPick: (k: number) => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { rows, count, at } = view;
  const { lanes, t0, t1, cells } = useMemo(() => {
    const ids = new Map<number, number>();
    for (let k = 0; k < count; k++) {
      const id = rows.peripheralId(at ? at[k]! : k);
      if (!ids.has(id)) ids.set(id, 0);
    }
    const named = [...ids.keys()]
      .map((id) => ({ id, name: rows.name(id) ?? '?' }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    named.forEach((l, y) => ids.set(l.id, y));
    const t0 = count > 0 ? rows.cycle(at ? at[0]! : 0) : 0;
    const t1 = count > 0 ? Math.max(t0 + 1, rows.cycle(at ? at[count - 1]! : count - 1)) : 1;
    // Bit 0 read, bit 1 write, per lane and pixel column.
    const cells = new Uint8Array(named.length * TIMELINE_WIDTH);
    const scale = (TIMELINE_WIDTH - 1) / (t1 - t0);
    for (let k = 0; k < count; k++) {
      const i = at ? at[k]! : k;
      const x = Math.min(TIMELINE_WIDTH - 1, Math.max(0, Math.round((rows.cycle(i) - t0) * scale)));
      cells[ids.get(rows.peripheralId(i))! * TIMELINE_WIDTH + x]! |= rows.write(i) ? 2 : 1;
    }
    return { lanes: named.map((l) => l.name), t0, t1, cells };
    // The rows' content changes under the same view: `version` says when.
  }, [view, version, rows, count, at]);
  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const w = NAMES + TIMELINE_WIDTH;
    const h = lanes.length * LANE + 14;
    c.width = w;
    c.height = h;
    const style = getComputedStyle(c);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '9px sans-serif';
    ctx.fillStyle = style.getPropertyValue('--log-lane-name').trim() || '#888';
    lanes.forEach((l, y) => ctx.fillText(l, 2, y * LANE + 11));
    ctx.fillText(time(t0, hz), NAMES, lanes.length * LANE + 12);
    const end = time(t1, hz);
    ctx.fillText(end, w - ctx.measureText(end).width, lanes.length * LANE + 12);
    ctx.fillStyle = style.getPropertyValue('--log-lane-line').trim() || '#444';
    for (let y = 0; y < lanes.length; y++) ctx.fillRect(NAMES, y * LANE + 7, TIMELINE_WIDTH, 1);
    const writes = style.getPropertyValue('--log-mark-write').trim() || '#d9822b';
    const reads = style.getPropertyValue('--log-mark-read').trim() || '#4a90d9';
    for (const [bit, color, dy] of [
      [2, writes, 1],
      [1, reads, 7],
    ] as const) {
      ctx.fillStyle = color;
      for (let y = 0; y < lanes.length; y++)
        for (let x = 0; x < TIMELINE_WIDTH; x++)
          if (cells[y * TIMELINE_WIDTH + x]! & bit) ctx.fillRect(NAMES + x, y * LANE + dy, 1.5, 6);
    }
  }, [lanes, cells, t0, t1, hz]);
  if (count === 0) return null;
  // A click picks the first entry at or after the time under the pointer.
  const pick = (ev: React.MouseEvent<HTMLCanvasElement>) => {
    const r = ev.currentTarget.getBoundingClientRect();
    const x = ((ev.clientX - r.left) / r.width) * (NAMES + TIMELINE_WIDTH) - NAMES;
    if (x < 0) return;
    const t = t0 + (x / (TIMELINE_WIDTH - 1)) * (t1 - t0);
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rows.cycle(at ? at[mid]! : mid) < t) lo = mid + 1;
      else hi = mid;
    }
    onPick(lo);
  };
  return (
    <canvas
      ref={canvas}
      className="log-timeline"
      style={{ height: lanes.length * LANE + 14 }}
      data-lanes={lanes.join(',')}
      onClick={pick}
    />
  );
});

export function AccessLogPanel({ studio }: { studio: Studio }) {
  const model = studio.peripherals;
  const s = useModel(model);
  const scroller = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 300 });
  const [follow, setFollow] = useState(true);
  const view = model.filtered();
  const filtered = s.log.peripheralFilter.trim() !== '' || s.log.registerFilter.trim() !== '';
  const rows = view.rows;
  const count = view.count;
  useEffect(() => {
    const el = scroller.current;
    if (el && follow) el.scrollTop = count * ROW_HEIGHT;
  }, [count, follow]);
  // Following a run, the model fetches only the newest page; scrolled up, what there is.
  useEffect(() => {
    model.setLogFollowing(follow);
  }, [model, follow]);
  // The filter's choices: computed when the entries change, not at every scrolled frame.
  const peripherals = useMemo(() => rows.peripherals(), [rows, rows.version]);
  const pick = useCallback((i: number) => {
    setFollow(false);
    if (scroller.current) scroller.current.scrollTop = i * ROW_HEIGHT;
  }, []);
  const none = unavailable(s);
  if (none) return none;
  const [first, last] = visibleRows(scroll.top, scroll.height, count);
  const shown: AccessLogEntry[] = [];
  for (let k = first; k < last; k++) shown.push(rows.entry(view.at ? view.at[k]! : k));
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
        <span className="dim" data-log-count={count} data-log-sequence={model.logSequence}>
          {count.toLocaleString()} of {s.log.count.toLocaleString()} entries
          {s.log.missed > 0 && !filtered ? `, ${s.log.missed.toLocaleString()} dropped` : ''}
        </span>
        {s.log.missed > 0 && filtered ? (
          <span
            className="dim"
            data-log-overwritten={s.log.missed}
            title={`Accesses the emulator's ring had overwritten before a poll came to search them: of those, only what it keeps apart (each peripheral's last ${PERIPHERAL_QUOTA} accesses, debugger reads and EasyDMA transfers) was searched.`}
          >
            {s.log.missed.toLocaleString()} not searched (overwritten before a poll)
          </span>
        ) : null}
        {s.log.passed > 0 ? (
          <span className="dim" data-log-passed={s.log.passed}>
            {s.log.passed.toLocaleString()} older matches skipped while following (untick follow to
            fetch them: the view fetches its matches again from the oldest the emulator holds)
          </span>
        ) : null}
        {s.log.dropped.length > 0 ? (
          <span
            className="log-dropped"
            data-log-dropped={s.log.dropped.map((d) => `${d.peripheral}:${d.count}`).join(',')}
          >
            Older entries dropped to keep {LOG_LIMIT.toLocaleString()}:{' '}
            {s.log.dropped
              .slice(0, 4)
              .map((d) => `${d.peripheral} ${d.count.toLocaleString()}`)
              .join(', ')}
            {s.log.dropped.length > 4 ? ` and ${s.log.dropped.length - 4} more` : ''} (the busiest
            peripherals lose their oldest first; the others&apos; entries are kept)
          </span>
        ) : null}
        {s.log.unsearched > 0 ? (
          <span className="log-unsearched" data-log-unsearched={s.log.unsearched}>
            {s.log.unsearched.toLocaleString()} earlier accesses had left the emulator&apos;s ring
            before this filter was set: of those, only what the emulator keeps apart was searched
            (each peripheral&apos;s last {PERIPHERAL_QUOTA} accesses, debugger reads and EasyDMA
            transfers). Set the filter before recording to see every match.
          </span>
        ) : null}
      </div>
      {!s.log.on && rows.length === 0 ? (
        <div className="panel-empty">
          Recording is off (it costs the emulator nothing then). Press Record to log every
          peripheral access with the line of code that made it.
        </div>
      ) : null}
      <Timeline view={view} version={rows.version} hz={hz} onPick={pick} />
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
          setScroll({ top: el.scrollTop, height: el.clientHeight });
          if (el.scrollTop + el.clientHeight < el.scrollHeight - ROW_HEIGHT * 2) setFollow(false);
        }}
      >
        <div style={{ height: count * ROW_HEIGHT, position: 'relative' }}>
          {shown.map((e, k) => (
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
              <span className="mono">{time(e.cycle, hz)}</span>
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
