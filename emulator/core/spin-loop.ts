/**
 * Spin-loop fast-forward: a loop that polls one device register skips, in one step, the passes
 * it would spend before the next scheduled clock event, with the interpreter's exact result.
 *
 * Why: firmware waits for hardware by reading a status register until it changes (the kernel's
 * blocking debug writer reads UARTE EVENTS_ENDTX for every byte it sends: about two thirds of
 * the busy nRF52840 workload). Such a register can only change at a clock event (a device
 * promises so with `MmioDevice.stableUntilEvent`), so every pass until then reads the same value
 * and does the same thing; running them one by one costs host time and tells nothing.
 *
 * What is recognised (`analyseSpin`, once, when the translator would compile a region there):
 * a straight run of at most MAX_TRACE instructions from a head address H to a branch back to H
 * (conditional or not), with side exits (conditional branches out of the run) in between, in
 * which every instruction is one of a few side-effect-free ALU, compare and branch encodings and
 * exactly one is a load (LDR/LDRH/LDRB immediate) from a base register the run never writes. No
 * store, no IT block, no other memory access. The load reads memory (a flag an interrupt
 * handler sets) or a device register whose device promises it stable (`stableLoad`). Each register and flag the run writes is either
 * - pass-fixed: computed from registers the run never writes, the loaded value and values
 *   computed earlier in the same pass (so, with the same loaded value, equal in every pass), or
 * - an induction counter: written only by `x = x ± 1` and read only by that update and by
 *   compares whose Z flag only an EQ side exit reads (a timeout: `cmp x, limit; beq out`), or
 * - a copy of a counter (`mov y, x`, no flags), written once a pass and read only as the source
 *   of the counter's update (`adds x, y, #1`): the shape LLVM gives a bounded wait whose
 *   counter it keeps in two registers (the nRF52840-DK kernel's start-up wait for the LF clock,
 *   ~1.6 M passes of seven instructions in the busy run's boot, nrf52_components::run).
 * Flags the run reads before it writes them in a pass, other uses of a counter, and varying
 * flags alive at the end of the pass make it no spin loop.
 *
 * At run time the core enters the loop at H as a compiled region whose function (`runSpin`)
 * first runs one pass instruction by instruction with the interpreter's executors and
 * bookkeeping (PC, budget, clock and due events after every instruction: a fault, an event or an
 * exit leaves exactly the interpreter's state). When that pass came back to H with nothing
 * needing attention, no data watchpoint watching, and the device promising its register stable,
 * it skips n more passes: n is the largest number that ends before the next
 * clock event (now + n·cycles < next), fits the budget, and stops short of the first pass in
 * which a counter's EQ exit would fire. Pass-fixed registers and flags already hold their value;
 * counters advance by n·step, copies to what the last skipped pass gave them; instruction
 * count, budget and cycles by n passes. An access log
 * watching a device load (`Bus.onDeviceAccess`) is told the n skipped loads first, each with the
 * cycle, PC, registers and value its pass would have given it (`logSkipped`): the log holds the
 * interpreter's entries, and recording them costs less than running the passes. Then it goes on
 * pass after pass (skipping again where it may) until something needs the core. With skipping
 * ruled out (a data watchpoint) it hands over after the first pass to the ordinary region
 * compiled from H (`compileBlocks`, on first need), which runs the loop as fast
 * as the translator runs any loop. Breakpoints never
 * lie in a compiled loop (the translator leaves their addresses out and drops code under new
 * ones), and the core does not enter compiled code while single-stepping or counting coverage.
 *
 * Usage (cpu/translate.ts): `compileRegion` first tries `compileSpin(cpu, reg, offset, lo, hi)`
 * and, for any other block start, skips `spinHead(reg, start, lo, hi)` so that every pass of a
 * spin loop comes back to the core at H, where the loop's own region is entered.
 */
