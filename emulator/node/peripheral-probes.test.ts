// The emulator side of the peripheral views on real firmware: the MMIO access log (off: no
// listener at all; on: every firmware access with the PC of the instruction that made it, the
// same PC whether the translator compiled the loop or the interpreter ran it; debug reads never
// logged, the debugger's explicit ordinary reads logged as its own) and the board probe (a
// multiplexed LED matrix seen as an eye sees it; buttons).
import { describe, expect, it } from 'vitest';
import { createSession, type EmulatorSession } from '../session/session';
import { BoardProbe } from '../debug/peripherals/board-probe';
import { nrfProgram, nrfUartWriter, symbolOf as symbol } from './test-programs';

const UART_WRITER = nrfUartWriter();

function session(
  machine: 'nrf52840dk' | 'microbit-v2',
  elf: Uint8Array,
  translate = true,
): EmulatorSession {
  const s = createSession({ machine, translate });
  if (!s.ok) throw new Error(s.error);
  const l = s.value.load(elf);
  if (!l.ok) throw new Error(l.error);
  return s.value;
}

describe('MMIO access log', () => {
  it('off by default: the bus has no listener and nothing is recorded', () => {
    const s = session('nrf52840dk', UART_WRITER);
    s.runSlice({ instructions: 20_000 });
    expect(s.core.bus.onDeviceAccess).toBeNull();
    expect(s.accessLog).toBeNull();
    s.setAccessLog(true);
    s.setAccessLog(false);
    expect(s.core.bus.onDeviceAccess).toBeNull();
    s.runSlice({ instructions: 20_000 });
    expect(s.accessLog!.recorded).toBe(0);
  });

  it('records each firmware access with the PC of the instruction that made it', () => {
    const s = session('nrf52840dk', UART_WRITER);
    s.setAccessLog(true);
    s.runSlice({ instructions: 50_000 });
    const { entries } = s.accessLog!.since(0);
    expect(entries[0]).toMatchObject({ seq: 0, write: true, address: 0x4000250c, value: 6 });
    const enable = entries.find((e) => e.address === 0x40002500)!;
    expect(enable).toMatchObject({
      write: true,
      value: 4,
      pc: symbol(UART_WRITER, 'enable_store'),
      debugger: false,
    });
    const txd = entries.filter((e) => e.address === 0x4000251c);
    const ready = entries.filter((e) => e.address === 0x4000211c);
    expect(txd.length).toBeGreaterThan(100);
    expect(new Set(txd.map((e) => e.pc))).toEqual(new Set([symbol(UART_WRITER, 'txd_store')]));
    expect(new Set(ready.map((e) => e.pc))).toEqual(new Set([symbol(UART_WRITER, 'txdrdy_load')]));
    expect(txd.every((e) => e.write && e.value === 0x41 && e.size === 4)).toBe(true);
    expect(ready.every((e) => !e.write)).toBe(true);
    // Cycles only go forward.
    for (let i = 1; i < entries.length; i++)
      expect(entries[i]!.cycle).toBeGreaterThanOrEqual(entries[i - 1]!.cycle);
  });

  it('gives the same entries, PCs included, with the translator on and off', () => {
    const runs = [true, false].map((translate) => {
      const s = session('nrf52840dk', UART_WRITER, translate);
      s.setAccessLog(true);
      s.runSlice({ instructions: 100_000 });
      return s
        .accessLog!.since(0, 2000)
        .entries.map((e) => [e.address, e.write, e.value, e.pc, e.cycle]);
    });
    expect(runs[0]!.length).toBeGreaterThan(500);
    expect(runs[0]).toEqual(runs[1]);
  });

  it('walks call chains exactly while a table is given, the log and the walker turned off and on', () => {
    const s = session('nrf52840dk', UART_WRITER);
    // One row for all code: the return address still in LR (the reset value ends the chain).
    const table = {
      starts: new Uint32Array([0]),
      cfaReg: new Uint8Array([13]),
      cfaOffset: new Int32Array([0]),
      raAt: new Int32Array([0]),
      r7At: new Int32Array([0]),
      r11At: new Int32Array([0]),
    };
    /** Whether each entry recorded by a run of 10,000 instructions has a chain. */
    const chained = () => {
      const from = s.accessLog?.recorded ?? 0;
      s.runSlice({ instructions: 10_000 });
      const entries = s.accessLog!.since(from, 100_000).entries;
      expect(entries.length).toBeGreaterThan(50);
      return [...new Set(entries.map((e) => e.callers !== undefined))];
    };
    s.setAccessLogCallers(table);
    s.setAccessLog(true);
    expect(chained()).toEqual([true]);
    s.setAccessLog(false);
    s.setAccessLog(true);
    expect(chained()).toEqual([true]);
    s.setAccessLogCallers(null);
    expect(chained()).toEqual([false]);
    s.setAccessLog(false);
    s.setAccessLog(true);
    expect(chained()).toEqual([false]);
    s.setAccessLogCallers(table);
    expect(chained()).toEqual([true]);
    s.setAccessLog(false);
    s.setAccessLogCallers(null);
    s.setAccessLog(true);
    expect(chained()).toEqual([false]);
    // A new log (another capacity) records with a listener of its own.
    s.setAccessLogCallers(table);
    s.setAccessLog(true, 1 << 12);
    expect(chained()).toEqual([true]);
  });

  it('never logs debug reads; logs the debugger`s ordinary read as its own', () => {
    const s = session('nrf52840dk', UART_WRITER);
    s.setAccessLog(true);
    s.runSlice({ instructions: 5_000 });
    const before = s.accessLog!.recorded;
    expect(s.readWord(0x40002518).ok).toBe(true); // UART0.RXD, debug read: no pop, no entry
    expect(s.readMemory(0x4000250c, 12).ok).toBe(true); // PSEL.TXD, CTS, RXD
    expect(s.accessLog!.recorded).toBe(before);
    expect(s.readWord(0x40002518, 4, { debug: false }).ok).toBe(true);
    const last = s.accessLog!.since(before).entries;
    expect(last).toHaveLength(1);
    expect(last[0]).toMatchObject({ address: 0x40002518, write: false, debugger: true });
  });
});

