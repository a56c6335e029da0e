/**
 * Processes: every process the kernel holds, read from its process table through DWARF at each
 * halt (main/host/tock-service.ts `processes`): slot, name, state, restarts, system calls and the
 * last one, upcalls queued and dropped, grants allocated, timeslice expirations, fault policy;
 * and per process its memory map drawn to scale (flash: header, protected region, binary; RAM:
 * the process's memory up to the app break, the free gap, the grant region from the kernel
 * break with each grant's allocation) with the MPU regions the kernel loads for it overlaid,
 * disabled subregions hatched. A counter this kernel does not record reads "not recorded".
 *
 * @example
 *   <ProcessesPanel studio={studio} />
 */
import { useState } from 'react';
import type {
  TockMpuRegion,
  TockProcess,
  TockProcessAction,
  TockProcessesView,
} from '../../../../main/common/contract';
import type { Studio } from '../../studio';
import { FaultExplanationView } from './FaultExplainerPanel';
import { useHaltedView } from './use-halted-view';

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const NOT_RECORDED = 'not recorded';
const shown = (n: number | null): string => (n === null ? NOT_RECORDED : String(n));
const bytes = (n: number): string =>
  n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;

interface Segment {
  label: string;
  start: number;
  end: number;
  kind: string;
}

/** One bar, to scale over [start, end), with its segments and the MPU overlay under it. */
function MemoryBar({
  title,
  start,
  end,
  segments,
  mpu,
  live = [],
  marks,
}: {
  title: string;
  start: number;
  end: number;
  segments: Segment[];
  mpu: TockMpuRegion[];
  /** The MPU's live registers, when they hold this process's regions. */
  live?: TockMpuRegion[];
  marks: { label: string; at: number }[];
}) {
  const span = Math.max(end - start, 1);
  const pct = (a: number): number => ((Math.min(Math.max(a, start), end) - start) / span) * 100;
  const inside = (r: TockMpuRegion): boolean =>
    r.enabled && r.start < end && r.start + r.size > start;
  const overlays = [
    ...mpu.filter(inside).map((r) => ({ r, live: false })),
    ...live.filter(inside).map((r) => ({ r, live: true })),
  ];
  return (
    <div className="memmap" data-memmap={title}>
      <div className="memmap-title">
        {title} {hex(start)}-{hex(end)} ({bytes(end - start)})
      </div>
      <div className="memmap-bar">
        {segments
          .filter((s) => s.end > s.start)
          .map((s) => (
            <div
              key={`${s.kind}-${s.start}`}
              className={`memmap-seg seg-${s.kind}`}
              style={{ left: `${pct(s.start)}%`, width: `${pct(s.end) - pct(s.start)}%` }}
              title={`${s.label}: ${hex(s.start)}-${hex(s.end)} (${bytes(s.end - s.start)})`}
              data-seg={s.kind}
            >
              <span>{s.label}</span>
            </div>
          ))}
        {marks.map((m) => (
          <div
            key={m.label}
            className="memmap-mark"
            style={{ left: `${pct(m.at)}%` }}
            title={`${m.label} ${hex(m.at)}`}
          />
        ))}
      </div>
      {overlays.map(({ r, live: isLive }) => {
        const sub = r.size / 8;
        return (
          <div
            className={`memmap-mpu${isLive ? ' memmap-mpu-live' : ''}`}
            key={`${isLive ? 'live' : 'stored'}-${r.number}`}
            {...(isLive ? { 'data-mpu-live': r.number } : { 'data-mpu-region': r.number })}
          >
            {r.subregionsDisabled.map((off, i) => {
              const a = r.start + i * sub;
              if (a >= end || a + sub <= start) return null;
              return (
                <div
                  key={i}
                  className={`mpu-sub ${off ? 'mpu-sub-off' : 'mpu-sub-on'}`}
                  style={{ left: `${pct(a)}%`, width: `${pct(a + sub) - pct(a)}%` }}
                  title={`MPU region ${r.number} subregion ${i}: ${hex(a)}-${hex(a + sub)} ${off ? 'disabled' : r.access}`}
                />
              );
            })}
            <span className="mpu-label">
              {isLive ? 'live MPU' : 'MPU'} {r.number}: {hex(r.start)} {bytes(r.size)} {r.access}
              {r.executeNever ? ' XN' : ''}
            </span>
          </div>
        );
      })}
      <div className="memmap-marks">
        {marks.map((m) => (
          <span key={m.label}>
            {m.label} {hex(m.at)}
          </span>
        ))}
      </div>
    </div>
  );
}

