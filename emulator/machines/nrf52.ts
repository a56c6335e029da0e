/**
 * Machines `nrf52840dk` and `microbit-v2`: Nordic's nRF52840 (and the nRF52833 of the micro:bit
 * v2) as the Product Specification describes them, on their boards' pins.
 *
 * This file is the composition root for both: it maps flash (behind the NVMC's write rules),
 * FICR, UICR, Data RAM and its Code RAM window, every peripheral instance at 0x40000000 +
 * ID·0x1000, and the GPIO ports at 0x50000000; it wires each peripheral's interrupt to NVIC
 * input ID, every event to the PPI, and EasyDMA to Data RAM only. Peripherals the emulator does
 * not model are register files that record accesses (`RecordingDevice`), so firmware that
 * touches them runs on; addresses the chip does not decode stay unmapped and BusFault.
 *
 * Memory map (PS "Memory" and "Peripheral interface" chapters; sizes in hex):
 *   00000000 flash (100000 / 80000 on the nRF52833)    00800000 Code RAM (window onto Data RAM)
 *   10000000 FICR 1000    10001000 UICR 1000    20000000 Data RAM (40000 / 20000)
 *   40000000 + ID·1000 peripherals (APB)        50000000 GPIO P0 (P1 at 50000300)
 *   5002A000 CryptoCell (nRF52840 only)
 *
 * The boards differ only in pins: the DK's four LEDs and buttons; the micro:bit's 5×5 LED matrix
 * and two buttons; both put the console UART on P0.06 (TX).
 *
 * @example
 *   const m = buildNrf52(ctx, NRF52_MACHINES['nrf52840dk'], { uartTx: (n, b) => out(b) });
 *   m.gpio.setInput(0, 11, false); // press Button 1
 */
import type { InterruptLines, MmioDevice, VirtualClock } from '../core/interfaces';
import { BusErrorSignal } from '../core/interfaces';
import type { RomWriteHandler } from '../core/memory/bus';
import { RamAlias } from '../peripherals/memory-alias';
import { ClockPower } from '../peripherals/nrf/clock-power';
import { Egu } from '../peripherals/nrf/egu';
import { ficrImage, uicrReset } from '../peripherals/nrf/ficr';
import { Gpio } from '../peripherals/nrf/gpio';
import { Gpiote } from '../peripherals/nrf/gpiote';
import type { DmaPort, NrfContext } from '../peripherals/nrf/nrf-peripheral';
import { Nvmc } from '../peripherals/nrf/nvmc';
import { Ppi } from '../peripherals/nrf/ppi';
import { RecordingDevice } from '../peripherals/nrf/recording';
import { Rng } from '../peripherals/nrf/rng';
import { Rtc } from '../peripherals/nrf/rtc';
import { Temp } from '../peripherals/nrf/temp';
import { Timer } from '../peripherals/nrf/timer';
import { Uarte } from '../peripherals/nrf/uarte';
import { UndocumentedWords } from '../peripherals/nrf/undocumented';
import { Wdt } from '../peripherals/nrf/wdt';
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

/** Core clock (HCLK) of the nRF52 series. */
export const NRF52_HCLK_HZ = 64_000_000;
/** NVIC inputs: peripheral IDs 0-47. */
export const NRF52_NUM_IRQ = 48;
/** The Cortex-M4 of the nRF52 implements 3 priority bits. */
export const NRF52_PRIORITY_BITS = 3;

export const FLASH_BASE = 0x00000000;
export const CODE_RAM_BASE = 0x00800000;
export const FICR_BASE = 0x10000000;
export const UICR_BASE = 0x10001000;
export const DATA_RAM_BASE = 0x20000000;
export const GPIO_BASE = 0x50000000;
export const CRYPTOCELL_BASE = 0x5002a000;
export const PAGE_SIZE = 0x1000;

export type Nrf52Variant = 'nrf52840' | 'nrf52833';

export interface Pin {
  port: 0 | 1;
  pin: number;
}

/** An LED on one pin; `activeLow`: lit while the pin is driven low. */
export interface LedSpec extends Pin {
  name: string;
  activeLow: boolean;
}

/** A push button on one pin; `activeLow`: pressing pulls the pin low. */
export interface ButtonSpec extends Pin {
  name: string;
  activeLow: boolean;
}

/** A row/column LED matrix: pixel (r, c) is lit while row r is high and column c is low. */
export interface LedMatrixSpec {
  rows: Pin[];
  cols: Pin[];
}

