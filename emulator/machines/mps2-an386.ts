/**
 * Machine `mps2-an386`: ARM's MPS2 board with the AN386 (Cortex-M4) FPGA image, as QEMU 7.2
 * models it.
 *
 * This file is the board's composition root: it maps the RAMs and their mirrors, the bit-band
 * aliases, the CMSDK APB UARTs, timers and dual timer, the FPGA SCC and FPGAIO blocks, and
 * read-as-zero placeholders wherever QEMU maps an unimplemented device, and wires every
 * interrupt line to its NVIC input. Addresses nothing decodes stay unmapped, so the core raises
 * a BusFault there as QEMU does. Everything the firmware can observe matches QEMU's model so
 * the two can run in lockstep.
 *
 * Memory map (QEMU hw/arm/mps2.c, AN385/AN386 branch; sizes in hex):
 *   00000000 400000  SSRAM1 (code)          00400000 400000  SSRAM1 mirror
 *   01000000   4000  block RAM, + 3 mirrors up to 01010000
 *   20000000 400000  SSRAM2&3 (data)        20400000 400000  SSRAM2&3 mirror
 *   21000000 1000000 PSRAM                  22000000 2000000 bit-band of 20000000..200FFFFF
 *   40000000 timer0 (IRQ 8)  40001000 timer1 (IRQ 9)  40002000 dual timer (IRQ 10)
 *   40008000 watchdog (NMI)
 *   40004000..40007000 UART0-3, 40009000 UART4 (RX/TX IRQs 0/1, 2/3, 4/5, 18/19, 20/21;
 *   overflow of UART0-2 ORed onto IRQ 12)   40028000 FPGAIO   4002F000 SCC
 *   42000000 2000000 bit-band of 40000000..400FFFFF
 *
 * @example
 *   const board = buildMps2An386({ bus, clock, irq, nmi }, { uartTx: (n, b) => out(n, b) });
 */
import type { AccessSize, InterruptLines, MmioDevice, VirtualClock } from '../core/interfaces';
import { UnimplementedDevice } from '../peripherals/apb-device';
import { CmsdkApbDualTimer } from '../peripherals/cmsdk-apb-dualtimer';
import { CmsdkApbTimer } from '../peripherals/cmsdk-apb-timer';
import { CmsdkApbUart } from '../peripherals/cmsdk-apb-uart';
import { CmsdkApbWatchdog } from '../peripherals/cmsdk-apb-watchdog';
import { BitBandAlias, RamAlias } from '../peripherals/memory-alias';
import { Mps2Fpgaio } from '../peripherals/mps2-fpgaio';
import { AN386_SCC, Mps2Scc } from '../peripherals/mps2-scc';
import { boardOfMachine } from '../boards/registry';
import { ok, type Result } from '../core/result';
import {
  consoleUart,
  consoleWakeSources,
  findButton,
  memoryMapOf,
  type Machine,
  type MachineContext,
  type MachineDefinition,
} from './machine';

export const MACHINE_NAME = 'mps2-an386';
/** SYSCLK of the AN386 image: core, APB and timers all run from it. */
export const SYSCLK_HZ = 25_000_000;
/** External interrupt inputs of the AN386 NVIC. */
export const NUM_IRQ = 32;

export const SSRAM1_BASE = 0x00000000;
export const SSRAM1_SIZE = 0x00400000;
export const BLOCKRAM_BASE = 0x01000000;
export const BLOCKRAM_SIZE = 0x4000;
export const SSRAM23_BASE = 0x20000000;
export const SSRAM23_SIZE = 0x00400000;
export const PSRAM_BASE = 0x21000000;
export const PSRAM_SIZE = 0x01000000;
export const SRAM_BITBAND_BASE = 0x22000000;
export const PERIPH_BITBAND_BASE = 0x42000000;
export const BITBAND_SIZE = 0x02000000;

