/**
 * CortexM: the ARMv7E-M (Cortex-M4) processor with its exception model and System Control Space.
 *
 * This class owns the architectural state (typed-array register file, flags as small numbers,
 * banked stack pointers, special registers, NVIC/SCB state) and the interpreter loop. It is pure
 * TypeScript and deterministic: time is the virtual clock, and every piece of state is plain
 * data returned by `snapshot()`. Instructions come from the table-driven decoder in cpu/table.ts
 * through a decoded-instruction cache kept per code region (invalidated on writes). Faults are
 * recorded in the SCB registers and thrown as a sentinel that the loop catches, so the hot path
 * carries no result checks. The System Control Space (NVIC, SCB, SysTick, MPU, DWT, FPB, debug
 * registers) is in system/scs.ts and operates on the fields here.
 *
 * Usage:
 *   const core = new CortexM({ frequencyHz: 25_000_000, numIrqs: 32, priorityBits: 8 });
 *   const flash = core.bus.mapRom(0, 0x40_0000, 'flash');
 *   flash.set(image); core.reset();
 *   const why = core.run(1_000_000);
 */
import { Clock } from './clock';
import { DOUBLE_FIELD } from './double-field';
import { conditionPassed } from './cpu/alu';
import {
  chainRegions,
  coldExitsOn,
  compileRegion,
  type CompiledRegion,
  type TranslatorStats,
} from './cpu/translate';
import { COVERAGE_NAMES, decode, disassembleWord, type Insn, ENCODING_NAMES } from './cpu/table';
import {
  type AccessSize,
  BusErrorSignal,
  type CoreControl,
  type CoreHooks,
  type InterruptLines,
  type StopReason,
} from './interfaces';
import { Bus, CodeChunk, Region, RegionKind } from './memory/bus';
import { installSystem, type SystemBlocks } from './system/scs';
import { CFSR, Exc, ExceptionModel, FAULT, FaultSignal, HFSR, Stk } from './exceptions';

export { CFSR, Exc, FAULT } from './exceptions';

export interface CoreConfig {
  /** Virtual clock rate in cycles per second. */
  frequencyHz: number;
  /** External interrupt lines wired to the NVIC (1..496). */
  numIrqs: number;
  /** Implemented NVIC priority bits (QEMU 7.2's NVIC implements all 8). */
  priorityBits: number;
  hooks?: CoreHooks;
  /** M4F: CPACR implemented; FP instructions take NOCP while CP10/CP11 are disabled. */
  fpu?: boolean;
  /** Count executions per encoding for coverage reports. */
  collectCoverage?: boolean;
  /** SysTick external reference clock (CLKSOURCE=0) in Hz; default 1 MHz as on MPS2. */
  systickRefHz?: number;
  /** Called on AIRCR.SYSRESETREQ; default: reset the core. */
  onSystemReset?: () => void;
  /**
   * Compile hot code (cpu/translate.ts); default true. Off, every instruction is interpreted:
   * the differential test runs both ways and requires identical runs.
   */
  translate?: boolean;
}

/** Thrown when an instruction halts the core before completing (BKPT under halting debug). */
const HALT = new FaultSignal();

/**
 * Entries into a code address before the block starting there is compiled (at most 255: the
 * count is a byte, `CodeChunk.heat`). A region's first runs are V8's slowest: its function runs
 * in V8's bytecode interpreter until TurboFan has compiled it on a background thread (30 ms
 * median, up to ~0.9 s for the largest, in the busy nRF52840 kernel, `node --trace-opt`): the
 * stretch of that run where the fuzzer's code compiled ran ~7 M instructions per thread CPU
 * second, the core's interpreter alone (already optimised from the boot on) ~19 M. And code run
 * only a few dozen times was compiled, then grown or chained, compiled again, for little. At 16 the busy fuzzer run compiled 242 regions (27 of them again, grown or chained),
 * 3 MiB of source, of which V8 optimised 96; at 64, 152 (8), and the translator's A/B
 * (`npm run bench:nrf-ab`, 50 slices from the fuzzer's start: its warm-up) ran 1.00-1.13x as
 * fast, median 1.05, in six runs on the loaded 2-core machine.
 */
const BLOCK_HEAT = 64;
/**
 * Times in a row a compiled region, having returned, is followed straight by the same other
 * region before it is compiled again with the block it leaves for (translate.ts,
 * `chainRegions`): bench.elf entered regions every 62 instructions, 756,000 times a session,
 * through a loop split between two of them; chained, ~900.
 */
const CHAIN_HEAT = 256;
/**
 * Most cycles on average between those entries for the chaining to be done. The busy nRF52840
 * kernel crosses between regions about once per 1,700 instructions per pair (its system-call
 * path); chaining those cost more compiling than it saved (kernel-cpu-harness, 20 M
 * instructions: 0.30-0.36 against 0.35-0.45 of the chip unchained).
 */
const CHAIN_SPACING = 400;
/**
 * A region grows by a block it leaves for (translate.ts, cold exits: a block the core had not
 * run when the region was compiled is left out of it) when that block gets hot, BLOCK_HEAT
 * passes, within BLOCK_HEAT * GROW_SPACING cycles of the region's compile: part of the same hot
 * loop, such as a switch case the first passes did not take. Later, it is code that is run now
 * and then (a kernel's error and rare system-call paths) and compiles as a region of its own:
 * growing there recompiled the whole region every time (busy nRF52840 kernel, 40 M
 * instructions: 2,169 blocks compiled against 1,138, and slower than no cold exits at all).
 * bench2 enters regions 27,304 times per 10 M instructions without growing, 848 with it (239
 * without cold exits).
 */
const GROW_SPACING = 2048;
/**
 * Heat is a rate, not a count: when an address reaches BLOCK_HEAT and HEAT_PERIOD cycles or more
 * have passed since the heat was last halved, every count of the code region is halved first
 * (`coolChunks`; this address then has BLOCK_HEAT / 2 and goes on being interpreted). So code
 * compiles when it runs about BLOCK_HEAT times within a period or two (at 2^21 cycles, 33 ms of
 * the 64 MHz nRF52840: ~1,000-2,000 passes per second of the chip's time or more), not when it
 * has run BLOCK_HEAT times since boot. Why: the busy nRF52840 kernel's first run compiled 155
 * regions, 2,272 KiB of source, and a region of it that ran under 10,000 instructions after its
 * compile (77 of them, ~880 KiB: boot and initialisation, the end of the fuzzer's report, rare
 * system-call paths) cost more in compiling (the main thread's `new Function`, V8's background
 * optimising, which is most of the first run's process CPU) than it could save over the
 * interpreter. With the heat halved every 2^21 cycles: 94 regions, 1,540 KiB, 0.62 M of 74 M
 * instructions interpreted instead of 0.23 M and 4 % fewer region entries (fewer owners for
 * regions to exit to); the first run's CPU, median of 7 separate-process pairs at load 7-15
 * (nrf-busy-trace.ts --heat-period): thread 1.87 s against 2.24, process 4.38 against 5.18; the
 * second session (steady state) 1.27 s of thread against 1.13, inside the pairs' spread
 * (0.96-1.64 against 1.07-1.45). 2^19 and 2^20 compiled less (66, 85 regions) but interpreted
 * more (1.5 M, 0.7 M). Counts halve only when something is about to
 * compile, so code that runs rarely is cooled at its next try. Settable for A/B benchmarks
 * (`setHeatPeriod`; Infinity: counts since boot, as before).
 */
export const HEAT_PERIOD = 1 << 21;
let heatPeriod = HEAT_PERIOD;
/** Sets HEAT_PERIOD for every core in this process (A/B benchmarks, tests). */
export function setHeatPeriod(cycles: number): void {
  heatPeriod = cycles;
}

/** Halves every pass count (`CodeChunk.heat`) of a code region's chunks (HEAT_PERIOD). */
function coolChunks(chunks: (CodeChunk | undefined)[]): void {
  for (let c = 0; c < chunks.length; c++) {
    const heat = chunks[c]?.heat;
    if (heat === undefined) continue;
    // Rounded up: code that has run stays "run" for the cold exits (translate.ts `coldAt`).
    for (let i = 0; i < 128; i++) heat[i] = (heat[i]! + 1) >>> 1;
  }
}

/** The windows made under one access context, and its saved fast-path slots (`slotContext`). */
interface WindowCache {
  windows: { acc: Acc; win: Region }[];
  slots: Region[] | null;
  /** The executable window the code fast path last ran in under this context, or null. */
  code: Region | null;
}

/** An access kind for MPU and fault attribution. */
const enum Acc {
  Read = 0,
  Write = 1,
  Exec = 2,
}

type SpecialName = 'xpsr' | 'msp' | 'psp' | 'primask' | 'basepri' | 'faultmask' | 'control';

export interface CoreSnapshot {
  r: number[];
  pc: number;
  flags: number[];
  ge: number;
  itstate: number;
  ipsr: number;
  tbit: number;
  otherSp: number;
  primask: number;
  faultmask: number;
  basepri: number;
  control: number;
  sleeping: number;
  eventReg: number;
  exclusive: number;
  instructions: number;
  cycles: number;
  system: unknown;
  memory: { name: string; base: number; bytes: Uint8Array }[];
  devices: { name: string; state: unknown }[];
}

/** See `CortexM.observeWrites`. */
export type WriteObserver = (address: number, size: AccessSize, value: number) => void;

export class CortexM implements CoreControl {
  readonly bus = new Bus();
  readonly clock: Clock;
  readonly irq: InterruptLines;
  readonly config: Required<Omit<CoreConfig, 'hooks' | 'onSystemReset'>> & CoreConfig;
  /** Observer of every CPU data write, exception stacking included (debugger writes excluded). */
  onDataWrite: ((address: number, size: 1 | 2 | 4, value: number) => void) | null = null;

  // ---- architectural state (public for the executors; hosts use CoreControl) ----
  readonly r = new Int32Array(16);
  /**
   * Address of the instruction being executed (or next to execute between instructions). This
   * and the other fields declared DOUBLE_FIELD (addresses as unsigned numbers, cycle counts)
   * get their first value in the constructor.
   */
  pc = DOUBLE_FIELD;
  /** Where execution continues after the current instruction. */
  nextPc = DOUBLE_FIELD;
  n = 0;
  z = 0;
  c = 0;
  v = 0;
  q = 0;
  ge = 0;
  itstate = 0;
  /** Current exception number (IPSR); 0 = Thread mode. */
  ipsr = 0;
  /** EPSR.T; executing with T=0 is an INVSTATE UsageFault. */
  tbit = 1;
  /** The stack pointer not currently selected (PSP when r13 is MSP, and vice versa). */
  otherSp = 0;
  primask = 0;
  faultmask = 0;
  basepri = 0;
  /** CONTROL: bit0 nPRIV, bit1 SPSEL, bit2 FPCA. */
  control = 0;
  /** 0 awake, 1 asleep in WFI, 2 asleep in WFE. */
  sleeping = 0;
  /**
   * Latest cycle a sleeping core may skip to. A host that paces virtual time against the wall
   * clock sets it to "now" in virtual cycles: when the next event lies beyond it, `run` returns
   * 'limit' with `sleeping` still set, and the host waits (host time, not CPU) before running on.
   * Infinity (the default) skips straight to the next event.
   */
  sleepLimit = Infinity;
  /** Cycles the clock skipped while the core slept (WFI/WFE): the rest of `clock.now` was busy. */
  sleptCycles = DOUBLE_FIELD;
  /**
   * Observer of the core going to sleep (WFI, WFE, sleep-on-exit) and waking, for machines whose
   * peripherals react (the nRF52's POWER events, its watchdog's pause). Reset and snapshot
   * restore set the state without calling it: they are not sleep transitions.
   */
  onSleepChange: ((asleep: boolean) => void) | null = null;
  /**
   * Called as a fault handler (3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault) is entered,
   * after the frame is stacked and IPSR set; hosts use it to explain faults nobody handles.
   */
  onFaultEntry: ((exception: number) => void) | null = null;
  /**
   * Observer of every exception entry (and tail-chain), called with the exception number once
   * the handler's state is set (PC on its first instruction): the differential test and trace
   * tools compare runs there.
   */
  onExceptionEntry: ((exception: number) => void) | null = null;
  /**
   * Observer of every completed exception return: `exception` returned through `excReturn`
   * (the EXC_RETURN value) and either unstacked (`tailChained` 0: registers, PC and mode are
   * the resumed context's) or tail-chained into exception `tailChained` (whose entry follows
   * at once). The Tock timeline records context switches and interrupt exits here.
   */
  onExceptionReturn: ((exception: number, excReturn: number, tailChained: number) => void) | null =
    null;
  /**
   * Observer of ITM software trace packets (system/itm.ts): port, value and size of each
   * stimulus-port write the ITM's enables let through.
   */
  onItmWrite: ((port: number, value: number, size: AccessSize) => void) | null = null;
  /** Host write observers (`observeWrites`), as [start, end) ranges. */
  private writeObservers: { start: number; end: number; fn: WriteObserver }[] = [];
  /**
   * Observer called before every instruction executes (the state is the one QEMU's `-d cpu`
   * trace prints: exception entries done, the instruction at `pc` not yet). Set, the core
   * interprets every instruction. Returning true makes the core look at its state again
   * before executing (the observer changed it: the trace oracle injects interrupts so).
   */
  onInstruction: ((pc: number) => boolean) | null = null;
  /** The translator's output so far (regions, blocks, instructions, generated bytes). */
  readonly translatorStats: TranslatorStats = {
    regions: 0,
    blocks: 0,
    instructions: 0,
    sourceBytes: 0,
    chained: 0,
    regionInstructions: 0,
    entries: 0,
  };
  eventReg = 0;
  /** Local exclusive monitor: tagged address, or -1 when open. */
  exclusive = -1;
  /** EXC_RETURN value written to PC by the current instruction (handled after it completes). */
  pendingReturn = DOUBLE_FIELD;

