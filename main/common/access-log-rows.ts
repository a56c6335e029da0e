/**
 * Access-log pages as columns: how the host sends the Access Log's entries to the window.
 *
 * A kernel makes ~10^5 MMIO accesses a second; as objects (JSON) a 10,000-entry page is a few
 * megabytes that the window parses on its main thread while the person scrolls. As columns it
 * is one binary frame of 52 bytes per entry plus the few strings and source places the page
 * names (a kernel touches a few dozen registers from a few dozen lines), and the window keeps
 * the columns as they are, making an entry's object only for the rows on screen.
 *
 * Layout of `AccessLogRows.data` for `count` entries: `seq` and `cycle` as float64 columns,
 * then nine int32 columns: address, value, pc, flags (bit 0 write, 1 debugger, 2 EasyDMA,
 * bits 4-6 the size in bytes), then indexes into `strings` (peripheral, register, decoded) and
 * `sources` (source, caller), -1 for none. Pure TypeScript (host and renderer).
 *
 * @example
 *   const w = new RowsWriter(entries.length);
 *   for (const e of entries) w.add(e);
 *   const rows = w.finish();          // AccessLogRows
 *   const r = readRows(rows);         // columns again, in the window
 */
import type { AccessLogEntry, AccessLogRows, AccessLogSource } from './contract';

/** The int32 columns, in order (after the two float64 ones). */
export const I32_COLUMNS = [
  'address',
  'value',
  'pc',
  'flags',
  'peripheral',
  'register',
  'decoded',
  'source',
  'caller',
] as const;
export type I32Column = (typeof I32_COLUMNS)[number];

export const FLAG_WRITE = 1;
export const FLAG_DEBUGGER = 2;
export const FLAG_DMA = 4;

/** A page's columns, read (views of one buffer). */
export interface RowColumns {
  count: number;
  seq: Float64Array;
  cycle: Float64Array;
  /** Column `I32_COLUMNS[k]` is `i32.subarray(k * count, (k + 1) * count)`. */
  i32: Int32Array;
  strings: string[];
  sources: AccessLogSource[];
}

/**
 * Values kept once each and numbered in the order first seen, as a page's (and the window's)
 * string and source tables are: `key` says when two values are the same one (by default the
 * value itself, as a Map compares).
 */
export class Interner<T, K = T> {
  readonly values: T[] = [];
  private readonly ids = new Map<K, number>();

  constructor(private readonly key: (value: T) => K = (value) => value as unknown as K) {}

  id(value: T): number {
    const k = this.key(value);
    let id = this.ids.get(k);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(k, id);
    }
    return id;
  }
}

/** Builds a page's rows from named entries (strings and sources kept once each). */
export class RowsWriter {
  private count = 0;
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  private readonly strings = new Interner<string>();
  /** Sources are kept by identity (the host hands out one object per place). */
  private readonly sources = new Interner<AccessLogSource>();

  constructor(private readonly capacity: number) {
    this.f64 = new Float64Array(capacity * 2);
    this.i32 = new Int32Array(capacity * I32_COLUMNS.length);
  }

  private string(s: string | null): number {
    return s === null ? -1 : this.strings.id(s);
  }

  private source(s: AccessLogSource | null | undefined): number {
    return s ? this.sources.id(s) : -1;
  }

  add(e: AccessLogEntry): void {
    const i = this.count++;
    if (i >= this.capacity) throw new Error('RowsWriter: more entries than its capacity');
    const n = this.capacity;
    this.f64[i] = e.seq;
    this.f64[n + i] = e.cycle;
    const c = this.i32;
    c[i] = e.address;
    c[n + i] = e.value;
    c[2 * n + i] = e.pc;
    c[3 * n + i] =
      (e.write ? FLAG_WRITE : 0) |
      (e.debugger ? FLAG_DEBUGGER : 0) |
      (e.dma ? FLAG_DMA : 0) |
      (e.size << 4);
    c[4 * n + i] = this.string(e.peripheral);
    c[5 * n + i] = this.string(e.register);
    c[6 * n + i] = this.string(e.decoded);
    c[7 * n + i] = this.source(e.source);
    c[8 * n + i] = this.source(e.caller);
  }

  finish(): AccessLogRows {
    const count = this.count;
    const n = this.capacity;
    const k = I32_COLUMNS.length;
    const data = new Uint8Array(count * (16 + 4 * k));
    const f64 = new Float64Array(data.buffer, 0, 2 * count);
    f64.set(this.f64.subarray(0, count), 0);
    f64.set(this.f64.subarray(n, n + count), count);
    const i32 = new Int32Array(data.buffer, 16 * count, k * count);
    for (let j = 0; j < k; j++) i32.set(this.i32.subarray(j * n, j * n + count), j * count);
    return { count, data, strings: this.strings.values, sources: this.sources.values };
  }
}

/** The columns of `rows` (throws on a page whose size does not match its count). */
export function readRows(rows: AccessLogRows): RowColumns {
  const { count } = rows;
  const k = I32_COLUMNS.length;
  if (rows.data.length !== count * (16 + 4 * k))
    throw new Error(`access-log rows: ${rows.data.length} bytes for ${count} entries`);
  // The frame's bytes may start anywhere: a float64 view needs them 8-byte aligned.
  const bytes = rows.data.byteOffset % 8 === 0 ? rows.data : rows.data.slice();
  return {
    count,
    seq: new Float64Array(bytes.buffer, bytes.byteOffset, count),
    cycle: new Float64Array(bytes.buffer, bytes.byteOffset + 8 * count, count),
    i32: new Int32Array(bytes.buffer, bytes.byteOffset + 16 * count, k * count),
    strings: rows.strings,
    sources: rows.sources,
  };
}