export const TIMER0_BASE = 0x40000000;
export const TIMER1_BASE = 0x40001000;
export const DUALTIMER_BASE = 0x40002000;
export const UART_BASES = [0x40004000, 0x40005000, 0x40006000, 0x40007000, 0x40009000] as const;
/** RX interrupt of each UART; its TX interrupt is the next line. */
export const UART_RX_IRQS = [0, 2, 4, 18, 20] as const;
export const UART_OVERFLOW_IRQ = 12;
export const WATCHDOG_BASE = 0x40008000;
export const FPGAIO_BASE = 0x40028000;
export const SCC_BASE = 0x4002f000;
export const ETHERNET_BASE = 0x40200000;
export const TIMER0_IRQ = 8;
export const TIMER1_IRQ = 9;
export const DUALTIMER_IRQ = 10;

/** What the board needs from the core: its bus (core's `Bus` satisfies this). */
export interface MachineBus {
  mapRam(base: number, size: number, name: string): Uint8Array;
  mapDevice(base: number, size: number, dev: MmioDevice): void;
  read(address: number, size: AccessSize): number;
  write(address: number, size: AccessSize, value: number): void;
  /** The region at an address (the RAM mirrors mark their RAM's `dirty`; see Region.dirty). */
  find?(address: number): { dirty: boolean } | null;
}

export interface BoardContext {
  bus: MachineBus;
  clock: VirtualClock;
  irq: InterruptLines;
  /** Raise NMI (the watchdog's interrupt output is wired to it). */
  nmi?: () => void;
  /** System reset request (the watchdog's reset output). */
  systemReset?: () => void;
  /** Wraps every mapped device (the MMIO access log); identity when absent. */
  wrap?(dev: MmioDevice, base: number): MmioDevice;
}

export interface BoardHost {
  /** A byte transmitted by UART `index` (0-4). */
  uartTx(index: number, byte: number): void;
}

/** The board's devices, for hosts (console input, LEDs) and snapshots. */
export interface Mps2An386Board {
  readonly name: typeof MACHINE_NAME;
  readonly uarts: CmsdkApbUart[];
  readonly timers: CmsdkApbTimer[];
  readonly dualTimer: CmsdkApbDualTimer;
  readonly watchdog: CmsdkApbWatchdog;
  readonly fpgaio: Mps2Fpgaio;
  readonly scc: Mps2Scc;
  /** Every RAM's bytes by name (mirrors are not listed: they share these bytes). */
  readonly ram: Record<string, Uint8Array>;
  /** `written` is set by the first write through a RAM mirror (bytes the bus does not see). */
  readonly mirrors: { written: boolean };
  /** All devices with state, in a fixed order, for snapshot/restore and reset. */
  readonly devices: MmioDevice[];
  /** Placeholders QEMU also leaves unimplemented (RAZ/WI); their access counters show use. */
  readonly placeholders: UnimplementedDevice[];
  /** Every mapped device range (modelled devices and placeholders), in address order. */
  readonly mapped: { base: number; size: number; dev: MmioDevice }[];
  /** Semihosting SYS_HEAPINFO answer for this board: heap and stack in SSRAM2&3. */
  readonly heapInfo: [number, number, number, number];
}

interface Range {
  base: number;
  size: number;
  dev: MmioDevice;
}

/**
 * Maps `background` placeholders around the `foreground` ranges (the bus forbids overlaps,
 * whereas QEMU layers real devices over its unimplemented-device regions).
 */
function mapLayered(
  bus: MachineBus,
  foreground: Range[],
  background: Range[],
  wrap: (dev: MmioDevice, base: number) => MmioDevice,
): Range[] {
  const mapped: Range[] = [];
  const map = (base: number, size: number, dev: MmioDevice): void => {
    bus.mapDevice(base, size, wrap(dev, base));
    mapped.push({ base, size, dev });
  };
  for (const r of foreground) map(r.base, r.size, r.dev);
  for (const bg of background) {
    let cursor = bg.base;
    const end = bg.base + bg.size;
    const inside = foreground
      .filter((f) => f.base < end && f.base + f.size > bg.base)
      .sort((a, b) => a.base - b.base);
    for (const f of inside) {
      if (f.base > cursor) map(cursor, f.base - cursor, bg.dev);
      cursor = Math.max(cursor, f.base + f.size);
    }
    if (cursor < end) map(cursor, end - cursor, bg.dev);
  }
  return mapped.sort((a, b) => a.base - b.base);
}

