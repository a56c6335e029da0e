/**
 * DebugTarget: the one seam between everything that debugs and everything that can be debugged.
 *
 * Above it, written once: the IDE's debug session and panels, the GDB server, the Tock views,
 * the peripheral view and the lockstep harness. Below it: the emulator (running in a worker
 * thread, see main/host) and remote targets reached over GDB's remote protocol (QEMU's gdbstub,
 * OpenOCD on a real board). A target is asynchronous because most of them are across a thread
 * or a socket; a target that is local answers from a resolved promise.
 *
 * The interface lives in emulator/ (pure TypeScript, no Node) rather than main/ because the
 * emulator's own command line, its GDB server and the lockstep harness drive targets too, and
 * emulator/ never imports main/.
 *
 * Rules every implementation keeps:
 * - Operations that can fail for an expected reason (unmapped address, target running, no
 *   capability) return `Result` with a message that names the problem; they never throw for it.
 * - `readMemory` with `debug: true` (the default) is side-effect free where the target declares
 *   `capabilities.sideEffectFreeReads`: it pops no FIFO, clears no flag and is not logged as
 *   an access. With `debug: false` the access goes through the bus as a CPU access would (the
 *   peripheral view's explicit "read" of a FIFO register uses this).
 * - Every transition to halted produces exactly one `stopped` event, including stops caused by
 *   `halt()`, `step()` and `reset({ halt: true })`.
 * - Addresses and register values are unsigned 32-bit numbers.
 *
 * @example
 *   const off = target.onEvent((e) => {
 *     if (e.kind === 'stopped') console.log(describeStop(e.stop));
 *   });
 *   await target.setBreakpoint(0x1_2345);
 *   await target.resume();
 */
import type { CallerTable } from './peripherals/call-chain';
import type { Result } from '../core/result';
import type { RecorderReply, RecorderRequest } from './tock/recorder';

/** Registers a debugger sees on an ARMv7-M core, by their GDB names. */
export const CORE_REGISTER_NAMES = [
  'r0',
  'r1',
  'r2',
  'r3',
  'r4',
  'r5',
  'r6',
  'r7',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'sp',
  'lr',
  'pc',
  'xpsr',
  'msp',
  'psp',
  'primask',
  'basepri',
  'faultmask',
  'control',
] as const;
export type CoreRegisterName = (typeof CORE_REGISTER_NAMES)[number];

/** Floating-point registers (present when `capabilities.fpu`): s0-s31 and fpscr. */
export type FpRegisterName = `s${number}` | 'fpscr';

export type RegisterName = CoreRegisterName | FpRegisterName;

/** The core's registers as of the last stop. `sp` is the active stack pointer. */
export type CoreRegisters = Record<CoreRegisterName, number>;

export type MemoryRegionKind = 'flash' | 'ram' | 'peripheral' | 'system';

/** One range of the target's address map, as a debugger needs to know it. */
export interface MemoryRegion {
  name: string;
  kind: MemoryRegionKind;
  start: number;
  size: number;
  /** Flash only: the erase block (page) size in bytes. */
  blockSize?: number;
}

/** What a target can do; callers check before relying on a feature. */
export interface TargetCapabilities {
  /** Debug reads never change device state (emulator: yes; a real chip: no, FIFOs pop). */
  sideEffectFreeReads: boolean;
  /** Memory can be read while the core runs (emulator; SWD/JTAG through a MEM-AP). */
  readWhileRunning: boolean;
  /** Whole-machine snapshots and deterministic replay (reverse execution). */
  snapshots: boolean;
  /** How many breakpoints may be set at once (Infinity where the target checks every PC). */
  breakpoints: number;
  /** How many watchpoints may be set at once. */
  watchpoints: number;
  /** Single-instruction stepping through a range in one request (GDB's vCont;r). */
  rangeStep: boolean;
  /** FPU registers (s0-s31, fpscr) exist. */
  fpu: boolean;
  /** Programmable memory (flash) can be erased and written through the target. */
  programming: boolean;
  /** Console UARTs the target can carry bytes for (empty for a remote target without one). */
  consoles: number[];
}

