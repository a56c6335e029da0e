/**
 * Grants and Upcalls: per process, the grants the kernel allocated in its grant region (grant
 * number and address, the capsule whose `Grant<T>` holds that number, `T`'s size and its fields
 * read from the allocation: emulator/debug/tock/grants.ts), its subscribe table (driver, subscribe number, upcall function, appdata),
 * its allowed buffers, and the upcalls queued for it, oldest first. Read from the process
 * struct by field name at each halt (main/host/tock-service.ts `processes`).
 *
 * @example
 *   <GrantsPanel studio={studio} />
 */
import type { TockGrant, TockProcessesView } from '../../../../main/common/contract';
import type { Studio } from '../../studio';
import { useHaltedView } from './use-halted-view';

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function GrantView({ g }: { g: TockGrant }) {
  return (
    <div className="grant" data-grant={g.number} data-grant-capsule={g.capsule ?? ''}>
      <div className="grant-title">
        #{g.number} <span className="grant-capsule">{g.capsule ?? 'unknown capsule'}</span>
        {g.driver && <span className="grant-driver"> (driver {g.driver})</span>}
        {g.typeName && (
          <span className="grant-type">
            {' '}
            · {g.typeName}
            {g.size !== null ? `, ${g.size} bytes` : ''}
          </span>
        )}{' '}
        at {hex(g.address)}
      </div>
      {g.problem && <div className="value-problem">{g.problem}</div>}
      {g.fields.length > 0 && (
        <table className="grant-fields">
          <tbody>
            {g.fields.map((f) => (
              <tr key={f.name} data-grant-field={f.name}>
                <td>{f.name}</td>
                <td className="grant-value">{f.text}</td>
                <td className="grant-field-type">{f.typeName}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function GrantsPanel({ studio }: { studio: Studio }) {
  const r = useHaltedView<TockProcessesView>(studio, () => studio.host.api.tock.processes({}), {
    see: "the processes' grants and upcalls",
    read: 'the grants and upcalls',
  });
  if ('empty' in r) return r.empty;
  return (
    <div className="tock-processes tock-grants">
      {r.view.notes.map((n) => (
        <div key={n} className="value-problem">
          {n}
        </div>
      ))}
      {r.view.processes.map((p) => (
        <div key={`${p.slot}-${p.id}`} className="grant-process" data-grants-process={p.name}>
          <h4>
            {p.name} (slot {p.slot}, {p.state})
          </h4>
          <table>
            <tbody>
              <tr>
                <th>grants</th>
                <td className="grant-list">
                  {p.grants.length === 0
                    ? 'none allocated'
                    : p.grants.map((g) => <GrantView key={g.number} g={g} />)}
                </td>
              </tr>
              <tr>
                <th>subscribed</th>
                <td className="subscribe-list">
                  {p.subscriptions.length === 0
                    ? 'none'
                    : p.subscriptions.map((s) => (
                        <div key={`${s.driver}-${s.subscribe}`}>
                          {s.driver} {s.subscribe}: upcall {hex(s.function)}, appdata{' '}
                          {hex(s.appdata)}
                        </div>
                      ))}
                </td>
              </tr>
              <tr>
                <th>allowed</th>
                <td className="allow-list">
                  {p.allows.length === 0
                    ? 'none'
                    : p.allows.map((a) => (
                        <div key={`${a.driver}-${a.number}-${a.readonly}`}>
                          {a.driver} {a.readonly ? 'read-only' : 'read-write'} {a.number}:{' '}
                          {hex(a.ptr)}, {a.len} bytes
                        </div>
                      ))}
                </td>
              </tr>
              <tr>
                <th>queued upcalls</th>
                <td className="upcall-list">
                  {p.upcalls.length === 0
                    ? 'none'
                    : p.upcalls.map((u, k) => (
                        <div key={k}>
                          {u.driver} {u.subscribe} ({u.args.map(hex).join(', ')})
                        </div>
                      ))}
                  {p.upcallsDropped ? ` · ${p.upcallsDropped} dropped` : ''}
                </td>
              </tr>
            </tbody>
          </table>
        </div>
      ))}
    </div>
  );
}