export function buildMps2An386(ctx: BoardContext, host: BoardHost): Mps2An386Board {
  const { bus, clock, irq } = ctx;
  const ram: Record<string, Uint8Array> = {};
  // Set by any write through a RAM mirror (power-on then clears all RAM; see `powerOn`).
  const mirrors = { written: false };
  ram.ssram1 = bus.mapRam(SSRAM1_BASE, SSRAM1_SIZE, 'ssram1');
  ram.ssram23 = bus.mapRam(SSRAM23_BASE, SSRAM23_SIZE, 'ssram23');
  ram.psram = bus.mapRam(PSRAM_BASE, PSRAM_SIZE, 'psram');
  ram.blockram = bus.mapRam(BLOCKRAM_BASE, BLOCKRAM_SIZE, 'blockram');
  bus.mapDevice(
    SSRAM1_BASE + SSRAM1_SIZE,
    SSRAM1_SIZE,
    new RamAlias('ssram1 mirror', ram.ssram1, mirrors, bus.find?.(SSRAM1_BASE) ?? null),
  );
  bus.mapDevice(
    SSRAM23_BASE + SSRAM23_SIZE,
    SSRAM23_SIZE,
    new RamAlias('ssram23 mirror', ram.ssram23, mirrors, bus.find?.(SSRAM23_BASE) ?? null),
  );
  bus.mapDevice(
    BLOCKRAM_BASE + BLOCKRAM_SIZE,
    3 * BLOCKRAM_SIZE,
    new RamAlias('blockram mirrors', ram.blockram, mirrors, bus.find?.(BLOCKRAM_BASE) ?? null),
  );
  bus.mapDevice(
    SRAM_BITBAND_BASE,
    BITBAND_SIZE,
    new BitBandAlias('sram bit-band', bus, SSRAM23_BASE),
  );
  bus.mapDevice(
    PERIPH_BITBAND_BASE,
    BITBAND_SIZE,
    new BitBandAlias('peripheral bit-band', bus, 0x40000000),
  );

  // The overflow interrupts of UART0-2 share one line through an OR gate.
  const overflowLevels = [false, false, false];
  const uarts = UART_BASES.map(
    (_, i) =>
      new CmsdkApbUart(`uart${i}`, {
        tx: (b) => host.uartTx(i, b),
        irq,
        rxIrq: UART_RX_IRQS[i]!,
        txIrq: UART_RX_IRQS[i]! + 1,
        ...(i < 3
          ? {
              overflow: (high: boolean) => {
                overflowLevels[i] = high;
                irq.setLevel(UART_OVERFLOW_IRQ, overflowLevels.some(Boolean));
              },
            }
          : {}),
      }),
  );
  const timers = [
    new CmsdkApbTimer('timer0', clock, { irq, line: TIMER0_IRQ }),
    new CmsdkApbTimer('timer1', clock, { irq, line: TIMER1_IRQ }),
  ];
  const dualTimer = new CmsdkApbDualTimer('dualtimer', clock, { irq, line: DUALTIMER_IRQ });
  const watchdog = new CmsdkApbWatchdog('watchdog', clock, {
    interrupt: (high) => {
      if (high) ctx.nmi?.();
    },
    reset: () => ctx.systemReset?.(),
  });
  const fpgaio = new Mps2Fpgaio('fpgaio', clock);
  const scc = new Mps2Scc('scc', AN386_SCC);

  const placeholder = (name: string): UnimplementedDevice => new UnimplementedDevice(name);
  const placeholders: UnimplementedDevice[] = [];
  const ph = (name: string): UnimplementedDevice => {
    const p = placeholder(name);
    placeholders.push(p);
    return p;
  };

  const foreground: Range[] = [
    { base: TIMER0_BASE, size: 0x1000, dev: timers[0]! },
    { base: TIMER1_BASE, size: 0x1000, dev: timers[1]! },
    { base: DUALTIMER_BASE, size: 0x1000, dev: dualTimer },
    ...uarts.map((u, i) => ({ base: UART_BASES[i]!, size: 0x1000, dev: u })),
    // Modelled by QEMU but not yet here: they read as zero until they are (listed in placeholders).
    { base: WATCHDOG_BASE, size: 0x1000, dev: watchdog },
    { base: 0x40020000, size: 0x1000, dev: ph('pl022 spi (apb)') },
    { base: 0x40021000, size: 0x1000, dev: ph('pl022 spi (lcd)') },
    { base: 0x40022000, size: 0x1000, dev: ph('sbcon i2c (touch)') },
    { base: 0x40023000, size: 0x1000, dev: ph('sbcon i2c (audio)') },
    { base: 0x40025000, size: 0x1000, dev: ph('pl022 spi (adc)') },
    { base: 0x40026000, size: 0x1000, dev: ph('pl022 spi (shield0)') },
    { base: 0x40027000, size: 0x1000, dev: ph('pl022 spi (shield1)') },
    { base: FPGAIO_BASE, size: 0x1000, dev: fpgaio },
    { base: 0x40029000, size: 0x1000, dev: ph('sbcon i2c (shield0)') },
    { base: 0x4002a000, size: 0x1000, dev: ph('sbcon i2c (shield1)') },
    { base: SCC_BASE, size: 0x1000, dev: scc },
  ];
  const background: Range[] = [
    { base: 0x00800000, size: 0x00800000, dev: ph('reserved 1') },
    { base: 0x01010000, size: 0x1eff0000, dev: ph('reserved 2') },
    { base: 0x20800000, size: 0x00800000, dev: ph('reserved 3') },
    { base: 0x40000000, size: 0x10000, dev: ph('cmsdk apb peripheral region') },
    { base: 0x40010000, size: 0x10000, dev: ph('cmsdk ahb peripheral region (gpio)') },
    { base: 0x40020000, size: 0x10000, dev: ph('extra peripheral region') },
    { base: 0x40030000, size: 0x001d0000, dev: ph('reserved 4') },
    // LAN9118 ethernet: QEMU models the chip; here it is a placeholder of its register window.
    { base: ETHERNET_BASE, size: 0x100, dev: ph('lan9118 ethernet') },
    { base: 0x41000000, size: 0x00200000, dev: ph('vga') },
  ];
  const mapped = mapLayered(bus, foreground, background, ctx.wrap ?? ((d) => d));

  const devices: MmioDevice[] = [...uarts, ...timers, dualTimer, watchdog, fpgaio, scc];
  return {
    name: MACHINE_NAME,
    uarts,
    timers,
    dualTimer,
    watchdog,
    fpgaio,
    scc,
    ram,
    mirrors,
    devices,
    placeholders,
    mapped,
    heapInfo: [
      SSRAM23_BASE + SSRAM23_SIZE / 2,
      SSRAM23_BASE + SSRAM23_SIZE,
      SSRAM23_BASE + SSRAM23_SIZE,
      SSRAM23_BASE + SSRAM23_SIZE / 2,
    ],
  };
}

