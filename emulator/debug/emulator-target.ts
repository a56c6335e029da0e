/**
 * Emulator target: the `DebugTarget` over an `EmulatorSession`, in-process and pure.
 *
 * The machine runs in slices handed to an injected `SliceScheduler` (setImmediate/setTimeout in
 * Node, a worker's event loop in main/host), so between two slices the host answers requests:
 * a halt takes effect within one slice (about `sliceMs`). Pacing is 'fast' (flat out, idle time
 * skipped) or 'realtime' (virtual time follows the host clock: a sleeping board costs no CPU).
 *
 * Debugging goes through the core's own hooks, as a probe goes through the chip's:
 * - breakpoints are the core's host breakpoints (any number, checked before each instruction);
 *   resuming or stepping from a breakpoint address executes that instruction;
 * - watchpoints are DWT comparators programmed through the debug port with halting debug
 *   (DHCSR.C_DEBUGEN) on, as a probe programs them (ARMv7-M ARM C1.8.7; four on the Cortex-M4).
 *   A comparator watches a power-of-two aligned block; hits outside the requested range are
 *   resumed silently. The comparators are re-armed after every reset and snapshot restore,
 *   which clear them;
 * - fault stops use the core's vector catch (`catchFaults`): the core halts on the first
 *   instruction of the HardFault/MemManage/BusFault/UsageFault handler and the stop carries
 *   CFSR, HFSR, MMFAR, BFAR and SHCSR (ARMv7-M ARM B3.2.11-B3.2.17).
 * With halting debug on (the default, as when a probe is attached) a BKPT instruction halts the
 * core (a 'bkpt' stop) instead of escalating to HardFault (ARMv7-M ARM C1.1). The lockstep
 * harness turns it off to compare with QEMU, which has no halting debug.
 *
 * Memory: debug reads and writes use the session's debug-port path (no MPU, no core side
 * effects); peripheral and system space is accessed a word at a time where aligned. Flash is
 * programmed, not written: `programMemory` follows NOR rules (bits only go from 1 to 0; a byte
 * that would need a 0 made 1 is refused, naming the address) and `eraseMemory` erases whole
 * pages, through the same loader path a flasher uses (emulator/session/image.ts).
 *
 * @example
 *   const t = createEmulatorTarget({ machine: 'nrf52840dk', files }, nodeScheduler);
 *   if (!t.ok) throw new Error(t.error);
 *   t.value.onEvent((e) => e.kind === 'console' && process.stdout.write(e.bytes));
 *   await t.value.resume();
 */
import type { StopReason } from '../core/interfaces';
import { err, ok, type Result } from '../core/result';
import {
  createSession,
  type EmulatorSession,
  type ImageFile,
  type SessionEvent,
  type SessionOptions,
  type SessionSnapshot,
} from '../session/session';
import { BoardProbe } from './peripherals/board-probe';
import { withColumns } from './peripherals/access-log';
import {
  CORE_REGISTER_NAMES,
  FAULT_EXCEPTION_NAMES,
  faultRegistersFrom,
  SCB_FAULT_BLOCK,
  SCB_FAULT_BLOCK_SIZE,
  TargetEventHub,
  type AccessLogReply,
  type AccessLogRequest,
  type BoardState,
  type CoreRegisterName,
  type CoreRegisters,
  type DebugTarget,
  type MemoryAccessOptions,
  type MemoryRegion,
  type RegisterName,
  type ResetOptions,
  type StopCause,
  type StopInfo,
  type TargetDescription,
  type TargetEvent,
  type TargetState,
  type TraceEntry,
  type Watchpoint,
} from './target';
import {
  dmaPeripheralsOf,
  TockRecorder,
  type RecorderReply,
  type RecorderRequest,
} from './tock/recorder';
import { History, type Checkpoint, type HistoryOptions, type SameBytes } from './time-travel';
import {
  Runner,
  type HostScheduler,
  type HostSleep,
  type RunOutcome,
  type SliceBound,
} from '../session/runner';

/** How the host runs the target's slices (injected: the target itself has no timers). */
export interface SliceScheduler {
  /** Host milliseconds from a monotonic clock (performance.now). */
  now(): number;
  /** Runs `task` once the host has handled pending input (setImmediate); returns a cancel. */
  soon(task: () => void): () => void;
  /** Runs `task` after `ms` host milliseconds (setTimeout); returns a cancel. */
  later(ms: number, task: () => void): () => void;
  /** Wall-clock ms since the Unix epoch, when the host has one (console `sentAt` stamps). */
  epochMs?(): number;
  /** The host's native byte comparison, for checkpoints (see HistoryOptions.sameBytes). */
  sameBytes?: SameBytes;
}

export type Pace = 'fast' | 'realtime';

/** Node's timers take at most 2^31-1 ms: a longer wait is a chain of them. */
const LONGEST_WAIT_MS = 2 ** 31 - 1;

/** The Runner's host scheduler over a target's slice scheduler (same clock, same timers). */
export function hostSchedulerOf(s: SliceScheduler): HostScheduler {
  return {
    now: () => s.now(),
    sleep(ms: number): HostSleep {
      let cancel: (() => void) | null = null;
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      const until = s.now() + ms;
      const arm = (): void => {
        const left = until - s.now();
        if (left <= 0) return finish();
        cancel = s.later(Math.min(left, LONGEST_WAIT_MS), arm);
      };
      arm();
      return {
        done,
        wake() {
          cancel?.();
          finish();
        },
      };
    },
    yieldToHost: () => new Promise<void>((resolve) => s.soon(resolve)),
  };
}

export interface EmulatorTargetOptions {
  session: EmulatorSession;
  scheduler: SliceScheduler;
  /** Board name for the description (default: the machine name). */
  board?: string | null;
  /** Default: 'realtime' on the nRF boards, 'fast' on mps2-an386 (as the CLI). */
  pace?: Pace;
  /** Halting debug on (DHCSR.C_DEBUGEN), as with a probe attached. Default true. */
  haltingDebug?: boolean;
  /** Host time one slice aims for (free run, range steps, tracing). Default 8 ms. */
  sliceMs?: number;
  /** Most instructions in one slice of the free run. Default 2,000,000, as the CLI. */
  sliceInstructions?: number;
  /** How often `stats` events come while running. Default 500 ms. */
  statsIntervalMs?: number;
  /** Checkpoint spacing and count for reverse execution (time-travel.ts). */
  history?: HistoryOptions;
  /**
   * When recording for reverse execution begins. 'start' (default): at the first resume, so a
   * debugger can go back to the session's first instruction. 'first-stop': at the first resume
   * after the target first stopped (a pause, a breakpoint, a fault, a step), for a session run
   * without debugging (the IDE's Run): its free run from reset costs no checkpoints (on a cold
   * worker they were ~15 % of its CPU time), and going back reaches that first stop. Only what
   * reverse execution can reach differs: the machine runs the same instructions either way.
   */
  historyFrom?: 'start' | 'first-stop';
  /**
   * Console output is sent as the UART transmits it, at most once per this many host ms, not
   * only when the slice that made it ends (default: at slice ends only). A slice the host
   * starves of CPU (a loaded machine) then holds a line for at most this long. The event is
   * emitted in the middle of the run: only for a listener that does not call back into the
   * target synchronously (the worker's, which posts it to the host thread).
   */
  consoleFlushMs?: number;
}

