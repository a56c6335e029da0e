/**
 * The Access Log's window of entries, kept as columns: up to `limit` entries in typed arrays,
 * with the names, decodings and source places they refer to kept once each. The table asks for
 * the rows on screen (`entry(i)` makes the object then); the timeline and the filters read the
 * columns. No object per entry is kept, so a page of 10,000 entries costs the window a few
 * array copies, not 10,000 objects parsed, held and collected.
 *
 * Pages arrive as `AccessLogRows` (main/common/access-log-rows.ts) with their own string and
 * source tables; their indexes are mapped to this window's tables as they are appended.
 *
 * @example
 *   const log = new LogRows(100_000);
 *   log.append(page.rows);
 *   const e = log.entry(log.length - 1); // the newest, as an AccessLogEntry
 */
import {
  FLAG_DEBUGGER,
  FLAG_DMA,
  FLAG_WRITE,
  I32_COLUMNS,
  Interner,
  readRows,
  type I32Column,
} from '../../../main/common/access-log-rows';
import type { AccessLogEntry, AccessLogRows, AccessLogSource } from '../../../main/common/contract';

const K = I32_COLUMNS.length;
const COLUMN = Object.fromEntries(I32_COLUMNS.map((c, k) => [c, k])) as Record<I32Column, number>;
const PERIPHERAL = COLUMN.peripheral;
/** `dropped`'s name for entries outside every peripheral of the SVD. */
export const OTHER = '(no peripheral)';

/**
 * How many entries to drop from each group so that `excess` are dropped in all, fairly: with
 * `counts` the entries per group, the largest groups are cut down to a common level `q` (the
 * largest with sum(max(0, count - q)) >= excess), a few of them one entry less so the sum is
 * exactly `excess` (or every entry, if there are fewer).
 */
export function fairDrops(counts: Int32Array, excess: number): Int32Array {
  const out = new Int32Array(counts.length);
  const order = Array.from(counts.keys())
    .filter((p) => counts[p]! > 0)
    .sort((a, b) => counts[b]! - counts[a]!);
  let total = 0;
  for (const p of order) total += counts[p]!;
  if (excess >= total) {
    out.set(counts);
    return out;
  }
  // The top k groups cut to the level q: sum of their counts minus k * q.
  let sum = 0;
  let k = 0;
  let q = 0;
  for (; k < order.length;) {
    sum += counts[order[k]!]!;
    k++;
    const next = k < order.length ? counts[order[k]!]! : 0;
    if (sum - k * next >= excess) {
      q = Math.floor((sum - excess) / k);
      break;
    }
  }
  let over = sum - k * q - excess;
  for (let j = 0; j < k; j++) {
    const p = order[j]!;
    out[p] = counts[p]! - q - (over > 0 ? 1 : 0);
    if (over > 0) over--;
  }
  return out;
}

/** A source table keyed by the place's value (see `LogRows.sources`). */
function newSources(): Interner<AccessLogSource, string> {
  return new Interner<AccessLogSource, string>(
    (s) => `${s.path}\0${s.line}\0${s.column}\0${s.function}\0${s.inProject}`,
  );
}

export class LogRows {
  length = 0;
  private readonly capacity: number;
  private readonly seqs: Float64Array;
  private readonly cycles: Float64Array;
  /** Column k of entry i at `i32[k * capacity + i]` (see I32_COLUMNS). */
  private readonly i32: Int32Array;
  /** Names and decodings, and source places, the entries refer to. */
  private strings = new Interner<string>();
  /** A page's sources are fresh objects: the same place is the same path, line, column... */
  private sources = newSources();
  /** Peripherals seen since the last clear (the filter's choices). */
  private readonly peripheralIds = new Set<number>();
  /** Changes with every append or clear (for memos). */
  version = 0;
  /** Entries dropped to stay within `limit` since the last clear, per peripheral name. */
  readonly dropped = new Map<string, number>();

  constructor(readonly limit: number) {
    // Room for one more page than the limit: a page is added, then the oldest dropped.
    this.capacity = limit + 20_000;
    this.seqs = new Float64Array(this.capacity);
    this.cycles = new Float64Array(this.capacity);
    this.i32 = new Int32Array(this.capacity * K);
  }

  clear(): void {
    this.length = 0;
    this.strings = new Interner<string>();
    this.sources = newSources();
    this.peripheralIds.clear();
    this.dropped.clear();
    this.version++;
  }

  /**
   * Adds a page, then keeps at most `limit` entries: the oldest go first, except the
   * debugger's own accesses (reads asked for on demand), which stay.
   */
  append(page: AccessLogRows): void {
    const r = readRows(page);
    const n = r.count;
    if (n === 0) return;
    if (n > this.capacity - this.length) this.drop(this.length + n - this.capacity);
    const strings = r.strings.map((s) => this.strings.id(s));
    const sources = r.sources.map((s) => this.sources.id(s));
    const at = this.length;
    const cap = this.capacity;
    this.seqs.set(r.seq, at);
    this.cycles.set(r.cycle, at);
    for (let k = 0; k < K; k++) {
      const from = r.i32.subarray(k * n, (k + 1) * n);
      const col = I32_COLUMNS[k]!;
      const to = k * cap + at;
      if (col === 'peripheral' || col === 'register' || col === 'decoded') {
        for (let i = 0; i < n; i++) {
          const v = from[i]!;
          this.i32[to + i] = v < 0 ? -1 : strings[v]!;
        }
      } else if (col === 'source' || col === 'caller') {
        for (let i = 0; i < n; i++) {
          const v = from[i]!;
          this.i32[to + i] = v < 0 ? -1 : sources[v]!;
        }
      } else this.i32.set(from, to);
    }
    for (let i = 0; i < n; i++) {
      const p = this.i32[PERIPHERAL * cap + at + i]!;
      if (p >= 0) this.peripheralIds.add(p);
    }
    this.length += n;
    if (this.length > this.limit) this.drop(this.length - this.limit);
    // A register read as a counter has a new decoding each time: keep only what rows refer to.
    if (this.strings.values.length + this.sources.values.length > 2 * this.limit) this.retable();
    this.version++;
  }