export interface Nrf52MachineSpec {
  name: 'nrf52840dk' | 'microbit-v2';
  variant: Nrf52Variant;
  flashSize: number;
  ramSize: number;
  leds: LedSpec[];
  matrix?: LedMatrixSpec;
  buttons: ButtonSpec[];
  /** Console UART pins (what the board wires to its USB bridge). */
  uartTx: Pin;
  uartRx: Pin;
}

const p0 = (pin: number): Pin => ({ port: 0, pin });
const p1 = (pin: number): Pin => ({ port: 1, pin });

export const NRF52_MACHINES: Record<Nrf52MachineSpec['name'], Nrf52MachineSpec> = {
  // nRF52840-DK (PCA10056) user guide: LED1-4 on P0.13-16 and Button 1-4 on P0.11, P0.12,
  // P0.24, P0.25, all active low; the interface MCU's UART on P0.06 (TX) and P0.08 (RX).
  nrf52840dk: {
    name: 'nrf52840dk',
    variant: 'nrf52840',
    flashSize: 0x100000,
    ramSize: 0x40000,
    leds: [13, 14, 15, 16].map((pin, i) => ({ name: `LED${i + 1}`, ...p0(pin), activeLow: true })),
    buttons: [11, 12, 24, 25].map((pin, i) => ({
      name: `BUTTON${i + 1}`,
      ...p0(pin),
      activeLow: true,
    })),
    uartTx: p0(6),
    uartRx: p0(8),
  },
  // micro:bit v2 (nRF52833): LED matrix rows P0.21, P0.22, P0.15, P0.24, P0.19 and columns
  // P0.28, P0.11, P0.31, P1.05, P0.30; buttons A (P0.14) and B (P0.23), active low; the
  // interface MCU's UART on P0.06 (TX) and P1.08 (RX).
  'microbit-v2': {
    name: 'microbit-v2',
    variant: 'nrf52833',
    flashSize: 0x80000,
    ramSize: 0x20000,
    leds: [],
    matrix: {
      rows: [p0(21), p0(22), p0(15), p0(24), p0(19)],
      cols: [p0(28), p0(11), p0(31), p1(5), p0(30)],
    },
    buttons: [
      { name: 'A', ...p0(14), activeLow: true },
      { name: 'B', ...p0(23), activeLow: true },
    ],
    uartTx: p0(6),
    uartRx: p1(8),
  },
};

/** Peripheral instances the emulator only records (ID, name; `only` restricts to a variant). */
const RECORDED: { id: number; name: string; only?: Nrf52Variant }[] = [
  { id: 0x01, name: 'RADIO' },
  { id: 0x03, name: 'SPIM0_SPIS0_TWIM0_TWIS0' },
  { id: 0x04, name: 'SPIM1_SPIS1_TWIM1_TWIS1' },
  { id: 0x05, name: 'NFCT' },
  { id: 0x07, name: 'SAADC' },
  { id: 0x0e, name: 'ECB' },
  { id: 0x0f, name: 'AAR_CCM' },
  { id: 0x12, name: 'QDEC' },
  { id: 0x13, name: 'COMP_LPCOMP' },
  { id: 0x1c, name: 'PWM0' },
  { id: 0x1d, name: 'PDM' },
  { id: 0x20, name: 'MWU' },
  { id: 0x21, name: 'PWM1' },
  { id: 0x22, name: 'PWM2' },
  { id: 0x23, name: 'SPIM2_SPIS2' },
  { id: 0x25, name: 'I2S' },
  { id: 0x26, name: 'FPU' },
  { id: 0x27, name: 'USBD' },
  { id: 0x29, name: 'QSPI', only: 'nrf52840' },
  { id: 0x2d, name: 'PWM3' },
  { id: 0x2f, name: 'SPIM3' },
];

/**
 * A word the Product Specification does not list that Nordic's errata workarounds or MDK
 * start-up code write, and the silicon accepts (see peripherals/nrf/undocumented.ts). Each is a
 * recorded register file: reads return the last value written (0 after reset). `source` is the
 * document the decision rests on.
 */
export interface UndocumentedRegister {
  address: number;
  /** What the access log calls it: 'undocumented (errata 16)', or the register's own name. */
  name: string;
  /** Errata (anomaly) numbers whose workarounds touch it. */
  errata: number[];
  title: string;
  source: string;
  /** Only on this variant (the peripheral exists on one chip only). */
  only?: Nrf52Variant;
}