const DHCSR = 0xe000edf0;
const DWT_CTRL = 0xe0001000;
const DWT_COMP0 = 0xe0001020;
/** DWT_FUNCTION values (ARMv7-M ARM C1.8.17): data address read, write, read or write. */
const DWT_FUNCTION: Record<Watchpoint['access'], number> = { read: 5, write: 6, access: 7 };
/** Vector-catch bits for the fault exceptions (HardFault 3 .. UsageFault 6). */
const FAULT_CATCH = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6);
const MAX_ACCESS = 16 << 20;
const MIN_BUDGET = 2_000;
/**
 * The free run's slices aim at this fraction of `sliceMs`; the Runner yields to the host only
 * once per `sliceMs` (RunnerOptions.yieldMs), running the slices in between back to back. Short
 * slices bound how long a stretch of code much slower than the last measured rate (code not yet
 * translated, a loaded host) holds the console output the slice made: it is flushed after every
 * slice, and the host thread receives it at once. With one 8 ms slice sized by a fast stretch, a
 * slow one took 2,000,000 instructions at a few MIPS: a quarter of a second before its output
 * left (bench:ide 3b's p99).
 */
const FREE_SLICES_PER_YIELD = 4;
const MAX_BUDGET = 5_000_000;
/**
 * Console bytes held by `consoleFlushMs` end the slice within this many instructions (at the
 * slowest, code run for the first time at ~0.5 MIPS on a loaded host: ~4 ms); the slices after
 * it are sized by the rate this one measured.
 */
const CONSOLE_CUT_INSTRUCTIONS = 2_000;
const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** The parts of a machine a debugger sees, from its `Machine` (emulator/machines/machine.ts). */
function describeMachine(session: EmulatorSession): {
  memoryMap: MemoryRegion[];
  programmable: MemoryRegion[];
  consoles: number[];
  label: string;
} {
  const m = session.machine;
  const memoryMap = [...m.memoryMap];
  // Flash the target can program: the regions with an erase block (nRF52 flash and UICR, PS
  // "NVMC"; FICR is factory-written and has none).
  const programmable = memoryMap.filter((r) => r.kind === 'flash' && r.blockSize !== undefined);
  return {
    memoryMap,
    programmable,
    consoles: m.consoles.map((c) => c.index),
    label: `emulated ${m.name}`,
  };
}

interface ArmedWatch {
  watch: Watchpoint;
  /** Comparator block: base and size (a power of two, aligned). */
  base: number;
  mask: number;
}

export class EmulatorTarget implements DebugTarget {
  readonly description: TargetDescription;
  readonly session: EmulatorSession;
  private st: TargetState = 'halted';
  private readonly events = new TargetEventHub();
  private readonly scheduler: SliceScheduler;
  private readonly pace: Pace;
  private readonly haltingDebug: boolean;
  private readonly sliceMs: number;
  private readonly statsMs: number;
  private readonly programmable: MemoryRegion[];
  private readonly wordRegions: MemoryRegion[];
  private readonly comparators: number;
  private cancelTick: (() => void) | null = null;
  private lastStop: StopInfo;
  private watches: ArmedWatch[] = [];
  private snapshots = new Map<string, SessionSnapshot>();
  private haltWaiters: ((r: Result<StopInfo>) => void)[] = [];
  private budget = 100_000;
  private inSlice = false;
  /** Execute the instruction at the PC first, even under a breakpoint (set by resume). */
  private stepOver = false;
  /** Range stepping: stop when the PC leaves [lo, hi). */
  /** The range step's ranges: [lo, hi) and the `also` ones (DebugTarget.stepRange). */
  private range: { lo: number; hi: number; also: readonly (readonly [number, number])[] } | null =
    null;
  /** The free run: the shared run loop, and the run in progress (null when none). */
  private readonly runner: Runner;
  private free: Promise<void> | null = null;
  private readonly sliceInstructions: number;
  /** The free run's slice budget, adapted to `sliceMs / FREE_SLICES_PER_YIELD` of host time. */
  private freeBudget = 25_000;
  /** The free run's last measured rates (instructions per host ms; 0: none yet), a ring. */
  private readonly rates = new Float64Array(8);
  private rateAt = 0;
  private slice = { wall: 0, instructions: 0 };
  private stats = { wall: 0, instructions: 0 };
  private console = new Map<number, number[]>();
  /** When the first byte waiting in each console queue was transmitted (epoch ms). */
  private consoleSentAt = new Map<number, number>();
  /** `consoleFlushMs`, and the host time (scheduler.now) of the last console flush. */
  private readonly consoleFlushMs: number | undefined;
  private consoleFlushedAt = -Infinity;
  /** This slice was cut short for held console bytes (once per slice). */
  private consoleCut = false;
  /**
   * The last slice's rate (instructions per host ms; 0: unknown) and instructions, whatever its
   * length (a slice cut for console bytes: unknown, and the cut's instructions).
   */
  private lastSliceRate = 0;
  private lastSliceRan = 0;
  private readonly unsubscribe: () => void;
  /** Checkpoints and recorded host input: reverse execution. */
  readonly history: History;
  /** Instruction trace: ring of the last `traceDepth` executed instructions. */
  private traceDepth = 0;
  private trace: TraceEntry[] = [];
  private historyStale = false;
  /** False until the first stop when history is recorded only from then (`historyFrom`). */
  private recording: boolean;
  private boardProbe: BoardProbe | null = null;

