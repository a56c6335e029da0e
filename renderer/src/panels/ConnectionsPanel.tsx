/**
 * The Connections panel: PPI channels drawn as event-to-task arrows, EasyDMA buffers of the
 * enabled peripherals (pointer, capacity, last amount, and whether EasyDMA can reach them), and
 * the shortcuts each peripheral has enabled. Read from the registers with every refresh of the
 * other peripheral views (10 Hz on the emulator while it runs, each halt elsewhere) while open.
 */
import { useEffect } from 'react';
import { useModel } from '../models/use';
import type { Studio } from '../studio';
import { unavailable } from './PeripheralsPanel';

export function ConnectionsPanel({ studio }: { studio: Studio }) {
  const model = studio.peripherals;
  const s = useModel(model);
  // Live with the other peripheral views: the host's 10 Hz refresh while the emulator runs,
  // and each stop elsewhere.
  useEffect(() => {
    if (!s.description) return;
    return model.watchConnections();
  }, [model, s.description, s.session?.board]);
  const none = unavailable(s);
  if (none) return none;
  const c = s.connections;
  if (!c) return <div className="panel-empty">Reading PPI, EasyDMA and shortcut registers…</div>;
  const rowH = 22;
  return (
    <div className="connections-panel">
      <section>
        <h4>PPI channels</h4>
        {c.ppi.length === 0 && c.fixedChannels.length === 0 ? (
          <div className="dim">No PPI channel is enabled.</div>
        ) : (
          <svg
            className="ppi"
            width={760}
            height={Math.max(1, c.ppi.length) * rowH + 6}
            data-ppi={c.ppi.length}
          >
            <defs>
              <marker
                id="arrow"
                viewBox="0 0 10 10"
                refX="10"
                refY="5"
                markerWidth="6"
                markerHeight="6"
                orient="auto"
              >
                <path d="M0,0 L10,5 L0,10 z" className="arrow-head" />
              </marker>
            </defs>
            {c.ppi.map((l, i) => (
              <g key={l.channel} data-ppi-channel={l.channel}>
                <text x={0} y={i * rowH + 15} className="ppi-ch">
                  CH{l.channel}
                </text>
                <text x={300} y={i * rowH + 15} textAnchor="end">
                  {l.event}
                </text>
                <line
                  x1={306}
                  x2={424}
                  y1={i * rowH + 11}
                  y2={i * rowH + 11}
                  className="ppi-arrow"
                  markerEnd="url(#arrow)"
                />
                <text x={430} y={i * rowH + 15}>
                  {l.task}
                  {l.fork ? ` + ${l.fork}` : ''}
                </text>
              </g>
            ))}
          </svg>
        )}
        {c.fixedChannels.length > 0 ? (
          <div className="dim">Pre-programmed channels enabled: {c.fixedChannels.join(', ')}</div>
        ) : null}
      </section>
      <section>
        <h4>EasyDMA buffers</h4>
        {c.dma.length === 0 ? (
          <div className="dim">No enabled peripheral has a DMA buffer set.</div>
        ) : (
          <table className="dma">
            <thead>
              <tr>
                <th>Peripheral</th>
                <th>Channel</th>
                <th>Pointer</th>
                <th>MAXCNT</th>
                <th>AMOUNT</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {c.dma.map((b) => (
                <tr
                  key={`${b.peripheral}.${b.channel}`}
                  data-dma={`${b.peripheral}.${b.channel}`}
                  className={b.problem ? 'bad' : ''}
                >
                  <td>{b.peripheral}</td>
                  <td>{b.channel}</td>
                  <td className="mono">0x{b.ptr.toString(16).padStart(8, '0')}</td>
                  <td className="mono">{b.maxcnt}</td>
                  <td className="mono">{b.amount ?? ''}</td>
                  <td>{b.problem ?? <span className="dim">in Data RAM</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h4>Shortcuts</h4>
        {c.shortcuts.length === 0 ? (
          <div className="dim">No shortcut is enabled.</div>
        ) : (
          <ul>
            {c.shortcuts.map((x) => (
              <li key={`${x.peripheral}.${x.name}`} data-short={`${x.peripheral}.${x.name}`}>
                {x.peripheral}: {x.name.replace('_', ' → ')}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