  // ---- exception state (exceptions.ts) and SCB configuration the core consults ----
  readonly exc: ExceptionModel;
  /** CCR (B3.2.8): STKALIGN, DIV_0_TRP, UNALIGN_TRP, USERSETMPEND, NONBASETHRDENA. */
  ccr = 0x200;
  /** SCR (B3.2.7): SEVONPEND, SLEEPDEEP, SLEEPONEXIT. */
  scr = 0;
  cpacr = 0;

  /** Set when anything may have made an exception takeable, or the loop must look at state. */
  attention = true;
  halted = false;
  haltRequested = false;
  lockedUp = false;
  /** DHCSR.C_MASKINTS with C_DEBUGEN: PendSV, SysTick and interrupts are not taken (C1.6.2). */
  maskInterrupts = false;
  private instructions = 0;
  private stop: StopReason | null = null;
  /** Slow memory path on (MPU enabled or DWT watchpoints armed). */
  slowMem = false;
  /**
   * MPU on or watchpoints armed: the fast paths hold windows (see `mpuWindow`), stretches of a
   * region the MPU lets the current context access, with a hole where data watchpoints (or
   * write observers) are (`watchBounds`), instead of whole regions. A window is valid for the
   * MPU configuration, privilege and FAULTMASK/priority bypass it was made under, so every
   * change of those calls `mpuContextChanged`; a change of the watchpoints forgets all windows.
   */
  private mpuWindows = false;
  /**
   * `mpuWindows` with the MPU enabled: the windows depend on the access context (see
   * `mpuContextChanged`). Set with `mpuWindows`; the MPU's enable bit changes only through
   * `mpuChanged` (and reset and restore, which call `refreshSlowPaths`).
   */
  private contextWindows = false;
  /**
   * Windows made so far, per access context (MPU configuration, privilege, FAULTMASK, NMI or
   * HardFault), with their access kind: the kernel switches between a few contexts all
   * the time, and a window is cheaper to find again than to make.
   */
  private readonly windowCaches = new Map<number, WindowCache>();
  /**
   * The context (`mpuContext`) the windows in the data fast paths were made under, or -1. When
   * the context changes, they are filed under it (`WindowCache.slots`) and the slots of the
   * new context, if it had some, come back at the next `service` (`slotsRestore`): a system
   * call, an interrupt or a context switch changes the context twice, and would otherwise send
   * the first accesses after each change down the slow path to find the same windows again.
   */
  private slotContext = -1;
  private slotsRestore = false;
  /** Start of the executable window in the code region (0 without the MPU). */
  private codeLo = 0;
  /**
   * The context (`mpuContext`) the executable window (`codeLo`..`codeSize`) was made under, or
   * -1; filed with the data slots when the context changes, and restored with them, so the
   * first instruction after a system call, an interrupt or a context switch does not go
   * through `fetch` to find the same window again.
   */
  private codeContext = -1;
  private codeWindow: Region | null = null;
  /** Translator caches of the code region (regions are entered only inside the code window). */
  private codeChunks: (CodeChunk | undefined)[] | null = null;
  system!: SystemBlocks;
  /**
   * Debugger breakpoints (addresses). Compiled code never runs over one: setting or clearing
   * one drops the compiled code covering it, and the interpreter checks the set.
   */
  readonly hostBreakpoints = new BreakpointSet((address) => this.bus.invalidate(address, 2));
  /**
   * Debugger vector catch, host side: bit n set halts the core once exception n (n < 32) has
   * been entered, before its handler's first instruction, as DEMCR's VC_* bits do under
   * halting debug (ARMv7-M ARM C1.6.3, DEMCR; the stop is a 'vector-catch'). Kept outside DEMCR
   * so the firmware's view of the debug registers does not change, like `hostBreakpoints`.
   */
  vectorCatch = 0;
  /** Exception entered under `vectorCatch`, not yet reported (0: none; set by exceptions.ts). */
  caught = 0;
  private codeBase = 0;
  private codeSize = 0;
  private codeArr: (Insn | undefined)[] = [];
  /** Region of `codeArr`, for its block caches. */
  private codeRegion: Region;
  // The data fast paths (public for the translator's generated code; see read32).
  readRegion: Region;
  readRegion2: Region;
  writeRegion: Region;
  writeRegion2: Region;
  private readonly noRegion: Region;
  readonly coverage: Uint32Array;

  constructor(config: CoreConfig) {
    this.pc = this.nextPc = this.pendingReturn = 0;
    this.sleptCycles = this.heatSince = 0;
    if (!(config.numIrqs >= 1 && config.numIrqs <= 496)) throw new Error('numIrqs must be 1..496');
    if (!(config.priorityBits >= 2 && config.priorityBits <= 8)) {
      throw new Error('priorityBits must be 2..8');
    }
    this.config = {
      fpu: false,
      collectCoverage: false,
      systickRefHz: 1_000_000,
      translate: true,
      ...config,
    };
    this.clock = new Clock(config.frequencyHz);
    this.exc = new ExceptionModel(this, config.numIrqs, config.priorityBits);
    const empty = new Uint8Array(0);
    this.noRegion = new Region(
      0,
      0,
      'none',
      RegionKind.Device,
      empty,
      new DataView(empty.buffer),
      null,
    );
    this.readRegion = this.noRegion;
    this.readRegion2 = this.noRegion;
    this.writeRegion = this.noRegion;
    this.writeRegion2 = this.noRegion;
    this.codeRegion = this.noRegion;
    this.devRegion = this.noRegion;
    this.devWRegion = this.noRegion;
    this.coverage = new Uint32Array(COVERAGE_NAMES.length);
    this.system = installSystem(this);
    this.hostBreakpoints.onChange = () => this.breakpointsChanged();
    this.irq = {
      setLevel: (irq: number, high: boolean): void => {
        this.checkIrq(irq);
        const exc = this.exc;
        const rising = high && exc.levels[irq] === 0;
        exc.levels[irq] = high ? 1 : 0;
        // Cortex-M4 Generic User Guide 4.2.10 "Hardware and software control of interrupts":
        // an interrupt becomes pending on a rising edge, or while its signal is HIGH and it is
        // not active. (An active one re-pends from its level on exception return.)
        if (rising || (high && exc.active[16 + irq] === 0)) exc.setPending(16 + irq);
      },
      pulse: (irq: number): void => {
        this.checkIrq(irq);
        this.exc.setPending(16 + irq);
      },
    };
  }

  private checkIrq(irq: number): void {
    if (!(irq >= 0 && irq < this.config.numIrqs)) {
      throw new Error(`IRQ ${irq} out of range 0..${this.config.numIrqs - 1}`);
    }
  }

  // ======================================================================================
  // Host / debugger interface
  // ======================================================================================

  get instructionCount(): number {
    // While running, the loop only decrements `budget`; the count is derived from it.
    return this.instructions + (this.runBudget - this.budget) - this.sleepTicks;
  }
  /** Budget at the start of the current run (0 outside `run`). */
  private runBudget = 0;
  /** Loop iterations spent asleep in the current run (they are not instructions). */
  private sleepTicks = 0;

  /** Folds the running count into `instructions` when a run ends. */
  private settleCount(): void {
    this.instructions += this.runBudget - this.budget - this.sleepTicks;
    this.runBudget = this.budget;
    this.sleepTicks = 0;
  }

  readRegister(n: number): number {
    if (n === 15) return this.pc >>> 0;
    return this.r[n]! >>> 0;
  }

  writeRegister(n: number, value: number): void {
    if (n === 15) {
      this.pc = value & (~1 >>> 0);
      this.attention = true;
    } else this.r[n] = value;
  }

  get xpsr(): number {
    return (
      ((this.n << 31) |
        (this.z << 30) |
        (this.c << 29) |
        (this.v << 28) |
        (this.q << 27) |
        ((this.itstate & 3) << 25) |
        (this.tbit << 24) |
        (this.ge << 16) |
        ((this.itstate >> 2) << 10) |
        this.ipsr) >>>
      0
    );
  }

  set xpsr(v: number) {
    this.setApsr(v);
    this.itstate = ((v >>> 25) & 3) | (((v >>> 10) & 0x3f) << 2);
    this.tbit = (v >>> 24) & 1;
    this.ipsr = v & 0x1ff;
    this.mpuContextChanged();
    this.attention = true;
  }

  setApsr(v: number): void {
    this.n = (v >>> 31) & 1;
    this.z = (v >>> 30) & 1;
    this.c = (v >>> 29) & 1;
    this.v = (v >>> 28) & 1;
    this.q = (v >>> 27) & 1;
    this.ge = (v >>> 16) & 15;
  }

  get msp(): number {
    return (this.usingPsp() ? this.otherSp : this.r[13]!) >>> 0;
  }
  get psp(): number {
    return (this.usingPsp() ? this.r[13]! : this.otherSp) >>> 0;
  }
  setMsp(v: number): void {
    if (this.usingPsp()) this.otherSp = v & ~3;
    else this.r[13] = v & ~3;
  }
  setPsp(v: number): void {
    if (this.usingPsp()) this.r[13] = v & ~3;
    else this.otherSp = v & ~3;
  }
  usingPsp(): boolean {
    return this.ipsr === 0 && (this.control & 2) !== 0;
  }
  privileged(): boolean {
    return this.ipsr !== 0 || (this.control & 1) === 0;
  }

  /** Changes CONTROL.SPSEL (and swaps the banked SP when the selection really changes). */
  setControl(v: number): void {
    const before = this.usingPsp();
    this.control = v & (this.config.fpu ? 7 : 3);
    const after = this.usingPsp();
    if (before !== after) this.swapSp();
    this.mpuContextChanged();
  }

  /** Swaps r13 with the banked stack pointer. */
  swapSp(): void {
    const t = this.r[13]!;
    this.r[13] = this.otherSp;
    this.otherSp = t;
  }

  readSpecial(name: SpecialName): number {
    switch (name) {
      case 'xpsr':
        return this.xpsr;
      case 'msp':
        return this.msp;
      case 'psp':
        return this.psp;
      case 'primask':
        return this.primask;
      case 'basepri':
        return this.basepri;
      case 'faultmask':
        return this.faultmask;
      case 'control':
        return this.control;
    }
  }

  writeSpecial(name: SpecialName, value: number): void {
    switch (name) {
      case 'xpsr':
        this.xpsr = value;
        break;
      case 'msp':
        this.setMsp(value);
        break;
      case 'psp':
        this.setPsp(value);
        break;
      case 'primask':
        this.primask = value & 1;
        break;
      case 'basepri':
        this.basepri = value & this.exc.prioMask;
        break;
      case 'faultmask':
        this.faultmask = value & 1;
        this.mpuContextChanged();
        break;
      case 'control':
        this.setControl(value);
        break;
    }
    this.attention = true;
  }