  constructor(options: EmulatorTargetOptions) {
    const { session } = options;
    this.session = session;
    this.scheduler = options.scheduler;
    // Boards whose image lives in flash run in real time by default, as the CLI does.
    this.pace =
      options.pace ?? (session.machine.imageStorage === 'nonvolatile' ? 'realtime' : 'fast');
    this.haltingDebug = options.haltingDebug ?? true;
    this.sliceMs = options.sliceMs ?? 8;
    this.sliceInstructions = options.sliceInstructions ?? 2_000_000;
    this.statsMs = options.statsIntervalMs ?? 500;
    this.recording = options.historyFrom !== 'first-stop';
    this.consoleFlushMs = options.consoleFlushMs;
    const m = describeMachine(session);
    this.programmable = m.programmable;
    this.wordRegions = m.memoryMap.filter((r) => r.kind === 'peripheral' || r.kind === 'system');
    this.comparators = this.haltingDebug ? session.core.readMemory(DWT_CTRL, 4) >>> 28 : 0;
    this.description = {
      kind: 'emulator',
      board: options.board === undefined ? session.options.machine : options.board,
      label: m.label,
      memoryMap: m.memoryMap,
      capabilities: {
        // Reads go through the session's debug path: devices answer with `peek` (no FIFO
        // popped, no flag cleared), and a device that cannot be read that way is an error.
        sideEffectFreeReads: true,
        readWhileRunning: true,
        snapshots: true,
        breakpoints: Infinity,
        watchpoints: this.comparators,
        rangeStep: true,
        // The core runs FP instructions' enable checks but keeps no FP register file yet.
        fpu: false,
        programming: this.programmable.length > 0,
        consoles: m.consoles,
      },
    };
    if (this.haltingDebug) session.core.writeMemory(DHCSR, 4, 0xa05f0001);
    this.unsubscribe = session.on((e) => this.onSession(e));
    // Console bytes held leave before the core compiles: a compile is a pause the slice's
    // instruction count does not see (the cut counts instructions). In bench:ide 3b the slowest
    // chunks were held 60-250 ms in the worker, each across a slice of a few thousand
    // instructions that compiled one or two regions (40-140 KB of generated code each).
    session.core.beforeCompile = () => {
      if (this.consoleHeld()) this.flushConsole();
    };
    this.history = new History(session, {
      now: () => this.scheduler.now(),
      ...(this.scheduler.sameBytes ? { sameBytes: this.scheduler.sameBytes } : {}),
      ...options.history,
    });
    this.lastStop = this.stopInfo({ kind: 'halted' });
    this.runner = new Runner(session, {
      scheduler: hostSchedulerOf(this.scheduler),
      pace: this.pace,
      // The debugger is attached: a board asleep with nothing armed still waits (it may be
      // halted, written or reset); the IDE delivers console bytes and button presses.
      inputs: { consoles: m.consoles, buttons: true, debugger: true },
      sliceInstructions: this.sliceInstructions,
      yieldMs: this.sliceMs,
      beforeSlice: () => this.beforeSlice(),
      afterSlice: (waiting) => this.afterSlice(waiting),
    });
  }

  state(): TargetState {
    return this.st;
  }

  onEvent(listener: (event: TargetEvent) => void): () => void {
    return this.events.on(listener);
  }

  private emit(e: TargetEvent): void {
    this.events.emit(e);
  }

  private onSession(e: SessionEvent): void {
    switch (e.kind) {
      case 'uart': {
        // Re-running recorded history: this output was shown the first time.
        if (this.history.replaying) break;
        let q = this.console.get(e.index);
        if (!q) this.console.set(e.index, (q = []));
        if (q.length === 0 && this.scheduler.epochMs)
          this.consoleSentAt.set(e.index, this.scheduler.epochMs());
        q.push(e.byte);
        if (this.consoleFlushMs === undefined) break;
        // Sent now rather than when the slice ends (`consoleFlushMs`), at most once per that.
        const now = this.scheduler.now();
        if (now - this.consoleFlushedAt >= this.consoleFlushMs) {
          this.flushConsole();
          break;
        }
        // Held: the slice is cut short, and the slices after it are sized to end when the
        // bytes are due (beforeSlice), so they leave within about `consoleFlushMs` whatever the
        // code runs like. Before, the last bytes of a reply (no byte after them to send them)
        // waited for the rest of a slice sized by the running rate; when the code after them ran
        // for the first time (translated as it goes, ~1000 times slower), that was 0.5-1.5 s
        // (bench:ide 3b's p99). A flood of output still leaves in about one message per
        // `consoleFlushMs`.
        if (!this.consoleCut) {
          this.consoleCut = true;
          this.session.core.endRunWithin(CONSOLE_CUT_INSTRUCTIONS);
        }
        break;
      }
      case 'console':
        if (this.history.replaying) break;
        this.flushConsole();
        this.emit({
          kind: 'console',
          port: e.stream,
          bytes: e.bytes.slice(),
          source: 'semihosting',
        });
        break;
      case 'diagnostic':
        this.emit({ kind: 'diagnostic', message: e.message });
        break;
      case 'reset':
        // A reset clears the DWT (as the emulated core models it): put our comparators back.
        this.armWatches();
        break;
      default:
        break;
    }
  }

  /** Console bytes wait in a queue (not sent yet). */
  private consoleHeld(): boolean {
    for (const q of this.console.values()) if (q.length > 0) return true;
    return false;
  }

  private flushConsole(): void {
    this.consoleCut = false;
    for (const [port, bytes] of this.console) {
      if (bytes.length === 0) continue;
      // The interval counts from output sent, not from every slice's end: a first byte after
      // a quiet spell leaves at once (it was held whenever any slice had ended in the last
      // `consoleFlushMs`, which with ~2 ms slices was nearly always).
      if (this.consoleFlushMs !== undefined) this.consoleFlushedAt = this.scheduler.now();
      const sentAt = this.consoleSentAt.get(port);
      this.consoleSentAt.delete(port);
      this.emit({
        kind: 'console',
        port,
        bytes: Uint8Array.from(bytes),
        // With `sentAt`, when it leaves (the part before: held here; after: the host's).
        ...(sentAt !== undefined ? { sentAt, postedAt: this.scheduler.epochMs?.() ?? sentAt } : {}),
      });
      bytes.length = 0;
    }
  }

  private stopInfo(cause: StopCause): StopInfo {
    return {
      cause,
      pc: this.session.readRegister(15),
      instructions: this.session.instructions,
      cycles: this.session.cycles,
    };
  }

  private closedError(): Result<never> {
    return err(`${this.description.label} is closed`);
  }

  private needHalted(what: string): Result<void> {
    if (this.st === 'closed') return this.closedError();
    if (this.st === 'running') return err(`cannot ${what} while the target runs: halt it first`);
    return ok(undefined);
  }

  // ---- registers ------------------------------------------------------------------------

  private readCore(name: CoreRegisterName): number {
    const i = CORE_REGISTER_NAMES.indexOf(name);
    return i <= 15 ? this.session.readRegister(i) : this.session.readSpecial(name as 'xpsr');
  }

  async readRegisters(): Promise<Result<CoreRegisters>> {
    if (this.st === 'closed') return this.closedError();
    const out = {} as CoreRegisters;
    for (const n of CORE_REGISTER_NAMES) out[n] = this.readCore(n);
    return ok(out);
  }

  async readRegister(name: RegisterName): Promise<Result<number>> {
    if (this.st === 'closed') return this.closedError();
    if (!(CORE_REGISTER_NAMES as readonly string[]).includes(name))
      return err(
        `register '${name}' does not exist on this target (the emulated core has no FP register file)`,
      );
    return ok(this.readCore(name as CoreRegisterName));
  }

