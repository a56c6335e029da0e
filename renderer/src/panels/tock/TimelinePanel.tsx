/**
 * Timeline: what the kernel did, on a zoomable time axis, one lane per process and per IRQ:
 * system calls (class, driver, command, result), upcalls (queued, delivered, dropped),
 * interrupts from entry to exit, the spans a process ran (context switches), faults and EasyDMA
 * transfers. Recorded by the emulator (the host's TockService over the recorder): Record
 * switches it on, Clear forgets what was recorded, Export trace saves a Chrome / Perfetto trace.
 * Clicking an event selects it and opens its source line (an IRQ opens its handler). Refreshed
 * twice a second while the board runs and recording is on, and at each halt.
 *
 * @example
 *   <TimelinePanel studio={studio} />
 */
import { useEffect, useRef, useState, type WheelEvent } from 'react';
import type { TockTimelineEvent, TockTimelineView } from '../../../../main/common/contract';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';
import {
  axisTicks,
  fitView,
  formatTime,
  pan,
  place,
  zoom,
  type TimelineViewport,
} from './timeline-layout';

const POLL_MS = 500;
const LABEL_PX = 120;

type Fetched = { ok: true; value: TockTimelineView } | { ok: false; error: { message: string } };

const sameEvent = (a: TockTimelineEvent, b: TockTimelineEvent | null): boolean =>
  !!b && a.start === b.start && a.lane === b.lane && a.name === b.name;

function eventTitle(e: TockTimelineEvent, hz: number): string {
  const args = Object.entries(e.args)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const dur = e.duration > 0 ? ` for ${formatTime(e.duration, hz)}` : '';
  return `${e.name} at ${formatTime(e.start, hz)}${dur}${args ? ` (${args})` : ''}`;
}

