/**
 * Machine: what every emulated board offers the session, so the session has no per-board code.
 *
 * A machine definition names the core a board needs (clock, NVIC size, priority bits) and
 * builds the board onto that core's bus: its memories and devices, its console UARTs and
 * board I/O. The `Machine` it returns describes the board as data (memory map with region
 * kinds, programmable memories, device list, the SVD naming its registers) and carries the few
 * behaviours that differ between boards: what programming an image and a reset do to memory,
 * and which host inputs could wake a sleeping core. The session, the runner, the debugger
 * targets and the IDE are written against this interface only.
 *
 * Pure TypeScript, like the rest of the emulator: time is the core's virtual clock.
 *
 * @example
 *   const def = MACHINE_DEFINITIONS['nrf52840dk'];
 *   const core = new CortexM({ ...def.core, onSystemReset: () => session.reset('sreq') });
 *   const machine = def.build({ bus: core.bus, clock: core.clock, irq: core.irq, ... });
 *   machine.consoles[0]!.receive(new TextEncoder().encode('help\r'));
 */
import type { InterruptLines, MmioDevice, VirtualClock } from '../core/interfaces';
import type { Bus } from '../core/memory/bus';
import type { Result } from '../core/result';
import type { MemoryRegion } from '../debug/target';
import type { ProgrammableMemory } from '../session/image';

/** How the core of a machine is configured (see CortexM's CoreConfig). */
export interface MachineCoreConfig {
  frequencyHz: number;
  numIrqs: number;
  priorityBits: number;
  fpu: boolean;
}

/**
 * Why the machine is being reset. `power`: power-on (programming an image); `pin`: the reset
 * pin (a host or debugger reset); `sreq`: the core's AIRCR.SYSRESETREQ; `dog`: a watchdog.
 */
export type ResetReason = 'power' | 'pin' | 'sreq' | 'dog';

/** Callbacks from the board to whoever runs it. */
export interface MachineHost {
  /** A byte transmitted by console UART `index`. */
  uartTx(index: number, byte: number): void;
  /** A GPIO output level changed (boards whose LEDs hang on pins). */
  pinChanged?(port: number, pin: number, level: boolean): void;
  /** Something firmware did that the silicon ignores or reports quietly (logged by hosts). */
  diagnostic?(message: string): void;
}

/** What a machine is built from: the core's bus, clock and interrupt lines, and the host. */
export interface MachineContext {
  bus: Bus;
  clock: VirtualClock;
  irq: InterruptLines;
  host: MachineHost;
  /** Raise the core's NMI. */
  nmi(): void;
  /** A device (a watchdog) asks for a system reset. */
  systemReset(reason: Exclude<ResetReason, 'power' | 'pin'>): void;
  /** Firmware entered a power-off state the CPU does not leave by itself (nRF System OFF). */
  systemOff(): void;
  /**
   * A memory at [base, base + size) cannot be read for `cycles` (the nRF52 NVMC programming or
   * erasing flash): a CPU executing from it stalls that long after the current instruction.
   */
  stallFetchesFrom?(base: number, size: number, cycles: number): void;
  /**
   * True when a pending interrupt on external line `irq` would wake the sleeping core: the
   * line is enabled in the NVIC, or SCR.SEVONPEND makes any pending interrupt an event for WFE
   * (ARMv7-M ARM B1.5.18, "Wait For Event and Send Event").
   */
  interruptCanWake(irq: number): boolean;
  /** Seed for the board's noise sources (RNG, device ID): runs stay reproducible. */
  seed?: number;
  /** Wraps every mapped device (the MMIO access log); identity when absent. */
  wrap?(dev: MmioDevice, base: number): MmioDevice;
  /**
   * A peripheral's own memory access (EasyDMA): the peripheral at `peripheral` (its base
   * address) read or wrote `length` bytes at `address` (the MMIO access log).
   */
  onDma?(peripheral: number, write: boolean, address: number, length: number): void;
}

/** A UART whose receive side the host can feed (the console). */
export interface ConsoleUart {
  index: number;
  /** Its name on the chip ('UARTE0', 'uart0'). */
  name: string;
  /** Bytes from the outside world on its RX line. */
  receive(bytes: Uint8Array): void;
  /** Bytes given to `receive` that the firmware has not taken yet. */
  readonly pendingInput: number;
  /**
   * True when a byte arriving now would raise an interrupt that can wake the core: the
   * receiver runs and an RX interrupt is enabled all the way to the NVIC.
   */
  inputCanWake(): boolean;
}

/** A device of the board at its address. */
export interface MachineDevice {
  base: number;
  size: number;
  dev: MmioDevice;
}

/** An input the host can deliver that firmware is ready to be woken by. */
export type WakeSource = { kind: 'console'; index: number } | { kind: 'button'; name: string };