import type { Clock } from './clock';
import type { CortexM } from './cortex-m';
import { decode, type Insn } from './cpu/table';
import type { AccessSize } from './interfaces';
import { BLOCK_CHUNK_SHIFT, CodeChunk, type Region } from './memory/bus';
import { CompiledRegion, compileBlocks } from './cpu/translate';

/**
 * Fast-forward on (the default) or off for every core in this process: a switch for A/B
 * benchmarks (`kernel-cpu-harness.ts --no-spin`) and for ruling it out while chasing a bug.
 * Takes effect for code compiled afterwards.
 */
let enabled = true;
export function setSpinLoops(on: boolean): void {
  enabled = on;
}

/** Longest loop body considered, in instructions. */
const MAX_TRACE = 12;

/** A counter's EQ exit: it fires in the pass where x (at pass start) + `off` equals the target. */
interface CounterExit {
  /** The counter register. */
  x: number;
  /** x's offset from its value at pass start where Z is computed (0 before the update, ±1 after). */
  off: number;
  /** The compared register (never written by the loop), or -1 for the immediate. */
  other: number;
  imm: number;
}

/** A recognised spin loop. */
export interface SpinLoop {
  /** Address of the first instruction (the back branch's target). */
  readonly head: number;
  readonly insns: readonly Insn[];
  /** Address of each instruction. */
  readonly pcs: readonly number[];
  /** The load: base register (never written in the loop), offset and size. */
  readonly base: number;
  readonly offset: number;
  readonly size: AccessSize;
  /** The load's index in `insns` and the register it loads. */
  readonly load: number;
  readonly loadTo: number;
  /** Counters: register, step (+1 or -1) per pass, and whether its update precedes the load. */
  readonly counters: readonly { x: number; step: number; beforeLoad: boolean }[];
  /**
   * Copies of counters: register `y`, the counter `x`, x's offset from its pass-start value
   * when copied, and whether the copy precedes the load.
   */
  readonly copies: readonly { y: number; x: number; off: number; beforeLoad: boolean }[];
  readonly exits: readonly CounterExit[];
  /** Passes skipped so far (tests and benchmarks read it). */
  skipped: number;
  /** Times the core entered the loop's region (tests read it). */
  entries: number;
  /** Where it was compiled: the code region and executable window (`ordinary`). */
  readonly reg: Region;
  readonly lo: number;
  readonly hi: number;
  /** The ordinary region from the head, compiled the first time skipping is ruled out. */
  plain: CompiledRegion | null;
  /** `plain` holds every instruction of the loop (checked once per compile). */
  plainWhole: boolean;
}

/** Register or flag class while walking a pass (see the header). */
const enum K {
  /** Never written in the loop: the same in every pass. */
  Inv,
  /** Written later in the pass: reading it now would read the previous pass's value. */
  Carried,
  Fixed,
  /** Counter value (registers) or Z of a counter compare (flags); see `zExit`. */
  Counter,
  /** A copy of a counter (registers; see `copies`). */
  Copy,
  /** Anything else: unusable. */
  Bad,
}

interface Shape {
  /** Registers read. */
  reads: number[];
  /** Register written, or -1. */
  writes: number;
  /** Flags written (N, Z, C, V as bits 3..0) and read. */
  setsFlags: number;
  readsFlags: number;
  load?: { n: number; imm: number; size: AccessSize };
  /** Counter update `x = from + step` (ADDS/SUBS #1; `from` is x or a copy of it). */
  counter?: { x: number; step: number; from: number };
  /** A register copy without flags (MOV Rd, Rm): `writes` = `reads[0]`. */
  copy?: true;
  /** A compare (CMP) of two registers or a register and an immediate (b = -1). */
  cmp?: { a: number; b: number; imm: number };
  branch?: { target: number; cond: number } | { target: number; cbz: number };
}

const NZCV = 0b1111;
const NZ = 0b1100;
const NZC = 0b1110;
const C = 0b0010;
const Z = 0b0100;

