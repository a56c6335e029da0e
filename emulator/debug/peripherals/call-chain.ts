/**
 * Call chains for the MMIO access log: who called the driver that touched the register.
 *
 * An access made by a chip driver has its PC in the driver; the person wants the capsule line
 * that asked for it. The stack holding that answer is overwritten a moment later, so the chain
 * is walked when the access is recorded (only while the log is on and a table was given). A full
 * DWARF unwind per access would cost far more than recording it, so the host flattens the
 * kernel's .debug_frame CFI (DWARF 5 section 6.4.1: one row per address range, a CFA rule and
 * where each register was saved) into `CallerTable`: sorted row starts with, per row, the CFA's
 * base register and offset and where the return address, r7 and r11 (the frame pointers of
 * Thumb and ARM code) were saved relative to the CFA. Walking a frame is then one cached
 * lookup and one or three RAM reads.
 *
 * The return address is taken from LR while the innermost function has not saved it (a leaf, or
 * before its prologue's push); outer frames need it saved. The walk stops at an EXC_RETURN value
 * (ARMv7-M ARM B1.5.8: the caller is across an exception entry), at code without CFI, at a
 * stack slot outside RAM, or after `CALLER_DEPTH` frames. What it records are return addresses
 * (Thumb bit cleared); the reader names them from DWARF (the call is the instruction before).
 *
 * Pure TypeScript, deterministic.
 *
 * @example
 *   const table = callerTable(fdes, (fde, a) => executeRow(fde, a));
 *   const walker = new CallChainWalker(table, (a) => ramWord(a));
 *   walker.walk(pc, sp, lr, r7, r11, out, 0);   // out[0..] = return addresses, 0 ends
 */
import type { UnwindRow } from '../../formats/dwarf/cfi';

/** Return addresses kept per access. */
export const CALLER_DEPTH = 6;

/** The kernel's CFI rows flattened for a walk per access (built by the host, sent to the target). */
export interface CallerTable {
  /** Row start addresses, ascending; a row holds until the next one starts. */
  starts: Uint32Array;
  /** CFA = register + offset; register 255 marks a range with no CFI (between functions). */
  cfaReg: Uint8Array;
  cfaOffset: Int32Array;
  /** Return address saved at CFA + this; 0 = still in LR. */
  raAt: Int32Array;
  /** r7 / r11 saved at CFA + this; 0 = unchanged by this frame. */
  r7At: Int32Array;
  r11At: Int32Array;
}

const NO_CFI = 255;
/** Slots of the walker's PC -> row cache (a power of two). */
const ROW_CACHE = 1 << 12;

/**
 * Flattens CFI: for each function (`start`..`end`), the row in force at every halfword
 * (`rowAt`), merged while nothing changes. A row whose CFA or saved registers cannot be
 * expressed as "register + offset" / "saved at CFA + offset" is stored as no CFI (the walk
 * stops there rather than guess).
 */
export function callerTable<F extends { start: number; end: number }>(
  functions: readonly F[],
  rowAt: (fn: F, address: number) => UnwindRow | undefined,
): CallerTable {
  const starts: number[] = [];
  const cols: number[][] = [[], [], [], [], []];
  const push = (at: number, row: number[]): void => {
    const n = starts.length;
    if (n > 0 && cols.every((c, k) => c[n - 1] === row[k])) return;
    if (n > 0 && starts[n - 1] === at) {
      cols.forEach((c, k) => (c[n - 1] = row[k]!));
      return;
    }
    starts.push(at);
    cols.forEach((c, k) => c.push(row[k]!));
  };
  const none = [NO_CFI, 0, 0, 0, 0];
  const sorted = [...functions].sort((a, b) => a.start - b.start);
  let lastEnd = 0;
  for (const fn of sorted) {
    if (fn.start < lastEnd) continue; // overlapping FDEs: the first wins
    // A row holds from its start address up to the next row's (the CFA program only moves
    // forward: DWARF 5 section 6.4.2), so the row in force is a step function of the address:
    // find where it changes by bisection rather than asking at every halfword (a function of
    // a few kilobytes has a handful of rows; the old every-halfword scan made building the
    // table take most of a second on the kernel, on the host's thread).
    const rowStart = (a: number): number => {
      try {
        return rowAt(fn, a)?.address ?? -1;
      } catch {
        return -1;
      }
    };
    let a = fn.start;
    while (a < fn.end) {
      let row: UnwindRow | undefined;
      try {
        row = rowAt(fn, a);
      } catch {
        row = undefined;
      }
      // No row here: none further on either (the program failed or stopped at this point).
      if (!row) {
        push(a, none);
        break;
      }
      push(a, rowShape(row));
      const start = row.address;
      // The first halfword past `a` whose row is another one (or none): in (a, end].
      let lo = a;
      let hi = fn.end;
      while (hi - lo > 2) {
        const mid = lo + Math.max(2, ((hi - lo) >> 2) << 1);
        if (rowStart(mid) === start) lo = mid;
        else hi = mid;
      }
      a = hi;
    }
    push(fn.end, none);
    lastEnd = fn.end;
  }
  return {
    starts: Uint32Array.from(starts),
    cfaReg: Uint8Array.from(cols[0]!),
    cfaOffset: Int32Array.from(cols[1]!),
    raAt: Int32Array.from(cols[2]!),
    r7At: Int32Array.from(cols[3]!),
    r11At: Int32Array.from(cols[4]!),
  };
}

