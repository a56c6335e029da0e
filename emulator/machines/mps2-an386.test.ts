/**
 * Tests for the mps2-an386 board map on the core's bus: RAM mirrors, bit-band, devices at
 * their QEMU addresses, placeholders reading zero, and bus errors where nothing decodes.
 */
import { describe, expect, it } from 'vitest';
import { Clock } from '../core/clock';
import { BusErrorSignal } from '../core/interfaces';
import { Bus } from '../core/memory/bus';
import { TestLines } from '../peripherals/test-clock';
import { buildMps2An386, UART_BASES } from './mps2-an386';

function board() {
  const bus = new Bus();
  const clock = new Clock(25_000_000);
  const irq = new TestLines();
  const out: [number, number][] = [];
  const b = buildMps2An386({ bus, clock, irq }, { uartTx: (n, byte) => out.push([n, byte]) });
  return { bus, clock, irq, out, b };
}

describe('mps2-an386', () => {
  it('mirrors SSRAM1, SSRAM2&3 and block RAM', () => {
    const { bus } = board();
    bus.write(0x00000100, 4, 0xcafef00d);
    expect(bus.read(0x00400100, 4)).toBe(0xcafef00d);
    bus.write(0x20400010, 2, 0xbeef);
    expect(bus.read(0x20000010, 2)).toBe(0xbeef);
    bus.write(0x0100c004, 1, 0x5a);
    expect(bus.read(0x01000004, 1)).toBe(0x5a);
    bus.write(0x21fffffc, 4, 7);
    expect(bus.read(0x21fffffc, 4)).toBe(7);
  });

  it('serves bit-band aliases of SRAM and peripherals', () => {
    const { bus } = board();
    bus.write(0x22000000 + (0x20 * 8 + 3) * 4, 4, 1);
    expect(bus.read(0x20000020, 1)).toBe(8);
    expect(bus.read(0x22000000 + (0x20 * 8 + 3) * 4, 4)).toBe(1);
  });

  it('puts the UARTs, timers, FPGAIO and SCC at QEMU addresses with their IRQs', () => {
    const { bus, out, irq } = board();
    for (const [i, base] of UART_BASES.entries()) {
      bus.write(base + 8, 4, 1 | 4); // TX enable + TX interrupt enable
      bus.write(base, 4, 0x30 + i);
    }
    expect(out).toEqual([0, 1, 2, 3, 4].map((i) => [i, 0x30 + i]));
    expect([1, 3, 5, 19, 21].map((l) => irq.high(l))).toEqual([true, true, true, true, true]);
    expect(bus.read(0x4002fffc, 4)).toBe(0x41043860);
    expect(bus.read(0x40000fe0, 4)).toBe(0x22);
    expect(bus.read(0x40002fe0, 4)).toBe(0x23);
    expect(bus.read(0x40008fe0, 4)).toBe(0x24); // watchdog
    bus.write(0x40028000, 4, 3);
    expect(bus.read(0x40028000, 4)).toBe(3);
  });

  it('reads zero from placeholders and faults where nothing decodes', () => {
    const { bus, b } = board();
    expect(bus.read(0x40010000, 4)).toBe(0); // GPIO: unimplemented in QEMU too
    bus.write(0x40003000, 4, 1);
    expect(b.placeholders.find((p) => p.name === 'cmsdk apb peripheral region')!.writes).toBe(1);
    for (const a of [0x24000000, 0x40200100, 0x60000000, 0x80000000, 0xa0000000]) {
      expect(() => bus.read(a, 4)).toThrow(BusErrorSignal);
    }
  });
});