const MDK = 'MDK mdk/system_nrf52.c SystemInit (included by system_nrf52840.c / system_nrf52833.c)';
const errata = (
  address: number,
  numbers: number[],
  title: string,
  source: string,
  only?: Nrf52Variant,
): UndocumentedRegister => ({
  address,
  name: `undocumented (errata ${numbers.join(', ')})`,
  errata: numbers,
  title,
  source,
  ...(only ? { only } : {}),
});

/**
 * Every address Nordic's errata workarounds and MDK start-up code touch that no register table
 * names. Words on pages the emulator records anyway (RADIO, NFCT, COMP, QSPI, USBD) already
 * accepted any access; they are listed so the access log names them and the table is complete.
 * FICR words the workarounds read (0x10000130/134 part and revision, 0x10000244, 0x10000258,
 * 0x10000324 trims) are in the FICR page (peripherals/nrf/ficr.ts). Not decoded, and still a
 * BusFault: 0xF0000FE0/FE8, which the MDK reads only on nRF52832 parts whose FICR 0x10000130
 * reads erased (nrf52_erratas.h), so no firmware for these chips reaches it; every other
 * address the chip does not decode.
 */
export const UNDOCUMENTED_REGISTERS: readonly UndocumentedRegister[] = [
  errata(
    0x4007c074,
    [16],
    'System: RAM may be corrupt on wakeup from CPU IDLE',
    `nRF52832 Engineering A errata [16] (workaround: write 0xBAADF00D before sleeping); ${MDK}; written at every boot by OSes that apply the nRF52832 workarounds on every nRF52, as Tock's chips/nrf52 init does on the nRF52840-DK`,
  ),
  errata(
    0x40013540,
    [12],
    'COMP: Reference ladder not correctly calibrated',
    `${MDK} (value from FICR 0x10000324)`,
  ),
  errata(
    0x4000053c,
    [31],
    'CLOCK: Calibration values are not correctly loaded from FICR at reset',
    `${MDK} (value from FICR 0x10000244)`,
  ),
  errata(0x400005a0, [37], 'RADIO: Encryption engine is slow by default', MDK),
  ...[0x40005610, 0x40005614, 0x40005618, 0x40005688].map((a) =>
    errata(a, [57], 'NFCT: NFC Modulation amplitude', MDK),
  ),
  errata(
    0x4000568c,
    [98],
    'NFCT: Not able to communicate with the peer',
    `nRF52840 Engineering A errata [98]; ${MDK}`,
  ),
  errata(
    0x40000ee4,
    [108, 115, 217],
    'RAM: RAM content cannot be trusted upon waking up from System ON Idle or System OFF mode (108, 115); RAM calibration values are not correctly loaded from FICR at reset (217)',
    `${MDK} (108/115: value from FICR 0x10000258; 217: read-modify-write setting bits 3:0)`,
  ),
  errata(
    0x40029640,
    [120],
    'QSPI: Data read or written is corrupted',
    `${MDK} (nRF52840 only: the nRF52833 has no QSPI, written there only under DEVELOP_IN_NRF52840)`,
    'nrf52840',
  ),
  errata(
    0x4000173c,
    [182],
    'RADIO: Fixes for anomalies #102, #106, and #107 do not take effect',
    `${MDK} (read-modify-write setting bit 10)`,
  ),
  errata(
    0x4006ec00,
    [171, 187],
    'USBD: USBD might not reach its active state (171); USB cannot be enabled (187)',
    'nRF52840 Rev 1/2 errata [171] and [187]: USB drivers write 0x00009375 here around enabling USBD and after wake-up',
  ),
  errata(
    0x4006ec14,
    [171],
    'USBD: USBD might not reach its active state',
    'nRF52840 Rev 1/2 errata [171] (0xC0 before, 0 after the USBD wake-up)',
  ),
  errata(
    0x4006ed14,
    [187],
    'USBD: USB cannot be enabled',
    'nRF52840 Rev 1/2 errata [187] (3 before, 0 after enabling USBD)',
  ),
  ...[0x40027800, 0x40027804].map((a) =>
    errata(
      a,
      [166],
      'USBD: ISO double buffering not functional',
      'nRF52840 Rev 1 errata [166] (USBD base + 0x800 = 0x7E3, + 0x804 = 0x40 after each enable)',
    ),
  ),
  ...[
    [0x40000550, 'APPROTECT.FORCEPROTECT'],
    [0x40000558, 'APPROTECT.DISABLE'],
  ].map(([address, name]): UndocumentedRegister => ({
    address: address as number,
    name: name as string,
    errata: [],
    title: 'Access port protection (hardened APPROTECT)',
    source:
      'MDK mdk/system_nrf52_approtect.h nrf52_handle_approtect(): on parts with configuration 249 (nRF52840 revision code 5, nRF52833 revision code 1, the revisions our FICR reports) SystemInit writes APPROTECT.DISABLE from UICR.APPROTECT at every boot. The debug port it guards is not modelled.',
  })),
];