/** Flags condition `c` reads (ARMv7-M ARM A7.3 "Conditional execution", table A7-1). */
function condFlags(c: number): number {
  switch (c >>> 1) {
    case 0:
      return Z;
    case 1:
      return C;
    case 2:
      return 0b1000;
    case 3:
      return 0b0001;
    case 4:
      return C | Z;
    case 5:
      return 0b1001;
    case 6:
      return 0b1101;
    default:
      return 0; // AL
  }
}

/** What an instruction reads and writes, for the encodings a spin loop may hold; null otherwise. */
function shape(insn: Insn, pc: number): Shape | null {
  const f = insn.f;
  const s: Shape = { reads: [], writes: -1, setsFlags: 0, readsFlags: 0 };
  switch (insn.encoding.name) {
    case 'LDR_imm_T1':
    case 'LDR_imm12':
      s.load = { n: f.n!, imm: insn.encoding.name === 'LDR_imm_T1' ? f.i! * 4 : f.i!, size: 4 };
      break;
    case 'LDRH_imm_T1':
    case 'LDRH_imm12':
      s.load = { n: f.n!, imm: insn.encoding.name === 'LDRH_imm_T1' ? f.i! * 2 : f.i!, size: 2 };
      break;
    case 'LDRB_imm_T1':
    case 'LDRB_imm12':
      s.load = { n: f.n!, imm: f.i!, size: 1 };
      break;
    case 'CMP_imm_T1':
      s.cmp = { a: f.n!, b: -1, imm: f.i! };
      break;
    case 'CMP_imm_mod':
      s.cmp = { a: f.n!, b: -1, imm: f.imm! };
      break;
    case 'CMP_reg_T1':
      s.cmp = { a: f.d!, b: f.m!, imm: 0 };
      break;
    case 'CMP_reg_T2':
      s.cmp = { a: f.nn!, b: f.m!, imm: 0 };
      break;
    case 'TST_reg_T1':
      s.reads = [f.d!, f.m!];
      s.setsFlags = NZ;
      break;
    case 'TST_imm_mod':
      // C comes from the expanded immediate or stays (A5.3.2 ThumbExpandImm_C): read and written.
      s.reads = [f.n!];
      s.setsFlags = NZC;
      s.readsFlags = C;
      break;
    case 'LSL_imm_T1':
    case 'LSR_imm_T1':
    case 'ASR_imm_T1':
      // Never a shift by 0 (LSL #0 is MOV_reg_T2; LSR/ASR #0 mean #32): C is the last bit out.
      s.reads = [f.m!];
      s.writes = f.d!;
      s.setsFlags = NZC;
      break;
    case 'MOV_reg_T2':
      s.reads = [f.m!];
      s.writes = f.d!;
      s.setsFlags = NZ;
      break;
    case 'MOV_imm_T1':
      s.writes = f.d!;
      s.setsFlags = NZ;
      break;
    case 'UBFX_T1':
      s.reads = [f.n!];
      s.writes = f.d!;
      break;
    case 'MOV_reg_T1':
      s.reads = [f.m!];
      s.writes = f.dd!;
      s.copy = true;
      break;
    case 'ADD_imm_T2':
    case 'SUB_imm_T2':
      if (f.i !== 1) return null;
      s.counter = { x: f.d!, step: insn.encoding.name === 'ADD_imm_T2' ? 1 : -1, from: f.d! };
      break;
    case 'ADD_imm_T1':
    case 'SUB_imm_T1':
      if (f.i !== 1) return null;
      s.counter = { x: f.d!, step: insn.encoding.name === 'ADD_imm_T1' ? 1 : -1, from: f.n! };
      break;
    case 'B_T1':
    case 'B_T3':
      if (f.c! >= 14) return null;
      s.branch = { target: pc + 4 + f.off!, cond: f.c! };
      s.readsFlags = condFlags(f.c!);
      break;
    case 'B_T2':
      s.branch = { target: pc + 4 + f.off!, cond: 14 };
      break;
    case 'CBZ_T1':
    case 'CBNZ_T1':
      s.reads = [f.n!];
      s.branch = { target: pc + 4 + f.i! * 2, cbz: f.n! };
      break;
    default:
      return null;
  }
  if (s.cmp !== undefined) s.setsFlags = NZCV;
  if (s.load !== undefined) {
    s.reads = [s.load.n];
    s.writes = f.t!;
  }
  if (s.counter !== undefined) {
    s.reads = [s.counter.from];
    s.writes = s.counter.x;
    s.setsFlags = NZCV;
  }
  if (s.writes === 15 || s.writes === 13 || s.reads.includes(15)) return null;
  return s;
}