function savedAt(row: UnwindRow, reg: number): number | null {
  const r = row.rules.get(reg);
  if (!r || r.kind === 'same' || r.kind === 'undefined') return 0;
  if (r.kind === 'offset' && r.offset !== 0) return r.offset;
  return null;
}

function rowShape(row: UnwindRow): number[] {
  const cfa = row.cfa;
  if (cfa.kind !== 'reg' || (cfa.reg !== 13 && cfa.reg !== 7 && cfa.reg !== 11))
    return [NO_CFI, 0, 0, 0, 0];
  const ra = savedAt(row, row.returnAddressRegister);
  const r7 = savedAt(row, 7);
  const r11 = savedAt(row, 11);
  if (ra === null || r7 === null || r11 === null) return [NO_CFI, 0, 0, 0, 0];
  return [cfa.reg, cfa.offset, ra, r7, r11];
}

/** Walks call chains through a `CallerTable`, reading stack words with `word` (undefined: not RAM). */
export class CallChainWalker {
  /**
   * Rows of recently walked PCs, direct-mapped by halfword (a PC's slot is fixed; a miss
   * searches the table): a Map lookup per frame cost more than the rest of the walk.
   */
  private readonly cachedPc = new Uint32Array(ROW_CACHE).fill(1); // no PC is odd here
  private readonly cachedRow = new Int32Array(ROW_CACHE);

  constructor(
    private readonly table: CallerTable,
    private readonly word: (address: number) => number | undefined,
  ) {}

  /** Index of the row holding `pc`, or -1. */
  private rowOf(pc: number): number {
    const slot = (pc >>> 1) & (ROW_CACHE - 1);
    if (this.cachedPc[slot] === pc) return this.cachedRow[slot]!;
    const s = this.table.starts;
    let lo = 0;
    let hi = s.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! <= pc) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found >= 0 && this.table.cfaReg[found] === NO_CFI) found = -1;
    this.cachedPc[slot] = pc;
    this.cachedRow[slot] = found;
    return found;
  }

  /**
   * Writes up to `CALLER_DEPTH` return addresses of the code at `pc` into `out` from `at`, a 0
   * after the last when fewer were found.
   */
  walk(
    pc: number,
    sp: number,
    lr: number,
    r7: number,
    r11: number,
    out: Uint32Array,
    at: number,
  ): void {
    const t = this.table;
    let n = 0;
    let lrKnown = true;
    for (; n < CALLER_DEPTH; n++) {
      const row = this.rowOf(pc >>> 0);
      if (row < 0) break;
      const reg = t.cfaReg[row]!;
      const cfa = ((reg === 13 ? sp : reg === 7 ? r7 : r11) + t.cfaOffset[row]!) >>> 0;
      let ra: number | undefined;
      const raAt = t.raAt[row]!;
      if (raAt === 0) {
        if (!lrKnown) break;
        ra = lr;
      } else ra = this.word((cfa + raAt) >>> 0);
      if (ra === undefined || ra >>> 0 >= 0xffffffe0 || ra === 0) break;
      const r7At = t.r7At[row]!;
      const r11At = t.r11At[row]!;
      if (r7At !== 0) {
        const v = this.word((cfa + r7At) >>> 0);
        if (v === undefined) break;
        r7 = v;
      }
      if (r11At !== 0) {
        const v = this.word((cfa + r11At) >>> 0);
        if (v === undefined) break;
        r11 = v;
      }
      const caller = (ra & ~1) >>> 0;
      out[at + n] = caller;
      pc = caller - 2;
      sp = cfa;
      lrKnown = false; // AAPCS: LR is not preserved across the call
    }
    if (n < CALLER_DEPTH) out[at + n] = 0;
  }
}
