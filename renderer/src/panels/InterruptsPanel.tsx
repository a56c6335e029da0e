/**
 * The Interrupts panel: per external interrupt, whether the NVIC enables it, holds it pending
 * or active, its priority, the peripherals that drive the line, and on the emulator the line's
 * level. Refreshed with the Peripherals panel (10 Hz on the emulator, at each stop elsewhere).
 */
import { useModel } from '../models/use';
import type { Studio } from '../studio';
import { unavailable } from './PeripheralsPanel';

const flag = (on: boolean, label: string) => (
  <span className={`flag${on ? ' on' : ''}`} data-flag={label}>
    {on ? label : '·'}
  </span>
);

export function InterruptsPanel({ studio }: { studio: Studio }) {
  const s = useModel(studio.peripherals);
  const none = unavailable(s);
  if (none) return none;
  if (s.interrupts.length === 0) return <div className="panel-empty">Reading the NVIC…</div>;
  const levels = s.interrupts.some((r) => r.level !== null);
  return (
    <div className="interrupts-panel">
      <table className="interrupts">
        <thead>
          <tr>
            <th>IRQ</th>
            <th>Name</th>
            <th>Driven by</th>
            <th>Enabled</th>
            <th>Pending</th>
            <th>Active</th>
            <th>Priority</th>
            {levels ? <th>Line</th> : null}
          </tr>
        </thead>
        <tbody>
          {s.interrupts.map((r) => (
            <tr
              key={r.irq}
              data-irq={r.irq}
              className={r.active ? 'active' : r.pending ? 'pending' : ''}
            >
              <td className="mono">{r.irq}</td>
              <td>{r.name}</td>
              <td>{r.peripherals.join(', ') || <span className="dim">not in the SVD</span>}</td>
              <td>{flag(r.enabled, 'enabled')}</td>
              <td>{flag(r.pending, 'pending')}</td>
              <td>{flag(r.active, 'active')}</td>
              <td className="mono" title={`IPR byte 0x${r.priorityByte.toString(16)}`}>
                {r.priority}
              </td>
              {levels ? <td>{r.level === null ? '' : flag(r.level, 'high')}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
