/**
 * Emulator session: one machine with a loaded image, driven by a host (the app's worker thread,
 * the CLI, the lockstep harness).
 *
 * The session builds the core and board for a machine name (mps2-an386 as QEMU models it, or
 * the nRF52840-DK / micro:bit v2), loads images as a programmer would (ELF PT_LOAD segments at
 * their physical addresses, Intel HEX, raw binaries at an address; several files at once), and
 * offers run/step/pause/reset, register and memory access, board I/O and snapshots. On
 * mps2-an386 a reset reloads the image into RAM as QEMU does; on the nRF boards the image lives
 * in flash, which keeps whatever firmware wrote through the NVMC across resets. Execution happens in slices: `runSlice` executes up to an
 * instruction budget or a span of virtual time and returns, so a worker can post events and
 * honour pause requests between slices. Output (UART bytes, semihosting console) and halts are
 * delivered as events. Pure TypeScript: no Node, DOM or timers; time is virtual.
 *
 * @example
 *   const s = createSession({ machine: 'mps2-an386', semihosting: true });
 *   if (!s.ok) throw new Error(s.error);
 *   s.session.on((e) => e.kind === 'uart' && write(e.byte));
 *   s.session.load(elfBytes);
 *   for (;;) { const r = s.session.runSlice({ instructions: 1e6 }); if (r.kind !== 'limit') break; }
 */
import { CortexM, type CoreSnapshot } from '../core/index';
import type { AccessSize, MmioDevice, StopReason } from '../core/interfaces';
import { BusErrorSignal } from '../core/interfaces';
import { symbolAt, type ElfFile } from '../formats/elf';
import {
  buildMps2An386,
  MACHINE_NAME as MPS2,
  NUM_IRQ,
  SYSCLK_HZ,
  type Mps2An386Board,
} from '../machines/mps2-an386';
import {
  buildNrf52,
  DATA_RAM_BASE,
  FLASH_BASE,
  NRF52_HCLK_HZ,
  NRF52_MACHINES,
  NRF52_NUM_IRQ,
  NRF52_PRIORITY_BITS,
  UICR_BASE,
  type Nrf52Board,
} from '../machines/nrf52';
import { RamAlias } from '../peripherals/memory-alias';
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

export const MACHINES = [MPS2, 'nrf52840dk', 'microbit-v2'] as const;
const NMI_EXCEPTION = 2;
export type MachineName = (typeof MACHINES)[number];

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

export type ResetReason = 'power' | 'pin' | 'sreq' | 'dog';

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

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

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

export class EmulatorSession {
  readonly core: CortexM;
  /** The board: `nrf` is set on the nRF machines, `mps2` on mps2-an386. */
  readonly board: Mps2An386Board | Nrf52Board;
  readonly mps2: Mps2An386Board | null;
  readonly nrf: Nrf52Board | null;
  readonly semihosting: Semihosting | null;
  private listeners: ((e: SessionEvent) => void)[] = [];
  private image: FirmwareImage | undefined;
  private loadedInfo: LoadedImage | undefined;
  /** A fault being handled: reported once if its handler never returns (see checkFaultHang). */
  private faultWatch: { exception: number; since: number; text: string } | null = null;
  private faultReported = false;

