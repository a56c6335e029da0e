/**
 * Cells: every `TakeCell`, `MapCell` and `OptionalCell` the kernel can reach from its debug
 * anchor, grouped by the capsule (module) that declares it, with its occupancy (present, empty,
 * taken: empty after having been seen present, busy: a MapCell lent out) and what it holds.
 * Read from the host's TockService (main/host/tock-service.ts) at each halt; while the target
 * runs it keeps the last reading. Nothing to show (no session, a kernel without the anchor or
 * without debug information) is said in those words.
 *
 * @example
 *   <CellsPanel studio={studio} />
 */
import type { TockCell, TockCellsView } from '../../../../main/common/contract';
import type { Studio } from '../../studio';
import { useHaltedView } from './use-halted-view';

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function heldText(c: TockCell): string {
  if (!c.held) return '';
  return c.held.length !== null ? `${hex(c.held.ptr)} (${c.held.length} bytes)` : hex(c.held.ptr);
}

export function CellsPanel({ studio }: { studio: Studio }) {
  const r = useHaltedView<TockCellsView>(studio, () => studio.host.api.tock.cells({}), {
    see: "the kernel's cells",
    read: 'the cells',
  });
  if ('empty' in r) return r.empty;
  const view = r.view;
  const groups = new Map<string, TockCell[]>();
  for (const c of view.cells) {
    const g = groups.get(c.capsule);
    if (g) g.push(c);
    else groups.set(c.capsule, [c]);
  }
  return (
    <div className="tock-cells">
      {view.notes.map((n) => (
        <div key={n} className="value-problem">
          {n}
        </div>
      ))}
      {view.cells.length === 0 && (
        <div className="panel-empty">The kernel reaches no cells from its anchor.</div>
      )}
      <table>
        <tbody>
          {[...groups].map(([capsule, cells]) => [
            <tr key={`g-${capsule}`} className="tock-group">
              <th colSpan={4}>{capsule}</th>
            </tr>,
            ...cells.map((c) => (
              <tr
                key={c.address}
                className={`tock-cell occupancy-${c.occupancy}`}
                data-cell={`${c.owner.split('::').pop()}.${c.field}`}
                title={`${c.path} at ${hex(c.address)}`}
              >
                <td className="cell-name">
                  {c.owner.split('::').pop()}.{c.field}
                </td>
                <td className="cell-kind">
                  {c.kind}&lt;{c.heldType}&gt;
                </td>
                <td className="cell-occupancy">{c.occupancy}</td>
                <td className="cell-held">{heldText(c)}</td>
              </tr>
            )),
          ])}
        </tbody>
      </table>
    </div>
  );
}
