/**
 * The SVD file and the peripheral models agree.
 *
 * resources/svd/nrf52840.svd is our statement of the nRF52840 Product Specification's register
 * tables; each model module states what it implements in its *_REGISTERS table. For every
 * modelled peripheral this checks, and names peripheral.register on failure:
 *  1. every register in the model's table is in the SVD at the same offset, with the same
 *     access and reset value;
 *  2. every SVD register of the peripheral is in the model's table, or in EXCEPTIONS below
 *     with the reason the model leaves it out;
 *  3. behaviour: a freshly built model reads each readable SVD register as its SVD resetValue.
 * The model modules are imported statically: a missing module fails this file, never skips it.
 */
// The .svd files are imported as text through Vite's ?raw suffix (vitest runs Vite).
/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import nrf52833Xml from '../../../resources/svd/nrf52833.svd?raw';
import nrf52840Xml from '../../../resources/svd/nrf52840.svd?raw';
import type { MmioDevice } from '../../core/interfaces';
import { UNDOCUMENTED_REGISTERS } from '../../machines/nrf52';
import { TestClock, TestLines } from '../test-clock';
import { CLOCK_REGISTERS, ClockPower, POWER_REGISTERS } from './clock-power';
import { EGU_REGISTERS, Egu } from './egu';
import { FICR_REGISTERS, UICR_REGISTERS, ficrImage, uicrReset } from './ficr';
import { GPIO_REGISTERS, Gpio } from './gpio';
import { GPIOTE_REGISTERS, Gpiote } from './gpiote';
import type { DmaPort, NrfContext } from './nrf-peripheral';
import { NVMC_REGISTERS, Nvmc } from './nvmc';
import { PPI_REGISTERS, Ppi } from './ppi';
import { type RegisterInfo, expandRegisters } from './registers';
import { RNG_REGISTERS, Rng } from './rng';
import { Rtc, rtcRegisters } from './rtc';
import {
  RegisterNamer,
  type SvdDevice,
  type SvdPeripheral,
  type SvdRegister,
  parseSvd,
} from './svd';
import { TEMP_REGISTERS, Temp } from './temp';
import { Timer, timerRegisters } from './timer';
import { UARTE_REGISTERS, UART_REGISTERS, Uarte } from './uarte';
import { WDT_REGISTERS, Wdt } from './wdt';

/**
 * SVD registers a model deliberately leaves out, per SVD peripheral, with the reason. A
 * register listed here that the model does implement is reported too (the list must not rot).
 */
const EXCEPTIONS: Record<string, Record<string, string>> = {
  NVMC: {
    // The PS keeps the old name of ERASEPAGE at the same offset; the model decodes 0x508 once,
    // as ERASEPAGE, so the alias has no entry of its own.
    ERASEPCR1: 'deprecated alias of ERASEPAGE (same offset)',
  },
};

const noDma: DmaPort = {
  read: (_address, length) => new Uint8Array(length),
  write: () => undefined,
  inRam: () => true,
};

function context(): NrfContext {
  return { clock: new TestClock(64_000_000), irq: new TestLines(), dma: noDma };
}

/** A device view of a ROM image (FICR, UICR): reads little-endian words. */
function romDevice(name: string, bytes: Uint8Array): MmioDevice {
  return {
    name,
    read: (offset) =>
      (bytes[offset]! |
        (bytes[offset + 1]! << 8) |
        (bytes[offset + 2]! << 16) |
        (bytes[offset + 3]! << 24)) >>>
      0,
    write: () => undefined,
  };
}

/** A device seen at an offset inside another (P1 inside the one GPIO block). */
function window(inner: MmioDevice, delta: number): MmioDevice {
  return {
    name: inner.name,
    read: (offset, size) => inner.read(offset + delta, size),
    write: (offset, size, value) => inner.write(offset + delta, size, value),
  };
}

interface Modelled {
  /** SVD peripheral name. */
  svd: string;
  /** The model's table. */
  table: readonly RegisterInfo[];
  /** A freshly reset model, positioned so offset 0 is the SVD peripheral's base. */
  make(): MmioDevice;
  /** The table's reset values state the erased value, not the device's (FICR). */
  resetFromBehaviourOnly?: boolean;
}

function nvmc(): Nvmc {
  return new Nvmc(context(), {
    flash: new Uint8Array(1024 * 1024).fill(0xff),
    uicr: uicrReset(),
    invalidate: () => undefined,
  });
}

const DEVICE_ID = 0x0123456789abcdefn;

