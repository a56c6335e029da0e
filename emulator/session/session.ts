/**
 * Emulator session: one machine with a loaded image, driven by a host (the app's worker thread,
 * the CLI, the lockstep harness).
 *
 * The session builds the core and the board for a machine name (any `Machine` in
 * machines/definitions.ts: mps2-an386 as QEMU models it, the nRF52840-DK, the micro:bit v2),
 * loads images as a programmer would (ELF PT_LOAD segments at their physical addresses, Intel
 * HEX, raw binaries at an address; several files at once), and offers run/step/pause/reset,
 * register and memory access (side-effect free by default, as a debugger's), board I/O and
 * snapshots. What programming and a reset do to memory is the machine's declared behaviour
 * (`imageStorage`, `powerOn`, `reset`): the session itself knows no board. Execution happens in
 * slices: `runSlice` executes up to an instruction budget or a span of virtual time and
 * returns, so a host can post events and honour pause requests between slices (runner.ts is
 * the one loop that does this for every host). Output (UART bytes, semihosting console) and
 * halts are delivered as events. Pure TypeScript: no Node, DOM or timers; time is virtual.
 *
 * @example
 *   const s = createSession({ machine: 'mps2-an386', semihosting: true });
 *   if (!s.ok) throw new Error(s.error);
 *   s.value.on((e) => e.kind === 'uart' && write(e.byte));
 *   s.value.load(elfBytes);
 *   for (;;) { const r = s.value.runSlice({ instructions: 1e6 }); if (r.kind !== 'limit') break; }
 */
import { CortexM, type CoreSnapshot } from '../core/index';
import type { AccessSize, MmioDevice, StopReason } from '../core/interfaces';
import { BusErrorSignal } from '../core/interfaces';
import { RegionKind, type Bus, type Region } from '../core/memory/bus';
import { err, ok, type Result } from '../core/result';
import { AccessLog } from '../debug/peripherals/access-log';
import {
  CallChainWalker,
  type CallerTable,
  type StackWords,
} from '../debug/peripherals/call-chain';
import type { MemoryRegion } from '../debug/target';
import { symbolAt, type ElfFile } from '../formats/elf';
import {
  isMachineName,
  MACHINE_DEFINITIONS,
  MACHINE_NAMES,
  type MachineName,
} from '../machines/definitions';
import type { Machine, ResetReason, WakeSource } from '../machines/machine';
import {
  Semihosting,
  type SemihostingHost,
  type SemihostingState,
} from '../semihosting/semihosting';
import { describeFault } from './fault-report';
import {
  checkPlacement,
  combineImages,
  parseImage,
  type FirmwareImage,
  type ImageFormat,
  type ProgrammableMemory,
} from './image';

export { type MachineName } from '../machines/definitions';
export type { ResetReason } from '../machines/machine';
export type { Result } from '../core/result';

export const MACHINES: readonly MachineName[] = MACHINE_NAMES;
const NMI_EXCEPTION = 2;
/** SCR.SEVONPEND: a pending interrupt is a wake-up event for WFE even when disabled. */
const SCR_SEVONPEND = 1 << 4;

/** One MMIO access, named from the chip's SVD when the session was given names. */
export interface MmioAccess {
  write: boolean;
  address: number;
  size: AccessSize;
  value: number;
  /** 'UARTE0.TASKS_STARTTX', or null when no name is known. */
  register: string | null;
  cycle: number;
}

export type SessionEvent =
  | { kind: 'uart'; index: number; byte: number }
  | { kind: 'console'; stream: 1 | 2; bytes: Uint8Array }
  | { kind: 'halt'; reason: StopReason }
  | { kind: 'pin'; port: number; pin: number; level: boolean }
  | { kind: 'diagnostic'; message: string }
  | { kind: 'mmio'; access: MmioAccess }
  /** The system was reset (after devices and core): debuggers re-arm what a reset clears. */
  | { kind: 'reset'; reason: ResetReason };

/** Names registers by address (built from an SVD file: see peripherals/nrf/svd.ts). */
export interface RegisterNames {
  name(address: number): string | null;
}