  readMemory(address: number, size: AccessSize): number {
    return this.bus.read(address, size);
  }
  writeMemory(address: number, size: AccessSize, value: number): void {
    this.bus.write(address, size, value, true);
  }
  readBlock(address: number, length: number): Uint8Array {
    return this.bus.readBlock(address, length);
  }
  writeBlock(address: number, data: Uint8Array): void {
    this.bus.writeBlock(address, data);
  }
  /**
   * Debugger access (see Bus.peek): no MPU check, no fault, no side effect on a device, not a
   * firmware access (DWT watchpoints, MMIO logs and access counts never see it). A write that
   * lands on decoded code drops it, and the running block is left at the next boundary.
   */
  debugRead(address: number, size: AccessSize): number {
    return this.bus.peek(address, size);
  }
  debugWrite(address: number, size: AccessSize, value: number): void {
    this.bus.poke(address, size, value);
    this.noteCodeDropped();
  }
  debugReadBlock(address: number, length: number): Uint8Array {
    return this.bus.peekBlock(address, length);
  }
  debugWriteBlock(address: number, data: Uint8Array): void {
    this.bus.pokeBlock(address, data);
    this.noteCodeDropped();
  }

  requestHalt(): void {
    this.haltRequested = true;
    this.attention = true;
  }

  /**
   * The host wants control back soon: the current `run` ends ('limit') within `instructions`
   * more, counted from the next instruction boundary the loop looks at (at once after the device
   * event that called this). Not a halt: nothing the guest or a debugger can see changes, and
   * the next `run` goes on. A host whose output waits for the run to end (an emulator target's
   * console bytes) bounds the wait with it: a run of code executed for the first time
   * (translated as it goes) can take a thousand times longer per instruction than its budget
   * was sized for. `runCut` says whether it ended the last run.
   */
  endRunWithin(instructions: number): void {
    this.runCap = Math.min(this.runCap, Math.max(0, Math.floor(instructions)));
    this.attention = true;
  }
  /**
   * Called as the core starts compiling a region (a new one, or one chained with the next): a
   * pause of its own in the middle of a run, tens of ms while the host's JIT is cold or the
   * host loaded, whatever the instruction budget. A host that holds output until the run ends
   * (an emulator target's console bytes) sends it here first. Nothing the guest sees.
   */
  beforeCompile: (() => void) | null = null;
  /** The clock when the code's pass counts were last halved (HEAT_PERIOD). */
  private heatSince = DOUBLE_FIELD;
  /** `endRunWithin`'s bound, applied at the next attention (Infinity: none). */
  private runCap = Infinity;
  /** True when `endRunWithin` shortened the last `run`. */
  runCut = false;

  /** Encodings in the decode table (for coverage reports). */
  encodingNames(): string[] {
    return [...ENCODING_NAMES];
  }

  /** Disassembles the instruction at `address` (debugger view: no MPU, no side effects). */
  disassemble(address: number): { text: string; size: 2 | 4; encoding: string } {
    const hw1 = this.bus.read(address, 2);
    const hw2 = hw1 >>> 11 >= 0x1d ? this.bus.read(address + 2, 2) : 0;
    return disassembleWord(hw1, hw2, address >>> 0);
  }

  /**
   * Executions per encoding (with `collectCoverage`), counted when the instruction starts, so
   * instructions that fault or are UNDEFINED count too; unmatched encodings appear as
   * UNDEFINED16/UNDEFINED32. IT-skipped instructions count as executed.
   */
  encodingCounts(): Map<string, number> {
    const m = new Map<string, number>();
    COVERAGE_NAMES.forEach((n, i) => m.set(n, this.coverage[i]!));
    return m;
  }

  // ======================================================================================
  // Reset and snapshots
  // ======================================================================================

  /** Core reset (Reset exception): registers, exception state and SCS; memory is kept. */
  reset(): void {
    this.r.fill(0);
    this.n = this.z = this.c = this.v = this.q = 0;
    this.ge = 0;
    this.itstate = 0;
    this.ipsr = 0;
    this.primask = this.faultmask = this.basepri = 0;
    this.control = 0;
    this.otherSp = 0;
    this.sleeping = 0;
    this.eventReg = 0;
    this.exclusive = -1;
    this.pendingReturn = 0;
    this.exc.reset();
    this.ccr = 0x200;
    this.scr = 0;
    this.cpacr = 0;
    this.lockedUp = false;
    this.halted = false;
    this.caught = 0;
    this.system.reset();
    this.refreshSlowPaths();
    this.attention = true;
    // Vector table: initial MSP and reset vector at VTOR = 0.
    let sp = 0;
    let entry = 0;
    try {
      sp = this.bus.read(0, 4);
      entry = this.bus.read(4, 4);
    } catch (e) {
      if (!(e instanceof BusErrorSignal)) throw e;
      this.lockedUp = true;
    }
    this.r[13] = sp & ~3;
    this.r[14] = -1;
    this.pc = entry & ~1;
    this.tbit = entry & 1;
    if (this.system.resetVectorCatch()) {
      // Reset vector catch: halted before the first instruction, DFSR.VCATCH (C1.6.5).
      this.halted = true;
      this.exc.dfsr |= 8;
    }
  }

  /**
   * The core's state as plain data. `memory: false` leaves RAM/flash out (an empty list) for
   * callers that keep memory their own way (reverse execution's shared pages).
   */
  snapshot(options: { memory?: boolean } = {}): CoreSnapshot {
    return {
      r: Array.from(this.r),
      pc: this.pc,
      flags: [this.n, this.z, this.c, this.v, this.q],
      ge: this.ge,
      itstate: this.itstate,
      ipsr: this.ipsr,
      tbit: this.tbit,
      otherSp: this.otherSp,
      primask: this.primask,
      faultmask: this.faultmask,
      basepri: this.basepri,
      control: this.control,
      sleeping: this.sleeping,
      eventReg: this.eventReg,
      exclusive: this.exclusive,
      instructions: this.instructionCount,
      cycles: this.clock.now,
      system: this.system.snapshot(),
      memory:
        options.memory === false
          ? []
          : this.bus.regions
              .filter((r) => r.dev === null)
              .map((r) => ({ name: r.name, base: r.base, bytes: r.bytes.slice() })),
      devices: this.bus.regions
        .filter(
          (r) => r.dev !== null && r.dev.snapshot !== undefined && r.dev !== this.system.device,
        )
        .map((r) => ({ name: r.name, state: r.dev!.snapshot!() })),
    };
  }

  restore(s: CoreSnapshot): void {
    this.r.set(s.r);
    this.pc = s.pc;
    [this.n, this.z, this.c, this.v, this.q] = s.flags as [number, number, number, number, number];
    this.ge = s.ge;
    this.itstate = s.itstate;
    this.ipsr = s.ipsr;
    this.tbit = s.tbit;
    this.otherSp = s.otherSp;
    this.primask = s.primask;
    this.faultmask = s.faultmask;
    this.basepri = s.basepri;
    this.control = s.control;
    this.sleeping = s.sleeping;
    this.eventReg = s.eventReg;
    this.exclusive = s.exclusive;
    this.instructions = s.instructions;
    this.runBudget = this.budget;
    this.sleepTicks = 0;
    this.clock.now = s.cycles;
    this.system.restore(s.system);
    for (const m of s.memory) {
      const r = this.bus.regions.find((x) => x.base === m.base && x.name === m.name);
      if (!r) throw new Error(`snapshot memory region ${m.name} not mapped`);
      r.written = true;
      r.dirty = true;
      r.bytes.set(m.bytes);
      r.dropCode();
    }
    this.windowCaches.clear();
    for (const d of s.devices) {
      const r = this.bus.regions.find((x) => x.name === d.name && x.dev !== null);
      r?.dev?.restore?.(d.state);
    }
    this.refreshSlowPaths();
    this.attention = true;
  }

  // ======================================================================================
  // Execution
  // ======================================================================================

  step(): StopReason {
    const wasHalted = this.halted;
    this.halted = false;
    const r = this.run(1, true);
    if (wasHalted && r.kind === 'limit') this.halted = true;
    return r;
  }

  /**
   * The execution loop. Between instructions it services `attention` (exceptions, halts,
   * breakpoints, sleep); then, unless single-stepping or counting coverage, it enters the
   * compiled block at `pc` (cpu/blocks.ts) when one exists and the budget covers it, else
   * interprets one cached Insn (and compiles a block at addresses entered BLOCK_HEAT times).
   */
  run(maxInstructions: number, stepping = false): StopReason {
    this.stop = null;
    // Running resumes a halted core (the host's "continue"); a pending halt request still wins.
    if (!stepping) this.halted = false;
    this.attention = true;
    this.budget = maxInstructions;
    this.runBudget = maxInstructions;
    this.sleepTicks = 0;
    this.runCap = Infinity;
    this.runCut = false;
    while (this.budget > 0) {
      try {
        const stop = this.inner(stepping);
        if (stop !== null) return this.finish(stop);
      } catch (e) {
        if (e === HALT) {
          this.settleCount();
          const s = this.stopAfter!;
          this.stopAfter = null;
          this.attention = true;
          return s;
        }
        if (e !== FAULT) {
          if (e instanceof BusErrorSignal) {
            // A device error outside the normal access paths: treat it as a precise BusFault.
            this.exc.cfsr |= CFSR.PRECISERR | CFSR.BFARVALID;
            this.exc.bfar = e.address;
            this.exc.pendFault(Exc.BusFault);
          } else throw e;
        }
        // The faulting instruction did not complete: pc stays on it; entry happens in service().
        this.pendingReturn = 0;
        this.budget--;
        this.clock.now += 1;
        this.attention = true;
        if (this.lockedUp) {
          this.settleCount();
          return { kind: 'lockup', address: this.pc >>> 0 };
        }
        if (stepping) {
          this.exc.takePending();
          this.settleCount();
          if (this.lockedUp) return { kind: 'lockup', address: this.pc >>> 0 };
          if (this.caught !== 0) return this.takeCatch();
          return { kind: 'limit' };
        }
      }
    }
    return this.finish({ kind: 'limit' });
  }
  /** Instructions left in the current `run` (a field so a fault unwinding the loop keeps it). */
  private budget = 0;

  /** `endRunWithin`: fewer instructions left, the count unchanged (run start moves alike). */
  private applyRunCap(): void {
    const cut = this.budget - this.runCap;
    this.runCap = Infinity;
    if (cut <= 0) return;
    this.budget -= cut;
    this.runBudget -= cut;
    this.runCut = true;
  }