const MODELLED: Modelled[] = [
  { svd: 'CLOCK', table: CLOCK_REGISTERS, make: () => new ClockPower(context()) },
  { svd: 'POWER', table: POWER_REGISTERS, make: () => new ClockPower(context()) },
  { svd: 'NVMC', table: NVMC_REGISTERS, make: nvmc },
  {
    svd: 'FICR',
    table: FICR_REGISTERS,
    make: () => romDevice('FICR', ficrImage('nrf52840', DEVICE_ID)),
    resetFromBehaviourOnly: true,
  },
  { svd: 'UICR', table: UICR_REGISTERS, make: () => romDevice('UICR', uicrReset()) },
  { svd: 'RNG', table: RNG_REGISTERS, make: () => new Rng(context(), 1) },
  { svd: 'TEMP', table: TEMP_REGISTERS, make: () => new Temp(context()) },
  { svd: 'WDT', table: WDT_REGISTERS, make: () => new Wdt(context(), () => undefined) },
  ...(
    [
      ['RTC0', 0x4000b000, 3],
      ['RTC1', 0x40011000, 4],
      ['RTC2', 0x40024000, 4],
    ] as const
  ).map(([name, base, cc]) => ({
    svd: name,
    table: rtcRegisters(cc),
    make: () => new Rtc(name, base, context(), cc),
  })),
  ...(
    [
      ['TIMER0', 0x40008000, 4],
      ['TIMER1', 0x40009000, 4],
      ['TIMER2', 0x4000a000, 4],
      ['TIMER3', 0x4001a000, 6],
      ['TIMER4', 0x4001b000, 6],
    ] as const
  ).map(([name, base, cc]) => ({
    svd: name,
    table: timerRegisters(cc),
    make: () => new Timer(name, base, context(), cc),
  })),
  ...[0, 1, 2, 3, 4, 5].map((n) => ({
    svd: `EGU${n}`,
    table: EGU_REGISTERS,
    make: () => new Egu(`EGU${n}`, 0x40014000 + n * 0x1000, context()),
  })),
  { svd: 'PPI', table: PPI_REGISTERS, make: () => new Ppi(context(), () => undefined) },
  { svd: 'P0', table: GPIO_REGISTERS, make: () => new Gpio(context(), {}) },
  { svd: 'P1', table: GPIO_REGISTERS, make: () => window(new Gpio(context(), {}), 0x300) },
  {
    svd: 'GPIOTE',
    table: GPIOTE_REGISTERS,
    make: () => {
      const ctx = context();
      return new Gpiote(ctx, new Gpio(ctx, {}));
    },
  },
  {
    svd: 'UARTE0',
    table: UARTE_REGISTERS,
    make: () => new Uarte('UARTE0', 0x40002000, context(), { tx: () => undefined }),
  },
  {
    svd: 'UART0',
    table: UART_REGISTERS,
    make: () => new Uarte('UARTE0', 0x40002000, context(), { tx: () => undefined }),
  },
  {
    svd: 'UARTE1',
    table: UARTE_REGISTERS,
    make: () => new Uarte('UARTE1', 0x40028000, context(), { tx: () => undefined }),
  },
];

const hex = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

function peripheral(d: SvdDevice, name: string): SvdPeripheral {
  const p = d.peripherals.find((x) => x.name === name);
  if (!p) throw new Error(`the SVD has no peripheral ${name}`);
  return p;
}

/** Problems of check 1 and 2 (tables vs SVD) for one modelled peripheral. */
function tableProblems(m: Modelled, p: SvdPeripheral): string[] {
  const problems: string[] = [];
  const svd = new Map(p.registers.map((r) => [r.name, r]));
  const model = expandRegisters(m.table);
  const modelNames = new Set(model.map((r) => r.name));
  const exceptions = EXCEPTIONS[m.svd] ?? {};
  for (const r of model) {
    const s = svd.get(r.name);
    const at = `${m.svd}.${r.name}`;
    if (!s) {
      problems.push(`${at}: in the model's table but not in the SVD`);
      continue;
    }
    if (s.addressOffset !== r.offset)
      problems.push(
        `${at}: offset ${hex(r.offset)} in the model, ${hex(s.addressOffset)} in the SVD`,
      );
    if (s.access !== r.access)
      problems.push(`${at}: access ${r.access} in the model, ${s.access} in the SVD`);
    if (!m.resetFromBehaviourOnly && s.resetValue !== r.reset >>> 0)
      problems.push(`${at}: reset ${hex(r.reset)} in the model, ${hex(s.resetValue)} in the SVD`);
  }
  for (const s of p.registers) {
    const listed = exceptions[s.name] !== undefined;
    if (!modelNames.has(s.name) && !listed)
      problems.push(`${m.svd}.${s.name}: in the SVD but neither modelled nor an exception`);
    if (modelNames.has(s.name) && listed)
      problems.push(`${m.svd}.${s.name}: listed as an exception but the model has it`);
  }
  for (const name of Object.keys(exceptions))
    if (!svd.has(name)) problems.push(`${m.svd}.${name}: exception for a register the SVD lacks`);
  return problems;
}