/** What a target is attached to, for titles, memory views and the GDB memory map. */
export interface TargetDescription {
  /** 'emulator' or 'gdb-remote'. */
  kind: 'emulator' | 'gdb-remote';
  /** Board name from the board registry ('nrf52840dk', 'microbit-v2', 'mps2-an386'), if known. */
  board: string | null;
  /** A short human label: 'emulated nRF52840-DK', 'QEMU gdbstub at 127.0.0.1:1234'. */
  label: string;
  memoryMap: MemoryRegion[];
  capabilities: TargetCapabilities;
  /**
   * Core registers this target cannot read (QEMU 7.2's gdbstub describes no M-profile system
   * registers: msp, psp, primask, basepri, faultmask, control). `readRegisters` reports them as
   * 0; `readRegister` answers an error naming them. Absent or empty: all are real.
   */
  unavailableRegisters?: CoreRegisterName[];
}

/** The fault status registers, read when a fault stop is reported (SCB, ARMv7-M ARM B3.2). */
export interface FaultRegisters {
  cfsr: number;
  hfsr: number;
  mmfar: number;
  bfar: number;
  shcsr: number;
}

/** Names of the fault exceptions a fault stop reports (ARMv7-M ARM B1.5.2, table B1-4). */
export const FAULT_EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  3: 'HardFault',
  4: 'MemManage',
  5: 'BusFault',
  6: 'UsageFault',
};

/**
 * The SCB block holding the fault status registers, read in one go: SHCSR 0xE000ED24, CFSR
 * 0xE000ED28, HFSR 0xE000ED2C, DFSR 0xE000ED30, MMFAR 0xE000ED34, BFAR 0xE000ED38 (ARMv7-M ARM
 * B3.2.2, table B3-4).
 */
export const SCB_FAULT_BLOCK = 0xe000ed24;
export const SCB_FAULT_BLOCK_SIZE = 0x18;

/** The fault registers from the bytes of `SCB_FAULT_BLOCK` (little-endian words). */
export function faultRegistersFrom(block: Uint8Array): FaultRegisters {
  const word = (o: number): number =>
    ((block[o] ?? 0) |
      ((block[o + 1] ?? 0) << 8) |
      ((block[o + 2] ?? 0) << 16) |
      ((block[o + 3] ?? 0) << 24)) >>>
    0;
  return { shcsr: word(0), cfsr: word(4), hfsr: word(8), mmfar: word(0x10), bfar: word(0x14) };
}

export type WatchAccess = 'read' | 'write' | 'access';

export interface Watchpoint {
  address: number;
  length: number;
  access: WatchAccess;
}

/** Why the target halted. */
export type StopCause =
  | { kind: 'breakpoint'; address: number }
  /**
   * `access` is 'access' when the target cannot tell which it was (a GDB stub's `awatch` stop).
   */
  | {
      kind: 'watchpoint';
      watch: Watchpoint;
      dataAddress: number;
      access: 'read' | 'write' | 'access';
    }
  | { kind: 'step' }
  /** A fault exception was taken (only when the target is asked to stop on faults). */
  | { kind: 'fault'; exception: number; name: string; registers: FaultRegisters }
  | { kind: 'lockup'; address: number }
  | { kind: 'exit'; code: number }
  | { kind: 'halted' }
  /** BKPT instruction with halting debug (not semihosting). */
  | { kind: 'bkpt'; imm: number; address: number }
  /** A remote stub's stop that maps to none of the above (signal number as GDB reports it). */
  | { kind: 'signal'; signal: number };