function flashSegments(p: TockProcess): Segment[] {
  const f = p.memory.flash;
  const header = f.start + (f.header ?? 0);
  const binary = header + (f.protected ?? 0);
  return [
    { label: 'header', start: f.start, end: header, kind: 'header' },
    { label: 'protected', start: header, end: binary, kind: 'protected' },
    { label: 'binary', start: binary, end: f.end, kind: 'binary' },
  ];
}

function ramSegments(p: TockProcess): Segment[] {
  const r = p.memory.ram;
  const app = r.appBreak ?? r.start;
  const kernel = r.kernelBreak ?? r.end;
  return [
    { label: 'process memory (stack, data, heap)', start: r.start, end: app, kind: 'app' },
    { label: 'free', start: app, end: kernel, kind: 'free' },
    { label: 'grant region', start: kernel, end: r.end, kind: 'grant' },
  ];
}

const ACTIONS: TockProcessAction[] = ['stop', 'start', 'fault', 'terminate', 'restart'];

function Actions({
  studio,
  p,
  done,
}: {
  studio: Studio;
  p: TockProcess;
  done: (message: string) => void;
}) {
  return (
    <div className="process-actions">
      {ACTIONS.map((action) => (
        <button
          key={action}
          data-action={action}
          onClick={() =>
            void studio.host.api.tock
              .processAction({ slot: p.slot, id: p.id, action })
              .then((r) => done(r.ok ? r.value.message : r.error.message))
          }
        >
          {action[0]!.toUpperCase() + action.slice(1)}
        </button>
      ))}
    </div>
  );
}

/** What the MPU's registers hold at this halt, beside what the kernel stores per process. */
function LiveMpuLine({ view }: { view: TockProcessesView }) {
  const m = view.liveMpu;
  if (!m)
    return (
      <div className="process-facts" data-live-mpu="none">
        Live MPU registers: {view.liveMpuProblem ?? 'not read'}
      </div>
    );
  const on = m.regions.filter((r) => r.enabled).length;
  return (
    <div className="process-facts" data-live-mpu={m.loadedFor ?? ''}>
      Live MPU registers: {m.enabled ? 'enabled' : 'disabled'}
      {m.privilegedDefault ? ', default map for the kernel (PRIVDEFENA)' : ''}; {on} of{' '}
      {m.regions.length} regions on,{' '}
      {m.loadedFor
        ? `${m.loadedFor}'s regions loaded (drawn as "live MPU" on its map)`
        : "matching no process's stored regions"}
      .
    </div>
  );
}