  async writeRegister(name: RegisterName, value: number): Promise<Result<void>> {
    const ready = this.needHalted('write registers');
    if (!ready.ok) return ready;
    const i = (CORE_REGISTER_NAMES as readonly string[]).indexOf(name);
    if (i < 0) return err(`register '${name}' does not exist on this target`);
    if (i <= 15) this.session.writeRegister(i, value >>> 0);
    else this.session.writeSpecial(name as 'xpsr', value >>> 0);
    this.changedByDebugger();
    this.lastStop = { ...this.lastStop, pc: this.session.readRegister(15) };
    return ok(undefined);
  }

  // ---- memory ---------------------------------------------------------------------------

  private checkRange(address: number, length: number): Result<void> {
    if (!Number.isInteger(length) || length < 0 || length > MAX_ACCESS)
      return err(`bad length ${length} (0..${MAX_ACCESS} bytes)`);
    if ((address >>> 0) + length > 2 ** 32) return err(`${hex(address)}+${length} runs past 4 GiB`);
    return ok(undefined);
  }

  private inWordSpace(a: number): boolean {
    return this.wordRegions.some((r) => a >= r.start && a < r.start + r.size);
  }

  async readMemory(
    address: number,
    length: number,
    options?: MemoryAccessOptions,
  ): Promise<Result<Uint8Array>> {
    if (this.st === 'closed') return this.closedError();
    const a = address >>> 0;
    const range = this.checkRange(a, length);
    if (!range.ok) return range;
    const debug = options?.debug !== false;
    if (!this.inWordSpace(a)) return this.session.readMemory(a, length, { debug });
    // Registers are read whole where aligned, never byte by byte.
    const out = new Uint8Array(length);
    for (let i = 0; i < length;) {
      const at = a + i;
      const size = (at & 3) === 0 && length - i >= 4 ? 4 : 1;
      const r = this.session.readWord(at, size, { debug });
      if (!r.ok) return r;
      for (let k = 0; k < size; k++) out[i + k] = (r.value >>> (8 * k)) & 0xff;
      i += size;
    }
    return ok(out);
  }