// micro:bit v2 matrix: rows P0.21 P0.22 P0.15 P0.24 P0.19 (active high), columns P0.28 P0.11
// P0.31 P1.05 P0.30 (active low). The firmware lights (0,0) then (1,1), equally long each.
const ROWS = [21, 22, 15, 24, 19];
const COLS0 = [28, 11, 31, 30];
const mask = (pins: number[]) => pins.reduce((m, p) => (m | (1 << p)) >>> 0, 0);
const MATRIX_SCAN = nrfProgram('matrix-scan', [
  'ldr r0, =0x50000000',
  `ldr r1, =${mask([...ROWS, ...COLS0])}`,
  'str r1, [r0, #0x518]', // DIRSET
  `ldr r4, =${mask([21, 11, 31, 30])}`, // row 0 high, column 0 low
  `ldr r5, =${mask([22, 28, 31, 30])}`, // row 1 high, column 1 low
  'loop:',
  'str r4, [r0, #0x504]', // OUT
  'ldr r3, =2000',
  '1: subs r3, #1',
  'bne 1b',
  'str r5, [r0, #0x504]',
  'ldr r3, =2000',
  '2: subs r3, #1',
  'bne 2b',
  'b loop',
]);

describe('BoardProbe', () => {
  it('shows a multiplexed matrix as the eye sees it: each scanned pixel half lit', () => {
    const s = session('microbit-v2', MATRIX_SCAN);
    const probe = new BoardProbe(s);
    s.runSlice({ instructions: 200_000 });
    probe.state(); // from here on, whole scan periods
    s.runSlice({ instructions: 2_000_000 });
    const st = probe.state();
    expect(st.leds).toHaveLength(25);
    const duty = (r: number, c: number) => st.leds[r * 5 + c]!.duty;
    expect(duty(0, 0)).toBeGreaterThan(0.45);
    expect(duty(0, 0)).toBeLessThan(0.55);
    expect(duty(1, 1)).toBeGreaterThan(0.45);
    expect(duty(1, 1)).toBeLessThan(0.55);
    const others = st.leds.filter((_, i) => i !== 0 && i !== 6);
    expect(others.every((l) => l.duty === 0 && !l.lit)).toBe(true);
    // At any one instant only one of the two is lit.
    expect(st.leds.filter((l) => l.lit)).toHaveLength(1);
    probe.dispose();
  });

  it('presses and releases buttons through the GPIO, and refuses unknown ones', () => {
    const s = session('nrf52840dk', UART_WRITER);
    const probe = new BoardProbe(s);
    expect(probe.setButton('button1', true)).toEqual({ ok: true, value: undefined });
    // Active low: P0.11 reads 0 while held.
    const inBit = () =>
      s.readWord(0x50000510).ok
        ? ((s.readWord(0x50000510) as { value: number }).value >>> 11) & 1
        : -1;
    expect(inBit()).toBe(0);
    expect(probe.state().buttons.find((b) => b.name === 'BUTTON1')?.pressed).toBe(true);
    expect(probe.setButton('BUTTON1', false).ok).toBe(true);
    expect(probe.state().buttons.every((b) => !b.pressed)).toBe(true);
    expect(probe.setButton('A', true)).toEqual({
      ok: false,
      error: "nrf52840dk has no button 'A' (buttons: BUTTON1, BUTTON2, BUTTON3, BUTTON4)",
    });
    expect(probe.state().irqLevels).toHaveLength(48);
  });
});
