/**
 * Translator: compiles a hot stretch of code (a region of basic blocks around an address) into
 * one JavaScript function with the registers and flags in local variables.
 *
 * Why: the interpreter pays per instruction for the cache lookup, a megamorphic executor call,
 * the fields object and the PC/budget/clock bookkeeping. A region function runs its blocks with
 * r0-r14 and N, Z, C, V in locals, instructions specialised on their fields (cpu/codegen.ts; the
 * table executor for the rest), and accounts instructions and cycles once per block. Branches
 * between the region's blocks stay inside the function (a `switch` on the block number), so
 * loops, calls and returns within the region never go back to the core's loop.
 *
 * Exactness (the interpreter is the reference; `translate.test.ts` and the differential test
 * compare them):
 * - The core enters a region only with budget for its longest block and when its costliest
 *   block cannot reach the next clock event; the region re-checks both before each further
 *   block. So no event falls due inside a block, and a run stops on the same instruction.
 * - Anything that needs the core's attention (an MMIO access that scheduled an event or pended
 *   an interrupt, a write that dropped compiled code, an executor that changed the mode) makes
 *   the region leave right after that instruction with the exact PC, count, cycles and IT state.
 * - A fault unwinds through the function's `catch`, which stores the registers and sets PC,
 *   count, cycles and IT state to the faulting instruction's start, as the interpreter leaves
 *   them. Generators write registers in the executors' order around memory accesses, so a
 *   fault midway leaves the same partial state.
 * - IT blocks compile inline (conditions are known at translation time); a region is entered
 *   only with ITSTATE = 0.
 * - Breakpoint addresses never start or lie inside a block: execution reaches them only in the
 *   interpreter, which stops there. Setting one drops the regions covering it.
 * - Regions register in every 256-byte chunk they cover; a write into a chunk drops them.
 * - A region that keeps leaving for a block another region enters is compiled again with that
 *   block (`chainRegions`, when the core sees it often enough), so a loop split between two
 *   regions runs in one.
 * - Blocks are gathered breadth-first from the hot address along direct branches, fall-throughs,
 *   call returns and the entries of an inline TBB/TBH table, so a whole hot loop (a switch and
 *   its cases included) runs as one function; it leaves only for code outside it, a due clock
 *   event or the end of the budget, checked before each block.
 *
 * Usage (cortex-m.ts): `compileRegion(core, region, offset, lo, hi)` when an address gets hot;
 * the core then finds the region through the chunk tables and calls
 * `cr.fn(core, core.r, clock, cr.k)`.
 */
import type { Clock } from '../clock';
import { DOUBLE_FIELD } from '../double-field';
import type { CortexM } from '../cortex-m';
import { BLOCK_CHUNK_SHIFT, CodeChunk, type CompiledCode, type Region } from '../memory/bus';
import {
  condExpr,
  FAST_PATH_LOCALS,
  type Flow,
  generate,
  type Generated,
  REFRESH,
  registerOperands,
  SCRATCH_LOCALS,
} from './codegen';
import { compileSpin, spinHead } from '../spin-loop';
import { decode, type Insn } from './table';

/** Longest block in instructions (an IT block in progress may run a few past it). */
const MAX_BLOCK = 32;
/**
 * Most blocks and instructions in one region. Large enough that a hot loop with a switch in it
 * (an interpreter's dispatch: the TBB, its cases and the way back) compiles into one function:
 * at 12 blocks / 128 instructions bench2 entered a region every 7 instructions (1.44 M entries
 * per 10 M instructions, the core's dispatch loop ~23 % of the time); at 32 / 256, 241 times.
 */
const MAX_BLOCKS = 32;
const MAX_INSNS = 256;
/** Blocks `chainRegions` adds to a region from the one it keeps leaving for. */
const CHAIN_EXTRA_BLOCKS = 8;
/** Most instructions of a region grown by chaining. */
const MAX_CHAINED_INSNS = 384;
/**
 * Most characters of source of a region: V8 optimises no function of more than 61,440 bytes of
 * bytecode (`--max-optimized-bytecode-size`), and region functions come to ~0.73-0.8 bytes of
 * bytecode per character (measured with `--print-bytecode`: 40,235 characters gave 30,852
 * bytes, 89,811 gave 71,140). A region past it would run unoptimised: chaining gives up there,
 * and an ordinary region (`compileBlocks`) is gathered again with fewer blocks. 32 blocks of
 * 256 instructions came to 74 KB on the busy nRF52840 kernel, a function V8 never optimised,
 * entered in V8's bytecode interpreter for 6 % of all region entries (`%GetOptimizationStatus`).
 * A lower bound for ordinary regions costs more region entries than it saves (bench:nrf-ab
 * against 64,000: 20,000 characters ran 0.84x, 40,000 about the same).
 */
const MAX_SOURCE = 64_000;
/**
 * The bound of an ordinary region's source (`compileBlocks`; chained regions keep MAX_SOURCE):
 * a switch for separate-process A/Bs of the first run (`nrf-busy-trace.ts --first-source N`).
 * Smaller first regions cost TurboFan less each, but the busy nRF52840 kernel made more of them
 * (32,000: 198 regions, 17 chained, against 155 and 7) and ran its first run slower.
 */
let firstSource = MAX_SOURCE;
export function setFirstSource(chars: number): void {
  firstSource = chars;
}
/** How far (bytes) from its first address a region may reach. */
const MAX_REACH = 2048;
/** Upper bound of the cycles of an instruction left to its executor (LDM of 16 with PC: 19). */
const FALLBACK_MAX_CYCLES = 20;

/** Encodings after which a block ends when they run through their executor. */
const ENDS_BLOCK = new Set([
  'B_T1',
  'B_T2',
  'B_T3',
  'B_T4',
  'BL_T1',
  'BX_T1',
  'BLX_reg_T1',
  'CBZ_T1',
  'CBNZ_T1',
  'TBB_T1',
  'POP_T1',
  'LDM_T1',
  'LDM_T2',
  'LDMDB_T1',
  'SVC_T1',
  'UDF_T1',
  'UDF_T2',
  'BKPT_T1',
  'WFI_T1',
  'WFI_T2',
  'WFE_T1',
  'WFE_T2',
  'CPS_T1',
  'MSR_T1',
  'COPROC_T1',
  'COPROC_T2',
  'UNDEFINED16',
  'UNDEFINED32',
]);

/** Encodings after which execution comes back to the next instruction: calls and SVC (B1.5.6). */
const RETURNS_AFTER = new Set(['BL_T1', 'BLX_reg_T1', 'SVC_T1']);

/** Addresses that are never executable (fetch raises a MemManage fault there; B3.1). */
function executeNever(a: number): boolean {
  return a >= 0xe0000000 || (a >= 0x40000000 && a < 0x60000000) || a >= 0xa0000000;
}