/** Decodes the instruction at byte offset `o` of `reg` (within [lo, hi)), or null. */
function decodeAt(reg: Region, o: number, lo: number, hi: number): Insn | null {
  if (o < lo || o + 2 > hi) return null;
  const hw1 = reg.u16[o >>> 1]!;
  let hw2 = 0;
  if (hw1 >>> 11 >= 0x1d) {
    if (o + 4 > hi) return null;
    hw2 = reg.u16[(o >>> 1) + 1]!;
  }
  return decode(hw1, hw2);
}

/**
 * The spin loop whose head is byte offset `head` of `reg` (its code within [lo, hi)), or null
 * when the code there is not one (see the header for the rules).
 */
export function analyseSpin(reg: Region, head: number, lo: number, hi: number): SpinLoop | null {
  const insns: Insn[] = [];
  const shapes: Shape[] = [];
  const pcs: number[] = [];
  const H = reg.base + head;
  let o = head;
  for (;;) {
    if (insns.length >= MAX_TRACE) return null;
    const insn = decodeAt(reg, o, lo, hi);
    if (insn === null) return null;
    const pc = reg.base + o;
    const s = shape(insn, pc);
    if (s === null) return null;
    insns.push(insn);
    shapes.push(s);
    pcs.push(pc);
    o += insn.size;
    if (s.branch === undefined) continue;
    if (s.branch.target === H) break; // the back branch ends the loop
    // A side exit is conditional (whether it leaves the loop is checked once its end is known).
    if ('cond' in s.branch && s.branch.cond === 14) return null;
  }
  const end = reg.base + o;
  for (const s of shapes.slice(0, -1)) {
    const t = s.branch?.target;
    if (t !== undefined && t >= H && t < end) return null;
  }

  // Registers and flags the loop writes somewhere.
  let written = 0;
  let flagsWritten = 0;
  let loads = 0;
  for (const s of shapes) {
    if (s.writes >= 0) written |= 1 << s.writes;
    flagsWritten |= s.setsFlags;
    if (s.load !== undefined) loads++;
  }
  if (loads !== 1) return null;
  // Counters: written only by their update, exactly once.
  const load = shapes.findIndex((s) => s.load !== undefined);
  const counters: { x: number; step: number; beforeLoad: boolean }[] = [];
  for (let i = 0; i < shapes.length; i++) {
    const s = shapes[i]!;
    if (s.counter === undefined) continue;
    const x = s.counter.x;
    if (counters.some((c) => c.x === x)) return null;
    if (shapes.some((t) => t !== s && t.writes === x)) return null;
    counters.push({ x, step: s.counter.step, beforeLoad: i < load });
  }
  const isCounter = (r: number): boolean => counters.some((c) => c.x === r);

  const reg0 = (r: number): K =>
    isCounter(r) ? K.Counter : (written >>> r) & 1 ? K.Carried : K.Inv;
  const regs: K[] = [];
  for (let r = 0; r < 15; r++) regs.push(reg0(r));
  /** Per counter register: its offset from the pass-start value at this point of the pass. */
  const off = new Map<number, number>();
  for (const c of counters) off.set(c.x, 0);
  const flag0 = (bit: number): K => ((flagsWritten & bit) !== 0 ? K.Carried : K.Inv);
  const flags = new Map<number, K>([8, 4, 2, 1].map((b) => [b, flag0(b)]));
  /** Copies of counters made so far in the pass. */
  const copies: { y: number; x: number; off: number; beforeLoad: boolean }[] = [];
  /** The counter exit Z describes while Z is K.Counter. */
  let zExit: CounterExit | null = null;
  const exits: CounterExit[] = [];
  let base = -1;
  let offset = 0;
  let size: AccessSize = 4;
  const plain = (k: K): boolean => k === K.Inv || k === K.Fixed;
  const setFlags = (bits: number, k: K): void => {
    for (const b of [8, 4, 2, 1]) if (bits & b) flags.set(b, k);
  };

  for (let i = 0; i < shapes.length; i++) {
    const s = shapes[i]!;
    const last = i === shapes.length - 1;
    // Flags read.
    for (const b of [8, 4, 2, 1]) {
      if ((s.readsFlags & b) === 0) continue;
      const k = flags.get(b)!;
      if (plain(k)) continue;
      // Z of a counter compare, read by a side exit taken on EQ: the predicted exit.
      const br = s.branch;
      if (
        b === Z &&
        k === K.Counter &&
        !last &&
        br !== undefined &&
        'cond' in br &&
        br.cond === 0 &&
        zExit !== null
      ) {
        exits.push(zExit);
        continue;
      }
      return null;
    }
    if (s.counter !== undefined) {
      const x = s.counter.x;
      // From the counter itself, or from a copy of its pass-start value.
      const from = s.counter.from;
      const copy = copies.find((c) => c.y === from);
      if (from !== x && (copy?.x !== x || copy.off !== 0)) return null;
      const o2 = off.get(x)! + s.counter.step;
      if (o2 !== s.counter.step) return null; // one update per pass
      off.set(x, o2);
      // Z of `x ± 1` is set when the new value is 0.
      setFlags(NZCV, K.Bad);
      flags.set(Z, K.Counter);
      zExit = { x, off: o2, other: -1, imm: 0 };
      continue;
    }
    if (s.cmp !== undefined) {
      const { a, b, imm } = s.cmp;
      const ka = regs[a]!;
      const kb = b < 0 ? K.Inv : regs[b]!;
      if (plain(ka) && plain(kb)) {
        setFlags(NZCV, K.Fixed);
        continue;
      }
      // A counter against a register the loop never writes (or an immediate): Z predicts.
      const [x, y] = ka === K.Counter ? [a, b] : [b, a];
      const ky = y < 0 ? K.Inv : regs[y]!;
      if (regs[x] !== K.Counter || (y >= 0 && ky !== K.Inv)) return null;
      setFlags(NZCV, K.Bad);
      flags.set(Z, K.Counter);
      zExit = { x, off: off.get(x)!, other: y, imm: y < 0 ? imm : 0 };
      continue;
    }
    // A copy of a counter, written once a pass (its value at the end of a pass is then known).
    if (s.copy && regs[s.reads[0]!] === K.Counter) {
      const y = s.writes;
      const x = s.reads[0]!;
      if (shapes.filter((t) => t.writes === y).length !== 1) return null;
      regs[y] = K.Copy;
      copies.push({ y, x, off: off.get(x)!, beforeLoad: i < load });
      continue;
    }
    for (const r of s.reads) if (!plain(regs[r]!)) return null;
    if (s.load !== undefined) {
      if (regs[s.load.n] !== K.Inv) return null;
      base = s.load.n;
      offset = s.load.imm;
      size = s.load.size;
    }
    if (s.writes >= 0) regs[s.writes] = K.Fixed;
    if (s.setsFlags !== 0) {
      // Flags that an instruction may leave unchanged (TST #imm's C) take the read class: plain.
      setFlags(s.setsFlags, K.Fixed);
      zExit = null;
    }
  }
  // At the end of the pass every written flag must be the same in each pass.
  for (const b of [8, 4, 2, 1]) if (!plain(flags.get(b)!)) return null;
  if (base < 0) return null;
  return {
    head: H,
    insns,
    pcs,
    base,
    offset,
    size,
    load,
    loadTo: shapes[load]!.writes,
    counters,
    copies,
    exits,
    skipped: 0,
    entries: 0,
    reg,
    lo,
    hi,
    plain: null,
    plainWhole: false,
  };
}

