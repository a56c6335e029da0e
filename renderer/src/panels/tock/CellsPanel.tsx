/**
 * Cells: every `TakeCell`, `MapCell` and `OptionalCell` the kernel can reach from its debug
 * anchor, grouped by the capsule (module) that declares it, with its occupancy (present, empty,
 * taken: empty after having been seen present, busy: a MapCell lent out) and what it holds.
 * Read from the host's TockService (main/host/tock-service.ts) at each halt; while the target
 * runs it shows the live readings (10 Hz on the emulator); each entry links to the field's
 * declaration in the source. Nothing to show (no session, a kernel without the anchor or
 * without debug information) is said in those words.
 *
 * @example
 *   <CellsPanel studio={studio} />
 */
import type { TockCell, TockCellsView } from '../../../../main/common/contract';
import { cellWords } from '../../models/tock-cells';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';
import { useHaltedView } from './use-halted-view';

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function heldText(c: TockCell): string {
  if (!c.held) return '';
  return c.held.length !== null ? `${hex(c.held.ptr)} (${c.held.length} bytes)` : hex(c.held.ptr);
}

export function CellsPanel({ studio }: { studio: Studio }) {
  const r = useHaltedView<TockCellsView>(
    studio,
    async () => {
      const got = await studio.host.api.tock.cells({});
      // The editor's decorations show the full reading of the halt too.
      if (got.ok) studio.tockCells.take(got.value);
      return got;
    },
    {
      see: "the kernel's cells",
      read: 'the cells',
    },
  );
  const live = useModel(studio.tockCells).view;
  const running = studio.debug.snapshot().session?.phase === 'running';
  if ('empty' in r && !(running && live)) return r.empty;
  // While the emulator runs, the live readings (10 Hz); at a halt, the full walk.
  const view = running && live ? live : 'view' in r ? r.view : live!;
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
              <th colSpan={5}>{capsule}</th>
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
                <td className="cell-occupancy" title={cellWords(c, view.now, view.frequencyHz)}>
                  {c.occupancy}
                </td>
                <td className="cell-held">{c.reason ?? heldText(c)}</td>
                <td className="cell-decl">
                  {c.decl && (
                    <button
                      className="link"
                      disabled={!c.decl.inProject}
                      title="Open the field's declaration"
                      onClick={() =>
                        c.decl &&
                        void studio.workspace.open(c.decl.path, {
                          line: c.decl.line,
                          column: c.decl.column,
                        })
                      }
                    >
                      {c.decl.path.split('/').pop()}:{c.decl.line}
                    </button>
                  )}
                </td>
              </tr>
            )),
          ])}
        </tbody>
      </table>
    </div>
  );
}