/** Problems of check 3: readable SVD registers read as their reset value on a fresh model. */
function resetProblems(
  m: Modelled,
  p: SvdPeripheral,
  only?: (r: SvdRegister) => boolean,
): string[] {
  const problems: string[] = [];
  const dev = m.make();
  const exceptions = EXCEPTIONS[m.svd] ?? {};
  for (const r of p.registers) {
    if (r.access === 'write-only' || exceptions[r.name] !== undefined) continue;
    if (only && !only(r)) continue;
    let value: number;
    try {
      value = dev.read(r.addressOffset, 4) >>> 0;
    } catch (e) {
      problems.push(`${m.svd}.${r.name}: reading it after reset threw ${(e as Error).message}`);
      continue;
    }
    if (value !== r.resetValue)
      problems.push(
        `${m.svd}.${r.name}: reads ${hex(value)} after reset, SVD resetValue ${hex(r.resetValue)}`,
      );
  }
  return problems;
}

describe('SVD agreement (resources/svd/nrf52840.svd vs the models)', () => {
  const d = parseSvd(nrf52840Xml);

  it.each(MODELLED.map((m) => [m.svd, m] as const))(
    '%s: the model table and the SVD list the same registers at the same offsets, access and reset',
    (_name, m) => {
      expect(tableProblems(m, peripheral(d, m.svd))).toEqual([]);
    },
  );

  it.each(MODELLED.map((m) => [m.svd, m] as const))(
    '%s: a fresh model reads every readable register as its SVD resetValue',
    (_name, m) => {
      // FICR: only the values the PS fixes for every device (sizes, part); the rest is per chip.
      const only = m.resetFromBehaviourOnly
        ? (r: SvdRegister) => r.resetValue !== 0xffffffff
        : undefined;
      expect(resetProblems(m, peripheral(d, m.svd), only)).toEqual([]);
    },
  );

  it('covers every modelled peripheral the machine maps', () => {
    const covered = new Set(MODELLED.map((m) => m.svd));
    for (const name of [
      'CLOCK',
      'POWER',
      'UARTE0',
      'UART0',
      'GPIOTE',
      'TIMER0',
      'TIMER1',
      'TIMER2',
      'RTC0',
      'TEMP',
      'RNG',
      'WDT',
      'RTC1',
      'EGU0',
      'EGU5',
      'TIMER3',
      'TIMER4',
      'NVMC',
      'PPI',
      'RTC2',
      'UARTE1',
      'P0',
      'P1',
      'FICR',
      'UICR',
    ])
      expect(covered.has(name), name).toBe(true);
  });
});

describe('SVD agreement: undocumented words', () => {
  it('no word of UNDOCUMENTED_REGISTERS is a register either SVD names', () => {
    for (const xml of [nrf52840Xml, nrf52833Xml]) {
      const namer = new RegisterNamer(parseSvd(xml));
      for (const u of UNDOCUMENTED_REGISTERS)
        expect(namer.locate(u.address), `${u.name} at 0x${u.address.toString(16)}`).toBe(undefined);
    }
  });
});

describe('SVD agreement (resources/svd/nrf52833.svd vs the nRF52833 FICR image)', () => {
  it('FICR: part, page size, flash and RAM sizes match ficrImage("nrf52833")', () => {
    const p = peripheral(parseSvd(nrf52833Xml), 'FICR');
    const m: Modelled = {
      svd: 'FICR',
      table: FICR_REGISTERS,
      make: () => romDevice('FICR', ficrImage('nrf52833', DEVICE_ID)),
    };
    const fixed = (r: SvdRegister) => r.resetValue !== 0xffffffff;
    expect(p.registers.filter(fixed).map((r) => r.name)).toEqual(
      expect.arrayContaining(['CODEPAGESIZE', 'CODESIZE', 'INFO.PART', 'INFO.RAM', 'INFO.FLASH']),
    );
    expect(resetProblems(m, p, fixed)).toEqual([]);
  });
});