  async writeMemory(
    address: number,
    data: Uint8Array,
    _options?: MemoryAccessOptions,
  ): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    const a = address >>> 0;
    const range = this.checkRange(a, data.length);
    if (!range.ok) return range;
    const flash = this.programmable.find((r) => a < r.start + r.size && a + data.length > r.start);
    if (flash)
      return err(
        `${hex(a)} is in ${flash.name}: flash is programmed, not written (use programMemory, after eraseMemory)`,
      );
    if (!this.inWordSpace(a)) {
      const w = this.session.writeMemory(a, data);
      if (w.ok) this.changedByDebugger();
      return w;
    }
    this.changedByDebugger();
    for (let i = 0; i < data.length;) {
      const at = a + i;
      const size = (at & 3) === 0 && data.length - i >= 4 ? 4 : 1;
      let v = 0;
      for (let k = 0; k < size; k++) v |= data[i + k]! << (8 * k);
      try {
        this.session.asDebugger(() => this.session.core.writeMemory(at, size, v >>> 0));
      } catch (e) {
        return err(e instanceof Error ? e.message : String(e));
      }
      i += size;
    }
    return ok(undefined);
  }

  private programmableRegion(address: number, length: number): Result<MemoryRegion> {
    const r = this.programmable.find(
      (m) => address >= m.start && address + length <= m.start + m.size,
    );
    if (r) return ok(r);
    if (this.programmable.length === 0)
      return err(
        `${this.description.label} has no programmable memory: its code runs from RAM, which a reset reloads from the image; load a new image instead`,
      );
    const names = this.programmable.map(
      (m) => `${m.name} ${hex(m.start)}-${hex(m.start + m.size - 1)}`,
    );
    return err(
      `${hex(address)}+${length} is not inside one programmable memory (${names.join(', ')})`,
    );
  }

  async eraseMemory(address: number, length: number): Promise<Result<void>> {
    const ready = this.needHalted('erase flash');
    if (!ready.ok) return ready;
    const a = address >>> 0;
    const region = this.programmableRegion(a, length);
    if (!region.ok) return region;
    const page = region.value.blockSize!;
    if ((a - region.value.start) % page !== 0 || length % page !== 0)
      return err(
        `erase of ${hex(a)}+${length}: ${region.value.name} erases whole ${page}-byte pages`,
      );
    const w = this.session.writeMemory(a, new Uint8Array(length).fill(0xff));
    this.changedByDebugger();
    return w;
  }

  async programMemory(address: number, data: Uint8Array): Promise<Result<void>> {
    const ready = this.needHalted('program flash');
    if (!ready.ok) return ready;
    const a = address >>> 0;
    const region = this.programmableRegion(a, data.length);
    if (!region.ok) return region;
    const old = this.session.readMemory(a, data.length);
    if (!old.ok) return old;
    for (let i = 0; i < data.length; i++) {
      const was = old.value[i]!;
      if ((was & data[i]!) !== data[i]) {
        return err(
          `flash at ${hex(a + i)} holds 0x${was.toString(16).padStart(2, '0')} and cannot become 0x${data[i]!.toString(16).padStart(2, '0')} (programming only clears bits): erase the page first`,
        );
      }
    }
    const w = this.session.writeMemory(a, data);
    this.changedByDebugger();
    return w;
  }

  /**
   * The debugger changed the machine: recorded history no longer leads here. The history
   * starts again when the core next runs (many writes in a row cost one checkpoint).
   */
  private changedByDebugger(): void {
    this.historyStale = true;
  }

  /**
   * Before the core runs: a history that starts at the present if there is none (or stale);
   * none yet for a free run (`free`) of a session recorded from its first stop (`historyFrom`)
   * before that stop.
   */
  private ensureHistory(free = false): void {
    if (!this.recording) {
      // Only resuming from the start runs unrecorded; anything else (a step) starts recording.
      if (free) return;
      this.recording = true;
    }
    if (this.history.started && !this.historyStale) return;
    this.historyStale = false;
    this.history.start();
  }

  // ---- breakpoints and watchpoints --------------------------------------------------------

  async setBreakpoint(address: number): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    if (address & 1)
      return err(`breakpoint address ${hex(address)} is odd (Thumb code is halfword aligned)`);
    this.session.core.hostBreakpoints.add(address >>> 0);
    return ok(undefined);
  }

  async clearBreakpoint(address: number): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    if (!this.session.core.hostBreakpoints.delete(address >>> 0))
      return err(`no breakpoint at ${hex(address)}`);
    return ok(undefined);
  }

  /** The smallest aligned power-of-two block holding the range (what one comparator covers). */
  private static cover(address: number, length: number): { base: number; mask: number } {
    const lo = address >>> 0;
    const hi = (lo + length - 1) >>> 0;
    let mask = 0;
    while (mask < 31 && Math.floor(lo / 2 ** mask) !== Math.floor(hi / 2 ** mask)) mask++;
    return { base: Math.floor(lo / 2 ** mask) * 2 ** mask, mask };
  }

  async setWatchpoint(watch: Watchpoint): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    if (!this.haltingDebug)
      return err('watchpoints need halting debug, and this target was attached without it');
    if (!(Number.isInteger(watch.length) && watch.length >= 1))
      return err(
        `watchpoint length must be a whole number of bytes, at least 1 (got ${watch.length})`,
      );
    const w: Watchpoint = {
      address: watch.address >>> 0,
      length: watch.length,
      access: watch.access,
    };
    if (this.watches.some((x) => sameWatch(x.watch, w))) return ok(undefined);
    if (this.watches.length >= this.comparators)
      return err(`all ${this.comparators} DWT comparators are in use: clear a watchpoint first`);
    this.watches.push({ watch: w, ...EmulatorTarget.cover(w.address, w.length) });
    this.armWatches();
    return ok(undefined);
  }

  async clearWatchpoint(watch: Watchpoint): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    const i = this.watches.findIndex((x) => sameWatch(x.watch, watch));
    if (i < 0) return err(`no ${watch.access} watchpoint at ${hex(watch.address)}+${watch.length}`);
    this.watches.splice(i, 1);
    this.armWatches();
    return ok(undefined);
  }

  /** Programs every DWT comparator from `watches` (unused ones off), through the debug port. */
  private armWatches(): void {
    if (!this.haltingDebug) return;
    const core = this.session.core;
    for (let i = 0; i < this.comparators; i++) {
      const w = this.watches[i];
      const at = DWT_COMP0 + 16 * i;
      core.writeMemory(at + 8, 4, 0);
      if (!w) continue;
      core.writeMemory(at, 4, w.base >>> 0);
      core.writeMemory(at + 4, 4, w.mask);
      core.writeMemory(at + 8, 4, DWT_FUNCTION[w.watch.access]);
    }
  }

  /** The requested watchpoint an access hit, or null for a hit outside every requested range. */
  private watchFor(r: StopReason & { kind: 'watchpoint' }): Watchpoint | null {
    const lo = r.address >>> 0;
    const hi = lo + (r.size ?? 1);
    for (const { watch: w } of this.watches) {
      if (w.access !== 'access' && w.access !== r.access) continue;
      if (lo < w.address + w.length && hi > w.address) return w;
    }
    return null;
  }

  /** The Tock views' recorder (see `DebugTarget.recorder`), made on first use. */
  async recorder(request: RecorderRequest): Promise<Result<RecorderReply>> {
    if (this.st === 'closed') return this.closedError();
    this.tock ??= new TockRecorder({
      core: this.session.core,
      dma: dmaPeripheralsOf(this.session.machine.devices.map((d) => d.dev)),
    });
    return ok(this.tock.handle(request));
  }
  private tock: TockRecorder | null = null;

  async catchFaults(enabled: boolean): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    this.session.core.vectorCatch = enabled ? FAULT_CATCH : 0;
    return ok(undefined);
  }

  // ---- execution --------------------------------------------------------------------------

  /** The stop cause for a core stop, or null to keep going (limit, idle, false watch hits). */
  private causeOf(r: StopReason): StopCause | null {
    switch (r.kind) {
      case 'limit':
      case 'idle':
        return null;
      case 'breakpoint':
        return { kind: 'breakpoint', address: r.address >>> 0 };
      case 'watchpoint': {
        const watch = this.watchFor(r);
        return watch
          ? { kind: 'watchpoint', watch, dataAddress: r.address >>> 0, access: r.access }
          : null;
      }
      case 'bkpt':
        return { kind: 'bkpt', imm: r.imm, address: r.address >>> 0 };
      case 'lockup':
        return { kind: 'lockup', address: r.address >>> 0 };
      case 'exit':
        return { kind: 'exit', code: r.code };
      case 'halted':
        return { kind: 'halted' };
      case 'vector-catch':
        return this.faultCause(r.exception);
    }
  }

  private faultCause(exception: number): StopCause {
    const block = this.session.readMemory(SCB_FAULT_BLOCK, SCB_FAULT_BLOCK_SIZE);
    return {
      kind: 'fault',
      exception,
      name: FAULT_EXCEPTION_NAMES[exception] ?? `exception ${exception}`,
      registers: faultRegistersFrom(block.ok ? block.value : new Uint8Array(SCB_FAULT_BLOCK_SIZE)),
    };
  }

  /**
   * One instruction (or exception entry), executing the instruction at the PC even when a
   * breakpoint sits on it; a watchpoint the instruction hit is reported by this step.
   * Returns the stop cause, null for a plain step.
   */
  private stepOnce(): StopCause | null {
    const core = this.session.core;
    const before = this.session.instructions;
    const pc = this.session.readRegister(15);
    if (this.traceDepth > 0) {
      this.trace.push({ pc, instructions: before });
      if (this.trace.length > this.traceDepth * 2) this.trace = this.trace.slice(-this.traceDepth);
    }
    let r = this.session.step();
    if (r.kind === 'breakpoint' && r.address === pc && this.session.instructions === before) {
      // Stopped on the breakpoint without executing: the core now lets this PC pass.
      r = this.session.step();
    }
    const hit = core.watchHit;
    if (hit !== null && hit.kind === 'watchpoint') {
      core.watchHit = null;
      const w = this.watchFor(hit);
      if (w)
        return { kind: 'watchpoint', watch: w, dataAddress: hit.address >>> 0, access: hit.access };
    }
    return this.causeOf(r);
  }

  /** A breakpoint under the PC, for loops that step one at a time (ranges, tracing). */
  private breakpointHere(): StopCause | null {
    const pc = this.session.readRegister(15);
    return this.session.core.hostBreakpoints.has(pc) ? { kind: 'breakpoint', address: pc } : null;
  }

  private schedule(delayMs = 0): void {
    if (this.cancelTick) return;
    const run = (): void => {
      this.cancelTick = null;
      this.tick();
    };
    this.cancelTick = delayMs > 0 ? this.scheduler.later(delayMs, run) : this.scheduler.soon(run);
  }

  private unschedule(): void {
    this.cancelTick?.();
    this.cancelTick = null;
  }

  private startRunning(): void {
    this.st = 'running';
    this.stats = { wall: this.scheduler.now(), instructions: this.session.instructions };
    this.emit({ kind: 'running' });
    this.schedule();
  }

  /**
   * What comes next while running: the instruction under a breakpoint the run resumes from,
   * then range steps and traced runs in the target's own short slices (they single-step), or
   * the free run on the shared `Runner` (emulator/session/runner.ts), which paces it.
   */
  private tick(): void {
    if (this.st !== 'running' || this.free !== null) return;
    const started = this.scheduler.now();
    let cause: StopCause | null = null;
    this.inSlice = true;
    try {
      this.history.applyDue();
      if (this.stepOver) {
        this.stepOver = false;
        cause = this.stepOnce();
      }
      if (cause === null && this.traceDepth > 0 && this.range === null) {
        for (let n = Math.max(1, this.budget >>> 4); n > 0 && cause === null; n--) {
          this.history.applyDue();
          cause = this.breakpointHere() ?? this.stepOnce();
        }
      } else if (cause === null && this.range !== null) {
        const { lo, hi, also } = this.range;
        const inside = (pc: number): boolean =>
          (pc >= lo && pc < hi) || also.some(([a, b]) => pc >= a && pc < b);
        // Single steps are slow: a slice takes a fraction of the run budget of them.
        for (let n = Math.max(1, this.budget >>> 4); n > 0 && cause === null; n--) {
          const pc = this.session.readRegister(15);
          if (!inside(pc)) {
            cause = { kind: 'step' };
            break;
          }
          this.history.applyDue();
          cause = this.breakpointHere() ?? this.stepOnce();
        }
      } else if (cause === null) {
        this.inSlice = false;
        this.free = this.runFree();
        return;
      }
      // The slice's running time (before any checkpoint) tells the history the running speed.
      if (this.recording) this.history.tick(this.scheduler.now() - started);
    } catch (e) {
      this.inSlice = false;
      this.crash(e);
      return;
    }
    this.inSlice = false;
    const now = this.scheduler.now();
    this.adaptBudget(now - started);
    this.flushConsole();
    if (cause !== null) {
      this.stopWith(cause);
      return;
    }
    this.maybeStats(now);
    this.schedule();
  }

  /**
   * The free run: the shared Runner's loop (the CLI's pacing and slice size), with the
   * debugger attached so a sleeping board waits for input instead of ending. Between slices it
   * applies recorded input (re-running history), checkpoints, flushes the console and sends
   * stats. It ends on a stop the debugger reports, or when `stopFree` interrupts it.
   */
  private async runFree(): Promise<void> {
    for (;;) {
      let outcome: RunOutcome;
      try {
        outcome = await this.runner.run();
      } catch (e) {
        this.free = null;
        this.crash(e);
        return;
      }
      this.flushConsole();
      if (outcome.kind === 'interrupted' || this.st !== 'running') break;
      // Limits and idling cannot happen (no limits set, the debugger can always wake it); a
      // watchpoint hit outside every requested range runs on.
      const cause = outcome.kind === 'stopped' ? this.causeOf(outcome.reason) : null;
      if (cause !== null) {
        this.free = null;
        this.stopWith(cause);
        return;
      }
    }
    this.free = null;
  }

  /** Ends the free run (if one runs) and waits until it has; the target stays 'running'. */
  private async stopFree(): Promise<void> {
    const run = this.free;
    if (run === null) return;
    this.runner.stop();
    await run;
  }

  /**
   * Between the Runner's slices: recorded input due now, and how far the slice may run: to the
   * next recorded input, and no longer than `sliceMs / FREE_SLICES_PER_YIELD` of host time at
   * the rate measured so far (at most `sliceInstructions`, the CLI's slice); the Runner yields
   * once per `sliceMs`, so a halt, a second GDB client or a request from the IDE is answered
   * within about one `sliceMs` even on a slow or loaded host.
   */
  private beforeSlice(): SliceBound {
    this.history.applyDue();
    const now = this.scheduler.now();
    this.slice = { wall: now, instructions: this.session.instructions };
    let budget = this.freeBudget;
    // Console bytes held (`consoleFlushMs`): this slice ends about when they are due at the
    // rate the last slice ran, and runs at most twice the last one's instructions (from the
    // cut's few on), so a stretch of code run for the first time (~1000 times slower than the
    // rate says) holds them only for a short slice.
    this.consoleCut = false;
    if (this.consoleFlushMs !== undefined && this.consoleHeld()) {
      const left = Math.max(0.5, this.consoleFlushMs - (now - this.consoleFlushedAt));
      const byRate = this.lastSliceRate > 0 ? Math.round(this.lastSliceRate * left) : Infinity;
      budget = Math.max(MIN_BUDGET, Math.min(budget, 2 * this.lastSliceRan, byRate));
    }
    const h = this.history.bounds();
    return h
      ? { instructions: Math.min(h.instructions, budget), cycle: h.cycle }
      : { instructions: budget, cycle: Infinity };
  }

  /** After each of the Runner's slices (and before its waits: `waiting`). */
  private afterSlice(waiting: boolean): void {
    const now = this.scheduler.now();
    const ran = this.session.instructions - this.slice.instructions;
    // A cut slice says nothing of the code after the cut (the count read in a device's event,
    // inside a compiled region, lags): the slices after it start from the cut's few.
    const cut = this.session.core.runCut;
    this.lastSliceRan = cut ? CONSOLE_CUT_INSTRUCTIONS : ran;
    this.lastSliceRate =
      !cut && ran > 0 && now > this.slice.wall ? ran / (now - this.slice.wall) : 0;
    // Only a slice that ran most of its budget says how fast the host runs (one that ended
    // early, asleep or ahead of the wall clock, does not).
    if (ran >= this.freeBudget / 2 && now > this.slice.wall) {
      // The budget follows the measured rate, clipped to four times the median of the last
      // few: a stretch that counts instructions without running each one (a spin loop skipped
      // to its exit, emulator/core/spin-loop*) measured hundreds of MIPS, and the next slice of
      // ordinary code, sized by it, ran 800,000 instructions: seconds on a loaded host, its
      // console output held all along. A slower slice (preempted, a GC pause) still shrinks
      // the next one at once, and the one after grows back as before.
      const perMs = ran / (now - this.slice.wall);
      this.rates[this.rateAt++ % this.rates.length] = perMs;
      const known = this.rates.filter((r) => r > 0).sort((a, b) => a - b);
      const typical = known[known.length >> 1]!;
      const rate = Math.min(perMs, 4 * typical);
      this.freeBudget = Math.max(
        MIN_BUDGET,
        Math.min(this.sliceInstructions, Math.round((rate * this.sliceMs) / FREE_SLICES_PER_YIELD)),
      );
    }
    // Output first: a checkpoint's time must not delay what the board has just transmitted.
    // With `consoleFlushMs`, bytes held less than that wait for the next slice (kept short),
    // unless the run now waits (asleep, or ahead of the wall clock).
    if (
      this.consoleFlushMs === undefined ||
      waiting ||
      now - this.consoleFlushedAt >= this.consoleFlushMs
    )
      this.flushConsole();
    // The slice's running time (before any checkpoint) tells the history the running speed.
    if (this.recording) this.history.tick(now - this.slice.wall);
    this.maybeStats(this.scheduler.now());
  }

  private adaptBudget(elapsedMs: number): void {
    if (elapsedMs <= 0.05) {
      this.budget = Math.min(MAX_BUDGET, this.budget * 2);
      return;
    }
    const scaled = this.budget * Math.min(2, Math.max(0.5, this.sliceMs / elapsedMs));
    this.budget = Math.max(MIN_BUDGET, Math.min(MAX_BUDGET, Math.round(scaled)));
  }

  private maybeStats(now: number): void {
    const dt = now - this.stats.wall;
    if (dt < this.statsMs) return;
    const instructions = this.session.instructions;
    this.emit({
      kind: 'stats',
      stats: {
        instructions,
        cycles: this.session.cycles,
        virtualSeconds: this.session.virtualSeconds,
        mips: (instructions - this.stats.instructions) / dt / 1000,
      },
    });
    this.stats = { wall: now, instructions };
  }

  private stopWith(cause: StopCause): StopInfo {
    this.unschedule();
    // A halt asked for while the run ended another way must not stop the next run at once.
    this.session.core.haltRequested = false;
    this.range = null;
    this.stepOver = false;
    this.flushConsole();
    this.st = 'halted';
    // Recorded from the first stop on (historyFrom 'first-stop'): the next resume starts it.
    this.recording = true;
    const info = this.stopInfo(cause);
    this.lastStop = info;
    this.emit({ kind: 'stopped', stop: info });
    for (const w of this.haltWaiters.splice(0)) w(ok(info));
    return info;
  }

  private crash(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof Error && e.stack) this.emit({ kind: 'diagnostic', message: e.stack });
    this.closeWith(`the emulator failed: ${message}`);
  }

  async resume(): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    if (this.st === 'running') return ok(undefined);
    this.ensureHistory(true);
    this.stepOver = true;
    this.startRunning();
    return ok(undefined);
  }

  async halt(): Promise<Result<StopInfo>> {
    if (this.st === 'closed') return this.closedError();
    if (this.st === 'halted') return ok(this.lastStop);
    if (this.inSlice || this.free !== null) {
      // The core stops at the next instruction boundary (the free run's next slice, or this
      // one when called from an event listener during a slice), and the run reports it.
      const done = new Promise<Result<StopInfo>>((resolve) => this.haltWaiters.push(resolve));
      if (this.free !== null) this.runner.pause();
      else this.session.pause();
      return done;
    }
    return ok(this.stopWith({ kind: 'halted' }));
  }

  async step(): Promise<Result<StopInfo>> {
    const ready = this.needHalted('step');
    if (!ready.ok) return ready;
    this.ensureHistory();
    let cause: StopCause | null;
    try {
      this.history.applyDue();
      const started = this.scheduler.now();
      cause = this.stepOnce();
      this.history.tick(this.scheduler.now() - started);
    } catch (e) {
      this.crash(e);
      return this.closedError();
    }
    return ok(this.stopWith(cause ?? { kind: 'step' }));
  }

  async stepRange(
    start: number,
    end: number,
    also: readonly (readonly [number, number])[] = [],
  ): Promise<Result<StopInfo>> {
    const ready = this.needHalted('step');
    if (!ready.ok) return ready;
    this.ensureHistory();
    const done = new Promise<Result<StopInfo>>((resolve) => this.haltWaiters.push(resolve));
    this.range = {
      lo: start >>> 0,
      hi: end >>> 0,
      also: also.map(([a, b]) => [a >>> 0, b >>> 0] as const),
    };
    this.stepOver = true;
    this.startRunning();
    return done;
  }

  async reset(options: ResetOptions): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    const wasRunning = this.st === 'running';
    await this.stopFree();
    this.unschedule();
    this.range = null;
    this.stepOver = false;
    this.flushConsole();
    // A probe resets the core with SYSRESETREQ (a soft reset: an nRF52's watchdog keeps
    // running; the machine decides what survives). The reset is host input: replaying history
    // applies it at the same instruction.
    this.hostInput('reset', () => this.session.reset('sreq'));
    if (options.halt) {
      this.stopWith({ kind: 'halted' });
    } else if (wasRunning) this.schedule();
    else this.startRunning();
    return ok(undefined);
  }

  /** Input from the host: recorded (replaying history applies it again) while recording. */
  private hostInput(label: string, apply: () => void): void {
    if (this.recording) this.history.input(label, apply);
    else apply();
  }

  async writeConsole(port: number, bytes: Uint8Array): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    if (!this.description.capabilities.consoles.includes(port))
      return err(
        `no console UART ${port} on ${this.description.label} (ports: ${this.description.capabilities.consoles.join(', ') || 'none'})`,
      );
    const copy = bytes.slice();
    this.hostInput(`console ${port}: ${copy.length} bytes`, () =>
      this.session.sendUart(port, copy),
    );
    if (this.st === 'running' && this.free === null) {
      // Input wakes a sleeping board now, not when the current wait ends (the free run's
      // Runner hears of it from the session itself).
      this.unschedule();
      this.schedule();
    }
    return ok(undefined);
  }

  async saveSnapshot(name: string): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    this.snapshots.set(name, this.session.snapshot());
    return ok(undefined);
  }

  async restoreSnapshot(name: string): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    const s = this.snapshots.get(name);
    if (!s)
      return err(
        `no snapshot named '${name}' (saved: ${[...this.snapshots.keys()].join(', ') || 'none'})`,
      );
    // A running free run is ended first and started again from the restored state (its pacing
    // starts afresh from the restored virtual time).
    const wasFree = this.free !== null;
    await this.stopFree();
    this.session.restore(s);
    this.session.core.forgetDebugStops();
    this.armWatches();
    this.changedByDebugger();
    if (wasFree && this.st === 'running') this.schedule();
    if (this.st === 'halted')
      this.lastStop = { ...this.lastStop, ...this.stopInfo(this.lastStop.cause) };
    return ok(undefined);
  }

  // ---- reverse execution (time-travel.ts) -------------------------------------------------

  /** After a reverse operation: halted here, told once. */
  private landed(cause: StopCause, history?: 'begin'): StopInfo {
    this.armWatches();
    this.st = 'halted';
    const info: StopInfo = { ...this.stopInfo(cause), ...(history ? { history } : {}) };
    this.lastStop = info;
    this.emit({ kind: 'stopped', stop: info });
    return info;
  }

  /**
   * Re-runs recorded history from the restored state up to instruction `until`, applying the
   * recorded inputs where they came. `onHit` sees each stop a forward run would have reported
   * (breakpoints, watchpoints in range, faults); returning true stops there. Returns the stop
   * that ended it, or null once `until` is reached.
   */
  private replayTo(until: number, onHit: (cause: StopCause) => boolean): StopCause | null {
    const session = this.session;
    for (;;) {
      this.history.applyDue();
      const now = session.instructions;
      if (now >= until) return null;
      const bound = this.history.bounds();
      const budget = Math.min(until - now, bound ? bound.instructions : Infinity, MAX_BUDGET);
      const reason = bound
        ? session.runPaced(bound.cycle, budget)
        : session.runSlice({ instructions: budget });
      if (reason.kind === 'limit') continue;
      if (reason.kind === 'idle') {
        if (bound) continue;
        return { kind: 'halted' }; // asleep for good: the history cannot go further
      }
      const cause = this.causeOf(reason);
      if (cause === null) continue;
      if (cause.kind === 'lockup' || cause.kind === 'exit') return cause;
      // The live run stepped over a BKPT when it was resumed: so does the replay.
      if (cause.kind === 'bkpt' && !onHit(cause)) {
        session.step();
        continue;
      }
      if (onHit(cause)) return cause;
    }
  }

  private restoreTo(c: Checkpoint): void {
    this.history.restore(c);
    this.session.core.forgetDebugStops();
    this.armWatches();
  }

  async reverseStep(): Promise<Result<StopInfo>> {
    const ready = this.needHalted('step backwards');
    if (!ready.ok) return ready;
    const now = this.session.instructions;
    if (!this.history.started || this.historyStale || now <= this.history.begin)
      return ok(this.landed({ kind: 'step' }, 'begin'));
    const target = now - 1;
    const c = this.history.checkpointBefore(target)!;
    try {
      this.restoreTo(c);
      // Far from the checkpoint: leave one close by, so the next reverse step is quick.
      if (target - c.instructions > 100_000) {
        this.replayTo(target - 20_000, () => false);
        this.history.mark();
      }
      this.replayTo(target, () => false);
      this.session.core.forgetDebugStops();
    } catch (e) {
      this.crash(e);
      return this.closedError();
    }
    return ok(this.landed({ kind: 'step' }));
  }

  async reverseContinue(): Promise<Result<StopInfo>> {
    const ready = this.needHalted('continue backwards');
    if (!ready.ok) return ready;
    if (!this.history.started || this.historyStale)
      return ok(this.landed({ kind: 'halted' }, 'begin'));
    const isHit = (c: StopCause): boolean =>
      c.kind === 'breakpoint' || c.kind === 'watchpoint' || c.kind === 'fault';
    try {
      let end = this.session.instructions;
      let c = this.history.checkpointBefore(end);
      if (c && c.instructions === end) c = this.history.previous(c) ?? c;
      while (c) {
        // Count the hits a forward run makes between this checkpoint and `end`...
        this.restoreTo(c);
        let hits = 0;
        let last: StopCause | null = null;
        this.replayTo(end, (cause) => {
          if (isHit(cause) && this.session.instructions < end) {
            hits++;
            last = cause;
          }
          return false;
        });
        if (hits > 0 && last !== null) {
          // ...then run to the last one again and stop there, as the forward run did.
          this.restoreTo(c);
          let seen = 0;
          const cause = this.replayTo(end, (h) => isHit(h) && ++seen === hits);
          return ok(this.landed(cause ?? last));
        }
        const earlier = this.history.previous(c);
        if (!earlier) break;
        end = c.instructions;
        c = earlier;
      }
      const first = this.history.checkpointBefore(this.history.begin)!;
      this.restoreTo(first);
      return ok(this.landed({ kind: 'halted' }, 'begin'));
    } catch (e) {
      this.crash(e);
      return this.closedError();
    }
  }

  async setTrace(depth: number): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    if (!(Number.isInteger(depth) && depth >= 0 && depth <= 1 << 22))
      return err(`trace depth must be a whole number 0..${1 << 22} (got ${depth})`);
    this.traceDepth = depth;
    if (depth === 0) this.trace = [];
    return ok(undefined);
  }

  async readTrace(): Promise<Result<TraceEntry[]>> {
    if (this.st === 'closed') return this.closedError();
    return ok(this.trace.slice(-this.traceDepth || undefined));
  }

  /** The board view's probe, made on first use (it follows pin changes from then on). */
  private probe(): BoardProbe {
    this.boardProbe ??= new BoardProbe(this.session);
    return this.boardProbe;
  }

  async boardState(): Promise<Result<BoardState>> {
    if (this.st === 'closed') return this.closedError();
    return ok(this.probe().state());
  }

  async setButton(name: string, pressed: boolean): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    const r = this.probe().setButton(name, pressed);
    if (r.ok && this.st === 'running' && this.free === null) {
      // A press wakes a sleeping board now, not when the current wait ends (the free run's
      // Runner hears of it from the session itself).
      this.unschedule();
      this.schedule();
    }
    return r;
  }

  async accessLog(request: AccessLogRequest): Promise<Result<AccessLogReply>> {
    if (this.st === 'closed') return this.closedError();
    const s = this.session;
    if (request.callers !== undefined) s.setAccessLogCallers(request.callers);
    if (request.enable !== undefined) s.setAccessLog(request.enable);
    if (request.clear) s.accessLog?.clear();
    const log = s.accessLog;
    const head = { on: s.accessLogOn, frequencyHz: s.core.clock.frequencyHz };
    if (request.since === undefined || log === null)
      return ok({ ...head, entries: [], next: log?.recorded ?? 0, missed: 0 });
    // As columns: no object per entry on the emulator's thread (see withColumns).
    const { columns, next, missed, passed } = log.columns(
      request.since,
      request.max ?? 10_000,
      request.until,
      request.filter,
      request.newest === true,
    );
    return ok(withColumns({ ...head, next, missed, passed }, columns));
  }

  private closeWith(reason: string): void {
    if (this.st === 'closed') return;
    this.boardProbe?.dispose();
    this.unschedule();
    if (this.free !== null) this.runner.stop();
    this.flushConsole();
    this.st = 'closed';
    this.unsubscribe();
    this.session.core.beforeCompile = null;
    for (const w of this.haltWaiters.splice(0)) w(err(reason));
    this.emit({ kind: 'closed', reason });
  }

  async close(): Promise<void> {
    this.tock?.stop();
    this.closeWith('session closed');
  }
}

function sameWatch(a: Watchpoint, b: Watchpoint): boolean {
  return a.address >>> 0 === b.address >>> 0 && a.length === b.length && a.access === b.access;
}

/** What to build: a machine, its image files, and the session's and target's options. */
export interface EmulatorTargetSpec {
  machine: string;
  files: ImageFile[];
  board?: string | null;
  session?: Omit<SessionOptions, 'machine'>;
  target?: Omit<EmulatorTargetOptions, 'session' | 'scheduler' | 'board'>;
}

/** Builds a session, programs the image and wraps it; errors name the machine or the file. */
export function createEmulatorTarget(
  spec: EmulatorTargetSpec,
  scheduler: SliceScheduler,
): Result<EmulatorTarget> {
  const created = createSession({ ...spec.session, machine: spec.machine });
  if (!created.ok) return created;
  const loaded = created.value.loadFiles(spec.files);
  if (!loaded.ok) return loaded;
  return ok(
    new EmulatorTarget({
      ...spec.target,
      session: created.value,
      scheduler,
      ...(spec.board !== undefined ? { board: spec.board } : {}),
    }),
  );
}
