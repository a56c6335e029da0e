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
 * lookup and one or three RAM reads; and a walk whose registers and stack words are those of a
 * recent one is answered from the walker's memo after checking those words (`CallChainWalker`).
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
 *   const walker = new CallChainWalker(table, (a) => ramWord(a), { base: 0x20000000, words: ram });
 *   walker.walk(pc, sp, lr, r7, r11, out, 0);   // out[0..] = return addresses, 0 ends
 *   const id = walker.chainOf(pc, sp, lr, r7, r11, chains);   // its number in a ChainTable
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

/**
 * Call chains numbered once each (a kernel makes its accesses from a few dozen chains): the
 * access log keeps a chain's number per entry, not its return addresses, and makes the chain
 * only when the entry is read.
 */
export class ChainTable {
  /** Chain i's return addresses are `words[starts[i]]` to `words[starts[i + 1]]`. */
  private words = new Uint32Array(64 * CALLER_DEPTH);
  private starts = new Int32Array(65);
  private count = 0;
  private readonly numbers = new Map<string, number>();

  /** The number of the chain of `n` return addresses `chain[from..]`. */
  intern(chain: ArrayLike<number>, from: number, n: number): number {
    let key = '';
    for (let k = 0; k < n; k++) key += `${chain[from + k]! >>> 0},`;
    const known = this.numbers.get(key);
    if (known !== undefined) return known;
    const id = this.count++;
    const start = this.starts[id]!;
    if (id + 2 > this.starts.length) {
      const starts = new Int32Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
    }
    if (start + n > this.words.length) {
      const words = new Uint32Array(Math.max(this.words.length * 2, start + n));
      words.set(this.words);
      this.words = words;
    }
    for (let k = 0; k < n; k++) this.words[start + k] = chain[from + k]!;
    this.starts[id + 1] = start + n;
    this.numbers.set(key, id);
    return id;
  }

  /** How many return addresses chain `id` has. */
  length(id: number): number {
    return this.starts[id + 1]! - this.starts[id]!;
  }

  /** Copies chain `id` into `out` from `at`; returns where it ends. */
  copy(id: number, out: Uint32Array, at: number): number {
    const from = this.starts[id]!;
    const n = this.starts[id + 1]! - from;
    for (let k = 0; k < n; k++) out[at + k] = this.words[from + k]!;
    return at + n;
  }
}

/** A RAM region the walker reads as words directly (the stack's): its base and its words. */
export interface StackWords {
  base: number;
  words: Int32Array;
}

/** Slots of the walker's memo of recent walks (a power of two). */
const MEMO = 1 << 8;
/** Stack words a walk may read: the return address, r7 and r11 of each frame. */
const MEMO_WORDS = CALLER_DEPTH * 3;

/**
 * Walks call chains through a `CallerTable`, reading stack words from `ram` directly (a word
 * outside it through `word`; undefined: not RAM).
 *
 * A kernel makes its accesses from a few call chains over and over (a polling loop, the main
 * loop's interrupt checks): the walker remembers its recent walks, direct-mapped by pc, sp and
 * LR, each with the registers it started from, the chain and every stack word it read (as an
 * index into `ram` and the value found). A walk with the same registers whose words all still
 * hold those values would read the same words and take the same rows, so it has the same chain:
 * checking a few words replaces the walk, exactly (a caller changed behind the same pc and sp
 * shows as a changed return-address word). A walk that read a word outside `ram` is not kept.
 */