  /**
   * The hot loop, kept free of try/catch so the JIT optimises it fully. Returns a stop reason,
   * or null when the budget is used up.
   */
  private inner(stepping: boolean): StopReason | null {
    const r = this.r;
    const clock = this.clock;
    const coverage = this.config.collectCoverage ? this.coverage : null;
    // Compiled regions replace the per-instruction dispatch when nothing needs to see each
    // instruction on its own (single-stepping, coverage counting).
    const hook = this.onInstruction;
    const useBlocks = !stepping && coverage === null && hook === null && this.config.translate;
    // The code region's caches, kept in locals; re-read after `fetch` (which may switch
    // regions) and after `service` (refreshSlowPaths and restore raise attention).
    let codeBase = this.codeBase;
    let codeLo = this.codeLo;
    let codeSize = this.codeSize;
    let codeArr = this.codeArr;
    let chunks = this.codeChunks;
    // The address execution reaches next by going straight on (-1 after a compiled region,
    // which leaves only at its blocks' ends: branch targets and fall-throughs). An address
    // reached any other way is a branch target, which may start a region even inside another
    // region's block (translate.ts, `insideBlock`). Where a run starts (where the last one
    // stopped, mid-block at the end of its budget) counts as going straight on.
    let seq = this.pc;
    // The compiled region that ran last, when nothing ran after it yet (region chaining).
    let last: CompiledRegion | null = null;
    while (this.budget > 0) {
      if (this.attention) {
        last = null;
        if (this.service(stepping)) return this.stop!;
        if (this.runCap !== Infinity) this.applyRunCap();
        if (this.slotsRestore) this.restoreSlots();
        codeBase = this.codeBase;
        codeLo = this.codeLo;
        codeSize = this.codeSize;
        codeArr = this.codeArr;
        chunks = this.codeChunks;
        // Exception entry and return count as going straight on: a return lands inside a
        // block wherever the interrupt came.
        seq = this.pc;
        if (this.sleeping !== 0) {
          this.budget--;
          this.sleepTicks++;
          continue;
        }
      }
      const pc = this.pc;
      const off = pc - codeBase;
      let insn: Insn | undefined;
      if (off >= codeLo && off < codeSize) {
        const h = off >>> 1;
        if (useBlocks && this.itstate === 0 && chunks !== null) {
          let chunk = chunks[h >>> 7];
          const cr =
            chunk === undefined ? undefined : (chunk.fns[h & 127] as CompiledRegion | undefined);
          // A region that keeps leaving into the same other one is compiled together with it.
          if (cr !== undefined && last !== null && last !== cr) {
            if (last.succ !== cr) {
              last.succ = cr;
              last.succHits = 1;
              last.succSince = clock.now;
            } else if (++last.succHits === CHAIN_HEAT) {
              // Only a frequent crossing is worth a recompile (one every few hundred cycles,
              // as a loop split between two regions): code that crosses now and then (a
              // kernel's system-call path) gains less than compiling it again costs.
              if (
                clock.now - last.succSince < CHAIN_HEAT * CHAIN_SPACING &&
                chainRegions(this, this.codeRegion, last, off, codeLo, codeSize) !== null
              ) {
                last = null;
                continue;
              }
              last.succHits = 1;
              last.succSince = clock.now;
            }
          }
          if (cr !== undefined) {
            // Enter with budget for its longest block, no clock event reachable inside its
            // costliest one, and all of it inside the executable window (MPU).
            // Not while `service` has work left (`serviceDue`: a pending exception it could
            // not take yet); the interpreter services again after one instruction, and so
            // does this loop: a region would run on to its first call or its end.
            if (
              this.budget >= cr.maxLen &&
              clock.now + cr.maxCycles < clock.next &&
              cr.lo >= codeLo &&
              cr.hi <= codeSize &&
              !this.attention
            ) {
              const b0 = this.budget;
              cr.fn(this, r, clock, cr.k);
              this.translatorStats.regionInstructions += b0 - this.budget;
              this.translatorStats.entries++;
              seq = -1;
              last = cr;
              continue;
            }
          } else if (codeArr[h] !== undefined) {
            // Only addresses already fetched through the checked path start a region.
            if (chunk === undefined) chunks[h >>> 7] = chunk = new CodeChunk();
            const hot = chunk.heat[h & 127]! + 1;
            chunk.heat[h & 127] = hot;
            // Enter the new region right away (the rest of this pass through a loop would
            // otherwise heat up, and compile, every address after this one).
            if (hot === BLOCK_HEAT) {
              // The counts are older than a period: halved, this one is not hot yet. (Also when
              // the clock went back: a restored snapshot.)
              const since = clock.now - this.heatSince;
              if (since >= heatPeriod || since < 0) {
                this.heatSince = clock.now;
                coolChunks(chunks);
              }
            }
            if (chunk.heat[h & 127] === BLOCK_HEAT) {
              if (
                last !== null &&
                clock.now - last.born < BLOCK_HEAT * GROW_SPACING &&
                coldExitsOn() &&
                chainRegions(this, this.codeRegion, last, off, codeLo, codeSize) !== null
              ) {
                last = null;
                continue;
              }
              if (compileRegion(this, this.codeRegion, off, codeLo, codeSize, pc !== seq)) continue;
            }
          }
        }
        insn = codeArr[h];
      }
      if (this.breakpointsArmed && this.breakpointStop(pc)) return this.stop!;
      if (insn === undefined) {
        insn = this.fetch(pc);
        codeBase = this.codeBase;
        codeLo = this.codeLo;
        codeSize = this.codeSize;
        codeArr = this.codeArr;
        chunks = this.codeChunks;
      }
      if (hook !== null && hook(pc)) {
        this.attention = true;
        continue;
      }
      // Counted before executing so faulting and UNDEFINED instructions are counted too.
      if (coverage !== null) coverage[insn.index]!++;
      this.nextPc = pc + insn.size;
      r[15] = pc + 4;
      const it = this.itstate;
      let cycles = 1;
      if (it === 0) {
        cycles = insn.exec(this, insn.f);
      } else {
        if (conditionPassed(this, it >>> 4)) cycles = insn.exec(this, insn.f);
        this.itstate = (it & 7) === 0 ? 0 : (it & 0xe0) | ((it << 1) & 0x1f);
      }
      seq = pc + insn.size;
      last = null;
      this.pc = this.nextPc;
      this.budget--;
      const now = clock.now + cycles;
      clock.now = now;
      if (now >= clock.next) {
        clock.runDue();
        this.attention = true;
      }
    }
    return null;
  }

  /** Breakpoints (host set or FPB comparators) exist: the interpreter checks each PC. */
  private breakpointsArmed = false;
  /** The breakpoint the core stopped at last, passed over once when execution resumes there. */
  private resumeFrom = -1;

  /**
   * Offsets [lo, hi) of the code region lie in the current executable window: the test `inner`
   * makes before entering a compiled region (spin-loop.ts makes it too).
   */
  inCodeWindow(lo: number, hi: number): boolean {
    return lo >= this.codeLo && hi <= this.codeSize;
  }

  /** A breakpoint at `address` (host set, or an FPB comparator while halting debug is on). */
  breakpointAt(address: number): boolean {
    const a = address >>> 0;
    return this.hostBreakpoints.has(a) || (this.system.fpbActive() && this.system.fpbMatch(a));
  }

  /** Breakpoints or FPB comparators changed: re-arm the interpreter's check. */
  breakpointsChanged(): void {
    this.breakpointsArmed = this.hostBreakpoints.size !== 0 || this.system.fpbActive();
    this.attention = true;
  }

  /** FPB comparators changed: compiled code may run over a new one, so it all goes. */
  fpbChanged(): void {
    for (const reg of this.bus.regions) reg.dropCompiled();
    this.breakpointsChanged();
  }

  /** Stops at a breakpoint on `pc` unless execution is resuming from it; true to stop. */
  private breakpointStop(pc: number): boolean {
    const a = pc >>> 0;
    // A host breakpoint lets the instruction under it run when the host resumes from it; an
    // FPB comparator matches every time the instruction is reached, resuming and stepping
    // included, as on silicon: a debugger steps over its own breakpoints (C1.11).
    const fpb = this.system.fpbActive() && this.system.fpbMatch(a);
    if (a === this.resumeFrom && !fpb) {
      this.resumeFrom = -1;
      return false;
    }
    this.resumeFrom = -1;
    if (!fpb && !this.hostBreakpoints.has(a)) return false;
    this.resumeFrom = a;
    this.halted = true;
    if (fpb) this.exc.dfsr |= 2; // DFSR.BKPT (C1.6.1)
    this.stop = { kind: 'breakpoint', address: a };
    this.attention = true;
    return true;
  }

  /** Runs the exception return the last instruction asked for (it wrote EXC_RETURN to PC). */
  private exceptionReturn(): void {
    const ret = this.pendingReturn >>> 0;
    this.pendingReturn = 0;
    this.exc.exceptionReturn(ret);
  }

  /** Completes work the last instruction left for the next service() before handing back. */
  private finish(reason: StopReason): StopReason {
    this.settleCount();
    // A stall is time that has passed when `run` returns (snapshots never hold one pending).
    if (this.stallCycles !== 0) this.takeStall();
    if (this.pendingReturn !== 0) {
      this.exceptionReturn();
      this.attention = true;
    }
    if (reason.kind === 'limit' && this.exitCode !== null) return this.takeExit();
    return reason;
  }

  /**
   * Holds the CPU for `cycles` after the current instruction: they pass on the clock, awake, as
   * no instruction runs (a memory the CPU must fetch from is busy: the nRF52 NVMC while it
   * programs or erases flash). Devices call it during an access; the stall starts at the next
   * instruction boundary, where events that fall due in it are run.
   */
  stall(cycles: number): void {
    if (cycles <= 0) return;
    this.stallCycles += cycles;
    this.attention = true;
  }
  private stallCycles = 0;

  /** Applies a stall asked for by `stall`. */
  private takeStall(): void {
    this.clock.now += this.stallCycles;
    this.stallCycles = 0;
  }

  /** Slow checks between instructions; returns true to stop `run` with this.stop set. */
  private service(stepping: boolean): boolean {
    this.attention = false;
    if (this.stallCycles !== 0) this.takeStall();
    if (this.pendingReturn !== 0) this.exceptionReturn();
    if (this.resetPending) {
      // SYSRESETREQ takes effect between instructions, never inside the writing STR.
      this.resetPending = false;
      if (this.config.onSystemReset) this.config.onSystemReset();
      else this.reset();
    }
    if (this.exitCode !== null) {
      this.stop = this.takeExit();
      this.attention = true;
      return true;
    }
    // A halt request is taken before the lockup stop: entering Debug state is one of the ways
    // out of lockup (ARMv7-M ARM B1.5.15, "Unrecoverable exception cases": exit from lockup is
    // by a reset, by an NMI preempting a lockup at priority -1, or by entry to Debug state), so
    // a debugger halts a locked-up core (DHCSR.C_HALT) and then reads S_HALT 1 and S_LOCKUP 0
    // (C1.6.2). The PC stays on the instruction that faulted: resuming runs it again and, at
    // the same priority, locks up again.
    if (this.haltRequested) {
      this.haltRequested = false;
      this.halted = true;
      this.lockedUp = false;
      // A halt request is a wake-up event: a WFI/WFE in progress completes and the core enters
      // Debug state (ARMv7-M ARM B1.5.19 WFI and B1.5.18 WFE: a debug entry request wakes the
      // core; C1.6.2 DHCSR.S_SLEEP: a debugger sets C_HALT to gain control of a sleeping core).
      // S_SLEEP then reads 0 and S_HALT 1 (C1.6.2).
      if (this.sleeping !== 0) this.setSleeping(0);
      this.system.onHalt();
    }
    if (this.lockedUp) {
      this.stop = { kind: 'lockup', address: this.pc >>> 0 };
      this.attention = true;
      return true;
    }
    if (this.halted && !stepping) {
      this.stop = { kind: 'halted' };
      this.attention = true;
      return true;
    }
    if (this.clock.now >= this.clock.next) this.clock.runDue();
    if (this.exc.takePending()) {
      this.attention = true;
      if (this.lockedUp) {
        this.stop = { kind: 'lockup', address: this.pc >>> 0 };
        return true;
      }
      if (this.caught !== 0) {
        this.stop = this.takeCatch();
        return true;
      }
      if (stepping) {
        // One exception entry counts as a step.
        this.stop = { kind: 'limit' };
        return true;
      }
    }
    if (this.caught !== 0) {
      // Entered by tail-chaining on the exception return above.
      this.stop = this.takeCatch();
      return true;
    }
    if (this.sleeping !== 0) {
      if (this.canWake()) {
        this.setSleeping(0);
        // Awake, the core is between instructions again: what the wake-up left (an exception
        // a device pended as the core woke, through `onSleepChange`) is serviced now, before
        // the instruction after WFI/WFE, as for any other boundary (ARMv7-M ARM B1.5.19 WFI and
        // B1.5.18 WFE: execution resumes after the wake-up event; B1.5.4: a pending exception
        // of higher priority than the execution priority preempts at the next boundary). With
        // sleeping 0 the second pass changes nothing else: it acts only where `serviceDue` is
        // true, as the next instruction's `service` would have.
        return this.service(stepping);
      }
      const next = this.clock.next;
      if (next === Infinity) {
        this.stop = { kind: 'idle' };
        this.attention = true;
        return true;
      }
      if (next > this.sleepLimit) {
        // Paced host: time up to the limit passes asleep; the host resumes us later.
        if (this.clock.now < this.sleepLimit) {
          this.sleptCycles += this.sleepLimit - this.clock.now;
          this.clock.now = this.sleepLimit;
        }
        this.stop = { kind: 'limit' };
        this.attention = true;
        return true;
      }
      if (next > this.clock.now) this.sleptCycles += next - this.clock.now;
      this.clock.now = next;
      this.clock.runDue();
      this.attention = true;
      if (stepping) {
        this.stop = { kind: 'limit' };
        return true;
      }
      return false;
    }
    if (this.tbit === 0) {
      this.exc.cfsr |= CFSR.INVSTATE;
      this.exc.pendFault(Exc.UsageFault);
      this.attention = true;
      return this.service(stepping);
    }
    if (this.watchHit !== null) {
      const w = this.watchHit;
      this.watchHit = null;
      this.halted = true;
      this.stop = w;
      this.attention = true;
      return true;
    }
    this.attention = this.serviceDue();
    return false;
  }
  watchHit: StopReason | null = null;