function ProcessDetails({
  studio,
  p,
  live,
  done,
}: {
  studio: Studio;
  p: TockProcess;
  /** The live MPU regions when they are this process's. */
  live: TockMpuRegion[];
  done: (message: string) => void;
}) {
  const r = p.memory.ram;
  const marks = [
    ...(r.appBreak !== null ? [{ label: 'app break', at: r.appBreak }] : []),
    ...(r.kernelBreak !== null ? [{ label: 'kernel break', at: r.kernelBreak }] : []),
    ...(p.stackMark.lowest !== null ? [{ label: 'stack high-water', at: p.stackMark.lowest }] : []),
  ];
  return (
    <div className="process-details" data-process-details={p.name}>
      <Actions studio={studio} p={p} done={done} />
      <MemoryBar
        title="flash"
        start={p.memory.flash.start}
        end={p.memory.flash.end}
        segments={flashSegments(p)}
        mpu={p.mpu}
        live={live}
        marks={[]}
      />
      <MemoryBar
        title="RAM"
        start={r.start}
        end={r.end}
        segments={ramSegments(p)}
        mpu={p.mpu}
        live={live}
        marks={marks}
      />
      <div className="process-facts">
        Grants:{' '}
        {p.memory.grants.map((g) => `#${g.number} at ${hex(g.address)}`).join(', ') || 'none'}
      </div>
      <div className="process-facts" data-stack-mark={p.stackMark.lowest ?? ''}>
        Stack high-water mark:{' '}
        {p.stackMark.lowest !== null
          ? `${hex(p.stackMark.lowest)}, ${bytes(p.stackMark.lowest - r.start)} above the start of its RAM`
          : 'none yet'}{' '}
        ({p.stackMark.source})
      </div>
      {p.fault && <FaultExplanationView studio={studio} process={p} />}
    </div>
  );
}

export function ProcessesPanel({ studio }: { studio: Studio }) {
  const [open, setOpen] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const r = useHaltedView<TockProcessesView>(
    studio,
    () => studio.host.api.tock.processes({}),
    { see: "the kernel's processes", read: 'the processes' },
    version,
  );
  const done = (m: string): void => {
    setMessage(m);
    setVersion((v) => v + 1);
  };
  if ('empty' in r) return r.empty;
  const view = r.view;
  return (
    <div className="tock-processes">
      {view.notes.map((n) => (
        <div key={n} className="value-problem">
          {n}
        </div>
      ))}
      <LiveMpuLine view={view} />
      {message && <div className="process-message">{message}</div>}
      {view.processes.length === 0 && (
        <div className="panel-empty">The kernel's process table holds no process.</div>
      )}
      <table>
        <thead>
          <tr>
            <th>slot</th>
            <th>name</th>
            <th>state</th>
            <th>restarts</th>
            <th>system calls</th>
            <th>last system call</th>
            <th>upcalls queued</th>
            <th>dropped</th>
            <th>grants</th>
            <th>timeslices expired</th>
            <th>on fault</th>
          </tr>
        </thead>
        <tbody>
          {view.processes.map((p) => {
            const key = `${p.slot}-${p.id}`;
            return [
              <tr
                key={key}
                className={`tock-process state-${p.state}`}
                data-process={p.name}
                data-restarts={p.restarts ?? undefined}
                data-on-cpu={p.onCpu ? 'yes' : undefined}
                onClick={() => setOpen(open === key ? null : key)}
                title="Click for its memory map"
              >
                <td className="process-slot">
                  {p.slot}
                  {p.onCpu && (
                    <span
                      className="process-on-cpu"
                      title="The core is running this process, or handling an exception taken from it, at this halt"
                    >
                      on CPU
                    </span>
                  )}
                </td>
                <td className="process-name">{p.name}</td>
                <td className="process-state">{p.state}</td>
                <td>{shown(p.restarts)}</td>
                <td>{shown(p.syscalls)}</td>
                <td>{p.lastSyscall ?? (p.syscalls === null ? NOT_RECORDED : 'none')}</td>
                <td>{shown(p.upcallsQueued)}</td>
                <td>{shown(p.upcallsDropped)}</td>
                <td>{shown(p.grantsAllocated)}</td>
                <td>{shown(p.timeslices)}</td>
                <td>{p.policy ?? NOT_RECORDED}</td>
              </tr>,
              open === key || (open === null && p.fault) ? (
                <tr key={`${key}-details`} className="process-details-row">
                  <td colSpan={11}>
                    <ProcessDetails
                      studio={studio}
                      p={p}
                      live={view.liveMpu?.loadedFor === p.name ? view.liveMpu.regions : []}
                      done={done}
                    />
                  </td>
                </tr>
              ) : null,
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}