/** True when byte offset `o` of `reg` heads a spin loop (the translator starts no block there). */
export function spinHead(reg: Region, o: number, lo: number, hi: number): boolean {
  return enabled && analyseSpin(reg, o, lo, hi) !== null;
}

/** The core's fields a loop pass uses (the same ones the translator's generated code uses). */
interface SpinCore {
  pc: number;
  nextPc: number;
  budget: number;
  attention: boolean;
}

/**
 * Runs the loop's ordinary region from the head when the core itself could enter it now (the
 * same test as `inner`'s: budget for its longest block, no event inside its costliest one, all
 * of it in the executable window); false when it cannot.
 */
function ordinary(cpu: CortexM, s: SpinLoop, r: Int32Array, clock: Clock, c: SpinCore): boolean {
  let p = s.plain;
  if (p === null || p.dead) {
    p = s.plain = compileBlocks(cpu, s.reg, s.head - s.reg.base, s.lo, s.hi);
    s.plainWhole = false;
    if (p === null) return false;
  }
  // It must hold the whole loop: where another region already enters (mid-loop, after an
  // interrupt returned there) it stops, and a pass would leave the code twice.
  if (!s.plainWhole) {
    const spans = p.blockSpans!;
    const inside = (o: number): boolean => {
      for (let i = 0; i < spans.length; i += 2)
        if (spans[i]! <= o && o < spans[i + 1]!) return true;
      return false;
    };
    if (!s.pcs.every((pc) => inside(pc - s.reg.base))) return false;
    s.plainWhole = true;
  }
  if (c.budget < p.maxLen || clock.now + p.maxCycles >= clock.next || !cpu.inCodeWindow(p.lo, p.hi))
    return false;
  p.fn(cpu, r, clock, p.k);
  return true;
}