  /**
   * Whether the next `service` would act, from the state this one leaves: attention stays set
   * exactly then. What `service` did itself raises attention on the way (an exception entry or
   * return changes the context, which drops the fast paths; `inner` reloads its locals after
   * `service` and a region its own on entry), and left set it made the next instruction call
   * `service` again for nothing and sent the compiled handler out at its first call (a
   * kernel's SVC handler opens with `mrs r0, psp`: 7 instructions interpreted per system call).
   * An instruction that changes what `service` looks at raises attention itself.
   */
  private serviceDue(): boolean {
    if (
      this.stallCycles !== 0 ||
      this.pendingReturn !== 0 ||
      this.resetPending ||
      this.exitCode !== null ||
      this.haltRequested ||
      this.halted ||
      this.lockedUp ||
      this.caught !== 0 ||
      this.sleeping !== 0 ||
      this.tbit === 0 ||
      this.watchHit !== null ||
      this.clock.now >= this.clock.next
    )
      return true;
    // An exception that can preempt now (a hook called during entry pended it): what
    // `takePending` would enter (ExceptionModel.pickPending).
    const exc = this.exc;
    const e = exc.vectPending();
    return e !== 0 && exc.groupPrio(exc.prio[e]!) < exc.executionPriority();
  }

  /**
   * Forgets the pass-once over the breakpoint the core last stopped on, and any pending watch
   * hit: after the host restores an earlier state (reverse execution), a breakpoint at the
   * restored PC must stop the next run as it did the first time.
   */
  forgetDebugStops(): void {
    this.resumeFrom = -1;
    this.watchHit = null;
  }

  /** Reports a caught exception entry: the core halts on the handler's first instruction. */
  private takeCatch(): StopReason {
    const exception = this.caught;
    this.caught = 0;
    this.halted = true;
    this.attention = true;
    return { kind: 'vector-catch', exception };
  }

  /** Fetch + decode through the cache (slow path: first execution, region change, MPU on). */
  private fetch(pc: number): Insn {
    const a = pc >>> 0;
    const reg = this.bus.find(a);
    if (reg === null || reg.dev !== null) {
      this.exc.cfsr |= CFSR.IBUSERR;
      this.exc.pendFault(Exc.BusFault);
      throw FAULT;
    }
    if (a >= 0xe0000000 || (a >= 0x40000000 && a < 0x60000000) || a >= 0xa0000000) {
      this.exc.cfsr |= CFSR.IACCVIOL;
      this.exc.pendFault(Exc.MemManage);
      throw FAULT;
    }
    if (this.system.mpuEnabled()) this.mpuCheck(a, Acc.Exec, this.privileged(), 2);
    const off = a - reg.base;
    if (reg.code === null) {
      reg.initCode();
      // Windows made before share the region's old (absent) code cache.
      this.windowCaches.clear();
      this.watchWindows = [];
      // The windows in the fast paths too (MPU on or off): they hold the old code cache.
      if (this.mpuWindows) this.dropFastRegions();
    }
    let insn = reg.code![off >>> 1] as Insn | undefined;
    if (insn === undefined) {
      const hw1 = reg.dv.getUint16(off, true);
      let hw2 = 0;
      if (hw1 >>> 11 >= 0x1d) {
        if (off + 4 > reg.size) {
          const r2 = this.bus.find(a + 2);
          if (r2 === null || r2.dev !== null) {
            this.exc.cfsr |= CFSR.IBUSERR;
            this.exc.pendFault(Exc.BusFault);
            throw FAULT;
          }
          hw2 = r2.dv.getUint16(a + 2 - r2.base, true);
        } else hw2 = reg.dv.getUint16(off + 2, true);
        if (this.system.mpuEnabled()) this.mpuCheck(a + 2, Acc.Exec, this.privileged(), 2);
      }
      insn = decode(hw1, hw2);
      reg.growCode(off >>> 1);
      reg.code![off >>> 1] = insn;
    }
    this.codeBase = reg.base;
    this.codeArr = reg.code as (Insn | undefined)[];
    this.codeRegion = reg;
    if (this.system.mpuEnabled()) {
      // With the MPU on, the fast path runs only inside the executable window around this
      // instruction, one instruction at a time; anything else comes back here to be checked.
      const w = this.mpuWindows ? this.mpuWindow(reg, a, Acc.Exec) : null;
      this.codeLo = w === null ? 0 : w.parentOffset;
      this.codeSize = w === null ? 0 : w.parentOffset + w.size;
      this.codeChunks = reg.chunks;
      this.codeWindow = w;
      this.codeContext = w === null ? -1 : this.mpuContext(this.privileged());
    } else {
      this.codeLo = 0;
      this.codeSize = reg.size;
      this.codeChunks = reg.chunks;
      this.codeWindow = null;
      this.codeContext = -1;
    }
    return insn;
  }

  // ======================================================================================
  // Data memory (used by executors)
  // ======================================================================================

  // Fast paths: `readRegion`/`readRegion2` cache the last two RAM/ROM regions read (code
  // usually reads literals from flash and data from RAM), `writeRegion`/`writeRegion2` the
  // last two RAM regions written. With the MPU on they hold windows instead, the stretches the
  // MPU allows in the current context (`mpuWindow`); with DWT watchpoints or write observers
  // armed, windows with a hole (`watchBounds`): the whole region (or MPU window) with the
  // stretch of its watched granules left to the core, so a program uses the same slots, in the
  // same order, as without them (the slots are never reordered on a hit: a debug session's
  // compiled code then runs the paths a plain run gave V8 feedback for), and only accesses in
  // the hole take the slow path, which finds the gap windows between watched granules.
  read32(a: number): number {
    let d = this.readRegion;
    let off = a - d.base;
    if (!d.fits(off, 4)) {
      d = this.readRegion2;
      off = a - d.base;
    }
    if (d.fits(off, 4)) {
      if ((a & 3) === 0) return d.i32[off >>> 2]!;
      if ((this.ccr & 8) === 0) return d.dv.getInt32(off, true);
    }
    return this.readSlow(a, 4, false, this.privileged()) | 0;
  }

  read16(a: number): number {
    let d = this.readRegion;
    let off = a - d.base;
    if (!d.fits(off, 2)) {
      d = this.readRegion2;
      off = a - d.base;
    }
    if (d.fits(off, 2)) {
      if ((a & 1) === 0) return d.u16[off >>> 1]!;
      if ((this.ccr & 8) === 0) return d.dv.getUint16(off, true);
    }
    return this.readSlow(a, 2, false, this.privileged());
  }

  read8(a: number): number {
    let d = this.readRegion;
    let off = a - d.base;
    if (d.fits(off, 1)) return d.bytes[off]!;
    d = this.readRegion2;
    off = a - d.base;
    if (d.fits(off, 1)) return d.bytes[off]!;
    return this.readSlow(a, 1, false, this.privileged());
  }
  /** Word read that must be aligned (LDM, LDRD, LDREX, stack pops). */
  read32A(a: number): number {
    if ((a & 3) === 0) {
      let d = this.readRegion;
      let off = a - d.base;
      if (d.fits(off, 4)) return d.i32[off >>> 2]!;
      d = this.readRegion2;
      off = a - d.base;
      if (d.fits(off, 4)) return d.i32[off >>> 2]!;
    }
    return this.readSlow(a, 4, true, this.privileged()) | 0;
  }
  write32(a: number, v: number): void {
    let d = this.writeRegion;
    let off = a - d.base;
    if (!d.fits(off, 4)) {
      d = this.writeRegion2;
      off = a - d.base;
    }
    if (d.fits(off, 4)) {
      if ((a & 3) === 0) d.i32[off >>> 2] = v;
      else if ((this.ccr & 8) === 0) d.dv.setInt32(off, v, true);
      else return this.writeSlow(a, 4, v, false, this.privileged());
      // A block that covered these bytes is gone: leave the running block after this store.
      if (d.code !== null && d.invalidate(off, 4)) this.attention = true;
      if (this.onDataWrite !== null) this.onDataWrite(a >>> 0, 4, v >>> 0);
      return;
    }
    this.writeSlow(a, 4, v, false, this.privileged());
  }

  write16(a: number, v: number): void {
    let d = this.writeRegion;
    let off = a - d.base;
    if (!d.fits(off, 2)) {
      d = this.writeRegion2;
      off = a - d.base;
    }
    if (d.fits(off, 2)) {
      if ((a & 1) === 0) d.u16[off >>> 1] = v;
      else if ((this.ccr & 8) === 0) d.dv.setUint16(off, v, true);
      else return this.writeSlow(a, 2, v, false, this.privileged());
      // A block that covered these bytes is gone: leave the running block after this store.
      if (d.code !== null && d.invalidate(off, 2)) this.attention = true;
      if (this.onDataWrite !== null) this.onDataWrite(a >>> 0, 2, v & 0xffff);
      return;
    }
    this.writeSlow(a, 2, v, false, this.privileged());
  }

  write8(a: number, v: number): void {
    let d = this.writeRegion;
    let off = a - d.base;
    if (!d.fits(off, 1)) {
      d = this.writeRegion2;
      off = a - d.base;
    }
    if (d.fits(off, 1)) {
      d.bytes[off] = v;
      // A block that covered these bytes is gone: leave the running block after this store.
      if (d.code !== null && d.invalidate(off, 1)) this.attention = true;
      if (this.onDataWrite !== null) this.onDataWrite(a >>> 0, 1, v & 0xff);
      return;
    }
    this.writeSlow(a, 1, v, false, this.privileged());
  }
  write32A(a: number, v: number): void {
    if ((a & 3) === 0) {
      let d = this.writeRegion;
      let off = a - d.base;
      if (!d.fits(off, 4)) {
        d = this.writeRegion2;
        off = a - d.base;
      }
      if (d.fits(off, 4)) {
        d.i32[off >>> 2] = v;
        // A block that covered these bytes is gone: leave the running block after this store.
        if (d.code !== null && d.invalidate(off, 4)) this.attention = true;
        if (this.onDataWrite !== null) this.onDataWrite(a >>> 0, 4, v >>> 0);
        return;
      }
    }
    this.writeSlow(a, 4, v, true, this.privileged());
  }

  writeT(a: number, size: AccessSize, v: number): void {
    this.writeSlow(a, size, v, false, false);
  }

  /**
   * Calls `fn` after every CPU data write (exception stacking included, debugger writes not)
   * that touches [start, start + length), with the written address, size and value, without
   * stopping the core. Used by debugger views that record what happens to a few words (the
   * Tock views' cell history, DMA buffers in flight). Like a DWT watchpoint it only takes the
   * observed 32-byte granules off the fast paths. Returns the function that removes it.
   */
  observeWrites(start: number, length: number, fn: WriteObserver): () => void {
    const o = { start: start >>> 0, end: (start >>> 0) + Math.max(1, length), fn };
    this.writeObservers = [...this.writeObservers, o];
    this.observersChanged(o.start, o.end, false);
    return () => {
      const before = this.writeObservers.length;
      this.writeObservers = this.writeObservers.filter((x) => x !== o);
      if (this.writeObservers.length !== before) this.observersChanged(o.start, o.end, true);
    };
  }