export function TimelinePanel({ studio }: { studio: Studio }) {
  const d = useModel(studio.debug);
  const api = studio.host.api.tock;
  const [view, setView] = useState<TockTimelineView | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [viewport, setViewport] = useState<TimelineViewport | null>(null);
  const [selected, setSelected] = useState<TockTimelineEvent | null>(null);
  const [width, setWidth] = useState(600);
  const track = useRef<HTMLDivElement>(null);
  const phase = d.session?.phase;
  const live = !!d.session && phase !== 'ended';
  const stopKey = `${d.session?.id}-${phase}-${d.session?.stop?.pc}`;

  const take = (r: Fetched): void => {
    if (r.ok) {
      setView(r.value);
      setProblem(null);
    } else setProblem(r.error.message);
  };

  useEffect(() => {
    const el = track.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(100, el.clientWidth - LABEL_PX)));
    ro.observe(el);
    return () => ro.disconnect();
  }, [live]);

  // At each halt (and on session start) once; while running and recording, every POLL_MS.
  useEffect(() => {
    if (!live) {
      setView(null);
      setViewport(null);
      setSelected(null);
      return;
    }
    let on = true;
    void api.timeline({}).then((r) => on && take(r));
    return () => {
      on = false;
    };
  }, [stopKey]);
  const polling = live && phase === 'running' && !!view?.recording;
  useEffect(() => {
    if (!polling) return;
    // The next read is asked for POLL_MS after the last one answered, never while one is in
    // flight: on a loaded host, reads piling up would queue ahead of Pause and Stop recording.
    let on = true;
    let t: ReturnType<typeof setTimeout> | undefined;
    const poll = (): void => {
      t = setTimeout(() => {
        void api.timeline({}).then((r) => {
          if (!on) return;
          take(r);
          poll();
        });
      }, POLL_MS);
    };
    poll();
    return () => {
      on = false;
      clearTimeout(t);
    };
  }, [polling]);

  if (!live)
    return (
      <div className="panel-empty">
        No debug session: start one with Run or Debug (F5) to record the kernel&apos;s timeline.
      </div>
    );
  if (problem && !view) return <div className="panel-empty tock-problem">{problem}</div>;

  const events = view?.events ?? [];
  const hz = view?.frequencyHz ?? 64_000_000;
  // Following the newest events until the person zooms or pans.
  const vp = viewport ?? fitView(events, width);
  const lanes = view?.lanes ?? [];
  const byLane = new Map<string, TockTimelineEvent[]>(lanes.map((l) => [l, []]));
  for (const e of events) byLane.get(e.lane)?.push(e);

  const record = async (on: boolean): Promise<void> => take(await api.record({ on }));
  const clear = async (): Promise<void> => {
    setSelected(null);
    setViewport(null);
    take(await api.clearTimeline({}));
  };
  const exportTrace = async (): Promise<void> => {
    const r = await api.exportTimeline({});
    if (!r.ok) {
      setMessage(r.error.message);
      return;
    }
    const url = URL.createObjectURL(new Blob([r.value], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'kernel-timeline.json';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setMessage('Saved kernel-timeline.json: open it in ui.perfetto.dev or chrome://tracing.');
  };
  const open = async (e: TockTimelineEvent): Promise<void> => {
    setSelected(e);
    const exception = e.kind === 'irq' ? Number(e.args.exception) : undefined;
    if (e.pc === null && exception === undefined) {
      setMessage(`${e.name}: no source line (the kernel reports it without an address).`);
      return;
    }
    const r = await api.timelineSource(
      exception !== undefined && Number.isFinite(exception)
        ? { exception }
        : {
            pc: e.pc!,
            ...(e.kind === 'syscall' ? { syscall: true } : {}),
            ...(e.kind === 'syscall' && e.seq !== undefined ? { seq: e.seq } : {}),
          },
    );
    if (!r.ok) {
      setMessage(r.error.message);
      return;
    }
    setMessage(`${r.value.path}:${r.value.line}`);
    if (r.value.inProject)
      await studio.workspace.open(r.value.path, { line: r.value.line, column: 1 });
  };
  const onWheel = (ev: WheelEvent<HTMLDivElement>): void => {
    const x = ev.clientX - ev.currentTarget.getBoundingClientRect().left - LABEL_PX;
    if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY))
      setViewport(pan(vp, ev.shiftKey ? ev.deltaY : ev.deltaX));
    else setViewport(zoom(vp, ev.deltaY < 0 ? 1.25 : 0.8, Math.max(0, x)));
  };
  const ticks = axisTicks(vp, width, hz);

  return (
    <div className="tock-timeline">
      <div className="periph-toolbar timeline-toolbar">
        <button
          data-action="record"
          className={view?.recording ? 'recording' : ''}
          onClick={() => void record(!view?.recording)}
        >
          {view?.recording ? '■ Stop recording' : '● Record'}
        </button>
        <button data-action="clear" onClick={() => void clear()}>
          Clear
        </button>
        <button data-action="zoom-in" onClick={() => setViewport(zoom(vp, 2, width / 2))}>
          +
        </button>
        <button data-action="zoom-out" onClick={() => setViewport(zoom(vp, 0.5, width / 2))}>
          −
        </button>
        <button data-action="fit" onClick={() => setViewport(null)}>
          Fit
        </button>
        <button data-action="export" onClick={() => void exportTrace()}>
          Export trace
        </button>
        <span className="timeline-status">
          {view
            ? `${view.recording ? 'Recording' : 'Not recording'} · ${events.length} events${
                view.omitted ? ` (${view.omitted} older not shown)` : ''
              }${view.lost ? ` · ${view.lost} records lost (the ring overflowed)` : ''}`
            : 'Reading...'}
        </span>
      </div>
      {problem && <div className="value-problem">{problem}</div>}
      {view?.notes.map((n) => (
        <div key={n} className="value-problem">
          {n}
        </div>
      ))}
      {view && events.length === 0 && (
        <div className="panel-empty">
          {view.recording
            ? 'Recording: nothing yet. Let the board run (Continue) to see system calls, upcalls and interrupts.'
            : 'Nothing recorded. Press Record, then let the board run.'}
        </div>
      )}
      <div className="timeline-track" ref={track} onWheel={onWheel}>
        {events.length > 0 && (
          <>
            <div className="timeline-axis" style={{ marginLeft: LABEL_PX }}>
              {ticks.map((t) => (
                <span key={t.x} className="timeline-tick" style={{ left: t.x }}>
                  {t.label}
                </span>
              ))}
            </div>
            {lanes.map((lane) => (
              <div key={lane} className="timeline-lane" data-lane={lane}>
                <div className="timeline-lane-name" style={{ width: LABEL_PX }} title={lane}>
                  {lane}
                </div>
                <div className="timeline-lane-events">
                  {byLane.get(lane)!.map((e, i) => {
                    const box = place(vp, e, width);
                    if (!box) return null;
                    return (
                      <div
                        key={`${e.start}-${i}`}
                        className={`timeline-event tl-${e.kind}${sameEvent(e, selected) ? ' selected' : ''}`}
                        data-kind={e.kind}
                        data-name={e.name}
                        style={{ left: box.x, width: box.width }}
                        title={eventTitle(e, hz)}
                        onClick={() => void open(e)}
                      />
                    );
                  })}
                </div>
              </div>
            ))}
          </>
        )}
      </div>
      {(selected || message) && (
        <div className="timeline-detail">
          {selected && <span className="timeline-selected">{eventTitle(selected, hz)}</span>}
          {message && <span className="timeline-message">{message}</span>}
        </div>
      )}
    </div>
  );
}