export interface SessionOptions {
  machine: string;
  /** Serve BKPT 0xAB as semihosting (QEMU's -semihosting); otherwise it is a debug event. */
  semihosting?: boolean;
  /** Host for semihosting files, console input and wall time; console output becomes events. */
  semihostingHost?: Partial<SemihostingHost>;
  cmdline?: string;
  /** Count executions per encoding (lockstep coverage). */
  collectCoverage?: boolean;
  /** Compile hot code (default true); false interprets every instruction (differential tests). */
  translate?: boolean;
  /** Seed for the nRF RNG and device ID (default fixed: runs are reproducible). */
  seed?: number;
  /** Emit an 'mmio' event for every peripheral access (the access log). */
  traceMmio?: boolean;
  /** Register names for the access log. */
  registerNames?: RegisterNames;
}

export interface LoadedImage {
  entry: number;
  segments: { address: number; size: number }[];
  elf?: ElfFile;
  /** One line per place a later file overwrote an earlier one (flasher order; see image.ts). */
  notices: string[];
}

/** One file of an image: bytes plus, for a raw binary, where it goes. */
export interface ImageFile {
  name: string;
  bytes: Uint8Array;
  address?: number;
  format?: ImageFormat;
}

export interface SessionSnapshot {
  core: CoreSnapshot;
  semihosting: SemihostingState | null;
}

export type RegisterName = 'xpsr' | 'msp' | 'psp' | 'primask' | 'basepri' | 'faultmask' | 'control';

/**
 * Virtual time a fault handler may run without returning before the session calls it a hang
 * (our choice: long enough for a panic handler to print its report at 115200 baud first).
 * A handler that sleeps (WFI/WFE) is reported at once.
 */
export const FAULT_HANG_SECONDS = 0.25;

/** Memory access through the session: a debugger's (default) or the firmware's own path. */
export interface MemoryAccessOptions {
  /**
   * True (default): side-effect free, as a debugger reads (no FIFO popped, no flag cleared,
   * nothing logged or counted; see MmioDevice.peek). False: an ordinary bus access, with
   * whatever effect the device gives a read.
   */
  debug?: boolean;
}

export class EmulatorSession {
  readonly core: CortexM;
  /** The board: memory map, consoles, board I/O, devices, reset semantics. */
  readonly machine: Machine;
  readonly semihosting: Semihosting | null;
  private listeners: ((e: SessionEvent) => void)[] = [];
  private inputListeners: (() => void)[] = [];
  private image: FirmwareImage | undefined;
  private loadedInfo: LoadedImage | undefined;
  /** A fault being handled: reported once if its handler never returns (see checkFaultHang). */
  private faultWatch: { exception: number; since: number; text: string } | null = null;
  private faultReported = false;
  private log: AccessLog | null = null;
  /**
   * Not 0 while the debugger makes an ordinary (non-debug) access: logged as the debugger's. An
   * object of its own, which the log's listener (`AccessLog.recorder`) holds.
   */
  private readonly debugging = { depth: 0 };