/** The user LEDs and push buttons on FPGAIO LED0 and BUTTON bits 0 and 1 (AN386 FPGAIO). */
const LEDS = ['LED0', 'LED1'] as const;
const BUTTONS = [{ name: 'PB0' }, { name: 'PB1' }] as const;

/**
 * mps2-an386 as a `Machine`: its image lives in RAM, so (as QEMU's `-kernel` loader does) it
 * is written again at every reset; power-on clears every RAM.
 */
export function mps2An386Machine(
  board: Mps2An386Board,
  ctx: MachineContext,
): Machine & { readonly mps2: Mps2An386Board } {
  const consoles = board.uarts.map((u, i) => consoleUart(i, u, UART_RX_IRQS[i]!, ctx));
  let buttons = 0;
  return {
    mps2: board,
    name: MACHINE_NAME,
    label: boardOfMachine(MACHINE_NAME)?.label ?? MACHINE_NAME,
    memoryMap: memoryMapOf(ctx.bus, (r) => {
      const memory =
        r.dev === null ||
        r.dev instanceof RamAlias ||
        (r.dev instanceof BitBandAlias && r.base === SRAM_BITBAND_BASE);
      return { kind: memory ? 'ram' : 'peripheral' };
    }),
    // Every RAM and its mirrors (aliases write through to the RAM's bytes).
    programmable: ctx.bus.regions
      .filter((r) => r.dev === null || r.dev instanceof RamAlias)
      .map((r) => ({ name: r.name, base: r.base, size: r.size })),
    imageStorage: 'ram',
    consoles,
    buttons: BUTTONS.map((b) => b.name),
    devices: board.mapped,
    svd: null,
    heapInfo: board.heapInfo,
    leds: () => LEDS.map((name, i) => ({ name, lit: ((board.fpgaio.leds >>> i) & 1) === 1 })),
    setButton(button, pressed): Result<void> {
      const found = findButton(MACHINE_NAME, BUTTONS, button);
      if (!found.ok) return found;
      const bit = 1 << BUTTONS.indexOf(found.value);
      buttons = pressed ? buttons | bit : buttons & ~bit;
      board.fpgaio.setButtons(buttons);
      return ok(undefined);
    },
    // Power-on (a load starts the board afresh, as starting QEMU does): every RAM reads zero.
    // This models QEMU, the peer, not a document: QEMU allocates guest RAM zero-filled when it
    // starts; the AN386 application note does not say what the FPGA board's SRAMs hold at
    // power-up (static RAM on real hardware is not guaranteed to be zero).
    // A region never written since it was made is skipped: its fresh typed array is zero
    // already, and filling it would commit ~24 MiB of pages per session for nothing. A reset
    // (`reset` below) leaves RAM as it is, as QEMU's system reset does (it resets devices,
    // not RAM contents).
    powerOn() {
      for (const r of ctx.bus.regions) {
        if (r.dev !== null || (!r.written && !board.mirrors.written)) continue;
        r.bytes.fill(0);
        r.dirty = true;
        ctx.bus.invalidate(r.base, r.size);
      }
    },
    reset() {
      ctx.bus.resetDevices();
      board.fpgaio.setButtons(buttons);
    },
    cpuSleep() {},
    // The AN386's push buttons raise no interrupt: only the UARTs can wake the core.
    wakeSources: () => consoleWakeSources(consoles),
  };
}

/** The mps2-an386 board behind a machine, or null. */
export function mps2Of(machine: Machine): Mps2An386Board | null {
  return 'mps2' in machine ? (machine as { mps2: Mps2An386Board }).mps2 : null;
}

/** The machine definition (25 MHz Cortex-M4F, 32 IRQs, all 8 priority bits as in QEMU 7.2). */
export const MPS2_AN386_DEFINITION: MachineDefinition = {
  name: MACHINE_NAME,
  core: { frequencyHz: SYSCLK_HZ, numIrqs: NUM_IRQ, priorityBits: 8, fpu: true },
  build(ctx) {
    const board = buildMps2An386(
      {
        bus: ctx.bus,
        clock: ctx.clock,
        irq: ctx.irq,
        nmi: () => ctx.nmi(),
        systemReset: () => ctx.systemReset('dog'),
        ...(ctx.wrap ? { wrap: ctx.wrap } : {}),
      },
      { uartTx: (index, byte) => ctx.host.uartTx(index, byte) },
    );
    return mps2An386Machine(board, ctx);
  },
};