export class CallChainWalker {
  /**
   * Rows of recently walked PCs, direct-mapped by halfword (a PC's slot is fixed; a miss
   * searches the table): a Map lookup per frame cost more than the rest of the walk.
   */
  private readonly cachedPc = new Int32Array(ROW_CACHE).fill(1); // no PC is odd here
  private readonly cachedRow = new Int32Array(ROW_CACHE);
  /** The table's rows side by side: CFA register, CFA offset, return address, r7, r11 at. */
  private readonly rows: Int32Array;
  private readonly ramBase: number;
  private readonly ram: Int32Array;
  /** Per memo slot: the walk's pc, sp, lr, r7, r11 (pc 1: empty). */
  private readonly memoKey = new Int32Array(MEMO * 5).fill(1);
  /**
   * Per memo slot: how many stack words it read (-1: not kept), and each one's index and value
   * side by side.
   */
  private readonly memoReads = new Int32Array(MEMO).fill(-1);
  private readonly memoWords = new Int32Array(MEMO * MEMO_WORDS * 2);
  /** Per memo slot: the chain found, its number in `memoFor`. */
  private readonly memoChain = new Int32Array(MEMO);
  /** The table the memo's chain numbers belong to. */
  private memoFor: ChainTable | null = null;
  /**
   * The previous `chainOf`'s registers and the memo slot that answered it (pc 1: none). Runs
   * of accesses from one context (a polling loop, a driver writing a register sequence) check
   * that slot's words without hashing; the words are checked all the same.
   */
  private lastPc = 1;
  private lastSp = 0;
  private lastLr = 0;
  private lastR7 = 0;
  private lastR11 = 0;
  private lastSlot = 0;
  /** The table `walk` numbers its chains in, and a chain as it is walked. */
  private readonly own = new ChainTable();
  private readonly found = new Uint32Array(CALLER_DEPTH);
  /** Walks answered by the memo, and walked (for tests and benches). */
  hits = 0;
  walks = 0;

  constructor(
    private readonly table: CallerTable,
    private readonly word: (address: number) => number | undefined,
    ram?: StackWords,
  ) {
    const n = table.starts.length;
    const rows = new Int32Array(n * 5);
    for (let i = 0; i < n; i++) {
      rows[i * 5] = table.cfaReg[i]!;
      rows[i * 5 + 1] = table.cfaOffset[i]!;
      rows[i * 5 + 2] = table.raAt[i]!;
      rows[i * 5 + 3] = table.r7At[i]!;
      rows[i * 5 + 4] = table.r11At[i]!;
    }
    this.rows = rows;
    this.ramBase = ram?.base ?? 0;
    this.ram = ram?.words ?? new Int32Array(0);
  }