export interface StopInfo {
  cause: StopCause;
  /** PC of the next instruction to execute. */
  pc: number;
  /** Instructions retired since reset, where the target counts them. */
  instructions: number | null;
  /** Core cycles since reset (virtual on the emulator), where the target counts them. */
  cycles: number | null;
  /**
   * Reverse execution only: 'begin' when a reverse run stopped because the recorded history
   * starts here (nothing earlier can be replayed), as GDB's `replaylog:begin` stop says.
   */
  history?: 'begin';
}

/** One executed instruction of an instruction trace (`DebugTarget.readTrace`). */
export interface TraceEntry {
  pc: number;
  /** Instructions retired before this one. */
  instructions: number;
}

export type TargetState = 'halted' | 'running' | 'closed';

/** Figures a running target reports every so often (at most a few times a second). */
export interface RunStats {
  instructions: number;
  cycles: number;
  /** Virtual seconds since reset. */
  virtualSeconds: number;
  /** Instructions per host second over the last reporting interval, in millions. */
  mips: number;
}

export type TargetEvent =
  | { kind: 'stopped'; stop: StopInfo }
  | { kind: 'running' }
  | { kind: 'stats'; stats: RunStats }
  /**
   * Bytes the board transmitted on a console UART `port` (source 'uart', the default when
   * absent); on the emulator's semihosting console (source 'semihosting', port 1 stdout or 2
   * stderr); or text a GDB stub sent in `O` packets while the target ran (source 'stub').
   */
  | {
      kind: 'console';
      port: number;
      bytes: Uint8Array;
      source?: 'uart' | 'semihosting' | 'stub';
      /**
       * When the first of these bytes was transmitted, in ms since the Unix epoch on the host's
       * clock, when the target's host tells (for measuring output latency end to end).
       */
      sentAt?: number;
      /**
       * When the target's host passed them on (the emulator worker's flush), same clock, with
       * `sentAt`: the part before it is the bytes held in the target, the part after it the
       * message queue and the receiving thread's turn.
       */
      postedAt?: number;
      /**
       * When the receiving side took them from the port (the host thread, same clock): after
       * `postedAt`, the message queue; before its passing them on, the receiving thread's work.
       */
      arrivedAt?: number;
    }
  /** A one-line notice about the target (firmware mistakes the silicon ignores, a stale image). */
  | { kind: 'diagnostic'; message: string }
  /** The target is gone for good (worker died, connection lost, session ended). */
  | { kind: 'closed'; reason: string };

export interface ResetOptions {
  /** Halt at the reset vector instead of running. */
  halt: boolean;
}

export interface MemoryAccessOptions {
  /** Side-effect-free debug access (default true). False: an ordinary bus access. */
  debug?: boolean;
}

/** An emulated board's I/O as the board view draws it. */
export interface BoardState {
  /**
   * Every LED (or matrix pixel, row-major): `lit` now, and `duty`, the share of virtual time
   * it was lit since the previous call (a multiplexed matrix lights each row in turn: an eye,
   * and the drawing, see the average).
   */
  leds: { name: string; lit: boolean; duty: number }[];
  buttons: { name: string; pressed: boolean }[];
  /** Level of each external interrupt line (1 high), IRQ 0 first. */
  irqLevels: number[];
  /** Virtual cycle of this state. */
  cycle: number;
}

/** An MMIO access as the emulator records it (names and source lines are added by readers). */
export interface AccessRecord {
  seq: number;
  cycle: number;
  write: boolean;
  size: 1 | 2 | 4;
  address: number;
  value: number;
  /** PC of the instruction that made it. */
  pc: number;
  /** An ordinary access the debugger made (an explicit read of a read-on-demand register). */
  debugger: boolean;
  /**
   * Return addresses of the callers at the time of the access, innermost first (when the log
   * walks call chains: `AccessLogRequest.callers`).
   */
  callers?: number[];
  /**
   * A peripheral's EasyDMA transfer (not a CPU access): `address` is the RAM it read or wrote,
   * `value` the byte count, `pc` the peripheral's base address.
   */
  dma?: boolean;
}

