/**
 * The cells' occupancy history: when each TakeCell / MapCell / OptionalCell went from present
 * to empty and back, to the cycle, from the recorder's CellWrite records (write observers on
 * each cell's bytes, so every CPU store to a cell is seen, not just the states a 10 Hz reading
 * happens to catch).
 *
 * Why a shadow: a store says which bytes changed, not what the Option now is (a niche-encoded
 * `Option<&mut [u8]>` is None when its pointer word is 0; a tagged one has a discriminant
 * byte). Each watched cell keeps a copy of its bytes, taken at a halt (when nothing runs, so the
 * copy and the watch agree); each recorded store is applied to the copy, and the copy is decoded
 * as the Cells view decodes memory (CellsModel.occupancyOf). A halt takes the copies again, so a
 * write the observers cannot see (the debugger's own) is corrected there.
 *
 * @example
 *   const h = new CellHistory((address, bytes) => model.occupancyOf(address, bytes));
 *   h.begin([{ address, bytes, occupancy: 'present' }], next, cyclesNow); // at a halt
 *   await h.add(chunk);          // each recorder `fetch` from h.cursor on
 *   h.of(address);               // [{ at: 1234, occupancy: 'empty' }, { at: 5678, occupancy: 'present' }]
 */
import { RECORD_WORDS, RecordKind, type RecorderChunk } from './recorder';

export type HistoryOccupancy = 'present' | 'empty' | 'busy';

export interface HistoryEntry {
  /** Machine cycle of the store that made the change. */
  at: number;
  occupancy: HistoryOccupancy;
}

/** Changes kept per cell (the newest). */
export const HISTORY_LENGTH = 64;

interface Watched {
  address: number;
  bytes: Uint8Array;
  occupancy: HistoryOccupancy | null;
  entries: HistoryEntry[];
}

export class CellHistory {
  private cells: Watched[] = [];
  private byAddress = new Map<number, Watched>();
  /** The next recorder sequence number to fetch. */
  cursor = 0;
  /** The cycle watching began at (null: not watching). */
  since: number | null = null;
  /** Stores recorded for a cell id this history does not know (a stale set). */
  unknown = 0;

  constructor(
    private readonly decode: (
      address: number,
      bytes: Uint8Array,
    ) => Promise<HistoryOccupancy | null> | HistoryOccupancy | null,
  ) {}

  /**
   * The watched set as the recorder's `watch` request wants it (id = index): each cell's bytes,
   * or with `spans` (CellsModel.occupancySpans) only the bytes its occupancy is read from, as
   * several watches of one id (a cell `spans` does not know is watched whole). Stores to the
   * other bytes then do not reach the copy; its occupancy does not read them.
   */
  watches(
    spans?: (address: number) => readonly { address: number; length: number }[] | null,
  ): { id: number; address: number; length: number }[] {
    return this.cells.flatMap((c, id) => {
      const only = spans?.(c.address);
      return only && only.length > 0
        ? only.map((x) => ({ id, address: x.address >>> 0, length: x.length }))
        : [{ id, address: c.address, length: c.bytes.length }];
    });
  }

  /** The same cells (addresses and sizes) as `cells`? Then the watches stay. */
  covers(cells: readonly { address: number; size: number }[]): boolean {
    return (
      cells.length === this.cells.length &&
      cells.every(
        (c, i) =>
          this.cells[i]!.address === c.address >>> 0 && this.cells[i]!.bytes.length === c.size,
      )
    );
  }

  /**
   * Starts (or starts over) from the cells' bytes read at a halt; `next` is the recorder's next
   * sequence number, `now` the machine's cycle. Entries of a cell already known are kept.
   */
  begin(
    cells: readonly { address: number; bytes: Uint8Array; occupancy: HistoryOccupancy | null }[],
    next: number,
    now: number,
  ): void {
    const before = this.byAddress;
    this.cells = cells.map((c) => {
      const old = before.get(c.address >>> 0);
      const entries: HistoryEntry[] =
        old && old.bytes.length === c.bytes.length
          ? old.entries
          : c.occupancy !== null
            ? [{ at: now, occupancy: c.occupancy }]
            : [];
      return { address: c.address >>> 0, bytes: c.bytes.slice(), occupancy: c.occupancy, entries };
    });
    this.byAddress = new Map(this.cells.map((c) => [c.address, c]));
    this.cursor = next;
    if (this.since === null || before.size === 0) this.since = now;
  }

  /**
   * At a halt: the cells' bytes as read now replace the copies (a store the observers did not
   * see, such as the debugger's, is corrected; a changed occupancy becomes an entry at `now`).
   */
  resync(
    cells: readonly { address: number; bytes: Uint8Array; occupancy: HistoryOccupancy | null }[],
    now: number,
  ): void {
    for (const c of cells) {
      const w = this.byAddress.get(c.address >>> 0);
      if (!w || w.bytes.length !== c.bytes.length) continue;
      w.bytes.set(c.bytes);
      if (c.occupancy !== null && c.occupancy !== w.occupancy) this.note(w, now, c.occupancy);
    }
  }

  /** Applies one fetched chunk (chunks in order, from `cursor`). */
  async add(chunk: RecorderChunk): Promise<void> {
    const n = chunk.cycles.length;
    // Records before the cursor were applied already (two readings fetched the same stores).
    for (let i = Math.max(0, this.cursor - chunk.first); i < n; i++) {
      const base = i * RECORD_WORDS;
      if (chunk.words[base] !== RecordKind.CellWrite) continue;
      const id = chunk.words[base + 1]!;
      const w = this.cells[id];
      if (!w) {
        this.unknown++;
        continue;
      }
      const address = chunk.words[base + 2]! >>> 0;
      const value = chunk.words[base + 3]! >>> 0;
      const size = chunk.words[base + 4]!;
      let changed = false;
      for (let k = 0; k < size; k++) {
        const o = address + k - w.address;
        if (o < 0 || o >= w.bytes.length) continue;
        const b = (value >>> (8 * k)) & 0xff;
        if (w.bytes[o] !== b) {
          w.bytes[o] = b;
          changed = true;
        }
      }
      if (!changed) continue;
      const occupancy = await this.decode(w.address, w.bytes);
      if (occupancy !== null && occupancy !== w.occupancy)
        this.note(w, chunk.cycles[i]!, occupancy);
    }
    this.cursor = Math.max(this.cursor, chunk.first + n);
  }

  private note(w: Watched, at: number, occupancy: HistoryOccupancy): void {
    w.occupancy = occupancy;
    w.entries.push({ at, occupancy });
    if (w.entries.length > HISTORY_LENGTH) w.entries.splice(0, w.entries.length - HISTORY_LENGTH);
  }

  /** The recorded changes of the cell at `address`, oldest first (null: not watched). */
  of(address: number): HistoryEntry[] | null {
    const w = this.byAddress.get(address >>> 0);
    return w ? [...w.entries] : null;
  }
}