export interface Machine {
  /** The machine name ('nrf52840dk'): the board registry's `machine`. */
  readonly name: string;
  /** Human label ('nRF52840-DK (nRF52840)'). */
  readonly label: string;
  /** The address map as a debugger sees it (region kinds: flash, ram, peripheral, system). */
  readonly memoryMap: readonly MemoryRegion[];
  /** Memories an image may be programmed into. */
  readonly programmable: readonly ProgrammableMemory[];
  /**
   * Where the image lives. 'nonvolatile': programmed once into flash, which keeps it (and
   * whatever firmware wrote there) across every reset. 'ram': the image sits in RAM, and the
   * loader writes it again at every reset (QEMU's `-kernel` on mps2-an386 does that).
   */
  readonly imageStorage: 'nonvolatile' | 'ram';
  /** Console UARTs, by index (0 is the one a board wires to its USB bridge). */
  readonly consoles: readonly ConsoleUart[];
  /** Buttons by name, in board order. */
  readonly buttons: readonly string[];
  /** Every modelled device with its address, in address order. */
  readonly devices: readonly MachineDevice[];
  /** File name of the SVD (in resources/svd) that names the chip's registers, or null. */
  readonly svd: string | null;
  /** Semihosting SYS_HEAPINFO answer: heap base and limit, stack base and limit. */
  readonly heapInfo: readonly [number, number, number, number];
  /** Light state of every LED (or matrix pixel, row-major). */
  leds(): { name: string; lit: boolean }[];
  /** Press or release a button by name (case-insensitive) or index. */
  setButton(button: string | number, pressed: boolean): Result<void>;
  /** Power-on before programming: non-volatile memory erased, RAM cleared, as a new chip. */
  powerOn(): void;
  /**
   * The devices' side of a system reset: what they lose and what survives (a watchdog that
   * keeps running through a soft reset, a reset-reason register). Memory is not touched; the
   * core resets itself afterwards.
   */
  reset(reason: ResetReason): void;
  /** The core went to sleep (WFI/WFE) or woke. */
  cpuSleep(asleep: boolean): void;
  /** The host inputs that could wake the core right now (see ConsoleUart.inputCanWake). */
  wakeSources(): WakeSource[];
  /**
   * The access log's name for a register the SVD does not list but the chip decodes (the nRF52's
   * errata registers: 'undocumented (errata 16)'), or null.
   */
  undocumentedName?(address: number): string | null;
}

/** A machine as the session creates it: the core it needs and how to build it. */
export interface MachineDefinition {
  readonly name: string;
  readonly core: MachineCoreConfig;
  build(ctx: MachineContext): Machine;
}

/** Finds a button by index or case-insensitive name; the error lists the board's buttons. */
export function findButton<B extends { name: string }>(
  machine: string,
  buttons: readonly B[],
  button: string | number,
): Result<B> {
  const b =
    typeof button === 'number'
      ? buttons[button]
      : buttons.find((x) => x.name.toLowerCase() === button.toLowerCase());
  if (b !== undefined) return { ok: true, value: b };
  return {
    ok: false,
    error:
      buttons.length === 0
        ? `${machine} has no buttons`
        : `${machine} has no button '${button}' (buttons: ${buttons.map((x) => x.name).join(', ')})`,
  };
}

/** What a UART model offers for a console (CMSDK UART, nRF UARTE). */
export interface ReceivingUart {
  readonly name: string;
  receive(bytes: Uint8Array): void;
  readonly pendingInput: number;
  /** A byte arriving now would raise an RX interrupt the peripheral has enabled. */
  rxInterruptArmed(): boolean;
}

/** Console UART `index` over `uart`, whose interrupt is NVIC line `irq`. */
export function consoleUart(
  index: number,
  uart: ReceivingUart,
  irq: number,
  ctx: MachineContext,
): ConsoleUart {
  return {
    index,
    name: uart.name,
    receive: (bytes) => uart.receive(bytes),
    get pendingInput() {
      return uart.pendingInput;
    },
    inputCanWake: () => uart.rxInterruptArmed() && ctx.interruptCanWake(irq),
  };
}

/** The consoles whose input could wake the core now. */
export function consoleWakeSources(consoles: readonly ConsoleUart[]): WakeSource[] {
  return consoles
    .filter((c) => c.inputCanWake())
    .map((c) => ({ kind: 'console' as const, index: c.index }));
}

/** The system region every ARMv7-M core has: the PPB and the vendor system space above it. */
export const SYSTEM_REGION: MemoryRegion = {
  name: 'system (PPB)',
  kind: 'system',
  start: 0xe0000000,
  size: 0x00100000,
};

/**
 * The memory map of everything mapped on `bus`, in address order: each region classified by
 * `kindOf` (the system space at 0xE0000000 is always 'system'), and neighbouring device
 * regions of one kind merged into one range (a debugger needs to know what it may read, not
 * every block's name).
 */
export function memoryMapOf(
  bus: Bus,
  kindOf: (region: { name: string; base: number; size: number; dev: MmioDevice | null }) => {
    kind: MemoryRegion['kind'];
    blockSize?: number;
  },
): MemoryRegion[] {
  const sorted = [...bus.regions].sort((a, b) => a.base - b.base);
  const out: MemoryRegion[] = [];
  for (const r of sorted) {
    const device = r.dev !== null;
    const k =
      r.base >= SYSTEM_REGION.start
        ? { kind: 'system' as const }
        : kindOf({ name: r.name, base: r.base, size: r.size, dev: r.dev });
    const last = out[out.length - 1];
    const mergeable = (k.kind === 'peripheral' || k.kind === 'system') && device;
    if (mergeable && last && last.kind === k.kind && last.start + last.size === r.base) {
      last.size += r.size;
      if (k.kind === 'peripheral') last.name = 'peripherals';
      continue;
    }
    out.push({
      name: k.kind === 'system' ? 'system (PPB)' : r.name,
      kind: k.kind,
      start: r.base,
      size: r.size,
      ...(k.blockSize !== undefined ? { blockSize: k.blockSize } : {}),
    });
  }
  return out;
}
