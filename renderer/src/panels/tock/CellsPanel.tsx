/**
 * Cells: every `TakeCell`, `MapCell` and `OptionalCell` the kernel can reach from its debug
 * anchor, grouped by the capsule (module) that declares it, with its occupancy (present, empty,
 * taken: empty after having been seen present, busy: a MapCell lent out) and what it holds.
 * Read from the host's TockService (main/host/tock-service.ts) at each halt; while the target
 * runs it shows the live readings (10 Hz on the emulator); each entry links to the field's
 * declaration in the source. On the emulator each cell also has a small strip of its occupancy
 * over the last ten seconds of machine time (every store to the cell, recorded by write
 * observers since the first halt: emulator/debug/tock/cell-history.ts). Nothing to show (no session, a kernel without the anchor or
 * without debug information) is said in those words.
 *
 * @example
 *   <CellsPanel studio={studio} />
 */
import { useEffect } from 'react';
import type { TockCell, TockCellsView } from '../../../../main/common/contract';
import { cellWords } from '../../models/tock-cells';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';
import { historySegments } from './cell-history-layout';
import { useHaltedView } from './use-halted-view';

/** Machine time the occupancy strip spans (at most: less when watching began later). */
const HISTORY_SECONDS = 10;
const STRIP = { width: 96, height: 10 };

/** The cell's recorded occupancy over the last ten seconds of machine time, as a small bar. */
function HistoryStrip({ c, view }: { c: TockCell; view: TockCellsView }) {
  const since = view.historySince;
  if (!c.history || since == null || view.now === null || !view.frequencyHz)
    return <span className="cell-history-none" title="Only the emulator records a history" />;
  const window = view.frequencyHz * HISTORY_SECONDS;
  const segments = historySegments(c.history, since, view.now, window);
  const changes = Math.max(0, c.history.length - 1);
  const inWindow = c.history.filter((e) => e.at >= view.now! - window && e.at > since).length;
  const ms = (Math.min(view.now - since, window) / view.frequencyHz) * 1000;
  return (
    <svg
      className="cell-history"
      width={STRIP.width}
      height={STRIP.height}
      data-history-changes={changes}
      role="img"
      aria-label={`${inWindow} occupancy changes in the last ${ms.toFixed(0)} ms`}
    >
      <title>{`${inWindow} occupancy changes in the last ${ms.toFixed(0)} ms of machine time (${changes} since watching began; every store to the cell seen by the emulator)`}</title>
      {/* Empty stretches first: a brief presence (a 1-pixel tick) is drawn over them. */}
      {[
        ...segments.filter((s) => s.occupancy === 'empty'),
        ...segments.filter((s) => s.occupancy !== 'empty'),
      ].map((s, i) => (
        <rect
          key={i}
          className={`history-${s.occupancy}`}
          x={s.from * STRIP.width}
          width={Math.max(1, (s.to - s.from) * STRIP.width)}
          y={0}
          height={STRIP.height}
        />
      ))}
    </svg>
  );
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function heldText(c: TockCell): string {
  if (!c.held) return '';
  return c.held.length !== null ? `${hex(c.held.ptr)} (${c.held.length} bytes)` : hex(c.held.ptr);
}

export function CellsPanel({ studio }: { studio: Studio }) {
  // Shown: the host reads the cells live (at stops, 10 Hz while running) until it goes.
  useEffect(() => {
    studio.tockCells.show('panel', true);
    return () => studio.tockCells.show('panel', false);
  }, [studio]);
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
              <th colSpan={6}>{capsule}</th>
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
                <td className="cell-history-cell">
                  <HistoryStrip c={c} view={view} />
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