export interface AccessLogRequest {
  /** Turn recording on or off (left as it is when absent). */
  enable?: boolean;
  /** Forget what was recorded. */
  clear?: boolean;
  /** Return entries from this sequence number on (none when absent). */
  since?: number;
  /** At most this many entries. */
  max?: number;
  /**
   * The kernel's unwind rows (emulator/debug/peripherals/call-chain.ts): from now on each access
   * records its callers' return addresses. null stops walking.
   */
  callers?: CallerTable | null;
  /** Only entries before this sequence number. */
  until?: number;
  /**
   * Only entries whose address lies in one of these [lo, hi) pairs (flattened), or, with
   * `debugger`, that the debugger made, or, with `kept`, the ones the log keeps however busy
   * others are (the debugger's, EasyDMA transfers, and the entries of peripherals with few
   * in the log: a reader skipping ahead fetches those); `next` still passes the entries left out.
   */
  filter?: { ranges: number[]; dma?: number[]; debugger: boolean; kept?: boolean };
  /**
   * The newest `max` entries (that pass `filter`) before `until` rather than the oldest from
   * `since`: `next` is then the end, and `passed` counts the ones between left out.
   */
  newest?: boolean;
}

export interface AccessLogReply {
  on: boolean;
  entries: AccessRecord[];
  /** The `since` to ask for next. */
  next: number;
  /** Entries after `since` that the log no longer holds (its ring wrapped, or it was cleared). */
  missed: number;
  /** A `newest` read: the entries (that pass the filter) it held but left out, older ones. */
  passed?: number;
  /** Core cycles per second, to turn entry cycles into time. */
  frequencyHz: number;
}

export interface DebugTarget {
  readonly description: TargetDescription;
  state(): TargetState;

  /** Listen for events; returns the function that stops listening. */
  onEvent(listener: (event: TargetEvent) => void): () => void;

  readRegisters(): Promise<Result<CoreRegisters>>;
  readRegister(name: RegisterName): Promise<Result<number>>;
  writeRegister(name: RegisterName, value: number): Promise<Result<void>>;

  readMemory(
    address: number,
    length: number,
    options?: MemoryAccessOptions,
  ): Promise<Result<Uint8Array>>;
  writeMemory(
    address: number,
    data: Uint8Array,
    options?: MemoryAccessOptions,
  ): Promise<Result<void>>;

  setBreakpoint(address: number): Promise<Result<void>>;
  clearBreakpoint(address: number): Promise<Result<void>>;
  setWatchpoint(watch: Watchpoint): Promise<Result<void>>;
  clearWatchpoint(watch: Watchpoint): Promise<Result<void>>;

  /** Start running; resolves once running. Stops arrive as `stopped` events. */
  resume(): Promise<Result<void>>;
  /** Ask a running target to halt; resolves with the stop (cause 'halted', or what came first). */
  halt(): Promise<Result<StopInfo>>;
  /** Execute one instruction (an exception entry counts as one step). */
  step(): Promise<Result<StopInfo>>;
  /**
   * Step instructions while the PC stays inside [start, end) (GDB's range stepping); stops on
   * leaving the range or on any other stop cause. Targets without `rangeStep` step one by one.
   * `also`: more [start, end) ranges the step may stay in (the other rows of a source line and
   * of code inlined into it: a Step over crossed to the worker once per row). A target may
   * ignore them (GDB's range step has one range) and stop on leaving [start, end): the caller
   * checks every stop's PC and steps on.
   */
  stepRange(
    start: number,
    end: number,
    also?: readonly (readonly [number, number])[],
  ): Promise<Result<StopInfo>>;
  reset(options: ResetOptions): Promise<Result<void>>;

  /** Send bytes to the board's console UART `port` (as if typed into it). */
  writeConsole(port: number, bytes: Uint8Array): Promise<Result<void>>;

  /** Erase and program flash through the machine's programmable-memory path (`programming`). */
  eraseMemory?(address: number, length: number): Promise<Result<void>>;
  programMemory?(address: number, data: Uint8Array): Promise<Result<void>>;

