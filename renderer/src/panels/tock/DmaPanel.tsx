/**
 * DMA: every EasyDMA channel of the emulated chip (UARTE TXD/RXD) with PTR, MAXCNT, AMOUNT and
 * its state, the buffer's owners (the kernel cell holding it now, the capsule that gave it up,
 * the static it lies in, the process whose RAM it is in), a hex preview and the violations
 * (outside Data RAM, a cell still holding a buffer in flight, CPU writes during a transfer).
 * Read from the host's TockService at each halt. On a target without EasyDMA state (QEMU) it
 * says so.
 *
 * @example
 *   <DmaPanel studio={studio} />
 */
import type { TockDmaView } from '../../../../main/common/contract';
import type { Studio } from '../../studio';
import { useHaltedView } from './use-halted-view';

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export function DmaPanel({ studio }: { studio: Studio }) {
  const r = useHaltedView<TockDmaView>(studio, () => studio.host.api.tock.dma({}), {
    see: 'the DMA channels',
    read: 'the DMA channels',
  });
  if ('empty' in r) return r.empty;
  const view = r.view;
  return (
    <div className="tock-dma">
      {view.notes.map((n) => (
        <div key={n} className="value-problem">
          {n}
        </div>
      ))}
      <table>
        <thead>
          <tr>
            <th>Channel</th>
            <th>State</th>
            <th>PTR</th>
            <th>MAXCNT</th>
            <th>AMOUNT</th>
            <th>Owner</th>
            <th>Bytes</th>
          </tr>
        </thead>
        <tbody>
          {view.channels.map((c) => (
            <tr
              key={`${c.peripheral}-${c.channel}`}
              data-channel={`${c.peripheral} ${c.channel}`}
              className={`dma-${c.state.replace(' ', '-')} ${c.problems.length ? 'dma-problem' : ''}`}
            >
              <td>
                {c.peripheral} {c.channel}
              </td>
              <td className="dma-state">{c.state}</td>
              <td>{hex(c.ptr)}</td>
              <td>{c.maxcnt}</td>
              <td>{c.amount}</td>
              <td className="dma-owners">
                {c.owners.length
                  ? c.owners.map((o) => <div key={o}>{o}</div>)
                  : c.state === 'idle'
                    ? ''
                    : 'unknown'}
                {c.problems.map((p) => (
                  <div key={p} className="value-problem">
                    {p}
                  </div>
                ))}
              </td>
              <td className="dma-preview">{c.preview ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