/** The access-log name of an undocumented word on `variant`, or null (see the table above). */
export function undocumentedRegisterName(variant: Nrf52Variant, address: number): string | null {
  const a = (address & ~3) >>> 0;
  const r = UNDOCUMENTED_REGISTERS.find(
    (u) => u.address === a && (u.only === undefined || u.only === variant),
  );
  return r ? r.name : null;
}

export interface Nrf52Host {
  /** A byte transmitted by UARTE `index` (0 or 1). */
  uartTx(index: number, byte: number): void;
  /** A GPIO output level changed (LEDs). */
  pinChanged?(port: 0 | 1, pin: number, level: boolean): void;
  /** Something firmware did that the silicon ignores or reports quietly (logged by hosts). */
  diagnostic?(message: string): void;
}

/** What the machine needs from the core. */
export interface Nrf52Context {
  bus: {
    mapRam(base: number, size: number, name: string): Uint8Array;
    mapRom(base: number, size: number, name: string, onWrite?: RomWriteHandler): Uint8Array;
    mapDevice(base: number, size: number, dev: MmioDevice): void;
    writeBlock(address: number, data: Uint8Array): void;
    invalidate(address: number, length: number): void;
    /** The region at an address (to mark memory changed in place `dirty`; see Region.dirty). */
    find?(address: number): { dirty: boolean } | null;
  };
  clock: VirtualClock;
  irq: InterruptLines;
  systemReset(): void;
  /** Firmware entered System OFF (POWER.SYSTEMOFF): the CPU stops until a wake-up reset. */
  systemOff?(): void;
  /** `MachineContext.stallFetchesFrom`: the NVMC holds a CPU fetching from flash. */
  stallFetchesFrom?(base: number, size: number, cycles: number): void;
  /** Seed for the RNG's generator (the chip's noise source is not reproducible; ours is). */
  seed?: number;
  /** Wraps every mapped device (the MMIO access log); identity when tracing is off. */
  wrap?(dev: MmioDevice, base: number): MmioDevice;
  /** Each EasyDMA transfer, by the peripheral's base address (the MMIO access log). */
  onDma?(peripheral: number, write: boolean, address: number, length: number): void;
}

export interface Nrf52Board {
  readonly name: Nrf52MachineSpec['name'];
  readonly spec: Nrf52MachineSpec;
  readonly flash: Uint8Array;
  readonly ram: Uint8Array;
  readonly uicr: Uint8Array;
  readonly ficr: Uint8Array;
  readonly clockPower: ClockPower;
  readonly nvmc: Nvmc;
  readonly gpio: Gpio;
  readonly gpiote: Gpiote;
  readonly uartes: Uarte[];
  readonly rtcs: Rtc[];
  readonly timers: Timer[];
  readonly rng: Rng;
  readonly temp: Temp;
  readonly wdt: Wdt;
  readonly ppi: Ppi;
  readonly egus: Egu[];
  readonly recorded: RecordingDevice[];
  /** Every modelled device with its base, in address order. */
  readonly devices: { base: number; size: number; dev: MmioDevice }[];
  /** Power-on: flash and UICR erased, RAM cleared (a pin or soft reset keeps them). */
  powerOn(): void;
  /** Light state of every LED (DK) or matrix pixel (micro:bit, row-major). */
  leds(): { name: string; lit: boolean }[];
  /** Press or release a button by name (BUTTON1..4, A, B) or index. */
  setButton(button: string | number, pressed: boolean): Result<void>;
  /**
   * The CPU went to sleep (WFI/WFE) or woke: POWER raises SLEEPENTER/SLEEPEXIT and the watchdog
   * pauses if its CONFIG.SLEEP says so. The session connects this to the core's
   * `onSleepChange`. (A debugger halt needs no counterpart: virtual time stands still then.)
   */
  cpuSleep(asleep: boolean): void;
  /** The access-log name of an undocumented word this chip accepts (UNDOCUMENTED_REGISTERS). */
  undocumentedName(address: number): string | null;
}