  /** Rebuilds the string and source tables from the entries kept. */
  private retable(): void {
    const strings = this.strings.values;
    const sources = this.sources.values;
    this.strings = new Interner<string>();
    this.sources = newSources();
    const cap = this.capacity;
    for (let k = 0; k < K; k++) {
      const col = I32_COLUMNS[k]!;
      const isString = col === 'peripheral' || col === 'register' || col === 'decoded';
      const isSource = col === 'source' || col === 'caller';
      if (!isString && !isSource) continue;
      for (let i = 0; i < this.length; i++) {
        const v = this.i32[k * cap + i]!;
        if (v < 0) continue;
        this.i32[k * cap + i] = isString
          ? this.strings.id(strings[v]!)
          : this.sources.id(sources[v]!);
      }
    }
    const seen = [...this.peripheralIds].map((id) => strings[id]!);
    this.peripheralIds.clear();
    for (const name of seen) this.peripheralIds.add(this.strings.id(name));
  }

  /**
   * Drops `excess` entries that are not the debugger's, fairly between peripherals: the
   * peripherals with the most entries lose their oldest first, down to a common level (the
   * largest `q` such that dropping every peripheral's entries above `q` drops enough), so a
   * flood from one peripheral pushes out its own older entries, not a quiet peripheral's few.
   * What was dropped is counted per peripheral (`dropped`).
   */
  private drop(excess: number): void {
    const cap = this.capacity;
    const flags = COLUMN.flags * cap;
    const per = PERIPHERAL * cap;
    // Entries per peripheral (string id + 1; 0: none), the debugger's not counted (they stay).
    const counts = new Int32Array(this.strings.values.length + 1);
    for (let i = 0; i < this.length; i++)
      if (!(this.i32[flags + i]! & FLAG_DEBUGGER)) counts[this.i32[per + i]! + 1]!++;
    const plan = fairDrops(counts, excess);
    const quota = plan.slice();
    let w = 0;
    let i = 0;
    let dropped = 0;
    for (; i < this.length && dropped < excess; i++) {
      const p = this.i32[per + i]! + 1;
      if (this.i32[flags + i]! & FLAG_DEBUGGER || quota[p] === 0) this.move(i, w++);
      else {
        quota[p]!--;
        dropped++;
      }
    }
    for (let p = 0; p < plan.length; p++) {
      const n = plan[p]! - quota[p]!;
      if (n === 0) continue;
      const name = p === 0 ? OTHER : this.strings.values[p - 1]!;
      this.dropped.set(name, (this.dropped.get(name) ?? 0) + n);
    }
    if (w !== i) {
      this.seqs.copyWithin(w, i, this.length);
      this.cycles.copyWithin(w, i, this.length);
      for (let k = 0; k < K; k++)
        this.i32.copyWithin(k * cap + w, k * cap + i, k * cap + this.length);
    }
    this.length = w + (this.length - i);
  }

  private move(from: number, to: number): void {
    if (from === to) return;
    this.seqs[to] = this.seqs[from]!;
    this.cycles[to] = this.cycles[from]!;
    for (let k = 0; k < K; k++)
      this.i32[k * this.capacity + to] = this.i32[k * this.capacity + from]!;
  }

  private col(name: I32Column, i: number): number {
    return this.i32[COLUMN[name] * this.capacity + i]!;
  }

  seq(i: number): number {
    return this.seqs[i]!;
  }

  cycle(i: number): number {
    return this.cycles[i]!;
  }

  write(i: number): boolean {
    return (this.col('flags', i) & FLAG_WRITE) !== 0;
  }

  isDebugger(i: number): boolean {
    return (this.col('flags', i) & FLAG_DEBUGGER) !== 0;
  }

  /** Index of entry i's peripheral name in `name` (-1: none). */
  peripheralId(i: number): number {
    return this.i32[PERIPHERAL * this.capacity + i]!;
  }

  /** Index of entry i's register name in `name` (-1: none). */
  registerId(i: number): number {
    return this.col('register', i);
  }

  /** The string `id` refers to (null for -1). */
  name(id: number): string | null {
    return id < 0 ? null : this.strings.values[id]!;
  }

  /** The peripherals seen since the last clear, by name, sorted. */
  peripherals(): string[] {
    return [...this.peripheralIds].map((id) => this.strings.values[id]!).sort();
  }

  /** Entry `i` as the table shows it. */
  entry(i: number): AccessLogEntry {
    const f = this.col('flags', i);
    const source = this.col('source', i);
    const caller = this.col('caller', i);
    const e: AccessLogEntry = {
      seq: this.seqs[i]!,
      cycle: this.cycles[i]!,
      write: (f & FLAG_WRITE) !== 0,
      size: ((f >>> 4) & 7) as 1 | 2 | 4,
      address: this.col('address', i) >>> 0,
      value: this.col('value', i) >>> 0,
      pc: this.col('pc', i) >>> 0,
      debugger: (f & FLAG_DEBUGGER) !== 0,
      peripheral: this.name(this.col('peripheral', i)),
      register: this.name(this.col('register', i)),
      decoded: this.name(this.col('decoded', i)),
      source: source < 0 ? null : this.sources.values[source]!,
      caller: caller < 0 ? null : this.sources.values[caller]!,
    };
    if (f & FLAG_DMA) e.dma = true;
    return e;
  }
}