  /**
   * A write observer on [start, end) came (`gone` false) or went. When the fast paths held
   * windows before and still must (the MPU on, a watchpoint or another observer), only the write
   * windows over the observer's 32-byte granules change, in every context's cache and saved
   * slots, and every other window stays exact (it depends on the MPU context and the watched
   * granules, and no other granule changed). An added observer must see every store there: a
   * window whose stores could reach its granules is replaced by the same stretch with its hole
   * grown over them (a window's hole is the span of the watched granules in it, `watchBounds`),
   * so stores beside them stay on the fast path. A removed observer's granules stay in the holes
   * that hold them (still exact: the core makes those accesses and then a window without them);
   * the windows cut short at them (a gap between watched granules) go, to grow back over them.
   * Reads and code never depend on write observers. Otherwise (the first slow-path reason comes
   * or the last goes) every fast path is refreshed (`refreshSlowPaths`).
   */
  private observersChanged(start: number, end: number, gone: boolean): void {
    if (!this.slowMem || !this.system.needsSlowMemory()) {
      this.refreshSlowPaths();
      return;
    }
    const lo = (start & ~31) >>> 0;
    const hi = (((end - 1) | 31) >>> 0) + 1;
    const grown = new Map<Region, Region>();
    const update = (w: Region): Region => {
      if (w === this.noRegion) return w;
      const hole = w.holeLo < w.holeHi;
      if (gone) {
        // Cut short at the granules (touching them, outside any hole): goes.
        const touches = w.base <= hi && w.end >= lo;
        const held = hole && lo >= w.base + w.holeLo && hi <= w.base + w.holeHi;
        return touches && !held ? this.noRegion : w;
      }
      if (!(w.base < hi && w.end > lo)) return w;
      if (hole && lo >= w.base + w.holeLo && hi <= w.base + w.holeHi) return w;
      if (w.parent === null) return this.noRegion;
      let g = grown.get(w);
      if (g === undefined) {
        const gLo = Math.max(lo, w.base) - w.base;
        const gHi = Math.min(hi, w.end) - w.base;
        g = w.parent.window(
          w.parentOffset,
          w.size,
          hole ? Math.min(w.holeLo, gLo) : gLo,
          hole ? Math.max(w.holeHi, gHi) : gHi,
        );
        grown.set(w, g);
      }
      return g;
    };
    this.writeRegion = update(this.writeRegion);
    this.writeRegion2 = update(this.writeRegion2);
    const keep = (w: { acc: Acc; win: Region }): { acc: Acc; win: Region } | null => {
      if (w.acc !== Acc.Write) return w;
      const win = update(w.win);
      return win === this.noRegion ? null : win === w.win ? w : { acc: w.acc, win };
    };
    const kept = (list: { acc: Acc; win: Region }[]): { acc: Acc; win: Region }[] => {
      const out: { acc: Acc; win: Region }[] = [];
      for (const w of list) {
        const k = keep(w);
        if (k !== null) out.push(k);
      }
      return out;
    };
    for (const entry of this.windowCaches.values()) {
      entry.windows = kept(entry.windows);
      const slots = entry.slots;
      if (slots !== null) for (let i = 2; i < 4; i++) slots[i] = update(slots[i]!);
    }
    this.watchWindows = kept(this.watchWindows);
    // Compiled code keeps the write paths in locals and re-reads them after service().
    this.attention = true;
  }

  /** True when a write observer covers a byte of [a, a + size). */
  private observedWrite(a: number, size: number): boolean {
    for (const o of this.writeObservers) if (a < o.end && a + size > o.start) return true;
    return false;
  }

  /** True while any write observer is installed (the slow path must see writes). */
  writeObserved(): boolean {
    return this.writeObservers.length !== 0;
  }

  private notifyWrite(a: number, size: AccessSize, value: number): void {
    for (const o of this.writeObservers) if (a < o.end && a + size > o.start) o.fn(a, size, value);
  }

  /**
   * Called when MPU or watchpoint state changes (and on reset and restore): drops the cached
   * fast paths that may no longer hold.
   */
  refreshSlowPaths(): void {
    const wasSlow = this.slowMem;
    this.slowMem = this.system.needsSlowMemory();
    this.mpuWindows = this.slowMem;
    this.contextWindows = this.slowMem && this.system.mpuEnabled();
    // Windows depend on the watchpoints too, which no context id covers.
    this.windowCaches.clear();
    this.watchWindows = [];
    // Fast without the slow path before and after: the data fast paths hold whole bus regions,
    // which no MPU, watchpoint or snapshot change makes wrong (restores write the bytes in
    // place), so they stay; only the code window goes (its code cache may have been dropped).
    // Dropping them too sent the next accesses down the slow path, which V8 had compiled the
    // accessors without: each restore (a reverse step) and each debugger resume deoptimized
    // them and the compiled code inlining them (a first reverse step ran ~5x slower).
    if (wasSlow || this.slowMem) this.dropFastRegions();
    else {
      this.codeSize = 0;
      this.codeWindow = null;
      this.codeContext = -1;
      this.attention = true;
    }
  }

  /**
   * An MPU register was written: the fast paths go, but the windows made so far stay cached,
   * since each is filed under the MPU configuration it was made for (`mpuWindow`'s context):
   * the kernel writes the MPU on every context switch and mostly returns to configurations it
   * has used before.
   */
  mpuChanged(): void {
    this.slowMem = this.system.needsSlowMemory();
    this.mpuWindows = this.slowMem;
    this.contextWindows = this.slowMem && this.system.mpuEnabled();
    this.dropFastRegions();
  }

  /**
   * Privilege, FAULTMASK, the exception being handled or the MPU's regions changed: the MPU
   * windows in the fast paths were made for the old context, so they go. With the MPU off the
   * windows (watchpoints or write observers armed) depend on the watched granules alone: every
   * context may make any data access there (the default memory map, ARMv7-M ARM B3.1, refuses
   * unprivileged accesses only in the PPB, which no fast path holds), so they stay.
   */
  mpuContextChanged(): void {
    if (this.contextWindows) this.dropFastRegions();
  }

  /**
   * Empties the fast write paths (reads keep theirs): the next CPU write to each region takes
   * the slow path, which marks the region `dirty` again as it takes it back into a fast path.
   * Time travel calls it when it clears the regions' `dirty` flags at a checkpoint, so a region
   * still clean at the next one was not written in between (see Region.dirty).
   */
  dropWriteSlots(): void {
    this.writeRegion = this.noRegion;
    this.writeRegion2 = this.noRegion;
    // Compiled code keeps the write path in locals and re-reads them after service().
    this.attention = true;
  }

  /** Empties the data fast paths and the code window; the next accesses take the slow path. */
  private dropFastRegions(): void {
    this.devLo = this.devHi = 0;
    this.devWLo = this.devWHi = 0;
    if (this.codeContext >= 0 && this.codeSize !== 0) {
      const entry = this.windowCaches.get(this.codeContext);
      if (entry !== undefined) entry.code = this.codeWindow;
      this.slotsRestore = true;
    }
    this.codeContext = -1;
    this.codeWindow = null;
    if (this.slotContext >= 0) {
      const entry = this.windowCaches.get(this.slotContext);
      if (entry !== undefined) {
        // Filed in the context's own array, allocated once (this runs on every exception entry
        // and return, and every CONTROL write, with the MPU on).
        const slots = entry.slots ?? (entry.slots = new Array<Region>(4));
        slots[0] = this.readRegion;
        slots[1] = this.readRegion2;
        slots[2] = this.writeRegion;
        slots[3] = this.writeRegion2;
      }
      this.slotContext = -1;
      this.slotsRestore = true;
    }
    this.readRegion = this.noRegion;
    this.readRegion2 = this.noRegion;
    this.writeRegion = this.noRegion;
    this.writeRegion2 = this.noRegion;
    this.codeSize = 0;
    // The loop keeps the code window in locals and re-reads them after service().
    this.attention = true;
  }

  /**
   * The window of `reg` around `a` for the fast paths: the whole stretch where the MPU (when on)
   * lets the current context make `acc` accesses (`Mpu.uniformSpan`: exact, from the regions'
   * and subregions' boundaries) and no DWT data watchpoint matches them. `a` itself has just
   * passed the MPU check. Null when the access must not be cached: exception stacking, an
   * LDRT/STRT whose privilege is not the context's, or a watchpoint on `a`'s own granule.
   * Windows are filed per context (`windowCaches`): a context has a handful of them.
   */
  private mpuWindow(reg: Region, a: number, acc: Acc, priv = this.privileged()): Region | null {
    if (this.exc.stacking !== Stk.None || priv !== this.privileged()) return null;
    if (!this.system.mpuEnabled()) return this.watchWindow(reg, a, acc);
    const ipsr = this.ipsr;
    const context = this.mpuContext(priv);
    let entry = this.windowCaches.get(context);
    if (entry === undefined) {
      if (this.windowCaches.size >= 64) this.windowCaches.clear();
      entry = { windows: [], slots: null, code: null };
      this.windowCaches.set(context, entry);
    }
    if (acc !== Acc.Exec) this.slotContext = context;
    const cache = entry.windows;
    const addr = a >>> 0;
    for (const w of cache)
      if (w.acc === acc && w.win.parent === reg && w.win.fits(addr - w.win.base, 1)) return w.win;
    const write = acc === Acc.Write;
    const exec = acc === Acc.Exec;
    // Watched granules bound the window (computed from the watched ranges, not per granule):
    // a read is not held back by a write watchpoint, nor a write by a read one.
    let lo = reg.base;
    let hi = reg.end;
    let holeLo = 0;
    let holeHi = 0;
    if (!exec && (this.system.dwtWatchActive() || (write && this.writeObserved()))) {
      if (!this.watchBounds(reg, a, write)) return null;
      lo = this.boundLo;
      hi = this.boundHi;
      holeLo = this.holeLo;
      holeHi = this.holeHi;
    }
    const [sLo, sHi] = this.system.mpuSpan(addr, write, priv, exec, ipsr, this.faultmask);
    lo = Math.max(lo, sLo);
    hi = Math.min(hi, sHi);
    if (((lo - reg.base) & 3) !== 0 || hi <= addr) return null;
    // The hole, cut to the window (none when it lies outside: `window` makes an empty one
    // NO_HOLE).
    holeLo = Math.max(holeLo, lo);
    holeHi = Math.min(holeHi, hi);
    const w = reg.window(lo - reg.base, hi - lo, holeLo - lo, holeHi - lo);
    if (cache.length >= 64) cache.length = 0;
    cache.push({ acc, win: w });
    return w;
  }

  /** The key of the current access context for `windowCaches` (MPU on). */
  private mpuContext(priv: boolean): number {
    const ipsr = this.ipsr;
    return (
      this.system.mpuConfigId() * 8 +
      (priv ? 1 : 0) +
      (this.faultmask !== 0 ? 2 : 0) +
      (ipsr === 2 || ipsr === 3 ? 4 : 0)
    );
  }

  /** Called by `service` after a change of context: the new context's saved slots return. */
  private restoreSlots(): void {
    this.slotsRestore = false;
    if (!this.contextWindows) return;
    const context = this.mpuContext(this.privileged());
    const entry = this.windowCaches.get(context);
    if (entry === undefined) return;
    // The executable window: exact for this context (made by `mpuWindow` under it), and its
    // region's decode cache still exists (dropping it empties `windowCaches` too).
    const w = entry.code;
    if (w !== null && this.codeSize === 0 && w.parent !== null && w.parent.code !== null) {
      const reg = w.parent;
      this.codeBase = reg.base;
      this.codeArr = reg.code as (Insn | undefined)[];
      this.codeRegion = reg;
      this.codeLo = w.parentOffset;
      this.codeSize = w.parentOffset + w.size;
      this.codeChunks = reg.chunks;
      this.codeWindow = w;
      this.codeContext = context;
    }
    const saved = entry.slots;
    if (saved === null) return;
    this.readRegion = saved[0]!;
    this.readRegion2 = saved[1]!;
    this.writeRegion = saved[2]!;
    this.writeRegion2 = saved[3]!;
    // Write slots back without the slow path: their regions may now change (Region.dirty).
    for (let i = 2; i < 4; i++) (saved[i]!.parent ?? saved[i]!).dirty = true;
    this.slotContext = context;
  }

