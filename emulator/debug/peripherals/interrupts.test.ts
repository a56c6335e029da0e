// The interrupt table from NVIC register bytes and the SVD's interrupt list.
import { describe, expect, it } from 'vitest';
import nrf52840Xml from '../../../resources/svd/nrf52840.svd?raw';
import { parseSvd } from '../../peripherals/nrf/svd';
import { interruptCount, interruptTable } from './interrupts';

const svd = parseSvd(nrf52840Xml);

describe('interruptTable', () => {
  it('decodes enable, pending, active, priority and the driving peripherals', () => {
    const iser = new Uint8Array(8);
    const ispr = new Uint8Array(8);
    const iabr = new Uint8Array(8);
    const ipr = new Uint8Array(64);
    iser[0] = 0b0000_0100; // IRQ 2 (UARTE0_UART0)
    ispr[2] = 0b0000_0010; // IRQ 17 (RTC1)
    iabr[0] = 0b0000_0100;
    ipr[2] = 0xe0; // priority 7 of 3 bits
    ipr[17] = 0x20;
    const levels = new Uint8Array(48);
    levels[2] = 1;
    const rows = interruptTable({ iser, ispr, iabr, ipr }, svd, 3, levels);
    const uart = rows.find((r) => r.irq === 2)!;
    expect(uart).toMatchObject({
      enabled: true,
      pending: false,
      active: true,
      priority: 7,
      priorityByte: 0xe0,
      level: true,
    });
    // UARTE0 and its legacy view UART0 both drive IRQ 2.
    expect(uart.peripherals).toEqual(expect.arrayContaining(['UARTE0', 'UART0']));
    const rtc1 = rows.find((r) => r.irq === 17)!;
    expect(rtc1).toMatchObject({ pending: true, enabled: false, priority: 1, level: false });
    expect(rtc1.peripherals).toEqual(['RTC1']);
  });

  it('shows lines the SVD does not know only when they are in use; no levels off the emulator', () => {
    const z = (n: number) => new Uint8Array(n);
    const iser = z(8);
    iser[6] = 0x04; // IRQ 50: not in the SVD (the nRF52840 has 48 lines)
    const rows = interruptTable({ iser, ispr: z(8), iabr: z(8), ipr: z(64) }, svd, 3, null);
    expect(rows.find((r) => r.irq === 50)).toMatchObject({
      name: 'IRQ50',
      peripherals: [],
      level: null,
    });
    const quiet = interruptTable({ iser: z(8), ispr: z(8), iabr: z(8), ipr: z(64) }, null, 3, null);
    expect(quiet).toEqual([]);
  });

  it('counts the lines ICTR declares', () => {
    expect(interruptCount(1)).toBe(64);
    expect(interruptCount(0)).toBe(32);
  });
});
