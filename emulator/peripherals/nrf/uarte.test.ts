/**
 * UARTE and legacy UART against the Product Specification's "UARTE" and "UART" chapters:
 * EasyDMA transmission at the baud rate's pace (TXSTARTED, TXDRDY, ENDTX, TXD.AMOUNT, STOPTX),
 * reception (RXSTARTED, RXDRDY, ENDRX, RXD.AMOUNT after STOPRX and RXTO, the ENDRX_STARTRX
 * shortcut with double-buffered RXD.PTR, the 4-byte RX FIFO, overrun, FLUSHRX), restarting
 * (STARTRX right after STOPRX, 1,000 bytes received through a one-byte buffer re-armed per byte,
 * STOPTX then STARTTX), EasyDMA pointers outside Data RAM, the legacy UART's TXD/RXD, register
 * resets and snapshots.
 */
import { describe, expect, it } from 'vitest';
import { BusErrorSignal } from '../../core/interfaces';
import { TestClock, TestLines } from '../test-clock';
import type { DmaPort, NrfContext } from './nrf-peripheral';
import { expandRegisters } from './registers';
import {
  BAUDRATE,
  CONFIG,
  ENABLE,
  ERRORSRC,
  PSEL_RXD,
  PSEL_TXD,
  RXD_AMOUNT,
  RXD_MAXCNT,
  RXD_PTR,
  TXD_AMOUNT,
  TXD_MAXCNT,
  TXD_PTR,
  UARTE_REGISTERS,
  UART_REGISTERS,
  UART_RXD,
  UART_TXD,
  Uarte,
} from './uarte';

const RAM = 0x20000000;
const BASE0 = 0x40002000;
const IRQ0 = 2;
const BAUD115200 = 0x01d7e000;
const ev = (name: string): number => {
  const r = UARTE_REGISTERS.find((x) => x.name === `EVENTS_${name}`);
  if (!r) throw new Error(name);
  return r.offset;
};
const T = { STARTRX: 0x000, STOPRX: 0x004, STARTTX: 0x008, STOPTX: 0x00c, FLUSHRX: 0x02c };

function ramDma(ram: Uint8Array): DmaPort {
  const inRam = (a: number, n: number): boolean =>
    a >>> 0 >= RAM && (a >>> 0) + n <= RAM + ram.length;
  return {
    inRam,
    read(a, n) {
      if (!inRam(a, n)) throw new BusErrorSignal(a, 'outside RAM');
      return ram.slice(a - RAM, a - RAM + n);
    },
    write(a, d) {
      if (!inRam(a, d.length)) throw new BusErrorSignal(a, 'outside RAM');
      ram.set(d, a - RAM);
    },
  };
}

function make(base = BASE0, name = 'UARTE0') {
  const clock = new TestClock(64_000_000);
  const irq = new TestLines();
  const ram = new Uint8Array(0x1000);
  const published: string[] = [];
  const ctx: NrfContext = {
    clock,
    irq,
    dma: ramDma(ram),
    publish: (a) => published.push(evName(a)),
  };
  const sent: number[] = [];
  const u = new Uarte(name, base, ctx, { tx: (b) => sent.push(b) });
  return { u, clock, irq, ram, sent, published };
}

function evName(address: number): string {
  const off = address & 0xfff;
  return (UARTE_REGISTERS.find((r) => r.offset === off)?.name ?? '?').replace('EVENTS_', '');
}

