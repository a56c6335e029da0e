/** Tests for the CMSDK APB UART: transmit, receive queueing, interrupts, overrun, IDs, snapshots. */
import { describe, expect, it } from 'vitest';
import {
  CTRL_RX_EN,
  CTRL_RX_INTEN,
  CTRL_TX_EN,
  CTRL_TX_INTEN,
  CTRL_TXO_INTEN,
  CmsdkApbUart,
  INT_RX,
  INT_TX,
  STATE_RX_FULL,
  STATE_TX_OVERRUN,
  UART_BAUDDIV,
  UART_CTRL,
  UART_DATA,
  UART_INTSTATUS,
  UART_STATE,
} from './cmsdk-apb-uart';
import { TestLines } from './test-clock';

function make() {
  const out: number[] = [];
  const lines = new TestLines();
  let ovf = false;
  const uart = new CmsdkApbUart('uart0', {
    tx: (b) => out.push(b),
    irq: lines,
    txIrq: 1,
    rxIrq: 0,
    overflow: (h) => (ovf = h),
  });
  return { uart, out, lines, ovf: () => ovf };
}

describe('CmsdkApbUart', () => {
  it('sends only while TX is enabled, then raises TX interrupt if enabled', () => {
    const { uart, out, lines } = make();
    uart.write(UART_DATA, 4, 0x41);
    expect(out).toEqual([]);
    expect(uart.read(UART_STATE, 4) & 1).toBe(1); // byte waits in the buffer
    uart.write(UART_CTRL, 4, CTRL_TX_EN | CTRL_TX_INTEN);
    expect(out).toEqual([0x41]);
    expect(uart.read(UART_INTSTATUS, 4)).toBe(INT_TX);
    expect(lines.high(1)).toBe(true);
    uart.write(UART_INTSTATUS, 4, INT_TX);
    expect(lines.high(1)).toBe(false);
    uart.write(UART_DATA, 1, 0x142);
    expect(out).toEqual([0x41, 0x42]);
  });

  it('raises the RX interrupt when a byte arrives at a receiver already waiting for it', () => {
    // A firmware that enables RX and RXINTEN, then sleeps: the byte itself must interrupt
    // (before this was fixed the line stayed low until the firmware touched a register).
    const { uart, lines } = make();
    uart.write(UART_CTRL, 4, CTRL_RX_EN | CTRL_RX_INTEN);
    expect(lines.high(0)).toBe(false);
    uart.receive(Uint8Array.of(0x61));
    expect(lines.high(0)).toBe(true);
    expect(uart.read(UART_DATA, 4)).toBe(0x61);
  });

  it('debug reads of DATA leave the receive buffer, its flag and the RX line alone', () => {
    const { uart, lines } = make();
    uart.write(UART_CTRL, 4, CTRL_RX_EN | CTRL_RX_INTEN);
    uart.receive(Uint8Array.of(7, 8));
    const state = uart.snapshot();
    for (let i = 0; i < 3; i++) expect(uart.peek(UART_DATA, 4)).toBe(7);
    expect(uart.peek(UART_DATA, 1)).toBe(7);
    expect(uart.snapshot()).toEqual(state);
    expect(lines.high(0)).toBe(true);
    expect(uart.read(UART_DATA, 4)).toBe(7); // the firmware still gets both bytes, in order
    expect(uart.read(UART_DATA, 4)).toBe(8);
  });

  it('queues host input and delivers it byte by byte with RX interrupts', () => {
    const { uart, lines } = make();
    uart.receive(Uint8Array.of(1, 2));
    expect(uart.read(UART_STATE, 4) & STATE_RX_FULL).toBe(0); // receiver off
    uart.write(UART_CTRL, 4, CTRL_RX_EN | CTRL_RX_INTEN);
    expect(uart.read(UART_STATE, 4) & STATE_RX_FULL).toBe(STATE_RX_FULL);
    expect(lines.high(0)).toBe(true);
    expect(uart.read(UART_DATA, 4)).toBe(1);
    // The next byte moves into the freed buffer at once.
    expect(uart.read(UART_STATE, 4) & STATE_RX_FULL).toBe(STATE_RX_FULL);
    uart.write(UART_INTSTATUS, 4, INT_RX);
    expect(lines.high(0)).toBe(false);
    expect(uart.read(UART_DATA, 4)).toBe(2);
    expect(uart.pendingInput).toBe(0);
  });

  it('raises the RX interrupt when host input arrives in an enabled receiver', () => {
    const { uart, lines } = make();
    uart.write(UART_CTRL, 4, CTRL_RX_EN | CTRL_RX_INTEN);
    expect(lines.high(0)).toBe(false);
    uart.receive(Uint8Array.of(0x61));
    expect(lines.high(0)).toBe(true);
  });

  it('flags TX overrun when writing over a full buffer', () => {
    const { uart, ovf } = make();
    uart.write(UART_CTRL, 4, CTRL_TXO_INTEN);
    uart.write(UART_DATA, 4, 1);
    uart.write(UART_DATA, 4, 2);
    expect(uart.read(UART_STATE, 4) & STATE_TX_OVERRUN).toBe(STATE_TX_OVERRUN);
    expect(ovf()).toBe(true);
    uart.write(UART_STATE, 4, STATE_TX_OVERRUN);
    expect(uart.read(UART_STATE, 4) & STATE_TX_OVERRUN).toBe(0);
    expect(ovf()).toBe(false);
  });

  it('masks BAUDDIV to 20 bits, serves ID words, reads narrow lanes', () => {
    const { uart } = make();
    uart.write(UART_BAUDDIV, 4, 0xfff12345);
    expect(uart.read(UART_BAUDDIV, 4)).toBe(0x12345);
    expect(uart.read(UART_BAUDDIV + 1, 1)).toBe(0x23);
    expect(uart.read(0xfe0, 4)).toBe(0x21);
    expect(uart.read(0xffc, 4)).toBe(0xb1);
  });

  it('snapshots and restores including pending input', () => {
    const { uart } = make();
    uart.write(UART_CTRL, 4, CTRL_RX_EN);
    uart.receive(Uint8Array.of(7, 8, 9));
    const snap = structuredClone(uart.snapshot());
    expect(uart.read(UART_DATA, 4)).toBe(7);
    uart.restore(snap);
    expect(uart.read(UART_DATA, 4)).toBe(7);
    expect(uart.read(UART_DATA, 4)).toBe(8);
  });
});