/** The region function of a spin loop: passes as the interpreter runs them, skipping where allowed. */
function runSpin(cpu: CortexM, r: Int32Array, clock: Clock, k: unknown[]): void {
  const s = k[0] as SpinLoop;
  s.entries++;
  const c = cpu as unknown as SpinCore;
  const n = s.insns.length;
  let pc = c.pc;
  // Decided after the first whole pass (nothing it depends on changes while the core runs).
  let skips = -1;
  // The access log's listener when it watches the load (a device's): the skipped passes' loads
  // are told to it as the passes would have made them.
  let logged: DeviceAccessListener | null = null;
  // Cycles from the start of a pass to its load, and the value the last pass loaded.
  let loadAt = 0;
  let loaded = 0;
  // Pass after pass until something needs the core, as an ordinary region loops without
  // leaving; with skipping ruled out (an access log on) the ordinary region takes over.
  for (;;) {
    const start = clock.now;
    for (let i = 0; ; i++) {
      const insn = s.insns[i]!;
      // As the interpreter's loop (cortex-m.ts `inner`), ITSTATE being 0 in a compiled region.
      c.nextPc = pc + insn.size;
      r[15] = pc + 4;
      if (i === s.load) loadAt = clock.now - start;
      const cycles = insn.exec(cpu, insn.f);
      if (i === s.load) loaded = r[s.loadTo]! >>> 0;
      c.pc = pc = c.nextPc;
      c.budget--;
      const now = clock.now + cycles;
      clock.now = now;
      if (now >= clock.next) {
        clock.runDue();
        c.attention = true;
      }
      if (c.attention || c.budget <= 0) return;
      if (i === n - 1) break;
      if (pc !== s.pcs[i + 1]) return; // a side exit
    }
    if (pc !== s.head) return; // the back branch fell through
    if (skips < 0) {
      skips = skippable(cpu, s, r) ? 1 : 0;
      if (skips === 1) logged = watching(cpu, s, r);
      // Nothing to skip: the ordinary compiled loop runs the passes fastest.
      if (skips === 0 && ordinary(cpu, s, r, clock, c)) return;
    }
    if (skips === 1) {
      const cycles = clock.now - start;
      skip(s, r, c, clock, cycles, logged, loadAt, loaded);
      if (c.budget <= 0) return; // the skip may use the budget up exactly
    }
  }
}