  /**
   * `mpuWindow` with the MPU off (only DWT watchpoints or write observers armed): the window
   * `watchBounds` finds from the watched ranges themselves (the whole region with the watched
   * stretch as a hole, or a gap inside that stretch), so a program runs on the fast paths
   * everywhere but beside the few words being watched. Windows are kept in a short list
   * (`watchWindows`, emptied with the other caches): a region has a handful of them at most.
   */
  private watchWindow(reg: Region, a: number, acc: Acc): Region | null {
    for (const w of this.watchWindows)
      if (w.acc === acc && w.win.parent === reg && w.win.fits(a - w.win.base, 1)) return w.win;
    if (acc === Acc.Exec) return reg;
    if (!this.watchBounds(reg, a, acc === Acc.Write)) return null;
    const lo = this.boundLo;
    const hi = this.boundHi;
    const w = reg.window(lo - reg.base, hi - lo, this.holeLo - lo, this.holeHi - lo);
    if (this.watchWindows.length >= 32) this.watchWindows = [];
    this.watchWindows.push({ acc, win: w });
    return w;
  }
  /**
   * The window of `reg` for an access at `a` while data watchpoints (or, for writes, write
   * observers) cover some 32-byte granules for `write` accesses, into `boundLo`/`boundHi` and
   * `holeLo`/`holeHi` (addresses; granule-aligned or the region's bounds): when `a` lies outside
   * the stretch from the first to the last granule watched in `reg`, the whole region with that
   * stretch as its hole, so a program runs on the same single fast window (and the same
   * compiled code path) as without watchpoints and only accesses between the watched words go
   * through the core; inside that stretch, the gap between the nearest watched granules around
   * `a`, without a hole. False when `a`'s own granule is watched.
   */
  private watchBounds(reg: Region, a: number, write: boolean): boolean {
    const ranges = this.system.dwtWatchActive() ? this.system.dwtWatchedRanges(write) : [];
    if (write) for (const o of this.writeObservers) ranges.push([o.start, o.end - 1]);
    const granule = (a & ~31) >>> 0;
    let lo = reg.base;
    let hi = reg.end;
    let spanLo = reg.end;
    let spanHi = reg.base;
    for (const [first, last] of ranges) {
      const gLo = (first & ~31) >>> 0;
      const gHi = ((last | 31) >>> 0) + 1;
      if (gLo <= granule && gHi > granule) return false;
      if (gHi <= granule && gHi > lo) lo = gHi;
      if (gLo > granule && gLo < hi) hi = gLo;
      if (gLo < reg.end && gHi > reg.base) {
        spanLo = Math.min(spanLo, Math.max(gLo, reg.base));
        spanHi = Math.max(spanHi, Math.min(gHi, reg.end));
      }
    }
    if (granule < spanLo || granule >= spanHi) {
      this.boundLo = reg.base;
      this.boundHi = reg.end;
      this.holeLo = spanLo < spanHi ? spanLo : 0;
      this.holeHi = spanLo < spanHi ? spanHi : 0;
    } else {
      this.boundLo = lo;
      this.boundHi = hi;
      this.holeLo = this.holeHi = 0;
    }
    return true;
  }
  private boundLo = 0;
  private boundHi = 0;
  private holeLo = 0;
  private holeHi = 0;

  /**
   * The window `watchWindow` made before that holds `a` for `acc`, when the fast paths may use
   * it now: MPU off, no exception stacking, the context's own privilege. Else null.
   */
  private cachedWatchWindow(a: number, acc: Acc, priv: boolean): Region | null {
    if (this.exc.stacking !== Stk.None || priv !== this.privileged()) return null;
    if (this.system.mpuEnabled()) return null;
    for (const w of this.watchWindows)
      if (w.acc === acc && w.win.fits(a - w.win.base, 1)) return w.win;
    return null;
  }
  /** The windows `watchWindow` made since the caches were last emptied. */
  private watchWindows: { acc: Acc; win: Region }[] = [];

  read16A(a: number): number {
    return this.readSlow(a, 2, true, this.privileged());
  }
  write16A(a: number, v: number): void {
    this.writeSlow(a, 2, v, true, this.privileged());
  }
  /** Alignment check alone (a failing STREX still faults on a misaligned address). */
  alignOnly(a: number, size: AccessSize): void {
    this.alignCheck(a >>> 0, size, true);
  }
  /** Unprivileged access (LDRT family). */
  readT(a: number, size: AccessSize): number {
    return this.readSlow(a, size, false, false);
  }

  private alignCheck(a: number, size: AccessSize, mustAlign: boolean): void {
    if ((a & (size - 1)) !== 0 && (mustAlign || (this.ccr & 8) !== 0)) {
      this.exc.cfsr |= CFSR.UNALIGNED;
      this.exc.pendFault(Exc.UsageFault);
      throw FAULT;
    }
  }

  readSlow(addr: number, size: AccessSize, mustAlign: boolean, priv: boolean): number {
    const a = addr >>> 0;
    // A window made before (watchpoints armed, MPU off) holds `a`: it becomes the first fast
    // path and the access is made again through it.
    if (this.watchWindows.length !== 0 && !(mustAlign && size === 2)) {
      const w = this.cachedWatchWindow(a, Acc.Read, priv);
      if (w !== null && w !== this.readRegion) {
        this.readRegion2 = this.readRegion;
        this.readRegion = w;
        if (size === 4) return mustAlign ? this.read32A(a) : this.read32(a);
        return size === 2 ? this.read16(a) : this.read8(a);
      }
    }
    if (
      a >= this.devLo &&
      a + size <= this.devHi &&
      (a & (size - 1)) === 0 &&
      priv === this.privileged() &&
      this.exc.stacking === Stk.None
    )
      return this.deviceRead(a, size, this.devRegion);
    if (
      priv &&
      a >= 0xe000e000 &&
      a < 0xe000f000 &&
      (a & (size - 1)) === 0 &&
      this.exc.stacking === Stk.None
    ) {
      // A privileged, aligned read of the System Control Space (the kernel reads NVIC ISPR on
      // every pass of its main loop): the checks below cannot refuse it. It is aligned, the
      // MPU never restricts the PPB (ARMv7-M ARM B3.5.1, `Mpu.lookup`), and only unprivileged
      // PPB accesses fault (the check below); so only the device's read and what
      // `deviceRead` does after it remain.
      const scs = this.bus.find(a);
      if (scs !== null && scs.dev !== null && a + size <= scs.end)
        return this.deviceRead(a, size, scs);
    }
    this.alignCheck(a, size, mustAlign);
    if (this.system.mpuEnabled()) this.mpuCheck(a, Acc.Read, priv, size);
    if (a >= 0xe0000000 && a < 0xe0100000 && !priv) this.busFault(a);
    let v: number;
    const next = this.clock.next;
    try {
      v = this.bus.read(a, size);
    } catch (e) {
      if (e instanceof BusErrorSignal) this.busFault(a);
      throw e;
    }
    const reg = this.bus.find(a);
    if (reg !== null && reg.dev === null && reg !== this.readRegion) {
      const fast = this.fastRegion(reg, a, Acc.Read, priv);
      if (fast !== null) {
        this.readRegion2 = this.readRegion;
        this.readRegion = fast;
      }
    } else if (reg !== null && reg.dev !== null) this.deviceWindow(reg, a, priv, false);
    if (this.system.dwtWatchActive()) this.system.dwtCheck(a, size, false);
    this.noteCodeDropped();
    // A device scheduled or cancelled an event: compiled code re-checks the clock.
    if (this.clock.next !== next) this.attention = true;
    return v;
  }

  /**
   * The device reads of `readSlow` without its checks, inside the stretch [devLo, devHi) of one
   * device region that the last checked device read found allowed: by the MPU for the current
   * context (the same span as the data windows, emptied with them on every change of context
   * or MPU configuration), outside the PPB (whose unprivileged rule is per access). Firmware
   * polling a status register (a UART's ENDTX, the NVMC's READY) reads it this way. What the
   * access does is the same: the device's read, the access log, a data watchpoint, attention
   * when the device scheduled or cancelled an event or dropped code.
   */
  private deviceRead(a: number, size: AccessSize, reg: Region): number {
    const next = this.clock.next;
    let v: number;
    try {
      v = reg.dev!.read(a - reg.base, size) >>> 0;
    } catch (e) {
      if (e instanceof BusErrorSignal) this.busFault(a);
      throw e;
    }
    if (this.bus.onDeviceAccess !== null) this.bus.onDeviceAccess(false, a, size, v);
    if (this.system.dwtWatchActive()) this.system.dwtCheck(a, size, false);
    this.noteCodeDropped();
    if (this.clock.next !== next) this.attention = true;
    return v;
  }
  private devRegion: Region;
  private devLo = 0;
  private devHi = 0;

