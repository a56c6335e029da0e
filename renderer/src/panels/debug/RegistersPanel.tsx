/**
 * Registers: r0-r12, sp, lr, pc, xPSR (flags and exception number decoded), MSP, PSP, PRIMASK,
 * BASEPRI, FAULTMASK, CONTROL. Values that changed since the previous stop the panel was shown
 * at are highlighted (registers are read at a stop only while the panel shows them);
 * a double-click edits one (hex or decimal) while halted.
 */
import { useEffect, useState } from 'react';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';

const hex8 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export function RegistersPanel({ studio }: { studio: Studio }) {
  const d = useModel(studio.debug);
  const [editing, setEditing] = useState<{ name: string; text: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // Read at a stop only while shown (and when shown at a stop it was not read at).
  useEffect(() => {
    studio.debug.show('registers', 'view', true);
    return () => studio.debug.show('registers', 'view', false);
  }, [studio]);
  if (d.session?.phase !== 'halted')
    return (
      <div className="panel-empty">
        {d.session?.phase === 'running'
          ? 'Running: registers are shown while the target is halted (Pause, F6).'
          : 'No debug session is halted. Start one with Debug (F5).'}
      </div>
    );
  const commit = async (): Promise<void> => {
    if (!editing) return;
    const t = editing.text.trim().replace(/_/g, '');
    const v = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^-?\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isFinite(v) || v > 0xffff_ffff || v < -0x8000_0000) {
      setProblem(`"${editing.text}" is not a 32-bit value (write 0x20001000 or 42)`);
      return;
    }
    const e = await studio.debug.setRegister(editing.name, v >>> 0);
    setProblem(e ? e.message : null);
    setEditing(null);
  };
  return (
    <div className="registers">
      {problem && <div className="value-problem">{problem}</div>}
      <table>
        <tbody>
          {d.registers.map((r) => (
            <tr
              key={r.name}
              data-register={r.name}
              className={`${d.changed.includes(r.name) ? 'changed' : ''} ${r.available ? '' : 'unavailable'}`}
            >
              <th>{r.name}</th>
              <td
                className="reg-value"
                onDoubleClick={() =>
                  r.available && setEditing({ name: r.name, text: hex8(r.value) })
                }
                title={r.available ? 'Double-click to change' : 'This target cannot read it'}
              >
                {editing?.name === r.name ? (
                  <input
                    autoFocus
                    value={editing.text}
                    onChange={(e) => setEditing({ name: r.name, text: e.target.value })}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter') void commit();
                      if (e.key === 'Escape') setEditing(null);
                    }}
                    onBlur={() => setEditing(null)}
                  />
                ) : r.available ? (
                  hex8(r.value)
                ) : (
                  'n/a'
                )}
              </td>
              <td className="reg-dec">{r.available ? (r.value | 0).toString() : ''}</td>
              <td className="reg-detail">{r.detail ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