  constructor(readonly options: SessionOptions & { machine: MachineName }) {
    const def = MACHINE_DEFINITIONS[options.machine];
    this.core = new CortexM({
      ...def.core,
      collectCoverage: options.collectCoverage ?? false,
      translate: options.translate ?? true,
      ...(options.semihosting ? { hooks: { semihost: (c) => this.semihosting!.handle(c) } } : {}),
      onSystemReset: () => this.reset('sreq'),
    });
    const core = this.core;
    // A device model that re-arms at the present cycle for ever is reported, not obeyed.
    core.clock.onDiagnostic = (message) => this.emit({ kind: 'diagnostic', message });
    this.machine = def.build({
      bus: core.bus,
      clock: core.clock,
      irq: core.irq,
      host: {
        uartTx: (index, byte) => this.emit({ kind: 'uart', index, byte }),
        pinChanged: (port, pin, level) => this.emit({ kind: 'pin', port, pin, level }),
        diagnostic: (message) => this.emit({ kind: 'diagnostic', message }),
      },
      nmi: () => core.setPending(NMI_EXCEPTION),
      systemReset: (reason) => this.reset(reason),
      systemOff: () => {
        this.emit({
          kind: 'diagnostic',
          message: 'firmware entered System OFF; the CPU is stopped',
        });
        core.requestHalt();
      },
      stallFetchesFrom: (base, size, cycles) => {
        const pc = core.pc >>> 0;
        if (pc >= base && pc < base + size) core.stall(cycles);
      },
      interruptCanWake: (irq) =>
        core.exc.enabled[16 + irq] !== 0 || (core.scr & SCR_SEVONPEND) !== 0,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.traceMmio ? { wrap: (d: MmioDevice, base: number) => this.traced(d, base) } : {}),
      onDma: (peripheral, write, address, length) => {
        if (this.log !== null && this.accessLogOn)
          this.log.recordDma(this.core.clock.now, peripheral, write, address, length);
      },
    });
    const machine = this.machine;
    core.onSleepChange = (asleep) => machine.cpuSleep(asleep);
    const h = options.semihostingHost ?? {};
    this.semihosting = options.semihosting
      ? new Semihosting(
          {
            writeConsole: (stream, bytes) => {
              h.writeConsole?.(stream, bytes);
              this.emit({ kind: 'console', stream, bytes });
            },
            readConsole: h.readConsole ?? (() => -1),
            timeSeconds: h.timeSeconds ?? (() => 0),
            ...(h.files ? { files: h.files } : {}),
          },
          { cmdline: options.cmdline ?? '', heapInfo: [...machine.heapInfo] },
        )
      : null;
    core.onFaultEntry = (exception) => this.noteFault(exception);
    core.reset();
  }

  /** A fault handler was entered: remember the fault in words while it runs. */
  private noteFault(exception: number): void {
    if (this.faultReported || this.faultWatch !== null) return;
    const c = this.core;
    // The frame is on the stack EXC_RETURN names: bit 2 set means the process stack.
    const frameSp = c.readRegister(14) & 4 ? c.readSpecial('psp') : c.readSpecial('msp');
    let pc = 0;
    try {
      pc = c.debugRead((frameSp + 24) >>> 0, 4) >>> 0;
    } catch {
      // A frame that could not be stacked leaves no return address to name.
    }
    const text = describeFault(
      { exception, cfsr: c.exc.cfsr, hfsr: c.exc.hfsr, mmfar: c.exc.mmfar, bfar: c.exc.bfar, pc },
      (a) => this.symbolName(a),
    );
    this.faultWatch = { exception, since: c.clock.now, text };
  }

  /** The function holding `address`, else the nearest label below it ('fault+0x2'). */
  private symbolName(address: number): string | null {
    const elf = this.loadedInfo?.elf;
    if (!elf) return null;
    const a = address >>> 0;
    const exact = symbolAt(elf, a);
    if (exact) return exact.name;
    let best: { name: string; value: number } | null = null;
    for (const sym of elf.symbols) {
      if ((sym.type !== 'func' && sym.type !== 'notype') || sym.section === 0 || !sym.name)
        continue;
      if (sym.name.startsWith('$')) continue; // mapping symbols ($t, $d)
      const v = sym.value & ~1;
      if (v <= a && a - v < 0x1000 && (best === null || v > best.value))
        best = { name: sym.name, value: v };
    }
    if (best === null) return null;
    return a === best.value ? best.name : `${best.name}+0x${(a - best.value).toString(16)}`;
  }

  /**
   * After a slice: a fault handler that returned is forgotten; one still running after
   * FAULT_HANG_SECONDS, or asleep, is reported once as a diagnostic. The run is not changed.
   */
  private checkFaultHang(): void {
    const w = this.faultWatch;
    if (w === null) return;
    const c = this.core;
    if (c.exc.active[w.exception] !== 1) {
      this.faultWatch = null;
      return;
    }
    const asleep = c.sleeping !== 0;
    if (!asleep && c.clock.now - w.since < FAULT_HANG_SECONDS * c.clock.frequencyHz) return;
    const pc = c.readRegister(15) >>> 0;
    const sym = this.symbolName(pc);
    this.faultWatch = null;
    this.faultReported = true;
    this.emit({
      kind: 'diagnostic',
      message: `${w.text}; the firmware's handler ${asleep ? 'waits (WFI/WFE)' : 'spins'} at pc 0x${pc.toString(16)}${sym ? ` in ${sym}` : ''} and has not returned`,
    });
  }

  /** Wraps a device so each access is emitted as an 'mmio' event (the access log). */
  private traced(dev: MmioDevice, base: number): MmioDevice {
    const names = this.options.registerNames;
    const log = (write: boolean, offset: number, size: AccessSize, value: number): void => {
      const address = (base + offset) >>> 0;
      this.emit({
        kind: 'mmio',
        access: {
          write,
          address,
          size,
          value: value >>> 0,
          register: this.machine.undocumentedName?.(address) ?? names?.name(address & ~3) ?? null,
          cycle: this.core.clock.now,
        },
      });
    };
    const wrapped: MmioDevice = {
      name: dev.name,
      read: (offset, size) => {
        const v = dev.read(offset, size);
        log(false, offset, size, v);
        return v;
      },
      write: (offset, size, value) => {
        log(true, offset, size, value);
        dev.write(offset, size, value);
      },
    };
    // A debugger's accesses are not firmware accesses: not logged.
    if (dev.peek) wrapped.peek = (offset, size) => dev.peek!(offset, size);
    wrapped.poke = (offset, size, value) =>
      dev.poke ? dev.poke(offset, size, value) : dev.write(offset, size, value);
    if (dev.reset) wrapped.reset = () => dev.reset!();
    if (dev.snapshot) wrapped.snapshot = () => dev.snapshot!();
    if (dev.restore) wrapped.restore = (s) => dev.restore!(s);
    return wrapped;
  }

  /**
   * The MMIO access log: on, every device access through the bus (firmware, and the debugger's
   * explicit ordinary reads) is recorded with its cycle and the PC of the instruction making it;
   * off (the default), the bus has no listener and nothing is recorded. Turning it on again
   * keeps the entries recorded before.
   */
  setAccessLog(on: boolean, capacity?: number): void {
    if (!on) {
      this.core.bus.onDeviceAccess = null;
      return;
    }
    if (this.log === null || (capacity !== undefined && capacity !== this.log.capacity))
      this.log = new AccessLog(capacity);
    const log = this.log;
    const walker = this.callerWalker;
    // The same listener again for the same log and walker: the bus's call site then keeps
    // calling the functions it has seen (a new closure at each turn on made it call ever new
    // ones, a few ns more per access in V8).
    if (this.logListenersOf !== log) {
      this.logListeners.clear();
      this.logListenersOf = log;
    }
    const kept = this.logListeners.get(walker);
    if (kept !== undefined) {
      this.core.bus.onDeviceAccess = kept;
      return;
    }
    const core = this.core;
    const chains = log.chains;
    const r = core.r;
    const listener: NonNullable<Bus['onDeviceAccess']> =
      walker === null
        ? log.recorder(core, this.debugging)
        : (write, address, size, value) => {
            const byDebugger = this.debugging.depth !== 0;
            const i = log.record(
              core.clock.now,
              write,
              size,
              address,
              value,
              core.pc >>> 0,
              byDebugger,
            );
            if (byDebugger) return;
            log.chain(i, walker.chainOf(core.pc, r[13]!, r[14]!, r[7]!, r[11]!, chains));
          };
    this.logListeners.set(walker, listener);
    this.core.bus.onDeviceAccess = listener;
  }

  /** The listeners `setAccessLog` made for `logListenersOf`, by the walker they use (or none). */
  private readonly logListeners = new Map<
    CallChainWalker | null,
    NonNullable<Bus['onDeviceAccess']>
  >();
  private logListenersOf: AccessLog | null = null;

  private callerWalker: CallChainWalker | null = null;
  private readonly callerWalkers = new WeakMap<CallerTable, CallChainWalker>();

  /**
   * Walk each logged access's call chain through `table` (the kernel's unwind rows), or stop
   * walking (null). Takes effect at once when the log is on.
   */
  setAccessLogCallers(table: CallerTable | null): void {
    const bus = this.core.bus;
    // The same table again (the log turned off and on) keeps its walker and the walker's caches.
    const known = table === null ? undefined : this.callerWalkers.get(table);
    this.callerWalker =
      table === null ? null : (known ?? new CallChainWalker(table, stackWord(bus), stackRam(bus)));
    if (table !== null && known === undefined) this.callerWalkers.set(table, this.callerWalker!);
    if (this.accessLogOn) this.setAccessLog(true);
  }

  /** The access log (null until it was first turned on). */
  get accessLog(): AccessLog | null {
    return this.log;
  }

  get accessLogOn(): boolean {
    return this.core.bus.onDeviceAccess !== null;
  }

  /** Runs `f` as the debugger's access: what it does on the bus is logged as the debugger's. */
  asDebugger<T>(f: () => T): T {
    this.debugging.depth++;
    try {
      return f();
    } finally {
      this.debugging.depth--;
    }
  }

  on(listener: (e: SessionEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  private emit(e: SessionEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Load one ELF image and reset into it. Errors name the problem (format or placement). */
  load(bytes: Uint8Array): Result<LoadedImage> {
    return this.loadFiles([{ name: 'image', bytes, format: 'elf' }]);
  }

  /**
   * Program an image made of several files (ELF, Intel HEX, raw binaries at their addresses),
   * exactly as a flasher would, then reset into it. This is a power-on: the machine clears its
   * memories first (on the nRF boards flash and UICR are erased and RAM is cleared). Nothing
   * changes when an error is returned.
   */
  loadFiles(files: ImageFile[]): Result<LoadedImage> {
    const parsed: FirmwareImage[] = [];
    for (const f of files) {
      const r = parseImage(f.bytes, {
        name: f.name,
        ...(f.address !== undefined ? { address: f.address } : {}),
        ...(f.format !== undefined ? { format: f.format } : {}),
      });
      if (!r.ok) return r;
      parsed.push(r.value);
    }
    if (parsed.length === 0) return err('no image files given');
    const combined = combineImages(parsed);
    if (!combined.ok) return combined;
    const image = combined.value;
    const placed = checkPlacement(image, [...this.machine.programmable], this.options.machine);
    if (!placed.ok) return placed;
    this.image = image;
    this.loadedInfo = {
      entry: image.entry ?? 0,
      segments: image.segments.map((s) => ({ address: s.address, size: s.memSize })),
      ...(image.elf ? { elf: image.elf } : {}),
      notices: image.notices,
    };
    this.machine.powerOn();
    // Non-volatile memory is programmed once; an image in RAM is written by every reset.
    if (this.machine.imageStorage === 'nonvolatile')
      for (const s of image.segments) this.core.bus.writeBlock(s.address, s.data);
    this.reset('power');
    return ok(this.loadedInfo);
  }

  /** Memories an image may be placed in (hosts bound what they read by them). */
  programmable(): ProgrammableMemory[] {
    return [...this.machine.programmable];
  }

  get loaded(): LoadedImage | undefined {
    return this.loadedInfo;
  }

  /**
   * System reset: the machine's devices (what survives is the machine's business: the nRF52's
   * watchdog keeps running through a soft reset and POWER.RESETREAS records the reason), the
   * image written again where it lives in RAM, then the core from the vector table. `pin` is a
   * reset from the host or a debugger, `sreq` SYSRESETREQ, `dog` a watchdog, `power` the
   * power-on of a load.
   */
  reset(reason: ResetReason = 'pin'): void {
    this.machine.reset(reason);
    if (this.image && this.machine.imageStorage === 'ram') {
      for (const s of this.image.segments) {
        const data = new Uint8Array(s.memSize);
        data.set(s.data);
        this.core.bus.writeBlock(s.address, data);
      }
    }
    this.semihosting?.reset(this.core.clock);
    this.faultWatch = null;
    this.faultReported = false;
    this.core.reset();
    this.emit({ kind: 'reset', reason });
  }

  /**
   * Run one slice: stop after `instructions`, or once virtual time reaches `untilCycle`,
   * whichever comes first. A halt reason other than 'limit' is also emitted as an event.
   */
  runSlice(opts: { instructions?: number; untilCycle?: number } = {}): StopReason {
    const budget = opts.instructions ?? 1_000_000;
    let reason: StopReason;
    if (opts.untilCycle === undefined) {
      reason = this.core.run(budget);
    } else {
      // Run in small chunks so the slice ends close to the requested virtual time.
      let left = budget;
      reason = { kind: 'limit' };
      while (left > 0 && this.core.clock.now < opts.untilCycle) {
        // Instructions take one or more cycles: halve the remaining span so the slice closes in
        // on the target without overshooting by more than the last instruction.
        const chunk = Math.min(
          left,
          Math.max(1, Math.floor((opts.untilCycle - this.core.clock.now) / 2)),
        );
        reason = this.core.run(chunk);
        left -= chunk;
        // The host asked for control back (CortexM.endRunWithin): the slice ends here.
        if (reason.kind !== 'limit' || this.core.runCut) break;
      }
    }
    this.checkFaultHang();
    if (reason.kind !== 'limit') this.emit({ kind: 'halt', reason });
    return reason;
  }

  step(): StopReason {
    return this.core.step();
  }

  /** Ask a running slice to stop at the next instruction boundary ('halted'). */
  pause(): void {
    this.core.requestHalt();
  }

  readRegister(n: number): number {
    return this.core.readRegister(n) >>> 0;
  }

  writeRegister(n: number, value: number): void {
    this.core.writeRegister(n, value);
  }

  readSpecial(name: RegisterName): number {
    return this.core.readSpecial(name) >>> 0;
  }

  writeSpecial(name: RegisterName, value: number): void {
    this.core.writeSpecial(name, value);
  }

  /**
   * Read memory, as a debugger by default (side-effect free; see MemoryAccessOptions). An
   * unmapped address, or a device that cannot be read without side effects, is an error.
   */
  readMemory(
    address: number,
    length: number,
    options: MemoryAccessOptions = {},
  ): Result<Uint8Array> {
    return this.access(() =>
      options.debug === false
        ? this.asDebugger(() => this.core.readBlock(address >>> 0, length))
        : this.core.debugReadBlock(address >>> 0, length),
    );
  }

  /** Write memory, as a debugger by default (flash writable, not logged as firmware access). */
  writeMemory(address: number, data: Uint8Array, options: MemoryAccessOptions = {}): Result<void> {
    return this.access(() =>
      options.debug === false
        ? this.asDebugger(() => this.core.writeBlock(address >>> 0, data))
        : this.core.debugWriteBlock(address >>> 0, data),
    );
  }

  /** Read one 1-, 2- or 4-byte value, as a debugger by default. */
  readWord(
    address: number,
    size: AccessSize = 4,
    options: MemoryAccessOptions = {},
  ): Result<number> {
    return this.access(
      () =>
        (options.debug === false
          ? this.asDebugger(() => this.core.readMemory(address >>> 0, size))
          : this.core.debugRead(address >>> 0, size)) >>> 0,
    );
  }

  private access<T>(f: () => T): Result<T> {
    try {
      return ok(f());
    } catch (e) {
      if (e instanceof BusErrorSignal) return err(e.message);
      throw e;
    }
  }

  /** Feed bytes to console UART `index`'s receiver (console input). */
  sendUart(index: number, bytes: Uint8Array): Result<void> {
    const uart = this.machine.consoles[index];
    if (uart === undefined)
      return err(
        `${this.machine.name} has no console UART ${index} (it has ${this.machine.consoles.length})`,
      );
    this.hostInput();
    uart.receive(bytes);
    return ok(undefined);
  }

  /** Press or release a board button by name or index (errors list the board's buttons). */
  setButton(button: string | number, pressed: boolean): Result<void> {
    this.hostInput();
    return this.machine.setButton(button, pressed);
  }

  /** Light state of every LED on the board (matrix pixels row-major). */
  leds(): { name: string; lit: boolean }[] {
    return this.machine.leds();
  }

  /** The address map as a debugger sees it (region kinds flash, ram, peripheral, system). */
  get memoryMap(): readonly MemoryRegion[] {
    return this.machine.memoryMap;
  }

  /** Host inputs the firmware is armed to be woken by (see Machine.wakeSources). */
  wakeSources(): WakeSource[] {
    return this.machine.wakeSources();
  }

  /**
   * Called whenever the host is about to deliver input (console bytes, a button), before the
   * machine sees it: a runner waiting for input brings virtual time up to the present and
   * resumes. Returns the function that stops listening.
   */
  onHostInput(listener: () => void): () => void {
    this.inputListeners.push(listener);
    return () => {
      this.inputListeners = this.inputListeners.filter((l) => l !== listener);
    };
  }

  private hostInput(): void {
    for (const l of this.inputListeners) l();
  }

  /**
   * Run until virtual time reaches `untilCycle` or `maxInstructions` have run. Asleep, the
   * core stops at `untilCycle` instead of skipping ahead, so a host can pace the machine
   * against the wall clock (and use no CPU while the board sleeps). Virtual time passes while
   * the core sleeps even with nothing scheduled (the wall clock does): it then returns 'idle'
   * at `untilCycle`, and a host that still expects input runs it on later.
   */
  runPaced(untilCycle: number, maxInstructions: number): StopReason {
    const clock = this.core.clock;
    this.core.sleepLimit = untilCycle;
    // A no-op event at the limit gives a core asleep with nothing else scheduled a time to
    // skip to; it is gone again when the slice returns.
    const marker =
      Number.isFinite(untilCycle) && untilCycle > clock.now
        ? clock.schedule(untilCycle, () => undefined)
        : null;
    let reason: StopReason = { kind: 'limit' };
    try {
      let left = maxInstructions;
      while (left > 0 && clock.now < untilCycle) {
        // An instruction takes at least a cycle, so this never runs far past the target.
        const chunk = Math.max(1, Math.min(left, Math.ceil(untilCycle - clock.now)));
        reason = this.core.run(chunk);
        left -= chunk;
        // The host asked for control back (CortexM.endRunWithin): the slice ends here.
        if (reason.kind !== 'limit' || this.core.runCut) break;
      }
    } finally {
      this.core.sleepLimit = Infinity;
      if (marker !== null) clock.cancel(marker);
    }
    this.checkFaultHang();
    if (reason.kind !== 'limit') this.emit({ kind: 'halt', reason });
    return reason;
  }

  /** True while the core sleeps (WFI/WFE) waiting for an event. */
  get sleeping(): boolean {
    return this.core.sleeping !== 0;
  }

  /** Cycle of the next scheduled device event (Infinity when none). */
  get nextEventCycle(): number {
    return this.core.clock.nextEventAt();
  }

  get instructions(): number {
    return this.core.instructionCount;
  }

  get cycles(): number {
    return this.core.clock.now;
  }

  /** Virtual seconds since reset. */
  get virtualSeconds(): number {
    return this.core.clock.now / this.core.clock.frequencyHz;
  }

  /**
   * Plain data (structured-clone safe): restoring it reproduces the run from this point.
   * `memory: false` leaves memory out (see CortexM.snapshot).
   */
  snapshot(options: { memory?: boolean } = {}): SessionSnapshot {
    return {
      core: this.core.snapshot(options),
      semihosting: this.semihosting?.snapshot() ?? null,
    };
  }

  restore(s: SessionSnapshot): void {
    this.core.restore(s.core);
    if (s.semihosting && this.semihosting) this.semihosting.restore(s.semihosting);
  }
}

/** Build a session for a named machine; an unknown name is an error naming the known ones. */
export function createSession(options: SessionOptions): Result<EmulatorSession> {
  if (!isMachineName(options.machine))
    return err(`unknown machine '${options.machine}' (known: ${MACHINES.join(', ')})`);
  return ok(new EmulatorSession({ ...options, machine: options.machine }));
}

/** A word of RAM or ROM at `a` for the call-chain walker (undefined: a device or unmapped). */
function stackWord(bus: Bus): (a: number) => number | undefined {
  return (a) => {
    const region = bus.find(a);
    if (region === null || region.dev !== null || a + 4 > region.end) return undefined;
    const off = a - region.base;
    // Stack slots are word-aligned (AAPCS): one typed-array load.
    return (off & 3) === 0 ? region.i32[off >>> 2]! >>> 0 : region.dv.getUint32(off, true);
  };
}

/**
 * The RAM the walker reads stacks from directly (see `StackWords`): the largest RAM region
 * (the chips' data RAM, where the kernel and its processes keep their stacks).
 */
function stackRam(bus: Bus): StackWords | undefined {
  let best: Region | null = null;
  for (const r of bus.regions)
    if (r.kind === RegionKind.Ram && (best === null || r.size > best.size)) best = r;
  return best === null ? undefined : { base: best.base, words: best.i32 };
}