/**
 * True when a load at `a` reads the same value, with no side effect, until the next clock
 * event. Memory (RAM, flash): only the CPU's stores, the debugger between runs and devices
 * change it, and a device writes memory (EasyDMA) only when the CPU accesses it or at a clock
 * event. A device register: when the device promises so (`MmioDevice.stableUntilEvent`).
 */
function stableLoad(cpu: CortexM, a: number): boolean {
  const region = cpu.bus.find(a);
  if (region === null) return false;
  return region.dev === null || region.dev.stableUntilEvent?.(a - region.base) === true;
}

/** Passes may be skipped: no data watchpoint watches the loop's load and the load is stable. */
function skippable(cpu: CortexM, s: SpinLoop, r: Int32Array): boolean {
  if (cpu.system.dwtWatchActive()) return false;
  return stableLoad(cpu, (r[s.base]! + s.offset) >>> 0);
}

type DeviceAccessListener = NonNullable<CortexM['bus']['onDeviceAccess']>;

/**
 * The access log's listener (`Bus.onDeviceAccess`) when the loop's load is a device's, which the
 * log sees; null when nobody listens or the load reads memory (the log never sees those).
 */
function watching(cpu: CortexM, s: SpinLoop, r: Int32Array): DeviceAccessListener | null {
  const listener = cpu.bus.onDeviceAccess;
  if (listener === null) return null;
  const region = cpu.bus.find((r[s.base]! + s.offset) >>> 0);
  return region !== null && region.dev !== null ? listener : null;
}

/**
 * Tells `listener` the loads of `passes` skipped passes, each as its pass would have made it:
 * the pass's cycle at the load (`loadAt` after the pass's start; the first skipped pass starts
 * now, each takes `cycles`), the load's PC, the counters and their copies as they stand at the
 * load in that pass (a copy made after the load holds the previous pass's: the pass before the
 * first skipped one was run whole), and the value (the same in every pass: the device promised
 * its register stable until the next clock event, which comes after the last skipped pass). The
 * clock, PC, counters and copies are put back afterwards; `skip` then advances them.
 */
function logSkipped(
  s: SpinLoop,
  r: Int32Array,
  c: SpinCore,
  clock: Clock,
  passes: number,
  cycles: number,
  listener: DeviceAccessListener,
  loadAt: number,
  value: number,
): void {
  const a = (r[s.base]! + s.offset) >>> 0;
  const at = s.pcs[s.load]!;
  const now = clock.now;
  const pc = c.pc;
  const r15 = r[15]!;
  const x0 = s.counters.map((x) => r[x.x]!);
  const y0 = s.copies.map((y) => r[y.y]!);
  for (let p = 0; p < passes; p++) {
    for (let k = 0; k < x0.length; k++) {
      const x = s.counters[k]!;
      r[x.x] = (x0[k]! + (p + (x.beforeLoad ? 1 : 0)) * x.step) | 0;
    }
    for (const y of s.copies) {
      const k = s.counters.findIndex((x) => x.x === y.x);
      const step = s.counters[k]!.step;
      r[y.y] = (x0[k]! + (p - (y.beforeLoad ? 0 : 1)) * step + y.off) | 0;
    }
    clock.now = now + p * cycles + loadAt;
    c.pc = at;
    r[15] = at + 4;
    listener(false, a, s.size, value);
  }
  for (let k = 0; k < x0.length; k++) r[s.counters[k]!.x] = x0[k]!;
  for (let k = 0; k < y0.length; k++) r[s.copies[k]!.y] = y0[k]!;
  clock.now = now;
  c.pc = pc;
  r[15] = r15;
}