/** The nRF52's EasyDMA reaches Data RAM only (PS "EasyDMA": other addresses give a bus error). */
export function dataRamDma(
  bus: Nrf52Context['bus'],
  ram: Uint8Array,
  ramBase = DATA_RAM_BASE,
): DmaPort {
  const inRam = (address: number, length: number): boolean =>
    address >>> 0 >= ramBase && (address >>> 0) + length <= ramBase + ram.length;
  const check = (address: number, length: number): void => {
    if (!inRam(address, length))
      throw new BusErrorSignal(
        address,
        `EasyDMA transfer of ${length} byte(s) outside Data RAM (0x${ramBase.toString(16)}-0x${(ramBase + ram.length - 1).toString(16)})`,
      );
  };
  return {
    inRam,
    read(address, length) {
      check(address, length);
      const o = (address >>> 0) - ramBase;
      return ram.slice(o, o + length);
    },
    write(address, data) {
      check(address, data.length);
      // Through the bus so decoded code in RAM is invalidated.
      bus.writeBlock(address >>> 0, data);
    },
  };
}

export function buildNrf52(ctx: Nrf52Context, spec: Nrf52MachineSpec, host: Nrf52Host): Nrf52Board {
  const { bus, clock, irq } = ctx;
  const wrap = ctx.wrap ?? ((d: MmioDevice) => d);

  // Flash and UICR are ROM to the CPU; their writes go through the NVMC (created below, with
  // the PPI: both are wired before they exist).
  const late: { nvmc?: Nvmc; ppi?: Ppi } = {};
  const flash = bus.mapRom(FLASH_BASE, spec.flashSize, 'flash', (o, size, v) =>
    nvmcWrite('flash', FLASH_BASE + o, v, (n) => n.flashWrite(o, size, v)),
  );
  const ficr = bus.mapRom(FICR_BASE, PAGE_SIZE, 'ficr');
  const uicr = bus.mapRom(UICR_BASE, PAGE_SIZE, 'uicr', (o, size, v) =>
    nvmcWrite('UICR', UICR_BASE + o, v, (n) => n.uicrWrite(o, size, v)),
  );
  const ram = bus.mapRam(DATA_RAM_BASE, spec.ramSize, 'ram');
  bus.mapDevice(
    CODE_RAM_BASE,
    spec.ramSize,
    new RamAlias('code ram', ram, null, bus.find?.(DATA_RAM_BASE) ?? null),
  );

  function nvmcWrite(
    what: string,
    address: number,
    value: number,
    f: (n: Nvmc) => number | null,
  ): number | null {
    const n = late.nvmc!;
    const before = n.ignoredWrites;
    const r = f(n);
    if (r === null && n.ignoredWrites !== before)
      host.diagnostic?.(
        `${what} write of 0x${(value >>> 0).toString(16)} at 0x${address.toString(16).padStart(8, '0')} ignored: NVMC CONFIG.WEN does not enable writing`,
      );
    return r;
  }

  const dma = dataRamDma(bus, ram);
  // Event routing: every peripheral publishes its events to the PPI.
  const nctx: NrfContext = {
    clock,
    irq,
    dma,
    publish: (address) => late.ppi?.onEvent(address),
  };
  // Task end points by peripheral ID, for the PPI (every peripheral with tasks, the PPI too).
  const byId = new Map<number, { triggerTask(offset: number): void }>();
  const devices: { base: number; size: number; dev: MmioDevice }[] = [];
  const add = <T extends MmioDevice>(base: number, dev: T, size = PAGE_SIZE): T => {
    devices.push({ base, size, dev });
    const withTasks = dev as Partial<{ triggerTask(offset: number): void }>;
    if (base >>> 28 === 4 && typeof withTasks.triggerTask === 'function')
      byId.set((base >>> 12) & 0x3f, { triggerTask: (o) => withTasks.triggerTask!.call(dev, o) });
    return dev;
  };
  const periph = (id: number): number => 0x40000000 + id * PAGE_SIZE;
  // EasyDMA transfers told to the access log as the peripheral's own (PS "EasyDMA": the
  // peripheral, not the CPU, reads and writes Data RAM).
  const dmaOf = (base: number): NrfContext => {
    const onDma = ctx.onDma;
    if (!onDma) return nctx;
    return {
      ...nctx,
      dma: {
        inRam: (a, n) => dma.inRam(a, n),
        read: (a, n) => {
          const d = dma.read(a, n);
          onDma(base, false, a >>> 0, n);
          return d;
        },
        write: (a, data) => {
          dma.write(a, data);
          onDma(base, true, a >>> 0, data.length);
        },
      },
    };
  };

  const clockPower = add(periph(0x00), new ClockPower(nctx));
  clockPower.onSystemOff = () => ctx.systemOff?.();
  const uartes = [
    add(
      periph(0x02),
      new Uarte('UARTE0', periph(0x02), dmaOf(periph(0x02)), {
        tx: (b) => host.uartTx(0, b),
        diagnostic: (m) => host.diagnostic?.(m),
      }),
    ),
    add(
      periph(0x28),
      new Uarte('UARTE1', periph(0x28), dmaOf(periph(0x28)), {
        tx: (b) => host.uartTx(1, b),
        diagnostic: (m) => host.diagnostic?.(m),
      }),
    ),
  ];
  // P1 has 16 pins on the nRF52840 and 10 on the nRF52833.
  const gpio = new Gpio(
    nctx,
    { onOutput: (port, pin, level) => host.pinChanged?.(port, pin, level) },
    spec.variant === 'nrf52840' ? 16 : 10,
  );
  const gpiote = add(periph(0x06), new Gpiote(nctx, gpio));
  const timers = [
    add(periph(0x08), new Timer('TIMER0', periph(0x08), nctx, 4)),
    add(periph(0x09), new Timer('TIMER1', periph(0x09), nctx, 4)),
    add(periph(0x0a), new Timer('TIMER2', periph(0x0a), nctx, 4)),
    add(periph(0x1a), new Timer('TIMER3', periph(0x1a), nctx, 6)),
    add(periph(0x1b), new Timer('TIMER4', periph(0x1b), nctx, 6)),
  ];
  const rtcs = [
    add(periph(0x0b), new Rtc('RTC0', periph(0x0b), nctx, 3)),
    add(periph(0x11), new Rtc('RTC1', periph(0x11), nctx, 4)),
    add(periph(0x24), new Rtc('RTC2', periph(0x24), nctx, 4)),
  ];
  const temp = add(periph(0x0c), new Temp(nctx));
  const rng = add(periph(0x0d), new Rng(nctx, ctx.seed ?? 0x5eed));
  const wdt = add(
    periph(0x10),
    new Wdt(nctx, () => {
      clockPower.noteReset('dog');
      ctx.systemReset();
    }),
  );
  const egus = [0, 1, 2, 3, 4, 5].map((i) =>
    add(periph(0x14 + i), new Egu(`EGU${i}`, periph(0x14 + i), nctx)),
  );
  const nvmc = add(
    periph(0x1e),
    new Nvmc(nctx, {
      flash,
      uicr,
      invalidate: (address, length) => bus.invalidate(address, length),
      stall: (cycles) => ctx.stallFetchesFrom?.(FLASH_BASE, spec.flashSize, cycles),
    }),
    0x800,
  );
  late.nvmc = nvmc;
  // The access control list shares the NVMC's page (its registers start at 0x800).
  const recorded: RecordingDevice[] = [];
  const acl = add(periph(0x1e) + 0x800, new RecordingDevice('ACL', 0x800), 0x800);
  recorded.push(acl);
  const ppi = add(
    periph(0x1f),
    new Ppi(nctx, (address) => {
      const target = byId.get((address >>> 12) & 0x3f);
      if (target !== undefined && address >>> 0 >= 0x40000000 && address >>> 0 < 0x40040000)
        target.triggerTask(address & 0xfff);
    }),
  );
  late.ppi = ppi;
  for (const r of RECORDED) {
    if (r.only !== undefined && r.only !== spec.variant) continue;
    const dev = add(periph(r.id), new RecordingDevice(r.name, PAGE_SIZE));
    recorded.push(dev);
  }
  add(GPIO_BASE, gpio);
  if (spec.variant === 'nrf52840') {
    const cc = add(CRYPTOCELL_BASE, new RecordingDevice('CRYPTOCELL', 0x2000), 0x2000);
    recorded.push(cc);
  }
  // Undocumented words: laid over the device that decodes their page, or mapped alone.
  const undocumented = new Map<number, number[]>();
  for (const u of UNDOCUMENTED_REGISTERS) {
    if (u.only !== undefined && u.only !== spec.variant) continue;
    const page = u.address & ~(PAGE_SIZE - 1);
    undocumented.set(page, [...(undocumented.get(page) ?? []), u.address - page]);
  }
  const mapped = devices.map((d) => ({ ...d }));
  for (const [page, offsets] of undocumented) {
    const host = mapped.find((d) => page >= d.base && page < d.base + d.size);
    const label = `undocumented words at 0x${page.toString(16)}`;
    if (host === undefined) {
      const dev = new UndocumentedWords(label, page, offsets, null);
      mapped.push({ base: page, size: PAGE_SIZE, dev });
      recorded.push(dev.store);
    } else {
      const inner = host.dev;
      const rel = offsets.map((o) => o + page - host.base);
      const dev = new UndocumentedWords(label, host.base, rel, inner, host.size);
      host.dev = dev;
      recorded.push(dev.store);
    }
  }
  devices.sort((a, b) => a.base - b.base);
  mapped.sort((a, b) => a.base - b.base);
  for (const d of mapped) bus.mapDevice(d.base, d.size, wrap(d.dev, d.base));

  const deviceId = 0x1234_5678_9abc_def0n ^ BigInt(ctx.seed ?? 0);
  const powerOn = (): void => {
    flash.fill(0xff);
    bus.invalidate(FLASH_BASE, flash.length);
    uicr.set(uicrReset());
    ficr.set(ficrImage(spec.variant, deviceId));
    ram.fill(0);
    // Written in place, not through the bus: time travel must know they changed.
    for (const a of [FLASH_BASE, UICR_BASE, FICR_BASE, DATA_RAM_BASE]) {
      const r = bus.find?.(a);
      if (r) r.dirty = true;
    }
    clockPower.powerOnReset();
  };
  powerOn();

  // An LED lights only while the chip drives its pin to the active level (a floating pin
  // passes no current).
  const driven = (p: Pin): boolean | null => gpio.outputLevel(p.port, p.pin);
  const leds = (): { name: string; lit: boolean }[] => {
    if (spec.matrix) {
      const out: { name: string; lit: boolean }[] = [];
      spec.matrix.rows.forEach((r, ri) =>
        spec.matrix!.cols.forEach((c, ci) =>
          out.push({ name: `(${ri},${ci})`, lit: driven(r) === true && driven(c) === false }),
        ),
      );
      return out;
    }
    return spec.leds.map((l) => ({ name: l.name, lit: driven(l) === !l.activeLow }));
  };
  const setButton = (button: string | number, pressed: boolean): Result<void> => {
    const found = findButton(spec.name, spec.buttons, button);
    if (!found.ok) return found;
    const b = found.value;
    // A pressed button drives its pin; released, the pin floats (the firmware's pull decides).
    if (pressed) gpio.setInput(b.port, b.pin, !b.activeLow);
    else gpio.release(b.port, b.pin);
    return ok(undefined);
  };

  return {
    name: spec.name,
    spec,
    flash,
    ram,
    uicr,
    ficr,
    clockPower,
    nvmc,
    gpio,
    gpiote,
    uartes,
    rtcs,
    timers,
    rng,
    temp,
    wdt,
    ppi,
    egus,
    recorded,
    devices,
    powerOn,
    leds,
    setButton,
    cpuSleep(asleep) {
      clockPower.cpuSleep(asleep);
      wdt.setCpuSleeping(asleep);
    },
    undocumentedName: (address) => undocumentedRegisterName(spec.variant, address),
  };
}

