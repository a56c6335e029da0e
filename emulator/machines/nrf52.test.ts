/**
 * The nRF52840 / nRF52833 memory map on the core's bus: flash behind the NVMC's rules, FICR and
 * UICR, Data RAM and its Code RAM window, every peripheral at 0x40000000 + ID·0x1000 with its
 * interrupt line, recorded placeholders, EasyDMA limited to Data RAM, PPI routing between
 * peripherals, board pins, and bus errors where the chip decodes nothing.
 */
import { describe, expect, it } from 'vitest';
import { Clock } from '../core/clock';
import { BusErrorSignal } from '../core/interfaces';
import { Bus } from '../core/memory/bus';
import { TestLines } from '../peripherals/test-clock';
import {
  buildNrf52,
  dataRamDma,
  NRF52_MACHINES,
  type Nrf52MachineSpec,
  UNDOCUMENTED_REGISTERS,
  undocumentedRegisterName,
} from './nrf52';

function machine(spec: Nrf52MachineSpec = NRF52_MACHINES.nrf52840dk) {
  const bus = new Bus();
  const clock = new Clock(64_000_000);
  const irq = new TestLines();
  const out: number[] = [];
  const diagnostics: string[] = [];
  let resets = 0;
  const m = buildNrf52({ bus, clock, irq, systemReset: () => resets++ }, spec, {
    uartTx: (_n, b) => out.push(b),
    diagnostic: (d) => diagnostics.push(d),
  });
  return { bus, clock, irq, out, diagnostics, m, resets: () => resets };
}

const busError = (f: () => unknown): boolean => {
  try {
    f();
    return false;
  } catch (e) {
    return e instanceof BusErrorSignal;
  }
};