  /** Offset in `rows` of the row holding `pc`, or -1. */
  private rowOf(pc: number): number {
    const slot = (pc >>> 1) & (ROW_CACHE - 1);
    if (this.cachedPc[slot] === pc) return this.cachedRow[slot]!;
    const s = this.table.starts;
    let lo = 0;
    let hi = s.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! <= pc >>> 0) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found >= 0 && this.table.cfaReg[found] === NO_CFI) found = -1;
    const at = found < 0 ? -1 : found * 5;
    this.cachedPc[slot] = pc;
    this.cachedRow[slot] = at;
    return at;
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
    const id = this.chainOf(pc, sp, lr, r7, r11, this.own);
    const end = this.own.copy(id, out, at);
    if (end < at + CALLER_DEPTH) out[end] = 0;
  }

  /**
   * The number in `chains` of the call chain of the code at `pc` (up to `CALLER_DEPTH` return
   * addresses; see `walk`).
   */
  chainOf(pc: number, sp: number, lr: number, r7: number, r11: number, chains: ChainTable): number {
    pc |= 0;
    sp |= 0;
    lr |= 0;
    r7 |= 0;
    r11 |= 0;
    if (
      pc === this.lastPc &&
      sp === this.lastSp &&
      lr === this.lastLr &&
      r7 === this.lastR7 &&
      r11 === this.lastR11 &&
      chains === this.memoFor &&
      this.holds(this.lastSlot)
    ) {
      this.hits++;
      return this.memoChain[this.lastSlot]!;
    }
    const key = this.memoKey;
    if (chains !== this.memoFor) {
      // The memo's numbers are another table's.
      key.fill(1);
      this.memoFor = chains;
    }
    const slot = ((pc >>> 1) ^ (sp >>> 3) ^ (lr >>> 1) ^ (r7 >>> 5)) & (MEMO - 1);
    const k = slot * 5;
    this.lastPc = pc;
    this.lastSp = sp;
    this.lastLr = lr;
    this.lastR7 = r7;
    this.lastR11 = r11;
    this.lastSlot = slot;
    if (
      key[k] === pc &&
      key[k + 1] === sp &&
      key[k + 2] === lr &&
      key[k + 3] === r7 &&
      key[k + 4] === r11 &&
      this.holds(slot)
    ) {
      this.hits++;
      return this.memoChain[slot]!;
    }
    this.walks++;
    key[k] = pc;
    key[k + 1] = sp;
    key[k + 2] = lr;
    key[k + 3] = r7;
    key[k + 4] = r11;
    const n = this.walkFrom(pc, sp, lr, r7, r11, this.found, 0, slot);
    const id = chains.intern(this.found, 0, n);
    this.memoChain[slot] = id;
    return id;
  }

  /** True when memo slot `slot`'s walk was kept and every stack word it read still holds. */
  private holds(slot: number): boolean {
    const reads = this.memoReads[slot]!;
    if (reads < 0) return false;
    const ram = this.ram;
    const words = this.memoWords;
    let j = slot * MEMO_WORDS * 2;
    const end = j + reads * 2;
    for (; j < end; j += 2) if (ram[words[j]!] !== words[j + 1]) return false;
    return true;
  }

  /** One stack word for memo slot `slot`'s walk, noted as its `reads`-th; undefined: not RAM. */
  private read(address: number, slot: number, reads: number): number | undefined {
    const off = (address - this.ramBase) | 0;
    if ((off & 3) === 0 && off >= 0 && off >>> 2 < this.ram.length) {
      const v = this.ram[off >>> 2]!;
      const m = (slot * MEMO_WORDS + reads) * 2;
      this.memoWords[m] = off >>> 2;
      this.memoWords[m + 1] = v;
      if (this.memoReads[slot]! >= 0) this.memoReads[slot] = reads + 1;
      return v;
    }
    // Not in the stack's RAM: this walk cannot be checked word by word, so it is not kept.
    this.memoReads[slot] = -1;
    const v = this.word(address >>> 0);
    return v === undefined ? undefined : v | 0;
  }

  /** The walk itself (see `walk`); returns the chain's length and notes its reads in `slot`. */
  private walkFrom(
    pc: number,
    sp: number,
    lr: number,
    r7: number,
    r11: number,
    out: Uint32Array,
    at: number,
    slot: number,
  ): number {
    const rows = this.rows;
    let reads = 0;
    this.memoReads[slot] = 0;
    let n = 0;
    let lrKnown = true;
    for (; n < CALLER_DEPTH; n++) {
      const row = this.rowOf(pc);
      if (row < 0) break;
      const reg = rows[row]!;
      const cfa = ((reg === 13 ? sp : reg === 7 ? r7 : r11) + rows[row + 1]!) | 0;
      let ra: number | undefined;
      const raAt = rows[row + 2]!;
      if (raAt === 0) {
        if (!lrKnown) break;
        ra = lr;
      } else ra = this.read((cfa + raAt) | 0, slot, reads++);
      if (ra === undefined || ra >>> 0 >= 0xffffffe0 || ra === 0) break;
      const r7At = rows[row + 3]!;
      const r11At = rows[row + 4]!;
      if (r7At !== 0) {
        const v = this.read((cfa + r7At) | 0, slot, reads++);
        if (v === undefined) break;
        r7 = v;
      }
      if (r11At !== 0) {
        const v = this.read((cfa + r11At) | 0, slot, reads++);
        if (v === undefined) break;
        r11 = v;
      }
      const caller = ra & ~1;
      out[at + n] = caller;
      pc = (caller - 2) | 0;
      sp = cfa;
      lrKnown = false; // AAPCS: LR is not preserved across the call
    }
    if (n < CALLER_DEPTH) out[at + n] = 0;
    return n;
  }
}