/**
 * The nRF52 board as a `Machine`: flash and UICR are non-volatile (programming erases them
 * first, resets keep them), and a soft reset keeps the watchdog running (PS "Reset behavior":
 * the watchdog is reset only by power-on, pin and its own reset) and records its reason in
 * POWER.RESETREAS.
 */
export function nrf52Machine(
  board: Nrf52Board,
  ctx: MachineContext,
): Machine & { readonly nrf52: Nrf52Board } {
  const { spec } = board;
  const registered = boardOfMachine(spec.name);
  const consoles = board.uartes.map((u, index) => consoleUart(index, u, u.id, ctx));
  return {
    nrf52: board,
    name: spec.name,
    label: `${registered?.label ?? spec.name} (${spec.variant === 'nrf52840' ? 'nRF52840' : 'nRF52833'})`,
    memoryMap: memoryMapOf(ctx.bus, (r) => {
      if (r.name === 'flash' || r.name === 'uicr') return { kind: 'flash', blockSize: PAGE_SIZE };
      // FICR is factory-programmed flash the CPU and a debugger can only read.
      if (r.name === 'ficr') return { kind: 'flash' };
      if (r.dev === null || r.dev instanceof RamAlias) return { kind: 'ram' };
      return { kind: 'peripheral' };
    }),
    programmable: [
      { name: 'flash', base: FLASH_BASE, size: spec.flashSize },
      { name: 'UICR', base: UICR_BASE, size: PAGE_SIZE },
      { name: 'RAM', base: DATA_RAM_BASE, size: spec.ramSize },
    ],
    imageStorage: 'nonvolatile',
    consoles,
    buttons: spec.buttons.map((b) => b.name),
    devices: board.devices,
    svd: registered?.svd?.replace(/^resources\/svd\//, '') ?? null,
    heapInfo: [
      DATA_RAM_BASE + 0x8000,
      DATA_RAM_BASE + spec.ramSize,
      DATA_RAM_BASE + spec.ramSize,
      DATA_RAM_BASE + 0x8000,
    ],
    leds: () => board.leds(),
    setButton: (button, pressed) => board.setButton(button, pressed),
    powerOn: () => board.powerOn(),
    reset(reason) {
      const wdt = reason === 'sreq' ? board.wdt.snapshot() : undefined;
      ctx.bus.resetDevices();
      if (wdt !== undefined) board.wdt.restore(wdt);
      if (reason !== 'power') board.clockPower.noteReset(reason);
    },
    cpuSleep: (asleep) => board.cpuSleep(asleep),
    undocumentedName: (address) => board.undocumentedName(address),
    wakeSources() {
      const out = consoleWakeSources(consoles);
      if (ctx.interruptCanWake(board.gpiote.id))
        for (const b of spec.buttons)
          if (board.gpiote.interruptOnPin(b.port, b.pin))
            out.push({ kind: 'button', name: b.name });
      return out;
    },
  };
}

/** The machine definition of an nRF52 board (the core: 64 MHz, 48 IRQs, 3 priority bits). */
export function nrf52Definition(spec: Nrf52MachineSpec): MachineDefinition {
  return {
    name: spec.name,
    core: {
      frequencyHz: NRF52_HCLK_HZ,
      numIrqs: NRF52_NUM_IRQ,
      priorityBits: NRF52_PRIORITY_BITS,
      fpu: true,
    },
    build(ctx) {
      const board = buildNrf52(
        {
          bus: ctx.bus,
          clock: ctx.clock,
          irq: ctx.irq,
          systemReset: () => ctx.systemReset('dog'),
          systemOff: () => ctx.systemOff(),
          stallFetchesFrom: (base, size, cycles) => ctx.stallFetchesFrom?.(base, size, cycles),
          ...(ctx.seed !== undefined ? { seed: ctx.seed } : {}),
          ...(ctx.wrap ? { wrap: ctx.wrap } : {}),
          ...(ctx.onDma ? { onDma: (p, w, a, n) => ctx.onDma!(p, w, a, n) } : {}),
        },
        spec,
        {
          uartTx: (index, byte) => ctx.host.uartTx(index, byte),
          pinChanged: (port, pin, level) => ctx.host.pinChanged?.(port, pin, level),
          diagnostic: (message) => ctx.host.diagnostic?.(message),
        },
      );
      return nrf52Machine(board, ctx);
    },
  };
}

/** The nRF52 board behind a machine (its peripherals, for tests and tools), or null. */
export function nrf52Of(machine: Machine): Nrf52Board | null {
  return 'nrf52' in machine ? (machine as { nrf52: Nrf52Board }).nrf52 : null;
}

export const NRF52_DEFINITIONS: Record<Nrf52MachineSpec['name'], MachineDefinition> = {
  nrf52840dk: nrf52Definition(NRF52_MACHINES.nrf52840dk),
  'microbit-v2': nrf52Definition(NRF52_MACHINES['microbit-v2']),
};
