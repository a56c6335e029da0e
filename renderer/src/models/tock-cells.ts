/**
 * The kernel's cells as the host's live reads send them (`tock.cells` events: ten times a
 * second while the emulator runs, once per stop), for the editor's inline decorations on each
 * cell field's declaration and the Cells panel while running. Also the words a decoration
 * shows: "taken 3.2 ms ago: UARTE0 TXD in flight".
 *
 * @example
 *   const cells = new TockCellsModel(host);
 *   cells.sessionChanged('running');          // asks the host for live cells
 *   cells.inFile('capsules/src/console.rs');  // [{ line: 61, text: 'present', cell }]
 */
import type { HostConnection } from '../client';
import type { TockCell, TockCellsView } from '../../../main/common/contract';
import { Model } from './model';

export interface CellDecoration {
  line: number;
  text: string;
  cell: TockCell;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** "taken 3.2 ms ago: UARTE0 TXD in flight", "present", "empty", "busy". */
export function cellWords(c: TockCell, now: number | null, hz: number | null): string {
  let ago = '';
  // A change first seen at this very reading (a halt) happened at an unknown point since the
  // one before: no "ago" rather than a wrong "0 µs ago".
  if (c.changedAt !== null && now !== null && hz && now > c.changedAt) {
    const s = (now - c.changedAt) / hz;
    ago =
      s >= 1
        ? ` ${s.toFixed(1)} s ago`
        : s >= 1e-3
          ? ` ${(s * 1e3).toFixed(1)} ms ago`
          : ` ${Math.round(s * 1e6)} µs ago`;
  }
  const state = c.occupancy === 'busy' ? 'busy (lent to a closure)' : c.occupancy;
  return `${state}${c.occupancy === 'present' ? '' : ago}${c.reason ? `: ${c.reason}` : ''}`;
}

/** The hover's Markdown: the cell, its type and what it holds. */
export function cellHover(c: TockCell): string {
  const held = c.held
    ? `holds ${hex(c.held.ptr)}${c.held.length !== null ? ` (${c.held.length} bytes)` : ''}`
    : 'holds nothing';
  return `**${c.kind}<${c.heldType}>** \`${c.path}\` at ${hex(c.address)}  \n${c.occupancy}: ${held}${c.reason ? `  \n${c.reason}` : ''}`;
}

export class TockCellsModel extends Model<{ view: TockCellsView | null }> {
  private asked = false;

  constructor(private readonly host: HostConnection) {
    super({ view: null });
    host.onEvent('tock.cells', (view) => this.set({ view }));
  }

  /** The debug session's phase changed: live cells on for a session, forgotten after. */
  sessionChanged(phase: string | null): void {
    if (!phase || phase === 'ended') {
      this.set({ view: null });
      return;
    }
    if (this.asked) return;
    this.asked = true;
    void this.host.api.tock.liveCells({ on: true }).then((r) => {
      if (!r.ok) this.asked = false;
    });
  }

  /** Set by a full reading (the Cells panel's at a halt). */
  take(view: TockCellsView): void {
    this.set({ view });
  }

  /** The decorations of one project file (one per cell field declared in it; a field shared by several instances shows each). */
  inFile(path: string): CellDecoration[] {
    const v = this.state.view;
    if (!v) return [];
    return v.cells
      .filter((c) => c.decl?.inProject && c.decl.path === path)
      .map((c) => ({ line: c.decl!.line, text: cellWords(c, v.now, v.frequencyHz), cell: c }));
  }
}