  /** Save and restore the whole machine (`snapshots`). */
  saveSnapshot?(name: string): Promise<Result<void>>;
  restoreSnapshot?(name: string): Promise<Result<void>>;

  /**
   * Stop when a fault exception (HardFault, MemManage, BusFault, UsageFault) is taken, before
   * its handler's first instruction (a debugger's vector catch, ARMv7-M ARM C1.6.3), with a
   * `fault` stop carrying the fault status registers. Off by default.
   */
  catchFaults?(enabled: boolean): Promise<Result<void>>;

  /**
   * Reverse execution (`capabilities.snapshots`), built on snapshots and deterministic replay:
   * back to the state one instruction earlier. Emits one `stopped` (cause 'step'); at the start
   * of the recorded history it stays put with `history: 'begin'`.
   */
  reverseStep?(): Promise<Result<StopInfo>>;
  /**
   * Back to the latest breakpoint or watchpoint hit before the current point (what a forward
   * run from there would have stopped on), or to the start of the recorded history
   * (`history: 'begin'`). Emits one `stopped`.
   */
  reverseContinue?(): Promise<Result<StopInfo>>;

  /**
   * Record the last `depth` executed instructions while running (0 turns it off); tracing runs
   * the core one instruction at a time, so it is slower. `readTrace` returns them oldest first.
   */
  setTrace?(depth: number): Promise<Result<void>>;
  readTrace?(): Promise<Result<TraceEntry[]>>;

  /** A target-specific command (GDB's `monitor`), answered as text. */
  monitor?(command: string): Promise<Result<string>>;

  /**
   * The emulator's recorder for the Tock views (emulator/debug/tock/recorder.ts): exception
   * entries and returns, ITM packets, writes to watched words and EasyDMA transfers, recorded
   * without stopping the core, and the EasyDMA channels' state. Only the emulator has one.
   */
  recorder?(request: RecorderRequest): Promise<Result<RecorderReply>>;
  /** Emulated boards: LEDs (with how long each was lit), buttons and interrupt line levels. */
  boardState?(): Promise<Result<BoardState>>;
  /** Emulated boards: press or release a button by name, as a finger on it would. */
  setButton?(name: string, pressed: boolean): Promise<Result<void>>;
  /** Emulated boards: turn the MMIO access log on or off, and fetch its entries. */
  accessLog?(request: AccessLogRequest): Promise<Result<AccessLogReply>>;

  /** End the session and release what it holds (worker, socket). Idempotent. */
  close(): Promise<void>;
}

/**
 * The listeners of a target's events, for implementations: each listener gets every event in
 * order, and one that throws neither stops the target nor starves the others.
 */
export class TargetEventHub {
  private listeners: ((event: TargetEvent) => void)[] = [];

  /** `DebugTarget.onEvent`. */
  on(listener: (event: TargetEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(event: TargetEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // a listener's mistake is its own
      }
    }
  }
}

/** A one-line, human description of a stop, for status bars and logs. */
export function describeStop(stop: StopInfo): string {
  const at = `0x${(stop.pc >>> 0).toString(16).padStart(8, '0')}`;
  const c = stop.cause;
  switch (c.kind) {
    case 'breakpoint':
      return `breakpoint at ${at}`;
    case 'watchpoint':
      return `watchpoint: ${c.access} of 0x${(c.dataAddress >>> 0).toString(16)} (pc ${at})`;
    case 'step':
      return `step done at ${at}`;
    case 'fault':
      return `${c.name} at ${at}`;
    case 'lockup':
      return `core locked up at 0x${(c.address >>> 0).toString(16).padStart(8, '0')}`;
    case 'exit':
      return `exited with status ${c.code}`;
    case 'halted':
      return `halted at ${at}`;
    case 'bkpt':
      return `BKPT #${c.imm} at ${at}`;
    case 'signal':
      return `stopped by signal ${c.signal} at ${at}`;
  }
}
