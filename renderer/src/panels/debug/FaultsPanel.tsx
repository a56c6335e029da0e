/**
 * Faults: the fault that halted the session (the exception, CFSR/HFSR/MMFAR/BFAR in words, the
 * faulting instruction and line) and the process faults the kernel handled, in order. A box
 * makes process faults halt too.
 */
import { useState } from 'react';
import type { FaultReport } from '../../../../main/common/contract';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';
import type { PanelBadge } from '../registry';

const hex8 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/**
 * The tab's badge says what it counts: process faults the kernel handled (the session goes on;
 * the DK kernel's fault test apps fault on purpose) read "n handled" in the quiet colour, with
 * a tooltip naming the processes; a fault that halted the session reads "halted", in red.
 */
export function faultsBadge(studio: Studio): PanelBadge | null {
  const faults = studio.debug.snapshot().faults;
  const n = faults.length;
  if (!n) return null;
  const halted = studio.debug.snapshot().session?.stop?.reason === 'fault';
  const handled = faults.filter((f) => f.handled);
  const byProcess = new Map<string, { count: number; exceptions: Set<string> }>();
  for (const f of handled) {
    const p = byProcess.get(f.process ?? 'a process') ?? { count: 0, exceptions: new Set() };
    p.count++;
    p.exceptions.add(f.exception);
    byProcess.set(f.process ?? 'a process', p);
  }
  const who = [...byProcess]
    .map(
      ([name, p]) =>
        `${name} (${[...p.exceptions].join(', ')}${p.count > 1 ? `, ${p.count} times` : ''})`,
    )
    .join('; ');
  const handledLine = handled.length
    ? `${handled.length} process fault${handled.length === 1 ? '' : 's'} the kernel handled: ${who}. The kernel stopped or restarted the process and went on: these are the app's faults, not errors of the IDE.`
    : '';
  if (halted)
    return {
      count: n,
      level: 'error',
      text: 'halted',
      title: `The session halted on a fault (see the panel).${handledLine ? ` Besides, ${handledLine}` : ''}`,
    };
  if (handled.length < n)
    return {
      count: n,
      level: 'warning',
      text: `${n} fault${n === 1 ? '' : 's'}`,
      title: `${n - handled.length} fault${n - handled.length === 1 ? '' : 's'} halted the session earlier (see the panel).${handledLine ? ` Besides, ${handledLine}` : ''}`,
    };
  return { count: n, level: 'info', text: `${n} handled`, title: handledLine };
}

function Fault({ studio, f }: { studio: Studio; f: FaultReport }) {
  return (
    <li className={`fault ${f.handled ? 'handled' : 'halted'}`}>
      <div className="fault-title">
        <strong>{f.exception}</strong>
        {f.process ? ` in process ${f.process}` : ' in the kernel'}
        {f.handled ? ' — handled by the kernel' : ' — the session halted'}
      </div>
      <ul className="fault-causes">
        {f.causes.length ? (
          f.causes.map((c) => <li key={c}>{c}</li>)
        ) : (
          <li>No cause recorded in CFSR.</li>
        )}
      </ul>
      <div className="fault-where">
        Faulting instruction {hex8(f.pc)}
        {f.function ? ` in ${f.function}` : ''}
        {f.location && (
          <>
            {' at '}
            <button
              className="link"
              disabled={!f.location.inProject}
              onClick={() =>
                f.location &&
                void studio.workspace.open(f.location.path, { line: f.location.line, column: 1 })
              }
            >
              {f.location.path}:{f.location.line}
            </button>
          </>
        )}
      </div>
      <div className="fault-regs">
        CFSR {hex8(f.cfsr)} · HFSR {hex8(f.hfsr)} · MMFAR {hex8(f.mmfar)} · BFAR {hex8(f.bfar)}
      </div>
    </li>
  );
}

export function FaultsPanel({ studio }: { studio: Studio }) {
  const d = useModel(studio.debug);
  const [breakOn, setBreakOn] = useState(false);
  const stop = d.session?.stop;
  return (
    <div className="faults">
      <div className="view-tools">
        <label>
          <input
            type="checkbox"
            checked={breakOn}
            onChange={(e) => {
              setBreakOn(e.target.checked);
              void studio.host.api.session.faultOptions({ breakOnProcessFaults: e.target.checked });
            }}
          />{' '}
          Halt on process faults too
        </label>
      </div>
      {stop?.reason === 'lockup' && (
        <div className="fault halted">
          <strong>The core locked up</strong>: {stop.description}. A fault happened while a fault
          handler ran (or at a priority that cannot take one); only a reset leaves this state
          (ARMv7-M ARM B1.5.15).
        </div>
      )}
      {d.faults.length === 0 && stop?.reason !== 'lockup' && (
        <div className="panel-empty">
          {d.session ? 'No faults in this session.' : 'No session is running.'}
        </div>
      )}
      <ul className="fault-list">
        {[...d.faults].reverse().map((f, i) => (
          <Fault key={i} studio={studio} f={f} />
        ))}
      </ul>
      {stop?.reason === 'fault' && d.frames.length > 0 && (
        <div className="fault-stack">
          <h4>Stack at the fault</h4>
          <ol>
            {d.frames.map((fr) => (
              <li key={fr.index}>
                {fr.exception && (
                  <div className="exception-boundary">{fr.exception} exception entry</div>
                )}
                {fr.program !== 'kernel' ? `[${fr.program}] ` : ''}
                {fr.function}{' '}
                {fr.location ? `${fr.location.path}:${fr.location.line}` : hex8(fr.pc)}
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}