/**
 * After a whole pass that came back to the head: skips the passes the rules allow, telling an
 * access log watching the load (`listener`) each skipped pass's load (`logSkipped`).
 */
function skip(
  s: SpinLoop,
  r: Int32Array,
  c: SpinCore,
  clock: Clock,
  cycles: number,
  listener: DeviceAccessListener | null,
  loadAt: number,
  loaded: number,
): void {
  const len = s.insns.length;
  let passes = Math.floor(c.budget / len);
  if (clock.next !== Infinity)
    passes = Math.min(passes, Math.floor((clock.next - 1 - clock.now) / cycles));
  for (const e of s.exits) {
    const step = s.counters.find((x) => x.x === e.x)!.step;
    const target = (e.other >= 0 ? r[e.other]! : e.imm) - e.off;
    const x0 = r[e.x]!;
    // The pass p (0 = the next) in which x0 + p·step + off equals the target.
    const p = step === 1 ? (target - x0) >>> 0 : (x0 - target) >>> 0;
    passes = Math.min(passes, p);
  }
  if (passes <= 0) return;
  if (listener !== null) logSkipped(s, r, c, clock, passes, cycles, listener, loadAt, loaded);
  for (const x of s.counters) r[x.x] = (r[x.x]! + passes * x.step) | 0;
  // A copy holds what the last skipped pass copied: its counter then, less one step, plus off.
  for (const y of s.copies) {
    const step = s.counters.find((x) => x.x === y.x)!.step;
    r[y.y] = (r[y.x]! - step + y.off) | 0;
  }
  c.budget -= passes * len;
  clock.now += passes * cycles;
  s.skipped += passes;
}

/**
 * Compiles the spin loop at byte offset `offset` of `reg` (code within [lo, hi)) as a region
 * entered at its head, registered in the chunk tables like the translator's; null when the code
 * there is no spin loop or a breakpoint lies in it.
 */
export function compileSpin(
  cpu: CortexM,
  reg: Region,
  offset: number,
  lo: number,
  hi: number,
): CompiledRegion | null {
  if (!enabled || reg.chunks === null) return null;
  const s = analyseSpin(reg, offset, lo, hi);
  if (s === null || s.pcs.some((pc) => cpu.breakpointAt(pc))) return null;
  // The core is at the head: a loop polling a register that gives no promise (a UART status
  // without one) is better left to an ordinary region, which loops without leaving.
  if (!stableLoad(cpu, (cpu.r[s.base]! + s.offset) >>> 0)) return null;
  const last = s.pcs[s.pcs.length - 1]! - reg.base + s.insns[s.insns.length - 1]!.size;
  const h = offset >>> 1;
  // Loads take 2 cycles, taken branches 3, the rest 1 (table.ts): 3 per instruction bounds a pass.
  const cr = new CompiledRegion(
    runSpin,
    [s],
    s.insns.length,
    3 * s.insns.length,
    offset,
    last,
    [h],
    0,
  );
  const chunks = reg.chunks;
  let chunk = chunks[h >>> 7];
  if (chunk === undefined) chunks[h >>> 7] = chunk = new CodeChunk();
  chunk.fns[h & 127] = cr;
  for (let i = offset >>> BLOCK_CHUNK_SHIFT; i <= (last - 1) >>> BLOCK_CHUNK_SHIFT; i++) {
    let ch = chunks[i];
    if (ch === undefined) chunks[i] = ch = new CodeChunk();
    ch.covering.push(cr);
  }
  cpu.translatorStats.regions++;
  return cr;
}