describe('nRF52 machines', () => {
  it('maps 1 MiB flash and 256 KiB RAM on the nRF52840, 512/128 KiB on the nRF52833', () => {
    const dk = machine().bus;
    expect(dk.read(0x000ffffc, 4)).toBe(0xffffffff); // erased flash
    expect(busError(() => dk.read(0x00100000, 4))).toBe(true);
    dk.write(0x2003fffc, 4, 0x12345678);
    expect(dk.read(0x2003fffc, 4)).toBe(0x12345678);
    expect(dk.read(0x0083fffc, 4)).toBe(0x12345678); // Code RAM window
    expect(busError(() => dk.read(0x20040000, 4))).toBe(true);

    const mb = machine(NRF52_MACHINES['microbit-v2']).bus;
    expect(mb.read(0x0007fffc, 4)).toBe(0xffffffff);
    expect(busError(() => mb.read(0x00080000, 4))).toBe(true);
    expect(busError(() => mb.read(0x20020000, 4))).toBe(true);
  });

  it('identifies the part in FICR', () => {
    const dk = machine().bus;
    expect(dk.read(0x10000100, 4)).toBe(0x52840);
    expect(dk.read(0x10000010, 4) * dk.read(0x10000014, 4)).toBe(1024 * 1024);
    const mb = machine(NRF52_MACHINES['microbit-v2']).bus;
    expect(mb.read(0x10000100, 4)).toBe(0x52833);
    expect(mb.read(0x1000010c, 4)).toBe(128);
    expect(mb.read(0x10000110, 4)).toBe(512);
  });

  it('ignores a CPU write to flash unless NVMC CONFIG enables writing, and reports it', () => {
    const { bus, diagnostics } = machine();
    bus.write(0x00010000, 4, 0x12345678);
    expect(bus.read(0x00010000, 4)).toBe(0xffffffff);
    expect(diagnostics.join('\n')).toMatch(/flash write of 0x12345678 at 0x00010000 ignored/);
    bus.write(0x4001e504, 4, 1); // CONFIG.WEN = Wen
    bus.write(0x00010000, 4, 0x12345678);
    expect(bus.read(0x00010000, 4)).toBe(0x12345678);
    // Writes only clear bits.
    bus.write(0x00010000, 4, 0xffff00ff);
    expect(bus.read(0x00010000, 4)).toBe(0x12340078);
  });

  it('decodes every peripheral ID it has and faults where the chip has none', () => {
    const { bus, m } = machine();
    // Modelled: RNG VALUE readable, TIMER0 CC[0] read back.
    bus.write(0x40008540, 4, 1234);
    expect(bus.read(0x40008540, 4)).toBe(1234);
    // Recorded: RADIO keeps what is written and counts the access.
    bus.write(0x40001500, 4, 3);
    expect(bus.read(0x40001500, 4)).toBe(3);
    expect(m.recorded.find((r) => r.name === 'RADIO')).toBeDefined();
    // Holes in the peripheral space and beyond it.
    for (const a of [0x4002b000, 0x4002c000, 0x4002e000, 0x40030000, 0x50001000, 0x60000000])
      expect(
        busError(() => bus.read(a, 4)),
        `0x${a.toString(16)}`,
      ).toBe(true);
    // The nRF52833 has no QSPI and no CryptoCell.
    const mb = machine(NRF52_MACHINES['microbit-v2']).bus;
    expect(busError(() => mb.read(0x40029000, 4))).toBe(true);
    expect(busError(() => mb.read(0x5002a000, 4))).toBe(true);
    expect(busError(() => bus.read(0x40029000, 4))).toBe(false);
  });

  it("accepts every word Nordic's errata workarounds write, as recorded registers, on both chips", () => {
    for (const spec of [NRF52_MACHINES.nrf52840dk, NRF52_MACHINES['microbit-v2']]) {
      const { bus, m } = machine(spec);
      const words = UNDOCUMENTED_REGISTERS.filter(
        (u) => u.only === undefined || u.only === spec.variant,
      );
      words.forEach((u, i) => bus.write(u.address, 4, 0x1000 + i));
      words.forEach((u, i) => expect(bus.read(u.address, 4), u.name).toBe(0x1000 + i));
      // Byte lanes, as the MDK's read-modify-writes need (errata 217: |= 0xF).
      bus.write(0x40000ee4, 4, 0x12345600);
      bus.write(0x40000ee4, 1, 0x0f);
      expect(bus.read(0x40000ee4, 4)).toBe(0x1234560f);
      expect(undocumentedRegisterName(spec.variant, 0x4007c074)).toBe('undocumented (errata 16)');
      // The rest of the pages behave as before: CLOCK/POWER still works around its errata words,
      // and nothing else decodes on the errata-16 page.
      bus.write(0x40000000 + 0x51c, 4, 0x5a); // GPREGRET
      expect(bus.read(0x40000000 + 0x51c, 4)).toBe(0x5a);
      expect(busError(() => bus.read(0x4007c070, 4))).toBe(true);
      expect(busError(() => bus.write(0x4007c078, 4, 1))).toBe(true);
      expect(busError(() => bus.read(0x4006e000, 4))).toBe(true);
      expect(busError(() => bus.read(0xf0000fe0, 4))).toBe(true);
      // The UI sees them with the other recorded registers; a reset clears them.
      const errata16 = m.recorded.find((r) => r.name === 'undocumented words at 0x4007c000');
      expect(errata16?.accesses()[0]).toMatchObject({ offset: 0x74, writes: 1, reads: 1 });
      bus.resetDevices();
      expect(bus.read(0x4007c074, 4)).toBe(0);
    }
    // Only the nRF52840 has the QSPI that errata 120 pokes.
    const mb = machine(NRF52_MACHINES['microbit-v2']).bus;
    expect(busError(() => mb.write(0x40029640, 4, 0x200))).toBe(true);
  });

  it('names the part and revision where the MDK looks for them (FICR 0x130, 0x134)', () => {
    expect(machine().bus.read(0x10000130, 4)).toBe(0x08);
    expect(machine().bus.read(0x10000134, 4)).toBe(0x05);
    const mb = machine(NRF52_MACHINES['microbit-v2']).bus;
    expect(mb.read(0x10000130, 4)).toBe(0x0d);
    expect(mb.read(0x10000134, 4)).toBe(0x01);
  });

  it('wires each peripheral interrupt to NVIC input ID', () => {
    const { bus, irq } = machine();
    // EGU3 (ID 23): TRIGGER[0] with its interrupt enabled.
    bus.write(0x40017304, 4, 1);
    bus.write(0x40017000, 4, 1);
    expect(irq.high(23)).toBe(true);
    bus.write(0x40017100, 4, 0);
    expect(irq.high(23)).toBe(false);
  });

  it('routes an event to another peripheral task through a PPI channel', () => {
    const { bus, clock } = machine();
    // Channel 0: EGU0 EVENTS_TRIGGERED[0] -> TIMER1 TASKS_COUNT, TIMER1 in counter mode.
    bus.write(0x40009504, 4, 1); // TIMER1 MODE = Counter
    bus.write(0x40009508, 4, 3); // 32-bit
    bus.write(0x40009000, 4, 1); // START
    bus.write(0x4001f510, 4, 0x40014100); // CH[0].EEP = EGU0 EVENTS_TRIGGERED[0]
    bus.write(0x4001f514, 4, 0x40009008); // CH[0].TEP = TIMER1 TASKS_COUNT
    bus.write(0x4001f504, 4, 1); // CHENSET channel 0
    for (let i = 0; i < 3; i++) {
      bus.write(0x40014000, 4, 1); // EGU0 TRIGGER[0]
      // The PPI starts the task on its next clock edge.
      clock.now += 64;
      clock.runDue();
    }
    bus.write(0x40009040, 4, 1); // CAPTURE[0]
    expect(bus.read(0x40009540, 4)).toBe(3);
  });

  it('lets EasyDMA reach Data RAM only', () => {
    const bus = new Bus();
    const ram = bus.mapRam(0x20000000, 0x1000, 'ram');
    const dma = dataRamDma(bus, ram);
    dma.write(0x20000ffe, Uint8Array.from([1, 2]));
    expect(Array.from(dma.read(0x20000ffe, 2))).toEqual([1, 2]);
    expect(dma.inRam(0x20000fff, 2)).toBe(false);
    expect(busError(() => dma.read(0x00001000, 4))).toBe(true);
    expect(busError(() => dma.write(0x20000fff, Uint8Array.from([1, 2])))).toBe(true);
  });

  it('shows LEDs from pin levels and drives buttons', () => {
    const { bus, m } = machine();
    // LED1 (P0.13) as output, driven low: lit (active low).
    bus.write(0x50000518, 4, 1 << 13); // DIRSET
    bus.write(0x5000050c, 4, 1 << 13); // OUTCLR
    expect(m.leds().find((l) => l.name === 'LED1')?.lit).toBe(true);
    bus.write(0x50000508, 4, 1 << 13); // OUTSET
    expect(m.leds().find((l) => l.name === 'LED1')?.lit).toBe(false);
    // Button 1 (P0.11) with the input connected and a pull-up: reads 1, pressed 0.
    bus.write(0x5000072c, 4, 3 << 2); // PIN_CNF[11]: input, connected, pull-up
    expect((bus.read(0x50000510, 4) >>> 11) & 1).toBe(1);
    expect(m.setButton('BUTTON1', true)).toEqual({ ok: true });
    expect((bus.read(0x50000510, 4) >>> 11) & 1).toBe(0);
    m.setButton(0, false);
    expect((bus.read(0x50000510, 4) >>> 11) & 1).toBe(1);
    const bad = m.setButton('BUTTON9', true);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/no button 'BUTTON9' \(buttons: BUTTON1, BUTTON2/);
  });

  it('lights micro:bit matrix pixels where a row is high and a column low', () => {
    const { bus, m } = machine(NRF52_MACHINES['microbit-v2']);
    // Row 0 = P0.21 high, column 0 = P0.28 low, other columns high.
    bus.write(0x50000518, 4, (1 << 21) | (1 << 28) | (1 << 11) | (1 << 31) | (1 << 30));
    bus.write(0x50000508, 4, (1 << 21) | (1 << 11) | (1 << 31) | (1 << 30));
    bus.write(0x50000818, 4, 1 << 5); // P1 DIRSET P1.05
    bus.write(0x50000808, 4, 1 << 5); // P1 OUTSET
    bus.write(0x5000050c, 4, 1 << 28);
    const lit = m
      .leds()
      .filter((l) => l.lit)
      .map((l) => l.name);
    expect(lit).toEqual(['(0,0)']);
  });
});
