/**
 * CMSDK APB UART (ARM Cortex-M System Design Kit): the serial port of the MPS2 board.
 *
 * Firmware writes DATA to send a byte and reads DATA for received bytes; STATE reports the
 * one-byte buffers, CTRL enables the directions and their interrupts, INTSTATUS latches TX,
 * RX and overrun interrupts (write 1 to clear). Like QEMU, transmission is immediate: the byte
 * reaches the host at the write, and the TX interrupt follows at once, so output never depends
 * on baud-rate timing. Received bytes from the host queue up and enter the receive buffer one at
 * a time as firmware drains it.
 *
 * @example
 *   const uart = new CmsdkApbUart('uart0', { tx: (b) => out.push(b), irq: lines, txIrq: 1, rxIrq: 0 });
 *   uart.receive(Uint8Array.of(0x41));
 */
import type { InterruptLines } from '../core/interfaces';
import { ApbDevice, cmsdkIds } from './apb-device';

export const UART_DATA = 0x000;
export const UART_STATE = 0x004;
export const UART_CTRL = 0x008;
export const UART_INTSTATUS = 0x00c; // reads INTSTATUS, writes INTCLEAR
export const UART_BAUDDIV = 0x010;

export const STATE_TX_FULL = 1 << 0;
export const STATE_RX_FULL = 1 << 1;
export const STATE_TX_OVERRUN = 1 << 2;
export const STATE_RX_OVERRUN = 1 << 3;

export const CTRL_TX_EN = 1 << 0;
export const CTRL_RX_EN = 1 << 1;
export const CTRL_TX_INTEN = 1 << 2;
export const CTRL_RX_INTEN = 1 << 3;
export const CTRL_TXO_INTEN = 1 << 4;
export const CTRL_RXO_INTEN = 1 << 5;
export const CTRL_HSTEST = 1 << 6;

export const INT_TX = 1 << 0;
export const INT_RX = 1 << 1;
export const INT_TXO = 1 << 2;
export const INT_RXO = 1 << 3;

const BAUDDIV_MASK = 0xfffff;

export interface UartWiring {
  /** Called with each transmitted byte. */
  tx: (byte: number) => void;
  irq?: InterruptLines;
  txIrq?: number;
  rxIrq?: number;
  /** Combined overflow line: called with this UART's overrun level (the board ORs them). */
  overflow?: (high: boolean) => void;
}

interface UartState {
  state: number;
  ctrl: number;
  intstatus: number;
  bauddiv: number;
  rxbuf: number;
  txbuf: number;
  pending: number[];
}

export class CmsdkApbUart extends ApbDevice {
  protected override readonly idBytes = cmsdkIds(0x21);
  private s: UartState = CmsdkApbUart.initial();

  constructor(
    readonly name: string,
    private readonly wiring: UartWiring,
  ) {
    super();
  }

  private static initial(): UartState {
    return { state: 0, ctrl: 0, intstatus: 0, bauddiv: 0, rxbuf: 0, txbuf: 0, pending: [] };
  }

  reset(): void {
    this.s = CmsdkApbUart.initial();
    this.updateIrq();
  }

  /** Bytes arriving from the host; they wait until the receiver is enabled and its buffer free. */
  receive(bytes: Uint8Array): void {
    for (const b of bytes) this.s.pending.push(b);
    this.fillRx();
    // A byte arriving in an enabled receiver raises RXINTR at once, not at the firmware's
    // next register access (CMSDK APB UART, ARM DDI 0479: interrupts): a core asleep in WFI
    // must wake on it.
    this.updateIrq();
  }

  /** True when a byte arriving now would raise the RX interrupt (receiver and RXINTEN on). */
  rxInterruptArmed(): boolean {
    return (this.s.ctrl & CTRL_RX_EN) !== 0 && (this.s.ctrl & CTRL_RX_INTEN) !== 0;
  }

