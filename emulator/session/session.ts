/**
 * Emulator session: one machine with a loaded image, driven by a host (the app's worker thread,
 * the CLI, the lockstep harness).
 *
 * The session builds the core and board for a machine name, loads ELF images from their PT_LOAD
 * segments (at the physical address, as QEMU does), and offers run/step/pause/reset, register
 * and memory access, and snapshots. Execution happens in slices: `runSlice` executes up to an
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
import type { AccessSize, StopReason } from '../core/interfaces';
import { BusErrorSignal } from '../core/interfaces';
import { ElfError, loadableSegments, parseElf, type ElfFile } from '../formats/elf';
import {
  buildMps2An386,
  MACHINE_NAME,
  NUM_IRQ,
  SYSCLK_HZ,
  type Mps2An386Board,
} from '../machines/mps2-an386';
import { RamAlias } from '../peripherals/memory-alias';
import {
  Semihosting,
  type SemihostingHost,
  type SemihostingState,
} from '../semihosting/semihosting';

export const MACHINES = [MACHINE_NAME] as const;
const NMI_EXCEPTION = 2;
export type MachineName = (typeof MACHINES)[number];

export type SessionEvent =
  | { kind: 'uart'; index: number; byte: number }
  | { kind: 'console'; stream: 1 | 2; bytes: Uint8Array }
  | { kind: 'halt'; reason: StopReason };

export interface SessionOptions {
  machine: string;
  /** Serve BKPT 0xAB as semihosting (QEMU's -semihosting); otherwise it is a debug event. */
  semihosting?: boolean;
  /** Host for semihosting files, console input and wall time; console output becomes events. */
  semihostingHost?: Partial<SemihostingHost>;
  cmdline?: string;
  /** Count executions per encoding (lockstep coverage). */
  collectCoverage?: boolean;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

export interface LoadedImage {
  entry: number;
  segments: { address: number; size: number }[];
  elf: ElfFile;
}

export interface SessionSnapshot {
  core: CoreSnapshot;
  semihosting: SemihostingState | null;
}

export type RegisterName = 'xpsr' | 'msp' | 'psp' | 'primask' | 'basepri' | 'faultmask' | 'control';

export class EmulatorSession {
  readonly core: CortexM;
  readonly board: Mps2An386Board;
  readonly semihosting: Semihosting | null;
  private listeners: ((e: SessionEvent) => void)[] = [];
  private image: LoadedImage | undefined;

  constructor(readonly options: SessionOptions & { machine: MachineName }) {
    this.core = new CortexM({
      frequencyHz: SYSCLK_HZ,
      numIrqs: NUM_IRQ,
      priorityBits: 8,
      fpu: true,
      collectCoverage: options.collectCoverage ?? false,
      ...(options.semihosting ? { hooks: { semihost: (c) => this.semihosting!.handle(c) } } : {}),
      onSystemReset: () => this.reset(),
    });
    this.board = buildMps2An386(
      {
        bus: this.core.bus,
        clock: this.core.clock,
        irq: this.core.irq,
        nmi: () => this.core.setPending(NMI_EXCEPTION),
        systemReset: () => this.reset(),
      },
      { uartTx: (index, byte) => this.emit({ kind: 'uart', index, byte }) },
    );
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
          { cmdline: options.cmdline ?? '', heapInfo: this.board.heapInfo },
        )
      : null;
    this.core.reset();
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

  /** Load an ELF image and reset into it. Errors name the problem (ELF or placement). */
  load(bytes: Uint8Array): Result<LoadedImage> {
    let elf: ElfFile;
    try {
      elf = parseElf(bytes);
    } catch (e) {
      if (e instanceof ElfError) return { ok: false, error: e.message };
      throw e;
    }
    const segs = loadableSegments(elf);
    if (segs.length === 0) return { ok: false, error: 'ELF has no loadable (PT_LOAD) segments' };
    for (const [i, s] of segs.entries()) {
      for (const probe of [s.paddr, s.paddr + Math.max(s.memsz, 1) - 1]) {
        const r = this.core.bus.find(probe >>> 0);
        // RAM, or a RAM mirror (an alias device writing through to RAM).
        if (r === null || (r.dev !== null && !(r.dev instanceof RamAlias))) {
          return {
            ok: false,
            error: `segment ${i} (0x${(s.paddr >>> 0).toString(16)}, ${s.memsz} bytes) is outside ${this.options.machine}'s RAM`,
          };
        }
      }
    }
    this.image = {
      entry: elf.entry,
      segments: segs.map((s) => ({ address: s.paddr >>> 0, size: s.memsz })),
      elf,
    };
    this.reset();
    return { ok: true, value: this.image };
  }

  get loaded(): LoadedImage | undefined {
    return this.image;
  }

  /** System reset: devices, image reloaded (as QEMU reloads it), core from the vector table. */
  reset(): void {
    this.core.bus.resetDevices();
    if (this.image) {
      for (const s of loadableSegments(this.image.elf)) {
        const data = new Uint8Array(s.memsz);
        data.set(s.data);
        this.core.bus.writeBlock(s.paddr >>> 0, data);
      }
    }
    this.semihosting?.reset(this.core.clock);
    this.core.reset();
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
    this.board.uarts[index]?.receive(bytes);
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
