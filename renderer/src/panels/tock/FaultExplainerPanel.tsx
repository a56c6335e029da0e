/**
 * Fault Explainer: each process whose last fault the kernel recorded, in plain words (from
 * emulator/debug/tock/fault.ts through the host's `tock.processes`): what it did, the address and
 * what it falls in (its own memory, its grant region, another process, the kernel, a peripheral,
 * unmapped), the MPU region that refused it, the status registers' causes, the stack-overflow
 * hint, the last system call, and a link that opens the faulting line in the app's source.
 *
 * @example
 *   <FaultExplainerPanel studio={studio} />
 */
import type { TockProcess, TockProcessesView } from '../../../../main/common/contract';
import type { Studio } from '../../studio';
import { useHaltedView } from './use-halted-view';

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** One process's fault in words, with the jump to its source line. */
export function FaultExplanationView({
  studio,
  process: p,
}: {
  studio: Studio;
  process: TockProcess;
}) {
  const f = p.fault;
  if (!f) return null;
  const src = f.source;
  return (
    <div className="fault-explanation" data-fault-process={p.name}>
      <div className="fault-summary">{f.summary}</div>
      <ul>
        {f.address !== null && (
          <li>
            Address {hex(f.address)}: {f.where}.
          </li>
        )}
        {f.mpu && <li>MPU: {f.mpu}.</li>}
        {f.causes.map((c) => (
          <li key={c}>{c}</li>
        ))}
        {f.stackOverflow && (
          <li className="fault-hint">
            Stack overflow: give the app a larger stack (its TBF's minimum RAM) or use less of it.
          </li>
        )}
        <li>Last system call: {f.lastSyscall ?? 'none recorded'}.</li>
        <li>
          Faulting instruction {hex(f.pc)}
          {src ? (
            <>
              {' in '}
              <a
                href="#"
                className="fault-source"
                onClick={(e) => {
                  e.preventDefault();
                  void studio.workspace.open(src.path, { line: src.line, column: 1 });
                }}
              >
                {src.path.split('/').pop()}:{src.line}
              </a>
            </>
          ) : (
            ': no source line for it in the debug information'
          )}
          .
        </li>
      </ul>
    </div>
  );
}

export function FaultExplainerPanel({ studio }: { studio: Studio }) {
  const r = useHaltedView<TockProcessesView>(studio, () => studio.host.api.tock.processes({}), {
    see: "the processes' faults explained",
    read: 'the processes',
  });
  if ('empty' in r) return r.empty;
  const faulted = r.view.processes.filter((p) => p.fault);
  if (faulted.length === 0)
    return <div className="panel-empty">No process has faulted since it was loaded.</div>;
  return (
    <div className="tock-faults">
      {faulted.map((p) => (
        <div key={`${p.slot}-${p.id}`}>
          <h4>
            {p.name} (slot {p.slot}, {p.state}
            {p.restarts ? `, restarted ${p.restarts} time${p.restarts === 1 ? '' : 's'}` : ''})
          </h4>
          <FaultExplanationView studio={studio} process={p} />
        </div>
      ))}
    </div>
  );
}