  constructor(readonly options: SessionOptions & { machine: MachineName }) {
    const nrfSpec = options.machine === MPS2 ? null : NRF52_MACHINES[options.machine];
    this.core = new CortexM({
      frequencyHz: nrfSpec ? NRF52_HCLK_HZ : SYSCLK_HZ,
      numIrqs: nrfSpec ? NRF52_NUM_IRQ : NUM_IRQ,
      priorityBits: nrfSpec ? NRF52_PRIORITY_BITS : 8,
      fpu: true,
      collectCoverage: options.collectCoverage ?? false,
      translate: options.translate ?? true,
      ...(options.semihosting ? { hooks: { semihost: (c) => this.semihosting!.handle(c) } } : {}),
      onSystemReset: () => this.reset('sreq'),
    });
    // A device model that re-arms at the present cycle for ever is reported, not obeyed.
    this.core.clock.onDiagnostic = (message) => this.emit({ kind: 'diagnostic', message });
    if (nrfSpec) {
      this.nrf = buildNrf52(
        {
          bus: this.core.bus,
          clock: this.core.clock,
          irq: this.core.irq,
          systemReset: () => this.reset('dog'),
          systemOff: () => {
            this.emit({
              kind: 'diagnostic',
              message: 'firmware entered System OFF; the CPU is stopped',
            });
            this.core.requestHalt();
          },
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
          ...(options.traceMmio
            ? { wrap: (d: MmioDevice, base: number) => this.traced(d, base) }
            : {}),
        },
        nrfSpec,
        {
          uartTx: (index, byte) => this.emit({ kind: 'uart', index, byte }),
          pinChanged: (port, pin, level) => this.emit({ kind: 'pin', port, pin, level }),
          diagnostic: (message) => this.emit({ kind: 'diagnostic', message }),
        },
      );
      const nrf = this.nrf;
      this.core.onSleepChange = (asleep) => nrf.cpuSleep(asleep);
      this.mps2 = null;
      this.board = this.nrf;
    } else {
      this.mps2 = buildMps2An386(
        {
          bus: this.core.bus,
          clock: this.core.clock,
          irq: this.core.irq,
          nmi: () => this.core.setPending(NMI_EXCEPTION),
          systemReset: () => this.reset(),
        },
        { uartTx: (index, byte) => this.emit({ kind: 'uart', index, byte }) },
      );
      this.nrf = null;
      this.board = this.mps2;
    }
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
          {
            cmdline: options.cmdline ?? '',
            heapInfo: this.mps2?.heapInfo ?? [
              DATA_RAM_BASE + 0x8000,
              DATA_RAM_BASE + nrfSpec!.ramSize,
              DATA_RAM_BASE + nrfSpec!.ramSize,
              DATA_RAM_BASE + 0x8000,
            ],
          },
        )
      : null;
    this.core.onFaultEntry = (exception) => this.noteFault(exception);
    this.core.reset();
  }

  /** A fault handler was entered: remember the fault in words while it runs. */
  private noteFault(exception: number): void {
    if (this.faultReported || this.faultWatch !== null) return;
    const c = this.core;
    // The frame is on the stack EXC_RETURN names: bit 2 set means the process stack.
    const frameSp = c.readRegister(14) & 4 ? c.readSpecial('psp') : c.readSpecial('msp');
    let pc = 0;
    try {
      pc = c.readMemory((frameSp + 24) >>> 0, 4) >>> 0;
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
          register: this.nrf?.undocumentedName(address) ?? names?.name(address & ~3) ?? null,
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
    if (dev.reset) wrapped.reset = () => dev.reset!();
    if (dev.snapshot) wrapped.snapshot = () => dev.snapshot!();
    if (dev.restore) wrapped.restore = (s) => dev.restore!(s);
    return wrapped;
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
   * exactly as a flasher would, then reset into it. On the nRF boards this is a power-on: flash
   * and UICR are erased first and RAM is cleared. Nothing changes when an error is returned.
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
    if (parsed.length === 0) return { ok: false, error: 'no image files given' };
    const combined = combineImages(parsed);
    if (!combined.ok) return combined;
    const image = combined.value;
    const placed = checkPlacement(image, this.programmable(), this.options.machine);
    if (!placed.ok) return placed;
    this.image = image;
    this.loadedInfo = {
      entry: image.entry ?? 0,
      segments: image.segments.map((s) => ({ address: s.address, size: s.memSize })),
      ...(image.elf ? { elf: image.elf } : {}),
      notices: image.notices,
    };
    if (this.nrf) {
      this.nrf.powerOn();
      for (const s of image.segments) this.core.bus.writeBlock(s.address, s.data);
    }
    this.reset('power');
    return { ok: true, value: this.loadedInfo };
  }

  /** Memories an image may be placed in (hosts bound what they read by them). */
  programmable(): ProgrammableMemory[] {
    if (this.nrf) {
      const spec = this.nrf.spec;
      return [
        { name: 'flash', base: FLASH_BASE, size: spec.flashSize },
        { name: 'UICR', base: UICR_BASE, size: 0x1000 },
        { name: 'RAM', base: DATA_RAM_BASE, size: spec.ramSize },
      ];
    }
    // RAM regions and their mirrors (alias devices writing through to RAM).
    return this.core.bus.regions
      .filter((r) => r.dev === null || r.dev instanceof RamAlias)
      .map((r) => ({ name: r.name, base: r.base, size: r.size }));
  }

  get loaded(): LoadedImage | undefined {
    return this.loadedInfo;
  }

  /**
   * System reset: devices and core from the vector table. mps2-an386 reloads the image into its
   * RAM (as QEMU does); the nRF boards keep flash and RAM, as the chip does, and record the
   * reason (pin reset from the host, `sreq` from SYSRESETREQ, `dog` from the watchdog; none
   * after `power`, the power-on of a load).
   */
  reset(reason: ResetReason = 'pin'): void {
    if (this.nrf) {
      // The nRF52's watchdog survives a soft reset (PS: "Reset behavior"); the reason is kept
      // in POWER.RESETREAS.
      const wdt = reason === 'sreq' ? this.nrf.wdt.snapshot() : undefined;
      this.core.bus.resetDevices();
      if (wdt !== undefined) this.nrf.wdt.restore(wdt);
      if (reason !== 'power') this.nrf.clockPower.noteReset(reason);
    } else this.core.bus.resetDevices();
    if (this.image && !this.nrf) {
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
        if (reason.kind !== 'limit') break;
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

  readMemory(address: number, length: number): Result<Uint8Array> {
    try {
      return { ok: true, value: this.core.readBlock(address >>> 0, length) };
    } catch (e) {
      if (e instanceof BusErrorSignal) return { ok: false, error: e.message };
      throw e;
    }
  }

  writeMemory(address: number, data: Uint8Array): Result<void> {
    try {
      this.core.writeBlock(address >>> 0, data);
      return { ok: true, value: undefined };
    } catch (e) {
      if (e instanceof BusErrorSignal) return { ok: false, error: e.message };
      throw e;
    }
  }

  readWord(address: number, size: AccessSize = 4): Result<number> {
    try {
      return { ok: true, value: this.core.readMemory(address >>> 0, size) >>> 0 };
    } catch (e) {
      if (e instanceof BusErrorSignal) return { ok: false, error: e.message };
      throw e;
    }
  }

  /** Feed bytes to a UART's receiver (console input). */
  sendUart(index: number, bytes: Uint8Array): void {
    if (this.nrf) this.nrf.uartes[index]?.receive(bytes);
    else this.mps2!.uarts[index]?.receive(bytes);
  }

  /**
   * Run until virtual time reaches `untilCycle` or `maxInstructions` have run. Asleep, the
   * core stops at `untilCycle` instead of skipping ahead, so a host can pace the machine
   * against the wall clock (and use no CPU while the board sleeps).
   */
  runPaced(untilCycle: number, maxInstructions: number): StopReason {
    this.core.sleepLimit = untilCycle;
    let reason: StopReason = { kind: 'limit' };
    try {
      let left = maxInstructions;
      while (left > 0 && this.core.clock.now < untilCycle) {
        // An instruction takes at least a cycle, so this never runs far past the target.
        const chunk = Math.max(1, Math.min(left, Math.ceil(untilCycle - this.core.clock.now)));
        reason = this.core.run(chunk);
        left -= chunk;
        if (reason.kind !== 'limit') break;
      }
    } finally {
      this.core.sleepLimit = Infinity;
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

  /** Plain data (structured-clone safe): restoring it reproduces the run from this point. */
  snapshot(): SessionSnapshot {
    return { core: this.core.snapshot(), semihosting: this.semihosting?.snapshot() ?? null };
  }

  restore(s: SessionSnapshot): void {
    this.core.restore(s.core);
    if (s.semihosting && this.semihosting) this.semihosting.restore(s.semihosting);
  }
}

/** Build a session for a named machine; an unknown name is an error naming the known ones. */
export function createSession(options: SessionOptions): Result<EmulatorSession> {
  if (!(MACHINES as readonly string[]).includes(options.machine)) {
    return {
      ok: false,
      error: `unknown machine '${options.machine}' (known: ${MACHINES.join(', ')})`,
    };
  }
  return {
    ok: true,
    value: new EmulatorSession(options as SessionOptions & { machine: MachineName }),
  };
}
