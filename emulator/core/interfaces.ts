/**
 * Emulator core contracts: what a machine (board model) and a host see of the Cortex-M core.
 *
 * The core (CPU, exception model, System Control Space, bus, clock) lives in emulator/core and
 * is pure TypeScript: no Node, DOM or Electron. Machines in emulator/machines compose a core
 * with peripherals through these interfaces only; hosts (CLI, worker, GDB server) drive a
 * machine through `CoreControl`. Everything here is deterministic: time is the virtual clock,
 * never the host's.
 */

/** Width of one bus access in bytes. */
export type AccessSize = 1 | 2 | 4;

/**
 * Thrown by a device (or the bus) to make the current access a precise BusFault, as the
 * silicon's bus would return an error response. The core turns it into the architectural
 * fault; it never escapes `run`/`step`.
 */
export class BusErrorSignal extends Error {
  constructor(
    readonly address: number,
    readonly reason: string,
  ) {
    super(`bus error at 0x${(address >>> 0).toString(16).padStart(8, '0')}: ${reason}`);
  }
}

/**
 * A memory-mapped peripheral. Offsets are relative to the base the device was mapped at.
 * Values are unsigned and already sized (a byte read returns 0..255). A device decides what
 * narrow accesses mean; it throws BusErrorSignal where the real block errors.
 */
export interface MmioDevice {
  readonly name: string;
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
  /**
   * A debugger's read: the value `read` would return, with no side effect at all (no FIFO
   * popped, no flag cleared, no access counted or logged). The bus refuses debug reads of a
   * device without one, so a device whose reads have effects can never be read by accident.
   */
  peek?(offset: number, size: AccessSize): number;
  /**
   * True when a firmware read at `offset` has no side effect and the register cannot change
   * before the clock's next scheduled event except by a CPU access to this device (a write,
   * or a read of another of its registers). The translator's spin-loop fast-forward
   * (cpu/spin-loop.ts) then skips whole passes of a loop that polls it without reading it each
   * time. Leave it out, or answer false, whenever unsure: the answer must come from the
   * device's documented behaviour (cite the datasheet section where it is claimed).
   */
  stableUntilEvent?(offset: number): boolean;
  /**
   * A debugger's write: the same effect on the device as `write`, but not counted or logged
   * as a firmware access. Devices that only count or log accesses need it; `write` otherwise.
   */
  poke?(offset: number, size: AccessSize, value: number): void;
  reset?(): void;
  /** Plain-data state for snapshots (structured-clone safe). */
  snapshot?(): unknown;
  restore?(state: unknown): void;
}

/** A handle returned by the clock to cancel an event. */
export type EventHandle = number;

/**
 * The virtual clock. `now` counts core cycles since reset (a float64: exact to 2^53 cycles).
 * Peripherals schedule work at a cycle; the core runs events whose time has come between
 * instructions, and WFI/WFE skip straight to the next event. `owner` names the device in the
 * clock's reports of a model bug (an event re-armed at the present cycle for ever).
 */
export interface VirtualClock {
  readonly now: number;
  readonly frequencyHz: number;
  schedule(atCycle: number, callback: () => void, owner?: string): EventHandle;
  scheduleIn(deltaCycles: number, callback: () => void, owner?: string): EventHandle;
  cancel(handle: EventHandle): void;
  /** Cycle of the earliest pending event, or Infinity. */
  nextEventAt(): number;
}

/** External interrupt lines into the NVIC (IRQ numbers start at 0 = exception 16). */
export interface InterruptLines {
  /** Level-sensitive line: pending is set while high (and re-set after the handler if still high). */
  setLevel(irq: number, high: boolean): void;
  /** Edge: set pending once. */
  pulse(irq: number): void;
}

/** Why `run` returned. */
export type StopReason =
  | { kind: 'limit' } // instruction budget used up
  | { kind: 'breakpoint'; address: number } // debugger breakpoint (FPB or host breakpoint)
  | { kind: 'watchpoint'; address: number; access: 'read' | 'write'; size?: AccessSize }
  | { kind: 'bkpt'; imm: number; address: number } // BKPT instruction with halting debug
  | { kind: 'lockup'; address: number } // unrecoverable fault: the core locks up
  | { kind: 'exit'; code: number } // a host hook asked to stop (semihosting exit)
  | { kind: 'idle' } // WFI/WFE with no future event: nothing can ever wake the core
  | { kind: 'halted' } // halt requested (pause, DHCSR C_HALT)
  | { kind: 'vector-catch'; exception: number }; // debugger vector catch: handler entered, not run

/**
 * Host hooks the core calls. Semihosting: on `BKPT 0xAB` (and only then) the core calls
 * `semihost`; if it returns true the core treats the BKPT as handled and continues after it.
 */
export interface CoreHooks {
  semihost?(core: CoreControl): boolean;
}

/** The debugger-and-host view of a running core. */
export interface CoreControl {
  /** r0-r15 as the debugger sees them (r13 = current SP, r15 = PC of the next instruction). */
  readRegister(n: number): number;
  writeRegister(n: number, value: number): void;
  /** xPSR, MSP, PSP, PRIMASK, BASEPRI, FAULTMASK, CONTROL by name. */
  readSpecial(
    name: 'xpsr' | 'msp' | 'psp' | 'primask' | 'basepri' | 'faultmask' | 'control',
  ): number;
  writeSpecial(
    name: 'xpsr' | 'msp' | 'psp' | 'primask' | 'basepri' | 'faultmask' | 'control',
    value: number,
  ): void;
  /** Debug-port memory access: no MPU checks, no side effects on the core; may throw BusErrorSignal. */
  readMemory(address: number, size: AccessSize): number;
  writeMemory(address: number, size: AccessSize, value: number): void;
  readBlock(address: number, length: number): Uint8Array;
  writeBlock(address: number, data: Uint8Array): void;
  /**
   * Side-effect-free debugger access: devices answer through `peek`/`poke`, so a read pops no
   * FIFO and clears no flag, and nothing is logged or counted. May throw BusErrorSignal.
   */
  debugRead(address: number, size: AccessSize): number;
  debugWrite(address: number, size: AccessSize, value: number): void;
  debugReadBlock(address: number, length: number): Uint8Array;
  debugWriteBlock(address: number, data: Uint8Array): void;
  /** Execute up to `maxInstructions`; returns why it stopped. */
  run(maxInstructions: number): StopReason;
  /** Execute exactly one instruction (or take one exception entry). */
  step(): StopReason;
  reset(): void;
  requestHalt(): void;
  readonly instructionCount: number;
  readonly clock: VirtualClock;
}