  /** Bytes received from the host but not yet taken by the firmware. */
  get pendingInput(): number {
    return this.s.pending.length + (this.s.state & STATE_RX_FULL ? 1 : 0);
  }

  protected readRegister(offset: number): number {
    switch (offset) {
      case UART_DATA: {
        const v = this.s.rxbuf;
        this.s.state &= ~STATE_RX_FULL;
        this.fillRx();
        this.updateIrq();
        return v;
      }
      case UART_STATE:
        return this.s.state;
      case UART_CTRL:
        return this.s.ctrl;
      case UART_INTSTATUS:
        return this.s.intstatus;
      case UART_BAUDDIV:
        return this.s.bauddiv;
      default:
        return 0;
    }
  }

  /** DATA reads the receive buffer without taking it (a debugger's read). */
  protected override peekRegister(offset: number): number {
    return offset === UART_DATA ? this.s.rxbuf : this.readRegister(offset);
  }

  protected writeRegister(offset: number, value: number): void {
    switch (offset) {
      case UART_DATA:
        this.s.txbuf = value & 0xff;
        if (this.s.state & STATE_TX_FULL) {
          this.s.state |= STATE_TX_OVERRUN;
          if (this.s.ctrl & CTRL_TXO_INTEN) this.s.intstatus |= INT_TXO;
        }
        this.s.state |= STATE_TX_FULL;
        this.transmit();
        break;
      case UART_STATE:
        // Overrun flags are write-one-to-clear; the full flags are read-only.
        this.s.state &= ~(value & (STATE_TX_OVERRUN | STATE_RX_OVERRUN));
        if (!(this.s.state & STATE_TX_OVERRUN)) this.s.intstatus &= ~INT_TXO;
        if (!(this.s.state & STATE_RX_OVERRUN)) this.s.intstatus &= ~INT_RXO;
        break;
      case UART_CTRL:
        this.s.ctrl = value & 0x7f;
        this.transmit();
        this.fillRx();
        break;
      case UART_INTSTATUS:
        this.s.intstatus &= ~(value & 0xf);
        if (value & INT_TXO) this.s.state &= ~STATE_TX_OVERRUN;
        if (value & INT_RXO) this.s.state &= ~STATE_RX_OVERRUN;
        break;
      case UART_BAUDDIV:
        this.s.bauddiv = value & BAUDDIV_MASK;
        break;
      default:
        break;
    }
    this.updateIrq();
  }

  private transmit(): void {
    if (!(this.s.ctrl & CTRL_TX_EN) || !(this.s.state & STATE_TX_FULL)) return;
    this.wiring.tx(this.s.txbuf);
    this.s.state &= ~STATE_TX_FULL;
    // The TX interrupt marks the buffer going from full to empty.
    if (this.s.ctrl & CTRL_TX_INTEN) this.s.intstatus |= INT_TX;
  }

  private fillRx(): void {
    if (!(this.s.ctrl & CTRL_RX_EN) || this.s.state & STATE_RX_FULL) return;
    const b = this.s.pending.shift();
    if (b === undefined) return;
    this.s.rxbuf = b;
    this.s.state |= STATE_RX_FULL;
    if (this.s.ctrl & CTRL_RX_INTEN) this.s.intstatus |= INT_RX;
  }

  private updateIrq(): void {
    const { irq, txIrq, rxIrq, overflow } = this.wiring;
    if (irq && txIrq !== undefined) irq.setLevel(txIrq, (this.s.intstatus & INT_TX) !== 0);
    if (irq && rxIrq !== undefined) irq.setLevel(rxIrq, (this.s.intstatus & INT_RX) !== 0);
    overflow?.((this.s.intstatus & (INT_TXO | INT_RXO)) !== 0);
  }

  snapshot(): UartState {
    return { ...this.s, pending: [...this.s.pending] };
  }

  restore(state: unknown): void {
    const s = state as UartState;
    this.s = { ...s, pending: [...s.pending] };
    this.updateIrq();
  }
}