/**
 * The targets of a TBB/TBH whose table follows it (Rn = PC; offset `t` of the table in the
 * code region): hints of the blocks a switch reaches, so they compile into the switch's region
 * (at run time the target is looked up like any indirect branch, so a wrong hint costs only a
 * block that is never entered there). The table ends where the first target begins. ARMv7-M
 * ARM A7.7.185 "TBB, TBH": target = PC + 2 * entry, PC = the TBB's address + 4 = the table.
 */
function tableTargets(reg: Region, t: number, half: boolean, maxOff: number, out: number[]): void {
  let end = maxOff;
  const size = half ? 2 : 1;
  for (let i = 0; t + (i + 1) * size <= end && i < 256; i++) {
    const e = half ? reg.u16[(t >>> 1) + i]! : reg.bytes[t + i]!;
    const target = t + 2 * e;
    if (target < t + (i + 1) * size || target >= maxOff) return;
    if (!out.includes(target)) out.push(target);
    end = Math.min(end, target);
  }
}

/** A compiled region as the core's chunk tables hold it. */
export class CompiledRegion implements CompiledCode {
  /** Dropped by a write into one of its chunks (its entries are cleared then too). */
  dead = false;
  /** Its blocks' byte offsets, start and past the end of each in turn (`insideBlock`). */
  blockSpans: Int32Array | null = null;
  /** The region the core entered right after this one returned, and how many times in a row. */
  succ: CompiledRegion | null = null;
  succHits = 0;
  /** The clock when that run of entries began (DOUBLE_FIELD: set in the constructor). */
  succSince = DOUBLE_FIELD;
  /** The clock when it was compiled. */
  born = DOUBLE_FIELD;
  constructor(
    readonly fn: (cpu: CortexM, r: Int32Array, clock: Clock, k: unknown[]) => void,
    /** Its tables (block index, executors, fields, fault-path tables): `fn`'s 4th argument. */
    readonly k: unknown[],
    /** Instructions in the longest block: the core enters only with that much budget. */
    readonly maxLen: number,
    /** Cycles of the costliest block: the core enters only when the next event is further. */
    readonly maxCycles: number,
    /** Byte offsets (in the code region) of the first and past the last instruction. */
    readonly lo: number,
    readonly hi: number,
    /** Halfword offsets of the blocks whose entry in the chunk tables is this region. */
    readonly entries: number[],
    /** Bytes of generated source (the code cache's memory report). */
    readonly sourceBytes: number,
  ) {
    this.succSince = this.born = 0;
  }
}

/**
 * The region function of generated source (`src`: the body of a function returning it);
 * `at` names the region in the error should the source not compile.
 */
