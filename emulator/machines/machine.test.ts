// Wake sources: which host inputs could wake a sleeping core, per machine, as firmware arms
// them (the runner keeps a session alive while one is armed and the host can deliver it).
import { describe, expect, it } from 'vitest';
import { createSession, type EmulatorSession } from '../session/session';

function session(machine: string): EmulatorSession {
  const s = createSession({ machine });
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

/** A debugger's word write (as firmware's store would configure the register). */
function poke(s: EmulatorSession, address: number, value: number): void {
  const r = s.writeMemory(address, Uint8Array.of(value, value >>> 8, value >>> 16, value >>> 24));
  if (!r.ok) throw new Error(r.error);
}

const UARTE0 = 0x40002000;
const GPIOTE = 0x40006000;
const P0 = 0x50000000;

describe('wake sources', () => {
  it('nRF: a UARTE receiving with an RX interrupt enabled through to the NVIC', () => {
    const s = session('nrf52840dk');
    expect(s.wakeSources()).toEqual([]);
    poke(s, UARTE0 + 0x514, 8); // PSEL.RXD = P0.08
    poke(s, UARTE0 + 0x500, 8); // ENABLE = UARTE
    poke(s, UARTE0 + 0x534, 0x20000100); // RXD.PTR
    poke(s, UARTE0 + 0x538, 1); // RXD.MAXCNT
    poke(s, UARTE0 + 0x304, 1 << 4); // INTENSET: ENDRX
    expect(s.wakeSources()).toEqual([]); // the receiver is not started
    poke(s, UARTE0, 1); // TASKS_STARTRX
    expect(s.wakeSources()).toEqual([]); // UARTE0's line is disabled in the NVIC
    s.core.exc.enabled[16 + 2] = 1;
    expect(s.wakeSources()).toEqual([{ kind: 'console', index: 0 }]);
    // Disabled in the NVIC but SEVONPEND: a pending interrupt still wakes WFE.
    s.core.exc.enabled[16 + 2] = 0;
    s.core.scr |= 1 << 4;
    expect(s.wakeSources()).toEqual([{ kind: 'console', index: 0 }]);
    s.core.scr = 0;
    s.core.exc.enabled[16 + 2] = 1;
    poke(s, UARTE0 + 0x514, 0xffffffff); // RXD pin disconnected: nothing arrives
    expect(s.wakeSources()).toEqual([]);
  });

  it('nRF: buttons watched by a GPIOTE event channel or by PORT with the pin sensed', () => {
    const s = session('nrf52840dk');
    s.core.exc.enabled[16 + 6] = 1; // GPIOTE
    // CONFIG[0]: Event mode on P0.11 (BUTTON1), HiToLo.
    poke(s, GPIOTE + 0x510, 1 | (11 << 8) | (2 << 16));
    expect(s.wakeSources()).toEqual([]); // IN[0]'s interrupt is off
    poke(s, GPIOTE + 0x304, 1); // INTENSET: IN[0]
    expect(s.wakeSources()).toEqual([{ kind: 'button', name: 'BUTTON1' }]);
    // P0.12 (BUTTON2): input connected, SENSE low; PORT's interrupt on.
    poke(s, P0 + 0x700 + 4 * 12, 3 << 16);
    expect(s.wakeSources()).toEqual([{ kind: 'button', name: 'BUTTON1' }]);
    poke(s, GPIOTE + 0x304, 1 << 31);
    expect(s.wakeSources()).toEqual([
      { kind: 'button', name: 'BUTTON1' },
      { kind: 'button', name: 'BUTTON2' },
    ]);
    s.core.exc.enabled[16 + 6] = 0;
    expect(s.wakeSources()).toEqual([]);
  });

  it('mps2-an386: a UART with RX and RXINTEN on and its RX line enabled', () => {
    const s = session('mps2-an386');
    poke(s, 0x40005008, 0x0a); // UART1 CTRL: RX_EN | RX_INTEN
    expect(s.wakeSources()).toEqual([]);
    s.core.exc.enabled[16 + 2] = 1; // UART1 RX is IRQ 2
    expect(s.wakeSources()).toEqual([{ kind: 'console', index: 1 }]);
  });
});

describe('board I/O through the machine', () => {
  it('names its buttons, and says which ones exist when asked for another', () => {
    expect(session('microbit-v2').machine.buttons).toEqual(['A', 'B']);
    expect(session('mps2-an386').setButton('PB1', true)).toEqual({ ok: true, value: undefined });
    expect(session('mps2-an386').setButton('A', true)).toEqual({
      ok: false,
      error: "mps2-an386 has no button 'A' (buttons: PB0, PB1)",
    });
    expect(session('nrf52840dk').sendUart(2, Uint8Array.of(1))).toEqual({
      ok: false,
      error: 'nrf52840dk has no console UART 2 (it has 2)',
    });
  });

  it("reads the MPS2's buttons and LEDs through FPGAIO", () => {
    const s = session('mps2-an386');
    s.setButton('PB1', true);
    expect(s.readWord(0x40028008)).toEqual({ ok: true, value: 2 }); // FPGAIO BUTTON
    poke(s, 0x40028000, 1); // LED0 bit 0
    expect(s.leds()).toEqual([
      { name: 'LED0', lit: true },
      { name: 'LED1', lit: false },
    ]);
  });
});

describe('mps2-an386 power-on', () => {
  /** A raw image at 0: SP, the reset vector, then `b .`. */
  const image = (): Uint8Array => {
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, 0x20001000, true);
    dv.setUint32(4, 0x9, true);
    dv.setUint16(8, 0xe7fe, true);
    return b;
  };
  const load = (s: EmulatorSession): void => {
    const r = s.loadFiles([{ name: 'a.bin', bytes: image(), address: 0, format: 'bin' }]);
    if (!r.ok) throw new Error(r.error);
  };
  const word = (s: EmulatorSession, address: number): number => {
    const r = s.readMemory(address, 4);
    if (!r.ok) throw new Error(r.error);
    return new DataView(r.value.buffer, r.value.byteOffset).getUint32(0, true);
  };

  // Loading is a power-on: all RAM reads zero after it, whichever path wrote it before (RAM
  // never written is not cleared at all: it is still zero).
  it('clears RAM written through the bus or through a mirror, before or after a load', () => {
    const s = session('mps2-an386');
    poke(s, 0x20400010, 0x11223344); // SSRAM2/3 mirror, before any load
    expect(word(s, 0x20000010)).toBe(0x11223344);
    load(s);
    expect(word(s, 0x20000010)).toBe(0);
    poke(s, 0x21000100, 0xdeadbeef); // PSRAM
    poke(s, 0x20000020, 0x55667788); // SSRAM2/3
    poke(s, 0x01004010, 0x99aabbcc); // block RAM mirror
    load(s);
    expect(word(s, 0x21000100)).toBe(0);
    expect(word(s, 0x20000020)).toBe(0);
    expect(word(s, 0x01000010)).toBe(0);
    expect(word(s, 0x00000004)).toBe(0x9);
  });
});