/** UARTE enabled at 115200 baud on P0.06 (TX) and P0.08 (RX). */
function uarte() {
  const m = make();
  m.u.write(PSEL_TXD, 4, 6);
  m.u.write(PSEL_RXD, 4, 8);
  m.u.write(BAUDRATE, 4, BAUD115200);
  m.u.write(ENABLE, 4, 8);
  return { ...m, frame: m.u.frameCycles() };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('UARTE', () => {
  it('reads every register at its reset value (UARTE and UART tables)', () => {
    const { u } = make();
    u.write(BAUDRATE, 4, 123);
    u.write(PSEL_TXD, 4, 6);
    u.reset();
    for (const r of expandRegisters(UARTE_REGISTERS))
      if (r.access !== 'write-only') expect(u.read(r.offset, 4), r.name).toBe(r.reset);
    for (const r of expandRegisters(UART_REGISTERS))
      if (r.access !== 'write-only') expect(u.read(r.offset, 4), r.name).toBe(r.reset);
  });

  it('times a frame from BAUDRATE (a fraction of 16 MHz) and CONFIG', () => {
    const { u } = make();
    expect(u.frameCycles()).toBe(2560); // reset 0x04000000 = 250 kbaud: 10 bits = 40 us
    u.write(BAUDRATE, 4, BAUD115200);
    expect(Math.abs(u.frameCycles() - (10 * 64e6) / 115200)).toBeLessThan(6);
    u.write(BAUDRATE, 4, 0x04000000);
    u.write(CONFIG, 4, (7 << 1) | (1 << 4)); // parity included, two stop bits
    expect(u.frameCycles()).toBe(3072);
  });

  it('sends a DMA buffer at the baud rate: TXSTARTED, TXDRDY per byte, ENDTX, AMOUNT', () => {
    const { u, clock, ram, sent, frame, irq, published } = uarte();
    ram.set(text('Hello'), 0x100);
    u.write(TXD_PTR, 4, RAM + 0x100);
    u.write(TXD_MAXCNT, 4, 5);
    u.write(0x304, 4, 1 << 8); // ENDTX interrupt
    u.write(T.STARTTX, 4, 1);
    expect(u.read(ev('TXSTARTED'), 4)).toBe(1);
    clock.advance(frame - 1);
    expect(sent).toEqual([]);
    clock.advance(1);
    expect(sent).toEqual([0x48]);
    expect(u.read(ev('TXDRDY'), 4)).toBe(1);
    expect(u.read(ev('ENDTX'), 4)).toBe(0);
    clock.advance(3 * frame);
    expect(u.read(ev('ENDTX'), 4)).toBe(0);
    expect(irq.high(IRQ0)).toBe(false);
    clock.advance(frame);
    expect(new TextDecoder().decode(Uint8Array.from(sent))).toBe('Hello');
    expect(u.read(ev('ENDTX'), 4)).toBe(1);
    expect(u.read(TXD_AMOUNT, 4)).toBe(5);
    expect(irq.high(IRQ0)).toBe(true);
    expect(published.filter((e) => e === 'TXDRDY')).toHaveLength(5);
    expect(published.at(-1)).toBe('ENDTX');
  });

  it('latches TXD.PTR at STARTTX so the next buffer can be prepared during a transfer', () => {
    const { u, clock, ram, sent, frame } = uarte();
    ram.set(text('ab'), 0);
    ram.set(text('XY'), 0x10);
    u.write(TXD_PTR, 4, RAM);
    u.write(TXD_MAXCNT, 4, 2);
    u.write(T.STARTTX, 4, 1);
    u.write(TXD_PTR, 4, RAM + 0x10);
    u.write(T.STARTTX, 4, 1); // busy: ignored
    clock.advance(2 * frame);
    u.write(T.STARTTX, 4, 1);
    clock.advance(2 * frame);
    expect(String.fromCharCode(...sent)).toBe('abXY');
  });

  it('tells a debugger what each EasyDMA channel is doing, with the latched buffer', () => {
    const { u, clock, ram, frame } = uarte();
    const seen: string[] = [];
    u.onDma = (a) =>
      seen.push(`${a.channel} ${a.kind} ${a.ptr.toString(16)}+${a.length} ${a.amount}`);
    expect(u.dmaChannels().map((c) => c.state)).toEqual(['idle', 'idle']);
    ram.set(text('abc'), 0x40);
    u.write(TXD_PTR, 4, RAM + 0x40);
    u.write(TXD_MAXCNT, 4, 3);
    u.write(T.STARTTX, 4, 1);
    u.write(TXD_PTR, 4, RAM + 0x80); // the next buffer, prepared during the transfer
    clock.advance(frame);
    const tx = u.dmaChannels()[0]!;
    expect(tx).toMatchObject({
      peripheral: 'UARTE0',
      channel: 'TXD',
      register: BASE0 + TXD_PTR,
      ptr: RAM + 0x80,
      maxcnt: 3,
      amount: 1,
      state: 'in flight',
      buffer: { ptr: RAM + 0x40, length: 3 },
    });
    clock.advance(2 * frame);
    expect(u.dmaChannels()[0]).toMatchObject({ state: 'done', amount: 3 });
    expect(seen).toEqual(['TXD start 20000040+3 0', 'TXD end 20000040+3 3']);
    u.write(RXD_PTR, 4, RAM + 0x200);
    u.write(RXD_MAXCNT, 4, 1);
    u.write(T.STARTRX, 4, 1);
    expect(u.dmaChannels()[1]).toMatchObject({ channel: 'RXD', state: 'in flight' });
    u.receive(text('z'));
    clock.advance(frame);
    expect(u.dmaChannels()[1]).toMatchObject({ state: 'done', amount: 1 });
    expect(seen.slice(2)).toEqual(['RXD start 20000200+1 0', 'RXD end 20000200+1 1']);
  });

  it('stops a transfer with STOPTX: ENDTX then TXSTOPPED, AMOUNT = bytes sent', () => {
    const { u, clock, ram, sent, frame, published } = uarte();
    ram.set(text('abcdef'), 0);
    u.write(TXD_PTR, 4, RAM);
    u.write(TXD_MAXCNT, 4, 6);
    u.write(T.STARTTX, 4, 1);
    clock.advance(2 * frame + frame / 2);
    u.write(T.STOPTX, 4, 1);
    clock.advance(10 * frame);
    expect(String.fromCharCode(...sent)).toBe('ab');
    expect(u.read(TXD_AMOUNT, 4)).toBe(2);
    expect(published.slice(-2)).toEqual(['ENDTX', 'TXSTOPPED']);
  });

  it('sends nothing out of a disconnected TXD pin (the transfer still completes)', () => {
    const { u, clock, sent, frame } = uarte();
    u.write(PSEL_TXD, 4, 0xffffffff);
    u.write(TXD_PTR, 4, RAM);
    u.write(TXD_MAXCNT, 4, 3);
    u.write(T.STARTTX, 4, 1);
    clock.advance(3 * frame);
    expect(sent).toEqual([]);
    expect(u.read(ev('ENDTX'), 4)).toBe(1);
  });

  it('gives RXD.AMOUNT after an RX timeout: fewer bytes than MAXCNT, STOPRX, ENDRX then RXTO', () => {
    const { u, clock, ram, frame, published } = uarte();
    u.write(RXD_PTR, 4, RAM + 0x200);
    u.write(RXD_MAXCNT, 4, 16);
    u.write(T.STARTRX, 4, 1);
    expect(u.read(ev('RXSTARTED'), 4)).toBe(1);
    u.receive(text('abc'));
    clock.advance(frame);
    expect(u.read(ev('RXDRDY'), 4)).toBe(1);
    expect(ram[0x200]).toBe(0x61);
    clock.advance(2 * frame);
    expect(u.read(ev('ENDRX'), 4)).toBe(0);
    u.write(T.STOPRX, 4, 1);
    expect(u.read(ev('RXTO'), 4)).toBe(0); // the receiver winds down first
    clock.advance(frame);
    expect(u.read(ev('ENDRX'), 4)).toBe(1);
    expect(u.read(ev('RXTO'), 4)).toBe(1);
    expect(u.read(RXD_AMOUNT, 4)).toBe(3);
    expect(new TextDecoder().decode(ram.slice(0x200, 0x203))).toBe('abc');
    expect(published.slice(-2)).toEqual(['ENDRX', 'RXTO']);
    // Stopped: later bytes are lost.
    u.receive(text('z'));
    clock.advance(frame);
    expect(ram[0x203]).toBe(0);
  });

  it('chains buffers with the ENDRX_STARTRX shortcut and double-buffered RXD.PTR', () => {
    const { u, clock, ram, frame } = uarte();
    u.write(0x200, 4, 1 << 5); // SHORTS: ENDRX_STARTRX
    u.write(RXD_PTR, 4, RAM);
    u.write(RXD_MAXCNT, 4, 4);
    u.write(T.STARTRX, 4, 1);
    u.write(RXD_PTR, 4, RAM + 0x40); // after RXSTARTED: the next buffer
    u.receive(text('0123456'));
    clock.advance(4 * frame);
    expect(u.read(ev('ENDRX'), 4)).toBe(1);
    expect(u.read(RXD_AMOUNT, 4)).toBe(4);
    u.write(ev('ENDRX'), 4, 0);
    clock.advance(3 * frame);
    u.write(0x200, 4, 0);
    u.write(T.STOPRX, 4, 1);
    clock.advance(frame);
    expect(new TextDecoder().decode(ram.slice(0, 4))).toBe('0123');
    expect(new TextDecoder().decode(ram.slice(0x40, 0x43))).toBe('456');
    expect(u.read(RXD_AMOUNT, 4)).toBe(3);
  });

  it('keeps 4 bytes in the RX FIFO with no buffer, loses the 5th with OVERRUN, STARTRX drains', () => {
    const { u, clock, ram, frame, irq } = uarte();
    u.write(RXD_PTR, 4, RAM);
    u.write(RXD_MAXCNT, 4, 1);
    u.write(0x304, 4, 1 << 9); // ERROR interrupt
    u.write(T.STARTRX, 4, 1);
    u.receive(text('ABCDEF'));
    clock.advance(6 * frame);
    expect(ram[0]).toBe(0x41);
    expect(u.read(ERRORSRC, 4)).toBe(1);
    expect(u.read(ev('ERROR'), 4)).toBe(1);
    expect(irq.high(IRQ0)).toBe(true);
    u.write(ERRORSRC, 4, 1); // write 1 to clear
    expect(u.read(ERRORSRC, 4)).toBe(0);
    u.write(RXD_PTR, 4, RAM + 0x10);
    u.write(RXD_MAXCNT, 4, 8);
    u.write(T.STARTRX, 4, 1);
    expect(new TextDecoder().decode(ram.slice(0x10, 0x14))).toBe('BCDE');
    u.write(T.STOPRX, 4, 1);
    clock.advance(frame);
    expect(u.read(RXD_AMOUNT, 4)).toBe(4);
  });

  it('moves FIFO bytes left after RXTO into a buffer with FLUSHRX', () => {
    const { u, clock, ram, frame } = uarte();
    u.write(RXD_PTR, 4, RAM);
    u.write(RXD_MAXCNT, 4, 2);
    u.write(T.STARTRX, 4, 1);
    u.receive(text('wxyz'));
    clock.advance(3 * frame);
    u.write(T.STOPRX, 4, 1); // 'z' is still on the wire and lands in the FIFO
    clock.advance(frame);
    expect(u.read(ev('RXTO'), 4)).toBe(1);
    u.write(ev('ENDRX'), 4, 0);
    u.write(RXD_PTR, 4, RAM + 0x20);
    u.write(RXD_MAXCNT, 4, 8);
    u.write(T.FLUSHRX, 4, 1);
    expect(u.read(ev('ENDRX'), 4)).toBe(1);
    expect(u.read(RXD_AMOUNT, 4)).toBe(2);
    expect(new TextDecoder().decode(ram.slice(0x20, 0x22))).toBe('yz');
  });

  it('STARTRX right after STOPRX: the stop ends at once (ENDRX, RXTO), the new buffer runs', () => {
    const { u, clock, ram, frame, published } = uarte();
    u.write(RXD_PTR, 4, RAM);
    u.write(RXD_MAXCNT, 4, 1);
    u.write(T.STARTRX, 4, 1);
    u.receive(text('xyz'));
    // Re-arm at once: STOPRX, then STARTRX with a new one-byte buffer, back to back.
    u.write(T.STOPRX, 4, 1);
    u.write(RXD_PTR, 4, RAM + 0x10);
    u.write(T.STARTRX, 4, 1);
    expect(published).toEqual(['RXSTARTED', 'ENDRX', 'RXTO', 'RXSTARTED']);
    expect(u.read(RXD_AMOUNT, 4)).toBe(0); // the old buffer got nothing
    clock.advance(frame);
    expect(ram[0x10]).toBe(0x78); // the receiver kept running with the new buffer
    expect(u.read(RXD_AMOUNT, 4)).toBe(1);
    clock.advance(2 * frame); // 'y' and 'z' wait in the FIFO for the next buffers
    for (const [at, byte] of [
      [0x20, 0x79],
      [0x30, 0x7a],
    ] as const) {
      u.write(T.STOPRX, 4, 1);
      u.write(RXD_PTR, 4, RAM + at);
      u.write(T.STARTRX, 4, 1);
      expect(ram[at]).toBe(byte);
    }
    expect(u.read(ERRORSRC, 4)).toBe(0);
  });

  it('STOPRX, STARTRX, STOPRX: the last task wins and the receiver stops', () => {
    const { u, clock, ram, frame } = uarte();
    u.write(RXD_PTR, 4, RAM);
    u.write(RXD_MAXCNT, 4, 4);
    u.write(T.STARTRX, 4, 1);
    u.write(T.STOPRX, 4, 1);
    u.write(T.STARTRX, 4, 1);
    u.write(T.STOPRX, 4, 1);
    clock.advance(frame);
    expect(u.read(ev('RXTO'), 4)).toBe(1);
    u.write(ev('RXSTARTED'), 4, 0);
    u.receive(text('q'));
    clock.advance(2 * frame);
    expect(u.read(ev('RXSTARTED'), 4)).toBe(0);
    expect(ram[0]).toBe(0);
  });

  it('re-arming a one-byte receive with STOPRX+STARTRX per byte loses none of 1000 pasted bytes', () => {
    const { u, clock, ram, frame } = uarte();
    const arm = (): void => {
      u.write(RXD_PTR, 4, RAM + 0x100);
      u.write(RXD_MAXCNT, 4, 1);
      u.write(T.STARTRX, 4, 1);
    };
    arm();
    const pasted = Array.from({ length: 1000 }, (_, i) => 0x21 + ((i * 7) % 94));
    u.receive(Uint8Array.from(pasted));
    const got: number[] = [];
    // Firmware: on ENDRX (seen a quarter frame later, as an interrupt handler would), take the
    // byte and re-arm with STOPRX then STARTRX.
    for (let step = 0; step < 1000 * 8 && got.length < pasted.length; step++) {
      clock.advance(Math.ceil(frame / 4));
      if (u.read(ev('ENDRX'), 4) === 0) continue;
      u.write(ev('ENDRX'), 4, 0);
      u.write(ev('RXTO'), 4, 0);
      const n = u.read(RXD_AMOUNT, 4);
      if (n === 1) got.push(ram[0x100]!);
      u.write(T.STOPRX, 4, 1);
      arm();
    }
    expect(got).toEqual(pasted);
    expect(u.read(ERRORSRC, 4)).toBe(0);
  });

  it('STOPTX then STARTTX back to back sends the whole new buffer', () => {
    const { u, clock, ram, sent, frame, published } = uarte();
    ram.set(text('abcdef'), 0);
    ram.set(text('XYZ'), 0x40);
    u.write(TXD_PTR, 4, RAM);
    u.write(TXD_MAXCNT, 4, 6);
    u.write(T.STARTTX, 4, 1);
    clock.advance(frame + frame / 2);
    u.write(T.STOPTX, 4, 1);
    u.write(TXD_PTR, 4, RAM + 0x40);
    u.write(TXD_MAXCNT, 4, 3);
    u.write(T.STARTTX, 4, 1);
    clock.advance(4 * frame);
    expect(String.fromCharCode(...sent)).toBe('aXYZ');
    expect(published.filter((e) => e !== 'TXDRDY')).toEqual([
      'TXSTARTED',
      'ENDTX',
      'TXSTOPPED',
      'TXSTARTED',
      'ENDTX',
    ]);
    expect(u.read(TXD_AMOUNT, 4)).toBe(3);
  });

  it('loses bytes that arrive while the receiver is off or RXD is disconnected', () => {
    const { u, clock, ram, frame } = uarte();
    u.receive(text('q'));
    clock.advance(frame);
    u.write(PSEL_RXD, 4, 0xffffffff);
    u.write(RXD_PTR, 4, RAM);
    u.write(RXD_MAXCNT, 4, 4);
    u.write(T.STARTRX, 4, 1);
    u.receive(text('r'));
    clock.advance(frame);
    u.write(T.STOPRX, 4, 1);
    clock.advance(frame);
    expect(u.read(RXD_AMOUNT, 4)).toBe(0);
    expect(ram[0]).toBe(0);
    expect(u.pendingInput).toBe(0);
  });

  it('faults the CPU store that starts EasyDMA outside Data RAM; ignores it from PPI', () => {
    const { u, clock, sent, frame } = uarte();
    u.write(TXD_PTR, 4, 0x00001000); // flash
    u.write(TXD_MAXCNT, 4, 4);
    let err: unknown;
    try {
      u.write(T.STARTTX, 4, 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BusErrorSignal);
    expect((err as BusErrorSignal).address).toBe(0x1000);
    expect((err as BusErrorSignal).message).toMatch(/TXD\.PTR 0x00001000 .*outside Data RAM/);
    expect(u.read(ev('TXSTARTED'), 4)).toBe(0);
    u.write(RXD_PTR, 4, RAM + 0xffe); // runs off the end of RAM
    u.write(RXD_MAXCNT, 4, 4);
    expect(() => u.write(T.STARTRX, 4, 1)).toThrow(BusErrorSignal);
    // From the PPI (no store to fault): refused and recorded, nothing moves.
    u.triggerTask(T.STARTTX);
    clock.advance(10 * frame);
    expect(sent).toEqual([]);
    expect(u.read(ev('TXSTARTED'), 4)).toBe(0);
    expect(u.dmaErrors).toHaveLength(3);
    expect(u.dmaErrors[1]).toMatch(/UARTE0 RXD\.PTR 0x20000ffe \(\+4 bytes\)/);
    expect(u.dmaErrors[2]).toMatch(/UARTE0 TXD\.PTR/);
  });

  it('bus-faults registers the block does not decode; rejects bad host input', () => {
    const { u } = make();
    expect(() => u.read(0x400, 4)).toThrow(BusErrorSignal);
    expect(() => u.write(0x520, 4, 1)).toThrow(/UARTE0 has no register at offset 0x520/);
    expect(() => u.receive([1, 2] as unknown as Uint8Array)).toThrow(/Uint8Array/);
  });

  it('drops bytes on the line at reset and receives again afterwards', () => {
    const { u, clock, ram, frame } = uarte();
    u.receive(text('lost'));
    clock.advance(frame / 2);
    u.reset();
    expect(u.pendingInput).toBe(0);
    u.write(PSEL_RXD, 4, 8);
    u.write(BAUDRATE, 4, BAUD115200);
    u.write(ENABLE, 4, 8);
    u.write(RXD_PTR, 4, RAM);
    u.write(RXD_MAXCNT, 4, 2);
    u.write(T.STARTRX, 4, 1);
    u.receive(text('ok'));
    clock.advance(2 * frame);
    expect(u.read(RXD_AMOUNT, 4)).toBe(2);
    expect(new TextDecoder().decode(ram.slice(0, 2))).toBe('ok');
  });

  it('does nothing while disabled', () => {
    const { u, clock, sent } = make();
    u.write(PSEL_TXD, 4, 6);
    u.write(TXD_PTR, 4, RAM);
    u.write(TXD_MAXCNT, 4, 1);
    u.write(T.STARTTX, 4, 1);
    clock.advance(100_000);
    expect(sent).toEqual([]);
    expect(u.read(ev('TXSTARTED'), 4)).toBe(0);
  });

  it('continues a transfer after a snapshot is restored into a fresh block', () => {
    const a = uarte();
    a.ram.set(text('snap'), 0);
    a.u.write(TXD_PTR, 4, RAM);
    a.u.write(TXD_MAXCNT, 4, 4);
    a.u.write(0x304, 4, 1 << 8);
    a.u.write(T.STARTTX, 4, 1);
    a.u.receive(text('in'));
    a.clock.advance(a.frame + a.frame / 2);
    const snap = structuredClone(a.u.snapshot());
    const b = make();
    b.clock.now = a.clock.now;
    b.u.restore(snap);
    b.clock.advance(3 * a.frame);
    expect(String.fromCharCode(...a.sent, ...b.sent)).toBe('snap');
    expect(b.u.read(TXD_AMOUNT, 4)).toBe(4);
    expect(b.irq.high(IRQ0)).toBe(true);
    expect(b.u.pendingInput).toBe(0); // the line's second byte arrived on the restored clock
  });
});

describe('legacy UART (ENABLE = 4)', () => {
  function uart() {
    const m = make();
    m.u.write(PSEL_TXD, 4, 6);
    m.u.write(PSEL_RXD, 4, 8);
    m.u.write(ENABLE, 4, 4);
    return { ...m, frame: m.u.frameCycles() };
  }

  it('sends each byte written to TXD after STARTTX, TXDRDY after each', () => {
    const { u, clock, sent, frame } = uart();
    u.write(UART_TXD, 4, 0x41); // not started: ignored
    u.write(T.STARTTX, 4, 1);
    u.write(UART_TXD, 4, 0x42);
    u.write(UART_TXD, 4, 0x43); // waits behind the byte in flight
    clock.advance(frame);
    expect(sent).toEqual([0x42]);
    expect(u.read(ev('TXDRDY'), 4)).toBe(1);
    clock.advance(frame);
    expect(sent).toEqual([0x42, 0x43]);
    u.write(T.STOPTX, 4, 1);
    u.write(UART_TXD, 4, 0x44);
    clock.advance(frame);
    expect(sent).toEqual([0x42, 0x43]);
  });

  it('receives into a 6-byte FIFO read through RXD, RXDRDY per byte reaching RXD', () => {
    const { u, clock, frame } = uart();
    u.write(T.STARTRX, 4, 1);
    u.receive(text('1234567'));
    clock.advance(7 * frame);
    expect(u.read(ERRORSRC, 4)).toBe(1); // the 7th byte overran
    expect(u.read(ev('ERROR'), 4)).toBe(1);
    const got: string[] = [];
    for (let i = 0; i < 6; i++) {
      expect(u.read(ev('RXDRDY'), 4)).toBe(1);
      u.write(ev('RXDRDY'), 4, 0);
      got.push(String.fromCharCode(u.read(UART_RXD, 4)));
    }
    expect(got.join('')).toBe('123456');
    expect(u.read(ev('RXDRDY'), 4)).toBe(0);
    u.write(T.STOPRX, 4, 1);
    clock.advance(frame);
    expect(u.read(ev('RXTO'), 4)).toBe(1);
  });

  it('STOPRX then STARTRX keeps receiving after RXTO; STOPTX then STARTTX sends again', () => {
    const { u, clock, sent, frame } = uart();
    u.write(T.STARTRX, 4, 1);
    u.receive(text('ab'));
    u.write(T.STOPRX, 4, 1);
    u.write(T.STARTRX, 4, 1);
    clock.advance(2 * frame);
    expect(u.read(ev('RXTO'), 4)).toBe(1);
    expect(String.fromCharCode(u.read(UART_RXD, 4), u.read(UART_RXD, 4))).toBe('ab');
    u.receive(text('c'));
    clock.advance(frame);
    expect(String.fromCharCode(u.read(UART_RXD, 4))).toBe('c');
    u.write(T.STARTTX, 4, 1);
    u.write(UART_TXD, 4, 0x31);
    u.write(T.STOPTX, 4, 1);
    u.write(T.STARTTX, 4, 1);
    u.write(UART_TXD, 4, 0x32);
    clock.advance(2 * frame);
    expect(sent).toEqual([0x32]);
  });

  it('exists on UART0 only: UARTE1 ignores ENABLE = 4', () => {
    const { u, clock, sent } = make(0x40028000, 'UARTE1');
    u.write(PSEL_TXD, 4, 6);
    u.write(ENABLE, 4, 4);
    u.write(T.STARTTX, 4, 1);
    u.write(UART_TXD, 4, 0x41);
    clock.advance(100_000);
    expect(sent).toEqual([]);
    expect(u.id).toBe(40);
  });
});