function make(src: string, at: number): CompiledRegion['fn'] {
  try {
    return (new Function(src) as () => CompiledRegion['fn'])();
  } catch (e) {
    throw new Error(
      `translator produced invalid code at 0x${at.toString(16)}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

interface Slot {
  insn: Insn;
  pc: number;
  /** ITSTATE before this instruction. */
  it: number;
}

interface Block {
  start: number;
  slots: Slot[];
  /** Offset after the last instruction. */
  end: number;
  /** ITSTATE after the last instruction (non-zero only when an IT block was cut short). */
  itAfter: number;
}

const advanceIt = (it: number): number => ((it & 7) === 0 ? 0 : (it & 0xe0) | ((it << 1) & 0x1f));

/**
 * Region functions by generated source. The same code (same addresses and instructions: a
 * machine reset, a restored snapshot, another session on the same image) gets the same
 * function object, with its tables passed as an argument, so V8's optimised code for it
 * survives from one session to the next. (Closures made afresh per compile were optimised
 * again in most sessions: `node --trace-opt` showed ~23 region functions of bench2 recompiled
 * per session.)
 *
 * One function per source, with the tests of the bytes above a fast-path window's hole
 * (codegen.ts `clear`): the same function runs with and without watchpoints. Until this, a
 * region had a second function without those tests, which ran while no window had a hole
 * (bench2 ran ~8 % faster in it); the one with them was run now and then in plain sessions so
 * that V8 had optimised it when a debugger's first watchpoint switched the hot regions to it.
 * That warming was a second optimising compile of every hot region on V8's background
 * threads: on the busy nRF52840 kernel's first run (bench:nrf), 17 compiles of 78, ~20 % of
 * the compile threads' time, on a 2-core machine where they take the CPU from the emulating
 * thread.
 */
const FACTORIES = new Map<string, CompiledRegion['fn']>();
const MAX_FACTORIES = 1024;

/** What a core's translator has made (the benchmark prints it as the code cache's size). */
export interface TranslatorStats {
  /** Regions compiled (including ones later dropped by writes or breakpoints). */
  regions: number;
  blocks: number;
  instructions: number;
  /** Bytes of JavaScript generated. */
  sourceBytes: number;
  /** Regions made by chaining two (counted in `regions` too). */
  chained: number;
  /**
   * Instructions run inside compiled regions (spin-loop fast-forwards included); the rest of
   * `CortexM.instructionCount` was interpreted.
   */
  regionInstructions: number;
  /** Times the core entered a compiled region. */
  entries: number;
}

/**
 * Compiles the region starting at byte `offset` of `reg` (an address the core has fetched
 * through its checked path), limited to offsets [lo, hi) (the executable window), registers it
 * in the chunk tables and returns it; null when nothing there can be compiled. `jumped`: the
 * core reached `offset` by a branch (not by going straight on), so it starts a block even
 * inside another region's block (a loop head or a function start that code falls through
 * into; before, such an address was interpreted on every visit: 4.5 % of bench.elf's
 * instructions, its copy loop).
 */
export function compileRegion(
  cpu: CortexM,
  reg: Region,
  offset: number,
  lo: number,
  hi: number,
  jumped = false,
): CompiledRegion | null {
  if (reg.code === null || reg.chunks === null) return null;
  cpu.beforeCompile?.();
  // A loop polling a register or memory word gets its own region (spin-loop.ts).
  const spin = compileSpin(cpu, reg, offset, lo, hi);
  if (spin !== null) return spin;
  if (!jumped && insideBlock(reg.chunks, offset, lo, hi)) return null;
  return compileBlocks(cpu, reg, offset, lo, hi);
}

/**
 * The ordinary region from byte offset `offset` (no spin-loop or inside-a-block check): what
 * `compileRegion` makes, and what a spin loop runs while it may not skip (spin-loop.ts). Its
 * entries go only where the chunk tables have none yet.
 */
export function compileBlocks(
  cpu: CortexM,
  reg: Region,
  offset: number,
  lo: number,
  hi: number,
): CompiledRegion | null {
  if (reg.code === null || reg.chunks === null) return null;
  const minOff = Math.max(lo, offset - MAX_REACH);
  const maxOff = Math.min(hi, reg.size, offset + MAX_REACH);
  // A region whose source would pass MAX_SOURCE is gathered again with half its blocks, until
  // it fits (a single block always compiles).
  let maxBlocks = MAX_BLOCKS;
  for (;;) {
    const blocks = gatherBlocks(cpu, reg, [offset], minOff, maxOff, maxBlocks, MAX_INSNS, null);
    if (blocks === null) return null;
    const limit = blocks.length > 1 ? firstSource : Infinity;
    const made = emitRegion(cpu.translatorStats, reg, blocks, null, limit);
    if (made !== null) {
      made.born = cpu.clock.now;
      return made;
    }
    maxBlocks = blocks.length >>> 1;
  }
}

/**
 * Chaining: `from` keeps leaving for the block at byte offset `target`, which another region
 * enters (the core counted CHAIN_HEAT such exits in a row), so `from` is compiled again with
 * that block and up to CHAIN_EXTRA_BLOCKS more gathered from it (a loop split between two
 * regions closes inside one), and the old `from` is dropped; the other region stays for its
 * other entries. The branch between them becomes a jump inside one function instead of a
 * return to the core's loop, a store of the registers, and a reload of them and of the fast
 * paths. Each block runs the same code wherever it sits (blocks compile alike in any region),
 * so counts, cycles and exits are unchanged. Null, leaving things as they are, when `from` is
 * not an ordinary region (a spin loop), does not fit the executable window [lo, hi), or the
 * result would pass MAX_SOURCE.
 */
export function chainRegions(
  cpu: CortexM,
  reg: Region,
  from: CompiledRegion,
  target: number,
  lo: number,
  hi: number,
): CompiledRegion | null {
  const spans = from.blockSpans;
  const chunks = reg.chunks;
  if (spans === null || chunks === null || reg.code === null) return null;
  if (from.dead || from.lo < lo || from.hi > hi) return null;
  cpu.beforeCompile?.();
  const seeds: number[] = [];
  for (let i = 0; i < spans.length; i += 2) seeds.push(spans[i]!);
  seeds.push(target);
  const owner = chunks[target >>> 8]?.fns[(target >>> 1) & 127];
  const minOff = Math.max(lo, Math.min(from.lo, target) - MAX_REACH);
  const maxOff = Math.min(hi, reg.size, Math.max(from.hi, target) + MAX_REACH);
  const blocks = gatherBlocks(
    cpu,
    reg,
    seeds,
    minOff,
    maxOff,
    seeds.length - 1 + CHAIN_EXTRA_BLOCKS,
    MAX_CHAINED_INSNS,
    owner instanceof CompiledRegion ? new Set([from, owner]) : new Set([from]),
  );
  if (blocks === null) return null;
  // Every block of `from` and the target must be in it, or nothing is gained.
  const have = new Set(blocks.map((x) => x.start));
  if (!seeds.every((o) => have.has(o))) return null;
  const made = emitRegion(cpu.translatorStats, reg, blocks, from, MAX_SOURCE);
  if (made !== null) {
    cpu.translatorStats.chained++;
    made.born = cpu.clock.now;
  }
  return made;
}

/** What `gatherBlocks` needs of an instruction's generated code: its flow and target. */
interface FlowNote {
  readonly insn: Insn;
  /** The flow's kind; null when the instruction has no generator (its executor runs). */
  readonly kind: Flow['kind'] | null;
  /** The target of a `jump` or `cond` flow. */
  readonly target: number;
}

/**
 * FlowNotes by address, outside an IT block [0] and inside one [1], valid for the Insn they
 * name: `generate` is a pure function of the instruction, its address and whether it is in an
 * IT block, and decoded instructions are shared (`decode`'s memo), so a later session on the
 * same image (every benchmark run, a reset) finds its flow here instead of generating each
 * instruction's code again only to read its flow (3.5-7 ms of a bench2 session). Bounded:
 * cleared when full.
 */
const FLOWS: [Map<number, FlowNote>, Map<number, FlowNote>] = [new Map(), new Map()];
const MAX_FLOWS = 1 << 16;

function flowAt(insn: Insn, a: number, inIT: boolean): FlowNote {
  const notes = FLOWS[inIT ? 1 : 0];
  let note = notes.get(a);
  if (note === undefined || note.insn !== insn) {
    const g = generate(insn, { pc: a, inIT, sync: '' });
    const flow = g?.flow;
    const target =
      flow !== undefined && (flow.kind === 'jump' || flow.kind === 'cond') ? flow.target : 0;
    note = { insn, kind: flow?.kind ?? null, target };
    if (notes.size >= MAX_FLOWS) notes.clear();
    notes.set(a, note);
  }
  return note;
}

/**
 * The blocks of a region, gathered breadth-first from `seeds` (byte offsets) within
 * [minOff, maxOff); null when none. Blocks that another live region enters at are left to it
 * (the region exits there), except the seeds and the blocks of the regions in `replacing`.
 */
function gatherBlocks(
  cpu: CortexM,
  reg: Region,
  seeds: number[],
  minOff: number,
  maxOff: number,
  maxBlocks: number,
  maxInsns: number,
  replacing: Set<CompiledRegion> | null,
): Block[] | null {
  const code = reg.code as (Insn | undefined)[];
  const chunks = reg.chunks!;
  const offset = seeds[0]!;
  const seedSet = new Set(seeds);
  /** The entries of the switch tables met (TBB/TBH): kept cold or not. */
  const cases = new Set<number>();
  const blocks: Block[] = [];
  const byStart = new Map<number, number>();
  const queue = [...seeds];
  let total = 0;

  const decodeAt = (o: number): Insn | null => {
    if (o + 2 > maxOff) return null;
    let insn = code[o >>> 1];
    if (insn === undefined) {
      const hw1 = reg.u16[o >>> 1]!;
      let hw2 = 0;
      if (hw1 >>> 11 >= 0x1d) {
        if (o + 4 > maxOff) return null;
        hw2 = reg.u16[(o >>> 1) + 1]!;
      }
      insn = decode(hw1, hw2);
      reg.growCode(o >>> 1);
      code[o >>> 1] = insn;
    }
    return o + insn.size > maxOff ? null : insn;
  };

  while (queue.length > 0 && blocks.length < maxBlocks && total < maxInsns) {
    const start = queue.shift()!;
    if (byStart.has(start) || start < minOff || start >= maxOff || (start & 1) !== 0) continue;
    const a0 = reg.base + start;
    if (executeNever(a0) || cpu.breakpointAt(a0)) continue;
    // A spin loop's head is entered from the core only, so its fast-forward sees every pass.
    if (start !== offset && spinHead(reg, start, minOff, maxOff)) continue;
    // Code another region already enters here is left to it (the region exits there), so hot
    // code is compiled once rather than into every region that reaches it.
    const owner = chunks[start >>> 8]?.fns[(start >>> 1) & 127];
    if (
      owner !== undefined &&
      !seedSet.has(start) &&
      !(replacing !== null && replacing.has(owner as CompiledRegion))
    )
      continue;
    // Code the core has not run (no heat: the interpreter counts every pass over an address
    // it has fetched before) is left out: the region exits there. A block that had never run
    // when V8 optimised its region has no type feedback; its first run deoptimised the whole
    // region ("insufficient type feedback"), which V8 then compiled again, and until then the
    // block cost compile time and bytecode (V8 optimises a function later the larger its
    // bytecode). Left out, it is interpreted; if it gets hot it compiles as a region of its own
    // and, when the two keep crossing, `chainRegions` joins them.
    if (owner === undefined && !seedSet.has(start) && !cases.has(start) && coldAt(chunks, start))
      continue;
    const slots: Slot[] = [];
    let o = start;
    let it = 0;
    const succ: number[] = [];
    let fallsThrough = true;
    for (;;) {
      const a = reg.base + o;
      if (slots.length > 0 && (executeNever(a) || executeNever(a + 2) || cpu.breakpointAt(a)))
        break;
      // Nor does a block run on into a spin loop's head: every pass of the loop, the first
      // too, is entered there from the core (spin-loop.ts).
      if (slots.length > 0 && it === 0 && spinHead(reg, o, minOff, maxOff)) break;
      if (slots.length >= MAX_BLOCK + 4 || (slots.length >= MAX_BLOCK && it === 0)) break;
      const insn = decodeAt(o);
      if (insn === null) break;
      const name = insn.encoding.name;
      slots.push({ insn, pc: a, it });
      o += insn.size;
      if (name === 'IT_T1') {
        it = (insn.f.c! << 4) | insn.f.m!;
        continue;
      }
      const before = it;
      it = before === 0 ? 0 : advanceIt(before);
      const g = flowAt(insn, a, before !== 0);
      const flow = g.kind ?? (ENDS_BLOCK.has(name) ? 'end' : 'next');
      if (flow === 'next') continue;
      if (g.kind === 'jump' || g.kind === 'cond') succ.push(g.target - reg.base);
      // Where a call or a supervisor call returns is a block of this region: otherwise each
      // return point (every SVC site of an app's system-call dispatch) got hot on its own and
      // compiled a whole region of its own, ~3 ms of host time each, long into a busy run.
      if (RETURNS_AFTER.has(name) && it === 0) succ.push(o);
      if (name === 'TBB_T1' && insn.f.n === 15) {
        const from = succ.length;
        tableTargets(reg, o, insn.f.h === 1, maxOff, succ);
        for (let i = from; i < succ.length; i++) cases.add(succ[i]!);
      }
      // An unconditional transfer ends the straight run; a conditional one falls through too.
      fallsThrough = before !== 0 || g.kind === 'cond';
      break;
    }
    if (slots.length === 0) continue;
    if (fallsThrough && it === 0) succ.push(o);
    byStart.set(start, blocks.length);
    blocks.push({ start, slots, end: o, itAfter: it });
    total += slots.length;
    for (const s of succ) if (!byStart.has(s)) queue.push(s);
  }
  return blocks.length === 0 ? null : blocks;
}

/**
 * Cold exits on (the default) or off for every core in this process: a switch for A/B
 * benchmarks (`cpu-harness.ts --cold-ab`, `kernel-cpu-harness.ts --no-cold-exits`). Takes
 * effect for regions compiled afterwards.
 */
let coldExits = true;
export function setColdExits(on: boolean): void {
  coldExits = on;
}
export function coldExitsOn(): boolean {
  return coldExits;
}

/** True when the core has not counted a pass over byte offset `o` (`CodeChunk.heat`). */
function coldAt(chunks: (CodeChunk | undefined)[], o: number): boolean {
  if (!coldExits) return false;
  const chunk = chunks[o >>> BLOCK_CHUNK_SHIFT];
  return chunk === undefined || chunk.heat[(o >>> 1) & 127] === 0;
}

/**
 * True when byte offset `o` lies inside (past the start of) a block of a live region that fits
 * the executable window [lo, hi). The core gets there by interpreting: near a clock event or at
 * the end of its budget it may not enter a region, and steps its blocks one instruction at a
 * time; an interrupt returns into the middle of one. From there the interpreter reaches a block
 * start within one block. Compiling a region at each such address cost ~3 ms of host time
 * apiece and went on all through a busy run (each instruction of an app's hot loop that a
 * timer event can fall before got hot in turn: 600 regions in 40 M instructions of the busy
 * nRF52840 kernel).
 */
function insideBlock(
  chunks: (CodeChunk | undefined)[],
  o: number,
  lo: number,
  hi: number,
): boolean {
  const chunk = chunks[o >>> BLOCK_CHUNK_SHIFT];
  if (chunk === undefined) return false;
  for (const c of chunk.covering) {
    if (c.dead || !(c instanceof CompiledRegion) || c.lo < lo || c.hi > hi) continue;
    const spans = c.blockSpans;
    if (spans === null) continue;
    for (let i = 0; i < spans.length; i += 2) if (spans[i]! < o && o < spans[i + 1]!) return true;
  }
  return false;
}

/**
 * The trace layout (`layOut`) on (the default) or off (every clause breaks to the loop's
 * checks) for every core in this process: a switch for separate-process A/B benchmarks
 * (`nrf-busy-trace.ts --no-trace-layout`). Takes effect for regions compiled afterwards.
 */
let traceLayout = true;
export function setTraceLayout(on: boolean): void {
  traceLayout = on;
}

/**
 * Tail copies in the trace layout: a block whose successor is not the clause after it (only one
 * block can fall through into a clause) goes on into a copy of that successor's statements
 * under the checks a fall-through makes, up to TAIL_COPY_DEPTH blocks deep, each copied block
 * at most TAIL_COPY_CHARS characters of source and a region's copies at most TAIL_COPY_GROWTH
 * times its clauses. A copy runs the same statements as the clause (the same fault indexes `k`
 * into the same tables), so the instructions, cycles and exits are those of the clause; what
 * it saves is the trip through the loop's checks and the `switch`'s indirect jump. On bench2
 * every handler of its bytecode machine jumps to the fetch block, which falls into the TBB:
 * three switch dispatches a bytecode, the hottest lines of its hottest region, became one.
 * A switch for separate-process A/B benchmarks (`setTailCopies`); regions compiled afterwards.
 */
const TAIL_COPY_DEPTH = 3;
const TAIL_COPY_CHARS = 1500;
const TAIL_COPY_GROWTH = 1;
let tailCopies = true;
export function setTailCopies(on: boolean): void {
  tailCopies = on;
}

/**
 * The `switch` clauses of a region's blocks (`cases[i]`: block i's statements, ending with `b`
 * set to the block to run next, -1 to leave), laid out so that a block goes on to one of its
 * static successors (`nexts[i]`, preferred first) without the trip through the loop's checks
 * and the `switch`'s indirect jump: the clauses are ordered in traces (each block followed by
 * its first successor not yet placed) and a block falls through into the clause after it when
 * that is the block it chose and the checks the loop makes between blocks pass (budget, next
 * clock event, no call into the core since the last check: `x === 0`); a block that may branch
 * to itself (a tight loop) repeats inside its clause under the same checks. Anything else
 * breaks out of the `switch` to the loop's checks, as every block did before, so the blocks
 * run in the same order with the same checks before each. (On bench2 the loop's checks and
 * the `switch` were the hottest lines of its hottest regions.)
 */
function layOut(cases: string[], nexts: number[][], copyChars: number): string {
  const count = cases.length;
  if (!traceLayout) {
    let flat = '';
    for (let i = 0; i < count; i++) flat += `case ${i}: {\n${cases[i]}}\nbreak;\n`;
    return flat;
  }
  const placed = new Uint8Array(count);
  const order: number[] = [];
  for (let s = 0; s < count; s++) {
    for (let c = s; c >= 0 && placed[c] === 0;) {
      placed[c] = 1;
      order.push(c);
      c = nexts[c]!.find((j) => j >= 0 && placed[j] === 0) ?? -1;
    }
  }
  // The block's choice is tested last (as in the loop's check after the `switch`): a test
  // evaluated only when the one before it fails gets V8's type feedback only then, and a block
  // whose first passes all left the region (or all chose the other successor) had the budget
  // and clock tests without feedback; TurboFan compiled them as deoptimizations, met at the
  // first fall-through (busy nRF52840 kernel: 25 and 15 region deoptimizations in two first
  // runs, 11 and 11 with the choice last; `node --trace-deopt`). The tests are pure, so their
  // order changes nothing else.
  const go = (j: number): string => `if (now >= lim || n > nlim || x !== 0 || b !== ${j}) break;\n`;
  const loops = (i: number): boolean => nexts[i]!.includes(i);
  let copied = 0;
  let out = '';
  for (let p = 0; p < count; p++) {
    const i = order[p]!;
    const after = p + 1 < count ? order[p + 1]! : -1;
    out += loops(i)
      ? `case ${i}: for (;;) {\n${cases[i]}${go(i)}}\n`
      : `case ${i}: {\n${cases[i]}}\n`;
    // Tail copies: a block that cannot fall through into its successor goes on into a copy of
    // it, and of that one's successor, under the same checks (see TAIL_COPY_DEPTH).
    let last = i;
    if (copyChars > 0 && !loops(i) && !(after >= 0 && nexts[i]!.includes(after))) {
      for (let depth = 0; depth < TAIL_COPY_DEPTH; depth++) {
        const j = nexts[last]!.find((s) => s >= 0) ?? -1;
        if (j < 0 || loops(j) || cases[j]!.length > TAIL_COPY_CHARS) break;
        const copy = `${go(j)}{\n${cases[j]}}\n`;
        if (copied + copy.length > copyChars) break;
        copied += copy.length;
        out += copy;
        last = j;
      }
    }
    out += after >= 0 && nexts[last]!.includes(after) ? go(after) : 'break;\n';
  }
  return out;
}

/**
 * Generates and registers the region of `blocks`; with `replaces`, drops that region first
 * (chaining), and gives up (null) when the source would pass `maxSource` characters.
 */
function emitRegion(
  stats: TranslatorStats,
  reg: Region,
  blocks: Block[],
  replaces: CompiledRegion | null = null,
  maxSource = Infinity,
): CompiledRegion | null {
  const key = emitKey(reg, blocks);
  let em = EMITTED.get(key);
  if (em === undefined) {
    const made = emitSource(reg, blocks, maxSource);
    if (made === null) return null;
    em = made;
    if (EMITTED.size >= MAX_FACTORIES) EMITTED.delete(EMITTED.keys().next().value!);
    EMITTED.set(key, em);
  } else if (em.sourceBytes > maxSource) return null;
  // The executors and fields of this session's instructions (equal to the memo's: decoded
  // from the same halfwords).
  const E: unknown[] = [];
  const F: unknown[] = [];
  for (let j = 0; j < em.fallbacks.length; j += 2) {
    const insn = blocks[em.fallbacks[j]!]!.slots[em.fallbacks[j + 1]!]!.insn;
    E.push(insn.exec);
    F.push(insn.f);
  }
  const { fn, lo, hi } = em;
  const k = [em.idx, E, F, ...em.tables, em.tbt];
  const entries: number[] = [];
  const cr = new CompiledRegion(fn, k, em.maxLen, em.maxCycles, lo, hi, entries, em.sourceBytes);
  cr.blockSpans = em.spans;
  register(reg, blocks, cr, replaces);
  stats.regions++;
  stats.blocks += blocks.length;
  stats.instructions += em.tables[0].length;
  stats.sourceBytes += em.sourceBytes;
  return cr;
}

/**
 * What `emitSource` makes of a region's blocks: a pure function of the region's base address,
 * its blocks' bounds and the halfwords in them (`emitKey`), so sessions on the same image (every
 * run of a benchmark, a reset, a restored snapshot) take it from `EMITTED` instead of generating
 * the source again: bench2 generates ~200 KiB of source per session, ~5 % of a session's CPU
 * time (its first 10^6 instructions ran at ~50-100 MIPS in later sessions, mostly that).
 */
interface Emitted {
  readonly fn: CompiledRegion['fn'];
  readonly sourceBytes: number;
  /** Block index by halfword offset from `lo` (the function's IDX). */
  readonly idx: Int16Array;
  /** PCK, ITK, PRECK, PRENK, FB, EXC, NXK, ITAK: read-only tables of the function (K[3..10]). */
  readonly tables: [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Uint8Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  /** Block and slot index of each instruction that runs its executor, in E/F order. */
  readonly fallbacks: Int32Array;
  /** Block index by a TBB's loaded byte (the function's TBT, K[11]). */
  readonly tbt: Int16Array;
  readonly maxLen: number;
  readonly maxCycles: number;
  readonly lo: number;
  readonly hi: number;
  readonly spans: Int32Array;
}

/** Emitted regions by `emitKey` (bounded like FACTORIES, oldest dropped first). */
const EMITTED = new Map<string, Emitted>();

/**
 * The key of a region's generated code: its code region's base, and per block its bounds,
 * ITSTATE after it and the halfwords it decodes (the instructions are `decode` of them, and
 * generate, the IT state of each slot and the block layout follow from those alone).
 */
function emitKey(reg: Region, blocks: Block[]): string {
  let key = `${reg.base}`;
  for (const b of blocks) {
    key +=
      String.fromCharCode(
        b.start & 0xffff,
        b.start >>> 16,
        b.end & 0xffff,
        b.end >>> 16,
        b.itAfter,
        0xffff,
      ) + String.fromCharCode.apply(null, reg.u16.subarray(b.start >>> 1, b.end >>> 1) as never);
  }
  return key;
}

/** Registers `cr` in the chunk tables for `blocks`; drops `replaces` first (chaining). */
function register(
  reg: Region,
  blocks: Block[],
  cr: CompiledRegion,
  replaces: CompiledRegion | null,
): void {
  const entries = cr.entries;
  const chunks = reg.chunks!;
  if (replaces !== null) {
    replaces.dead = true;
    for (const h of replaces.entries) {
      const owner = chunks[h >>> 7];
      if (owner !== undefined && owner.fns[h & 127] === replaces) owner.fns[h & 127] = undefined;
    }
  }
  for (const b of blocks) {
    const h = b.start >>> 1;
    let chunk = chunks[h >>> 7];
    if (chunk === undefined) chunks[h >>> 7] = chunk = new CodeChunk();
    if (chunk.fns[h & 127] === undefined) {
      chunk.fns[h & 127] = cr;
      entries.push(h);
    }
  }
  const seen = new Set<number>();
  for (const b of blocks) {
    for (
      let c = b.start >>> BLOCK_CHUNK_SHIFT, e = (b.end - 1) >>> BLOCK_CHUNK_SHIFT;
      c <= e;
      c++
    ) {
      if (seen.has(c)) continue;
      seen.add(c);
      let chunk = chunks[c];
      if (chunk === undefined) chunks[c] = chunk = new CodeChunk();
      chunk.covering.push(cr);
    }
  }
}

/** The flags a region function keeps in locals. */
const FLAGS = ['N', 'Z', 'C', 'V'] as const;
/** A flag local written by a statement of its own (`N = ...;`), and the text before it. */
const FLAG_WRITE = /\b([NZCV]) = (?!=)[^;{}]*;/g;

/**
 * The generated code of each instruction of block `b` (a function of the `sync` source, which
 * depends on the cycles before it; null: run its executor), with the flag writes that no one
 * can see left out (flag liveness within the block). Why: Thumb code sets the flags with most
 * 16-bit data-processing instructions (ADDS, MOVS, LSLS...), and the next one usually sets them
 * again; each write is 1-4 operations (bench2's hottest block: two ADDS and a CMP), and TurboFan
 * cannot drop them itself, since every check in between that may deoptimize keeps them alive.
 * A write is dead when a later instruction of the block writes the flag unconditionally before
 * anything reads it. Everything that can see the flags keeps them: a read (an ADC, a shift with
 * carry, a condition), an instruction in or at an IT block (conditions read them, and a skipped
 * instruction writes nothing), one that calls into the core (a memory slow path or fault: the
 * fault path and an attention exit store the flags; an executor reads them), and the block's
 * end (the next block is not known here).
 */
function blockCode(b: Block): ((sync: string) => Generated | null)[] {
  const n = b.slots.length;
  const at = (i: number, sync: string): Generated | null => {
    const { insn, pc, it } = b.slots[i]!;
    const g = generate(insn, { pc, inIT: it !== 0, sync });
    return g !== null && /\br15\b/.test(g.code) ? null : g;
  };
  /** Per instruction: the flags whose writes are dead (bit 0 N ... bit 3 V). */
  const dead = new Uint8Array(n);
  let live = 15;
  for (let i = n - 1; i >= 0; i--) {
    const { insn, it } = b.slots[i]!;
    const g = insn.encoding.name === 'IT_T1' || it !== 0 ? null : at(i, '');
    if (g === null || g.calls || /\bcpu\.\w+\(|\bbreak\b/.test(g.code)) {
      live = 15;
      continue;
    }
    const flow = g.flow.kind === 'cond' ? g.flow.cond : '';
    let writes = 0;
    let reads = 0;
    for (let f = 0; f < 4; f++) {
      const name = FLAGS[f]!;
      const all = (`${g.code} ${flow}`.match(new RegExp(`\\b${name}\\b`, 'g')) ?? []).length;
      let own = 0;
      for (const m of g.code.matchAll(FLAG_WRITE)) {
        if (m[1] !== name) continue;
        own++;
        // Unconditional: a statement of its own at the top level of the code.
        if (statementAt(g.code, m.index) && depthAt(g.code, m.index) === 0) writes |= 1 << f;
      }
      if (all > own) reads |= 1 << f;
    }
    dead[i] = writes & ~live;
    live = (live & ~writes) | reads;
  }
  const out: ((sync: string) => Generated | null)[] = [];
  for (let i = 0; i < n; i++) {
    const d = dead[i]!;
    out.push((sync) => {
      const g = at(i, sync);
      if (g === null || d === 0) return g;
      const code = g.code.replace(FLAG_WRITE, (w: string, f: string, index: number) =>
        (d >>> FLAGS.indexOf(f as 'N')) & 1 && statementAt(g.code, index) ? '' : w,
      );
      return { ...g, code };
    });
  }
  return out;
}

/** True when the code at `i` starts a statement (not the body of a brace-less if/else). */
function statementAt(code: string, i: number): boolean {
  const before = code.slice(0, i).trimEnd();
  return before === '' || before.endsWith(';') || before.endsWith('}') || before.endsWith('{');
}

/** Brace and parenthesis depth of the code at `i`. */
function depthAt(code: string, i: number): number {
  let d = 0;
  for (let j = 0; j < i; j++) {
    const c = code[j];
    if (c === '{' || c === '(') d++;
    else if (c === '}' || c === ')') d--;
  }
  return d;
}

/**
 * Generates the source of the region of `blocks` and makes (or finds in FACTORIES) its
 * function; null when the source would pass `maxSource` characters.
 */
function emitSource(reg: Region, blocks: Block[], maxSource: number): Emitted | null {
  const byStart = new Map<number, number>();
  for (let i = 0; i < blocks.length; i++) byStart.set(blocks[i]!.start, i);
  let lo = Infinity;
  let hi = 0;
  for (const b of blocks) {
    lo = Math.min(lo, b.start);
    hi = Math.max(hi, b.end);
  }
  const base = reg.base + lo;
  const span = (hi - lo) >>> 1;
  const idx = new Int16Array(span).fill(-1);
  for (const b of blocks) idx[(b.start - lo) >>> 1] = byStart.get(b.start)!;

  // Per-instruction tables for the fault path, and the executors of fallback instructions.
  const PCK: number[] = [];
  const ITK: number[] = [];
  const PRECK: number[] = [];
  const PRENK: number[] = [];
  const FB: number[] = [];
  /** Per instruction: static cycles of its block up to and including it, the next address, ITSTATE after. */
  const EXC: number[] = [];
  const NXK: number[] = [];
  const ITAK: number[] = [];
  const fallbacks: number[] = [];
  /** Block index by a TBB's loaded byte, 256 entries per TBB (the function's TBT, K[11]). */
  const TBT: number[] = [];
  let nE = 0;
  const used = new Set<number>();
  let maxLen = 0;
  let maxCycles = 0;
  const cases: string[] = [];
  const indexOf = (target: number): number => {
    const o = target - reg.base;
    return byStart.get(o) ?? -1;
  };

  /** Per block: the blocks it may go to next that are known at translation time, preferred first. */
  const nexts: number[][] = [];
  for (let bi = 0; bi < blocks.length; bi++) {
    const b = blocks[bi]!;
    const succ: number[] = [];
    nexts.push(succ);
    let out = '';
    let prec = 0; // static cycles so far in this block
    let worst = 0; // worst-case cycles of this block
    const n = b.slots.length;
    maxLen = Math.max(maxLen, n);
    /** Set once the block's last instruction has emitted an unconditional transfer. */
    let ended = false;
    const gens = blockCode(b);
    for (let i = 0; i < n; i++) {
      const { insn, pc, it } = b.slots[i]!;
      const next = pc + insn.size;
      const k = PCK.length;
      PCK.push(pc);
      ITK.push(it);
      PRECK.push(prec);
      PRENK.push(i);
      NXK.push(next);
      if (insn.encoding.name === 'IT_T1') {
        FB.push(0);
        prec += 1;
        worst += 1;
        EXC.push(prec);
        ITAK.push((insn.f.c! << 4) | insn.f.m!);
        continue;
      }
      const itAfter = it === 0 ? 0 : advanceIt(it);
      ITAK.push(itAfter);
      // A slow access names its instruction in cpu.pc, as the interpreter does (the MMIO
      // access log records it).
      const sync = `clock.now = now + ${prec}; cpu.pc = ${pc};`;
      const g = gens[i]!(sync);
      const cond = it === 0 ? null : condExpr(it >>> 4);
      const ops = g === null ? registerOperands(insn) : null;
      if (ops !== null) {
        // An executor that touches only its operand registers (and Q/GE): those are stored
        // and reloaded around the call. It cannot end the block or need the core's attention.
        FB.push(0);
        fallbacks.push(bi, i);
        nE++;
        for (const r of ops) used.add(r);
        const call =
          `k = ${k}; ${ops.map((r) => `r[${r}] = r${r};`).join(' ')}` +
          ` now += E[${nE - 1}](cpu, F[${nE - 1}]) - 1; ${ops.map((r) => `r${r} = r[${r}];`).join(' ')}`;
        out += cond === null ? `${call}\n` : `if (${cond}) { ${call} }\n`;
        prec += 1;
        EXC.push(prec);
        worst += FALLBACK_MAX_CYCLES;
        continue;
      }
      if (g === null) {
        // The executor, with the locals stored around the call.
        FB.push(1);
        fallbacks.push(bi, i);
        nE++;
        for (let r = 0; r < 15; r++) used.add(r);
        const call =
          `k = ${k}; FLUSH cpu.pc = ${pc}; cpu.nextPc = ${next}; r[15] = ${(pc + 4) | 0}; cpu.itstate = ${it};` +
          ` clock.now = now + ${prec}; cpu.budget = b0 - n - ${i};` +
          ` t = E[${nE - 1}](cpu, F[${nE - 1}]); RELOAD x = 2; now += t - 1;` +
          ` if (cpu.nextPc !== ${next} || cpu.attention) { n += ${i + 1}; now += ${prec + 1}; pc = cpu.nextPc | 0; l = ${(pc + 4) | 0}; its = ${itAfter}; x = 0; break L; }`;
        out += cond === null ? `${call}\n` : `if (${cond}) { ${call} }\n`;
        prec += 1;
        EXC.push(prec);
        worst += FALLBACK_MAX_CYCLES;
        continue;
      }
      FB.push(0);
      for (const m of g.code.matchAll(/\br(1[0-4]|[0-9])\b/g)) used.add(Number(m[1]));
      if (g.flow.kind === 'cond' || g.flow.kind === 'jump') {
        for (const m of (g.flow.kind === 'cond' ? g.flow.cond : '').matchAll(
          /\br(1[0-4]|[0-9])\b/g,
        ))
          used.add(Number(m[1]));
      }
      const pre = g.calls ? `k = ${k}; ` : '';
      const flow = g.flow;
      if (flow.kind === 'next') {
        // After a call that raised attention, leave with this instruction done (see EXC).
        const attend = g.calls ? ' if (x === 1) break L;' : '';
        EXC.push(prec + (cond === null ? g.cycles : 1));
        if (cond === null) out += `${pre}${g.code}${attend}\n`;
        else out += `if (${cond}) { ${pre}${g.code} now += ${g.cycles - 1};${attend} }\n`;
        prec += cond === null ? g.cycles : 1;
        worst += g.cycles;
        continue;
      }
      // A branch: the last instruction of its block. After a slow access that raised
      // attention the branch still completes; the region is left at its target.
      const stat = prec + (cond === null ? g.cycles : 1);
      EXC.push(stat);
      worst += g.cycles + 2;
      const done = `n += ${i + 1}; now += ${stat}; l = ${(pc + 4) | 0}; its = 0;`;
      let body: string;
      if (flow.kind === 'jump') {
        body = `${done} pc = ${flow.target}; b = ${indexOf(flow.target)};`;
        succ.push(indexOf(flow.target));
      } else if (flow.kind === 'cond') {
        succ.push(indexOf(next), indexOf(flow.target));
        // The cycles are added once, after the choice, which only assigns constants: an
        // operation in one arm alone (the taken branch's 2 cycles) has no type feedback until
        // that arm runs, and TurboFan compiles it as a deoptimization (one in five of the
        // busy nRF52840 kernel's region deoptimizations, each a recompile of the region).
        body =
          `n += ${i + 1}; l = ${(pc + 4) | 0}; its = 0;` +
          ` if (${flow.cond}) { o = ${stat + 2}; pc = ${flow.target}; b = ${indexOf(flow.target)}; }` +
          ` else { o = ${stat}; pc = ${next}; b = ${indexOf(next)}; } now += o;`;
      } else if (flow.kind === 'jumpTo' && flow.table !== undefined) {
        // A TBB: the target's block by the loaded byte, from a table made here (TBT) instead
        // of the address arithmetic and IDX at run time (the byte is still read from memory,
        // through the fast paths or the core, so the table's contents and the read's
        // permissions and watchpoints stay the memory's). bench2's interpreter dispatches
        // through one TBB; its target computation was among the hottest lines of its region.
        const { index, base: tb, entries } = flow.table;
        const off = TBT.length;
        for (let v = 0; v < entries; v++) {
          const o = (((tb + 2 * v) | 0) - base) >>> 1;
          TBT.push(o < span ? idx[o]! : -1);
        }
        // The index is tested: a device's byte read could return more than a byte (the
        // executor would branch by it), and TBT holds the next TBB's entries after these.
        body = `${done} pc = t; b = (${index} & ${-entries}) === 0 ? TBT[${off} + ${index}] : -1;`;
      } else if (flow.kind === 'jumpTo') {
        body = `${done} pc = t & ~1; o = (pc - ${base}) >>> 1; b = o < ${span} ? IDX[o] : -1;`;
      } else {
        // BXWritePC / LoadWritePC: EXC_RETURN in Handler mode and T=0 go through the core.
        body =
          `${done} if ((t & 1) === 0 || ((t >>> 28) === 15 && cpu.ipsr !== 0)) { cpu.bxWrite(t); pc = cpu.nextPc | 0; b = -1; }` +
          ` else { pc = t & ~1; o = (pc - ${base}) >>> 1; b = o < ${span} ? IDX[o] : -1; }`;
      }
      if (g.calls) body += ' if (x === 1) { x = 0; b = -1; }';
      if (cond === null) {
        out += `${pre}${g.code}\n${body}\n`;
        prec = stat;
        ended = true;
      } else {
        // A branch as the last instruction of an IT block: taken only when its condition holds.
        out += `if (${cond}) { ${pre}${g.code} now += ${g.cycles - 1};\n${body} break; }\n`;
        prec += 1;
      }
    }
    let transfer = '';
    if (!ended) {
      // Straight on to the next address (a block cut by length, window or breakpoint, or
      // ending in an instruction that may fall through).
      const lastSlot = b.slots[n - 1]!;
      const nextAddr = reg.base + b.end;
      transfer = `n += ${n}; now += ${prec}; l = ${(lastSlot.pc + 4) | 0}; its = ${b.itAfter}; pc = ${nextAddr}; b = ${b.itAfter === 0 ? indexOf(nextAddr) : -1};`;
      if (b.itAfter === 0) succ.push(indexOf(nextAddr));
    }
    out += `${transfer}\n`;
    maxCycles = Math.max(maxCycles, worst);
    cases.push(out);
  }

  const regs = [...used].sort((x, y) => x - y);
  const flush =
    regs.map((r) => `r[${r}] = r${r};`).join(' ') + ' cpu.n = N; cpu.z = Z; cpu.c = C; cpu.v = V;';
  const reload =
    regs.map((r) => `r${r} = r[${r}];`).join(' ') +
    ' N = cpu.n | 0; Z = cpu.z | 0; C = cpu.c | 0; V = cpu.v | 0;';
  const expanded = cases.map((c) => c.replace(/FLUSH/g, flush).replace(/RELOAD/g, reload));
  // Tail copies fill at most the room the region's bound leaves (the region is formed as it
  // would be without them).
  const sourceOf = (copyChars: number): string => {
    const clauses = layOut(expanded, nexts, copyChars);
    return [
      '"use strict";',
      'return function region(cpu, r, clock, K) {',
      'const IDX = K[0], E = K[1], F = K[2], PCK = K[3], ITK = K[4], PRECK = K[5], PRENK = K[6], FB = K[7], EXC = K[8], NXK = K[9], ITAK = K[10];',
      TBT.length ? 'const TBT = K[11];' : '',
      regs.length ? `let ${regs.map((x) => `r${x} = r[${x}]`).join(', ')};` : '',
      'let N = cpu.n | 0, Z = cpu.z | 0, C = cpu.c | 0, V = cpu.v | 0;',
      // `t` always: the exit paths of calls and indirect branches use it.
      `let ${SCRATCH_LOCALS.filter((v) => v === 't' || new RegExp(`\\b${v}\\b`).test(clauses))
        .map((v) => `${v} = 0`)
        .join(', ')};`,
      FAST_PATH_LOCALS,
      'let pc = cpu.pc | 0, n = 0, now = clock.now, k = -1, x = 0, l = r[15], its = 0;',
      'const b0 = cpu.budget;',
      `const nlim = b0 - ${maxLen};`,
      `const lim = clock.next - ${maxCycles};`,
      `let b = IDX[(pc - ${base}) >>> 1];`,
      'try {',
      // The fast-path locals are reloaded only between passes of the inner loop (after a call
      // into the core, x !== 0), so they are not values of the inner loop's header: ~20 fewer
      // loop-carried values for TurboFan's register allocator to shuffle at every block's end
      // (bench and bench2: +3.5-6 % main-thread MIPS in three in-process A/B runs). They are
      // loaded at the top of the outer loop, at entry and after such a call alike: one copy of
      // the loads in the source instead of two (~1 KiB a region function, 5-6 % of the busy
      // nRF52840 run's source, `emulator-source-bytes.ts`), and V8 has their type feedback
      // from the first entry on.
      'L: for (;;) {',
      REFRESH,
      'M: for (;;) {',
      'switch (b) {',
      clauses,
      'default: break L;',
      '}',
      'if (now >= lim || n > nlim || b < 0) break L;',
      'if (x !== 0) { x = 0; break M; }',
      '}',
      '}',
      '} catch (e) {',
      `if (k >= 0 && FB[k] === 0) { ${flush} }`,
      'if (k >= 0) { cpu.pc = PCK[k]; r[15] = (PCK[k] + 4) | 0; cpu.itstate = ITK[k]; clock.now = now + PRECK[k]; cpu.budget = b0 - n - PRENK[k]; }',
      'throw e;',
      '}',
      'if (x === 1) { n += PRENK[k] + 1; now += EXC[k]; pc = NXK[k]; l = (PCK[k] + 4) | 0; its = ITAK[k]; }',
      flush,
      'cpu.pc = pc >>> 0; r[15] = l; cpu.itstate = its; cpu.budget = b0 - n; clock.now = now;',
      'if (now >= clock.next) { clock.runDue(); cpu.attention = true; }',
      '};',
    ].join('\n');
  };
  let src = sourceOf(0);
  if (tailCopies) {
    let total = 0;
    for (const c of expanded) total += c.length;
    const room = maxSource - src.length;
    const copyChars = Math.min(total * TAIL_COPY_GROWTH, room);
    if (copyChars > 0) src = sourceOf(copyChars);
  }
  if (src.length > maxSource) return null;
  let fn = FACTORIES.get(src);
  if (fn === undefined) {
    fn = make(src, base);
    if (FACTORIES.size >= MAX_FACTORIES) FACTORIES.delete(FACTORIES.keys().next().value!);
    FACTORIES.set(src, fn);
  }
  return {
    fn,
    sourceBytes: src.length,
    idx,
    tables: [
      Int32Array.from(PCK),
      Int32Array.from(ITK),
      Int32Array.from(PRECK),
      Int32Array.from(PRENK),
      Uint8Array.from(FB),
      Int32Array.from(EXC),
      Int32Array.from(NXK),
      Int32Array.from(ITAK),
    ],
    fallbacks: Int32Array.from(fallbacks),
    tbt: Int16Array.from(TBT),
    maxLen,
    maxCycles,
    lo,
    hi,
    spans: Int32Array.from(blocks.flatMap((b) => [b.start, b.end])),
  };
}
