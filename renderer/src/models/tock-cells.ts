/**
 * The kernel's cells as the host's live reads send them (`tock.cells` events: ten times a
 * second while the emulator runs, once per stop), for the editor's inline decorations on each
 * cell field's declaration and the Cells panel while running. The host reads them only while
 * one of those shows (`show`): nothing else needs them, and a reading at every stop costs the
 * thread that serves the next step. Also the words a decoration
 * shows: "taken 3.2 ms ago: UARTE0 TXD in flight".
 *
 * @example
 *   const cells = new TockCellsModel(host);
 *   cells.show('panel', true);                // the Cells panel is shown: the host reads cells
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

/**
 * Whether a Rust file's text names a cell type (`TakeCell<`, `MapCell<`, `OptionalCell<`): a
 * file that may declare cell fields, so the editor asks for the cells before any reading.
 */
export function namesCellType(text: string): boolean {
  return /\b(TakeCell|MapCell|OptionalCell)\s*</.test(text);
}

export class TockCellsModel extends Model<{ view: TockCellsView | null }> {
  /** What shows cells now (the Cells panel, each editor with a file declaring some). */
  private shownBy = new Set<string>();
  /** Whether the host was asked for live cells (and did not refuse). */
  private asked = false;

  constructor(private readonly host: HostConnection) {
    super({ view: null });
    host.onEvent('tock.cells', (view) => this.set({ view }));
  }

  /** The debug session's phase changed: the cells of an ended session are forgotten. */
  sessionChanged(phase: string | null): void {
    if (!phase || phase === 'ended') this.set({ view: null });
  }

  /**
   * Something that shows cells appeared (`on`) or went (the Cells panel, an editor's file with
   * cell fields). The host reads the cells (at every stop, ten times a second while the emulator
   * runs) only while something shows them: each reading costs the thread that serves the next
   * step, and nothing else uses them.
   */
  show(by: string, on: boolean): void {
    if (on) this.shownBy.add(by);
    else this.shownBy.delete(by);
    const want = this.shownBy.size > 0;
    if (want === this.asked) return;
    this.asked = want;
    void this.host.api.tock.liveCells({ on: want }).then((r) => {
      if (!r.ok && this.asked === want) this.asked = !want;
    });
  }

  /** Whether anything shows cells now (the host is asked for them). */
  get shown(): boolean {
    return this.asked;
  }

  /**
   * Whether the last reading declared a cell in this file (a field typed through an alias
   * declared elsewhere names no cell type in its own file: once a reading names the file, its
   * editor keeps asking).
   */
  declaresIn(path: string): boolean {
    return !!this.state.view?.cells.some((c) => c.decl?.inProject && c.decl.path === path);
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