  /**
   * The device writes of `writeSlow` without its checks, inside the stretch [devWLo, devWHi)
   * of one device region that the last checked device write found allowed, as `deviceRead` for
   * reads (its own stretch: the MPU may let a context read a device it may not write,
   * ARMv7-M ARM B3.5.9 table B3-15). Firmware writing a UART's TXD or TASKS_STARTTX stores this
   * way. What the store does is the checked path's: the access log, the device's write (in
   * `Bus.write`'s order), the data-write hook and write observers, a data watchpoint
   * (C1.8), attention when the device scheduled or cancelled an event or dropped code.
   */
  private deviceWrite(a: number, size: AccessSize, v: number, reg: Region): void {
    const value = size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff);
    const next = this.clock.next;
    if (this.bus.onDeviceAccess !== null) this.bus.onDeviceAccess(true, a, size, value);
    try {
      reg.dev!.write(a - reg.base, size, value);
    } catch (e) {
      if (e instanceof BusErrorSignal) this.busFault(a);
      throw e;
    }
    if (this.onDataWrite !== null) this.onDataWrite(a, size, value);
    if (this.writeObservers.length !== 0) this.notifyWrite(a, size, value);
    if (this.system.dwtWatchActive()) this.system.dwtCheck(a, size, true);
    this.noteCodeDropped();
    if (this.clock.next !== next) this.attention = true;
  }
  private devWRegion: Region;
  private devWLo = 0;
  private devWHi = 0;

  /**
   * After a checked access at `a` of device region `reg`: the stretch `deviceRead` (or for a
   * write, `deviceWrite`) may use. None in the PPB (unprivileged accesses fault there whatever
   * the MPU says, B3.5.1, and STIR's USERSETMPEND exception is per register), while stacking
   * (its faults are MSTKERR/STKERR, B1.5.6) or for an access made with another privilege than
   * the context's (LDRT/STRT). With the MPU on, the span where its answer for this access kind
   * and context is `a`'s (`mpuSpan`), emptied with the data windows on every change of them.
   */
  private deviceWindow(reg: Region, a: number, priv: boolean, write: boolean): void {
    if (a >= 0xe0000000 || this.exc.stacking !== Stk.None || priv !== this.privileged()) return;
    let lo = reg.base;
    let hi = reg.end;
    if (this.system.mpuEnabled()) {
      const [sLo, sHi] = this.system.mpuSpan(a, write, priv, false, this.ipsr, this.faultmask);
      lo = Math.max(lo, sLo);
      hi = Math.min(hi, sHi);
    }
    if (write) {
      this.devWRegion = reg;
      this.devWLo = lo;
      this.devWHi = hi;
    } else {
      this.devRegion = reg;
      this.devLo = lo;
      this.devHi = hi;
    }
  }

  writeSlow(addr: number, size: AccessSize, v: number, mustAlign: boolean, priv: boolean): void {
    const a = addr >>> 0;
    // As in readSlow: a window made before becomes the first fast path.
    if (this.watchWindows.length !== 0 && !(mustAlign && size === 2)) {
      const w = this.cachedWatchWindow(a, Acc.Write, priv);
      if (w !== null && w !== this.writeRegion) {
        (w.parent ?? w).dirty = true;
        this.writeRegion2 = this.writeRegion;
        this.writeRegion = w;
        if (size === 4) return mustAlign ? this.write32A(a, v) : this.write32(a, v);
        return size === 2 ? this.write16(a, v) : this.write8(a, v);
      }
    }
    if (
      a >= this.devWLo &&
      a + size <= this.devWHi &&
      (a & (size - 1)) === 0 &&
      priv === this.privileged() &&
      this.exc.stacking === Stk.None
    )
      return this.deviceWrite(a, size, v, this.devWRegion);
    this.alignCheck(a, size, mustAlign);
    if (this.system.mpuEnabled()) this.mpuCheck(a, Acc.Write, priv, size);
    if (a >= 0xe0000000 && a < 0xe0100000 && !priv) {
      // STIR is writable unprivileged when CCR.USERSETMPEND is set.
      if (!(a === 0xe000ef00 && (this.ccr & 2) !== 0)) this.busFault(a);
    }
    const value = size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff);
    const next = this.clock.next;
    try {
      this.bus.write(a, size, value);
    } catch (e) {
      if (e instanceof BusErrorSignal) this.busFault(a);
      throw e;
    }
    const reg = this.bus.find(a);
    if (
      reg !== null &&
      reg.dev === null &&
      reg.kind === RegionKind.Ram &&
      reg !== this.writeRegion
    ) {
      const fast = this.fastRegion(reg, a, Acc.Write, priv);
      if (fast !== null) {
        reg.dirty = true;
        this.writeRegion2 = this.writeRegion;
        this.writeRegion = fast;
      }
    } else if (reg !== null && reg.dev !== null) this.deviceWindow(reg, a, priv, true);
    if (this.onDataWrite !== null) this.onDataWrite(a, size, value);
    if (this.writeObservers.length !== 0) this.notifyWrite(a, size, value);
    if (this.system.dwtWatchActive()) this.system.dwtCheck(a, size, true);
    this.noteCodeDropped();
    if (this.clock.next !== next) this.attention = true;
  }

  /**
   * Exception entry's 8-word frame (B1.5.6 PushStack) written at once, when nothing could tell
   * it from the eight checked `writeSlow` calls it replaces: the frame lies in one RAM region
   * (no bus error), the MPU (when on) allows both 32-byte granules it touches (a 4-byte-aligned
   * 32-byte frame touches at most two, and permissions are constant per granule), and no data
   * watchpoint, access hook or write observer of the frame's bytes must see each word. False (nothing written) when
   * the checked path must run: a faulting frame is partly written, word by word, as there.
   */
  stackFrame(sp: number, frame: ArrayLike<number>, priv: boolean): boolean {
    const a = sp >>> 0;
    // The write fast path's first window already holds the frame (the stack the interrupted
    // code was pushing to): it was made for this context (dropped on every change of it), so
    // the MPU allows the whole frame, and it lies in RAM. The checks `frameRegion` makes on
    // each side of the window still apply: no watchpoint, access hook or observer of the frame.
    const w = this.writeRegion;
    const wo = a - w.base;
    if (
      (a & 3) === 0 &&
      wo >= 0 &&
      wo <= w.size - 32 &&
      priv === this.privileged() &&
      this.onDataWrite === null &&
      (this.writeObservers.length === 0 || !this.observedWrite(a, 32)) &&
      !this.system.dwtWatchActive()
    ) {
      const i = wo >>> 2;
      for (let k = 0; k < 8; k++) w.i32[i + k] = frame[k]!;
      (w.parent ?? w).written = true;
      if (w.code !== null && w.invalidate(wo, 32)) this.attention = true;
      return true;
    }
    const reg = this.frameRegion(a, true, priv);
    if (reg === null) return false;
    const off = a - reg.base;
    for (let i = 0; i < 8; i++) reg.dv.setInt32(off + 4 * i, frame[i]!, true);
    reg.written = true;
    // Bytes changed outside the fast paths: time travel's checkpoints must see it (the first
    // write after `dropWriteSlots` can be a frame push).
    reg.dirty = true;
    if (reg.code !== null && reg.invalidate(off, 32)) this.attention = true;
    return true;
  }

  /** Exception return's frame (B1.5.8 PopStack) read at once; as `stackFrame`, else false. */
  unstackFrame(sp: number, frame: Int32Array, priv: boolean): boolean {
    const a = sp >>> 0;
    const reg = this.frameRegion(a, false, priv);
    if (reg === null) return false;
    const off = a - reg.base;
    for (let i = 0; i < 8; i++) frame[i] = reg.dv.getInt32(off + 4 * i, true);
    return true;
  }

  /** The memory region holding the whole frame at `a` when `stackFrame`'s conditions hold. */
  private frameRegion(a: number, write: boolean, priv: boolean): Region | null {
    if ((a & 3) !== 0 || this.system.dwtWatchActive()) return null;
    if (write && this.onDataWrite !== null) return null;
    if (write && this.writeObservers.length !== 0 && this.observedWrite(a, 32)) return null;
    const reg = this.bus.find(a);
    if (reg === null || reg.dev !== null || a + 32 > reg.end || a >= 0xe0000000) return null;
    if (write && reg.kind !== RegionKind.Ram) return null;
    if (
      this.system.mpuEnabled() &&
      !(
        this.system.mpuLookup(a, write, priv, false, this.ipsr, this.faultmask) &&
        this.system.mpuLookup(a + 31, write, priv, false, this.ipsr, this.faultmask)
      )
    )
      return null;
    return reg;
  }

  /**
   * The region a fast path may use for RAM `reg` after an access at `a` went through the slow
   * path: the whole region without an MPU, a window the MPU allows whole, or null.
   */
  private fastRegion(reg: Region, a: number, acc: Acc, priv: boolean): Region | null {
    if (!this.slowMem) return reg;
    return this.mpuWindow(reg, a, acc, priv);
  }

  /** A bus write (the CPU's or a device's) dropped a compiled block: leave the running one. */
  private noteCodeDropped(): void {
    if (this.bus.codeDropped) {
      this.bus.codeDropped = false;
      this.attention = true;
    }
  }

  private busFault(a: number): never {
    if (this.exc.stacking === Stk.Push) this.exc.cfsr |= CFSR.STKERR;
    else if (this.exc.stacking === Stk.Pop) this.exc.cfsr |= CFSR.UNSTKERR;
    else {
      this.exc.cfsr |= CFSR.PRECISERR | CFSR.BFARVALID;
      this.exc.bfar = a >>> 0;
    }
    this.exc.pendFault(Exc.BusFault);
    throw FAULT;
  }

  /** PMSAv7 permission check; throws a MemManage fault on violation. */
  private mpuCheck(a: number, acc: Acc, priv: boolean, size: number): void {
    const res = this.system.mpuLookup(
      a,
      acc === Acc.Write,
      priv,
      acc === Acc.Exec,
      this.ipsr,
      this.faultmask,
    );
    if (res && size > 1 && ((a + size - 1) ^ a) >>> 5 !== 0) {
      // An access that spans into another 32-byte block is checked at its last byte too.
      const res2 = this.system.mpuLookup(
        a + size - 1,
        acc === Acc.Write,
        priv,
        acc === Acc.Exec,
        this.ipsr,
        this.faultmask,
      );
      if (!res2) this.memFault(a, acc);
    }
    if (!res) this.memFault(a, acc);
  }

  private memFault(a: number, acc: Acc): never {
    if (this.exc.stacking === Stk.Push) this.exc.cfsr |= CFSR.MSTKERR;
    else if (this.exc.stacking === Stk.Pop) this.exc.cfsr |= CFSR.MUNSTKERR;
    else if (acc === Acc.Exec) this.exc.cfsr |= CFSR.IACCVIOL;
    else {
      this.exc.cfsr |= CFSR.DACCVIOL | CFSR.MMARVALID;
      this.exc.mmfar = a >>> 0;
    }
    this.exc.pendFault(Exc.MemManage);
    throw FAULT;
  }

  // ======================================================================================
  // Control flow helpers for executors
  // ======================================================================================

  /** BranchWritePC. */
  branch(addr: number): void {
    this.nextPc = (addr & ~1) >>> 0;
  }

  /** BXWritePC / LoadWritePC: interworking branch; EXC_RETURN in Handler mode returns. */
  bxWrite(addr: number): void {
    const a = addr >>> 0;
    if (this.ipsr !== 0 && a >>> 28 === 0xf) {
      this.pendingReturn = a;
      this.nextPc = a;
      this.attention = true;
      return;
    }
    if ((a & 1) === 0) {
      this.tbit = 0;
      this.attention = true;
    }
    this.nextPc = a & ~1;
  }

  undefinedInstruction(): never {
    this.exc.cfsr |= CFSR.UNDEFINSTR;
    this.exc.pendFault(Exc.UsageFault);
    throw FAULT;
  }

  noCoprocessor(): never {
    this.exc.cfsr |= CFSR.NOCP;
    this.exc.pendFault(Exc.UsageFault);
    throw FAULT;
  }

  divideByZero(): number {
    if ((this.ccr & 0x10) !== 0) {
      this.exc.cfsr |= CFSR.DIVBYZERO;
      this.exc.pendFault(Exc.UsageFault);
      throw FAULT;
    }
    return 0;
  }

  /** SVC: a synchronous exception returning to the next instruction. */
  svc(): void {
    this.exc.pendSvc();
    this.attention = true;
  }

  /** BKPT: semihosting hook, halting debug, or DebugMonitor/HardFault. */
  bkpt(imm: number): void {
    if (imm === 0xab && this.config.hooks?.semihost) {
      if (this.config.hooks.semihost(this)) return;
    }
    if (this.system.debugEnabled()) {
      this.exc.dfsr |= 2;
      this.halted = true;
      this.stopAfter = { kind: 'bkpt', imm, address: this.pc >>> 0 };
      throw HALT; // halted on the BKPT itself: pc stays on it
    }
    this.exc.dfsr |= 2;
    if (
      this.system.monitorEnabled() &&
      this.exc.groupPrio(this.exc.prio[Exc.DebugMonitor]!) < this.exc.executionPriority()
    ) {
      this.exc.setPending(Exc.DebugMonitor);
      this.nextPc = this.pc;
      throw FAULT;
    }
    this.exc.hfsr |= HFSR.DEBUGEVT;
    this.exc.escalateToHardFault();
    throw FAULT;
  }
  stopAfter: StopReason | null = null;

  /** AIRCR.SYSRESETREQ: reset the system after the current instruction. */
  requestSystemReset(): void {
    if (this.halted) {
      // A debugger's write while the core is in Debug state: the core is between instructions
      // already, and a halted core still resets (ARMv7-M ARM DDI 0403E: B3.2.6 AIRCR, a
      // SYSRESETREQ asks the system for a reset that includes a Local reset; B1.5.16 and C1.4
      // "Debug and reset": a Local reset is not held off by Debug state and leaves the debug
      // logic, DHCSR's control bits and DEMCR, as they were, C1.6.2, C1.6.5). The core then
      // leaves Debug state unless DEMCR.VC_CORERESET with C_DEBUGEN catches the reset vector and
      // halts it on the reset handler's first instruction (C1.6.5, C1.5 vector catch).
      if (this.config.onSystemReset) this.config.onSystemReset();
      else this.reset();
      return;
    }
    this.resetPending = true;
    this.attention = true;
  }
  private resetPending = false;

  /** Exit request from a host hook (semihosting SYS_EXIT): stop run after this instruction. */
  requestExit(code: number): void {
    this.exitCode = code;
    this.attention = true;
  }
  exitCode: number | null = null;
  private takeExit(): StopReason {
    const code = this.exitCode!;
    this.exitCode = null;
    return { kind: 'exit', code };
  }

  /** Enters (1 WFI, 2 WFE) or leaves (0) sleep, telling `onSleepChange` of a change. */
  setSleeping(state: number): void {
    const was = this.sleeping;
    this.sleeping = state;
    if ((was === 0) !== (state === 0)) this.onSleepChange?.(state !== 0);
  }

  wfi(): void {
    if (!this.canWake()) {
      this.setSleeping(1);
      this.attention = true;
    }
  }
  wfe(): void {
    if (this.eventReg) {
      this.eventReg = 0;
      return;
    }
    if (!this.canWake()) {
      this.setSleeping(2);
      this.attention = true;
    }
  }
  sev(): void {
    this.eventReg = 1;
  }

  private canWake(): boolean {
    if (this.sleeping === 2 && this.eventReg) {
      this.eventReg = 0;
      return true;
    }
    return this.exc.wakeUpPending();
  }

  cps(disable: boolean, i: boolean, f: boolean): void {
    if (!this.privileged()) return;
    if (i) this.primask = disable ? 1 : 0;
    if (f) {
      // FAULTMASK cannot be set in NMI or HardFault priority.
      if (!disable) this.faultmask = 0;
      else if (this.exc.executionPriority() > -1) this.faultmask = 1;
      this.mpuContextChanged();
    }
    this.attention = true;
  }

  // ---- the exception model's entry points for executors, devices and machines ----

  setPending(e: number): void {
    this.exc.setPending(e);
  }
  pendFault(e: number): void {
    this.exc.pendFault(e);
  }
  executionPriority(): number {
    return this.exc.executionPriority();
  }
}

/**
 * The host's breakpoint addresses: a set that tells the core of every change, so compiled code
 * covering an address is dropped when a breakpoint appears or goes there.
 */
export class BreakpointSet {
  private readonly set = new Set<number>();
  /** Set by the core once it exists (the set is built before the core's other fields). */
  onChange: (() => void) | null = null;
  constructor(private readonly invalidate: (address: number) => void) {}
  get size(): number {
    return this.set.size;
  }
  has(address: number): boolean {
    return this.set.has(address);
  }
  add(address: number): this {
    const a = address >>> 0;
    if (!this.set.has(a)) {
      this.set.add(a);
      this.invalidate(a);
      this.onChange?.();
    }
    return this;
  }
  delete(address: number): boolean {
    const a = address >>> 0;
    if (!this.set.delete(a)) return false;
    this.invalidate(a);
    this.onChange?.();
    return true;
  }
  clear(): void {
    for (const a of [...this.set]) this.delete(a);
  }
  values(): IterableIterator<number> {
    return this.set.values();
  }
}
