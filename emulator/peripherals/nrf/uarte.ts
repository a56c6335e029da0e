/**
 * UARTE (UART with EasyDMA) and the legacy UART that shares its block (nRF52840 Product
 * Specification, chapters "UARTE — Universal asynchronous receiver/transmitter with EasyDMA"
 * and "UART — Universal asynchronous receiver/transmitter"). UARTE0/UART0 at 0x40002000 (ID 2),
 * UARTE1 at 0x40028000 (ID 40, UARTE only). ENABLE selects the block: 8 UARTE, 4 UART (UART0
 * only), anything else leaves it disabled and its tasks do nothing.
 *
 * Time: a frame is 1 start bit, 8 data bits, a parity bit when CONFIG.PARITY = 7 (included)
 * and 1 or 2 stop bits (CONFIG.STOP); the bit rate is BAUDRATE · 16 MHz / 2^32 (the register is
 * a fraction of the 16 MHz peripheral clock: 0x01D7E000 ≈ 115200, reset 0x04000000 = 250000).
 * Transmitted bytes leave, and received bytes arrive, one frame time apart on the virtual clock.
 * Bytes go to `host.tx` only while PSEL.TXD is connected, and the RX line only carries bytes
 * while PSEL.RXD is connected (a disconnected pin is an idle line). Flow control (RTS/CTS) and
 * line errors other than overrun are not modelled: CTS/NCTS never occur.
 *
 * UARTE, as the PS describes it:
 * - STARTTX latches TXD.PTR/MAXCNT (the registers are double-buffered: firmware may prepare the
 *   next buffer after TXSTARTED) and raises TXSTARTED; each byte sent raises TXDRDY; after
 *   MAXCNT bytes TXD.AMOUNT = MAXCNT and ENDTX. STOPTX ends a transfer early: ENDTX (if not yet
 *   raised) with TXD.AMOUNT = bytes sent, then TXSTOPPED.
 * - STARTRX latches RXD.PTR/MAXCNT and raises RXSTARTED; each received byte raises RXDRDY and is
 *   written to RAM; a full buffer gives RXD.AMOUNT and ENDRX. The receiver keeps running after
 *   ENDRX (shortcut ENDRX_STARTRX continues into the next buffer, ENDRX_STOPRX stops): bytes with
 *   no buffer wait in the 4-byte RX FIFO and move into the next buffer at STARTRX; one more is
 *   lost with ERRORSRC.OVERRUN and ERROR. STOPRX stops the receiver one frame time later (bytes
 *   arriving meanwhile still land), raising ENDRX first if the buffer had not ended (AMOUNT =
 *   bytes received) and then RXTO. FLUSHRX moves the FIFO into a fresh buffer and raises ENDRX.
 * - STARTRX while the receiver is winding down after STOPRX (firmware re-arming a receive with
 *   STOPRX, STARTRX back to back). The PS guarantees ENDRX before RXTO and no ENDRX after RXTO
 *   "unless the UARTE is restarted", and makes RXD.PTR/MAXCNT double-buffered (latched by the
 *   task); it does not say when a restart takes effect. The model ends the stop at once (ENDRX
 *   for the old buffer if it had not ended, AMOUNT = bytes it got, then RXTO) and starts the new
 *   buffer in the same instant (RXSTARTED; FIFO bytes move in). The receiver never turns off, so
 *   no byte is lost, and re-arming per byte keeps up with a full-speed line (a stop that ran
 *   its wind-down first would cost a frame per byte and overrun the FIFO).
 * - EasyDMA pointers: the PS warns that a TXD.PTR/RXD.PTR outside Data RAM "may result in a
 *   HardFault or RAM corruption". The model picks the HardFault: STARTTX/STARTRX/FLUSHRX written
 *   by the CPU with a buffer outside Data RAM make that store a precise BusFault (which escalates
 *   to HardFault when BusFault is not enabled), naming the pointer; nothing is transferred. When a
 *   shortcut or PPI starts such a transfer there is no store to fault, so the task is ignored.
 *   Either way the problem is kept in `dmaErrors` and told to `host.diagnostic`.
 * Legacy UART (ENABLE = 4): STARTTX then each write to TXD sends a byte (TXDRDY after it); a
 * byte written while one is in flight waits in TXD. STARTRX receives into a 6-byte FIFO read
 * through RXD (RXDRDY when a byte reaches RXD, OVERRUN when the FIFO is full). STOPTX stops at
 * once, STOPRX raises RXTO one frame later, SUSPEND stops both without events. STARTRX during
 * that wind-down ends the stop at once (RXTO) and keeps the receiver on (the UARTE's restart
 * rule); STOPTX then STARTTX back to back starts the transmitter afresh for the next TXD write.
 *
 * @example
 *   const u = new Uarte('UARTE0', 0x40002000, ctx, { tx: (b) => console.push(b) });
 *   u.receive(new TextEncoder().encode('hi')); // arrives at the baud rate's pace
 */
import { ClockEvent } from '../../core/clock-event';
import type { AccessSize } from '../../core/interfaces';
import { BusErrorSignal } from '../../core/interfaces';
import { NrfPeripheral, type NrfContext } from './nrf-peripheral';
import type { RegisterInfo } from './registers';

/**
 * One EasyDMA channel as a debugger sees it: the registers (PTR, MAXCNT, AMOUNT) and what the
 * model knows the hardware is doing, including the buffer latched by the task that started
 * the transfer (PTR and MAXCNT are double-buffered: firmware may already have written the next
 * ones).
 */
export interface DmaChannelState {
  /** 'UARTE0'. */
  peripheral: string;
  /** 'TXD' (EasyDMA reads RAM) or 'RXD' (EasyDMA writes RAM). */
  channel: 'TXD' | 'RXD';
  /** Address of the channel's PTR register (MAXCNT and AMOUNT follow it). */
  register: number;
  ptr: number;
  maxcnt: number;
  amount: number;
  /** 'in flight' between the START task and the END event; 'done' after an END; else 'idle'. */
  state: 'idle' | 'in flight' | 'done';
  /** The buffer of the transfer in flight (or of the last one). */
  buffer: { ptr: number; length: number } | null;
}

/** A transfer starting or ending on an EasyDMA channel (for recorders). */
export interface DmaActivity {
  peripheral: string;
  channel: 'TXD' | 'RXD';
  kind: 'start' | 'end';
  ptr: number;
  length: number;
  /** Bytes moved (at the end). */
  amount: number;
}

export interface UartHost {
  /** A byte left the TXD pin. */
  tx(byte: number): void;
  /** Something firmware did that the silicon handles badly or quietly (EasyDMA outside RAM). */
  diagnostic?(message: string): void;
}

// Tasks (offsets) and events (indices: offset 0x100 + 4·n).
export const TASKS_STARTRX = 0x000;
export const TASKS_STOPRX = 0x004;
export const TASKS_STARTTX = 0x008;
export const TASKS_STOPTX = 0x00c;
export const TASKS_SUSPEND = 0x01c; // legacy UART
export const TASKS_FLUSHRX = 0x02c; // UARTE
export const EV_CTS = 0;
export const EV_NCTS = 1;
export const EV_RXDRDY = 2;
export const EV_ENDRX = 4;
export const EV_TXDRDY = 7;
export const EV_ENDTX = 8;
export const EV_ERROR = 9;
export const EV_RXTO = 17;
export const EV_RXSTARTED = 19;
export const EV_TXSTARTED = 20;
export const EV_TXSTOPPED = 22;

export const ERRORSRC = 0x480;
export const ENABLE = 0x500;
export const PSEL_RTS = 0x508;
export const PSEL_TXD = 0x50c;
export const PSEL_CTS = 0x510;
export const PSEL_RXD = 0x514;
export const UART_RXD = 0x518;
export const UART_TXD = 0x51c;
export const BAUDRATE = 0x524;
export const RXD_PTR = 0x534;
export const RXD_MAXCNT = 0x538;
export const RXD_AMOUNT = 0x53c;
export const TXD_PTR = 0x544;
export const TXD_MAXCNT = 0x548;
export const TXD_AMOUNT = 0x54c;
export const CONFIG = 0x56c;

export const ENABLE_UART = 4;
export const ENABLE_UARTE = 8;
export const ERRORSRC_OVERRUN = 1 << 0;
/** PSEL.x CONNECT bit: 1 = disconnected. */
const PSEL_DISCONNECTED = 0x80000000;
const PSEL_MASK = 0x8000003f;
const MAXCNT_MASK = 0xffff;
const CONFIG_MASK = 0x11f;
const BAUDRATE_RESET = 0x04000000;
const UART_CLOCK_HZ = 16_000_000;
/** RX FIFO depth: UARTE (bytes kept while no buffer is active) and legacy UART. */
const UARTE_FIFO = 4;
const UART_FIFO = 6;

const w = (name: string, offset: number): RegisterInfo => ({
  name,
  offset,
  access: 'write-only',
  reset: 0,
});
const ev = (name: string, index: number): RegisterInfo => ({
  name,
  offset: 0x100 + 4 * index,
  access: 'read-write',
  reset: 0,
});
const rw = (name: string, offset: number, reset = 0): RegisterInfo => ({
  name,
  offset,
  access: 'read-write',
  reset,
});
const ro = (name: string, offset: number): RegisterInfo => ({
  name,
  offset,
  access: 'read-only',
  reset: 0,
});

export const UARTE_REGISTERS: readonly RegisterInfo[] = [
  w('TASKS_STARTRX', TASKS_STARTRX),
  w('TASKS_STOPRX', TASKS_STOPRX),
  w('TASKS_STARTTX', TASKS_STARTTX),
  w('TASKS_STOPTX', TASKS_STOPTX),
  w('TASKS_FLUSHRX', TASKS_FLUSHRX),
  ev('EVENTS_CTS', EV_CTS),
  ev('EVENTS_NCTS', EV_NCTS),
  ev('EVENTS_RXDRDY', EV_RXDRDY),
  ev('EVENTS_ENDRX', EV_ENDRX),
  ev('EVENTS_TXDRDY', EV_TXDRDY),
  ev('EVENTS_ENDTX', EV_ENDTX),
  ev('EVENTS_ERROR', EV_ERROR),
  ev('EVENTS_RXTO', EV_RXTO),
  ev('EVENTS_RXSTARTED', EV_RXSTARTED),
  ev('EVENTS_TXSTARTED', EV_TXSTARTED),
  ev('EVENTS_TXSTOPPED', EV_TXSTOPPED),
  rw('SHORTS', 0x200),
  rw('INTEN', 0x300),
  rw('INTENSET', 0x304),
  rw('INTENCLR', 0x308),
  rw('ERRORSRC', ERRORSRC),
  rw('ENABLE', ENABLE),
  rw('PSEL.RTS', PSEL_RTS, 0xffffffff),
  rw('PSEL.TXD', PSEL_TXD, 0xffffffff),
  rw('PSEL.CTS', PSEL_CTS, 0xffffffff),
  rw('PSEL.RXD', PSEL_RXD, 0xffffffff),
  rw('BAUDRATE', BAUDRATE, BAUDRATE_RESET),
  rw('RXD.PTR', RXD_PTR),
  rw('RXD.MAXCNT', RXD_MAXCNT),
  ro('RXD.AMOUNT', RXD_AMOUNT),
  rw('TXD.PTR', TXD_PTR),
  rw('TXD.MAXCNT', TXD_MAXCNT),
  ro('TXD.AMOUNT', TXD_AMOUNT),
  rw('CONFIG', CONFIG),
];

export const UART_REGISTERS: readonly RegisterInfo[] = [
  w('TASKS_STARTRX', TASKS_STARTRX),
  w('TASKS_STOPRX', TASKS_STOPRX),
  w('TASKS_STARTTX', TASKS_STARTTX),
  w('TASKS_STOPTX', TASKS_STOPTX),
  w('TASKS_SUSPEND', TASKS_SUSPEND),
  ev('EVENTS_CTS', EV_CTS),
  ev('EVENTS_NCTS', EV_NCTS),
  ev('EVENTS_RXDRDY', EV_RXDRDY),
  ev('EVENTS_TXDRDY', EV_TXDRDY),
  ev('EVENTS_ERROR', EV_ERROR),
  ev('EVENTS_RXTO', EV_RXTO),
  rw('SHORTS', 0x200),
  rw('INTENSET', 0x304),
  rw('INTENCLR', 0x308),
  rw('ERRORSRC', ERRORSRC),
  rw('ENABLE', ENABLE),
  rw('PSEL.RTS', PSEL_RTS, 0xffffffff),
  rw('PSEL.TXD', PSEL_TXD, 0xffffffff),
  rw('PSEL.CTS', PSEL_CTS, 0xffffffff),
  rw('PSEL.RXD', PSEL_RXD, 0xffffffff),
  ro('RXD', UART_RXD),
  w('TXD', UART_TXD),
  rw('BAUDRATE', BAUDRATE, BAUDRATE_RESET),
  rw('CONFIG', CONFIG),
];

/** Register offsets this block decodes (UARTE's and UART's together). */
const DECODED = new Set<number>(
  [...UARTE_REGISTERS, ...UART_REGISTERS].map((r) => r.offset).filter((o) => o >= 0x400),
);

interface UarteState {
  enable: number;
  errorsrc: number;
  psel: number[];
  baudrate: number;
  config: number;
  rxdPtr: number;
  rxdMaxcnt: number;
  rxdAmount: number;
  txdPtr: number;
  txdMaxcnt: number;
  txdAmount: number;
  /** Receiver running (between STARTRX and RXTO). */
  rxOn: boolean;
  /** Active EasyDMA RX buffer. */
  rxBuf: { ptr: number; max: number; count: number } | null;
  fifo: number[];
  /** Legacy UART: the last byte taken out of RXD (what RXD reads when the FIFO is empty). */
  rxd: number;
  /** Host bytes still on their way down the RX line. */
  line: number[];
  /** UARTE: bytes of the active TX buffer (latched at `ptr`, `max` long) and how many have gone. */
  txBuf: { data: number[]; sent: number; ptr: number; max: number } | null;
  /** The last EasyDMA buffer of each direction, and whether it ended (for debuggers). */
  txLast: { ptr: number; max: number; ended: boolean } | null;
  rxLast: { ptr: number; max: number; ended: boolean } | null;
  /** Legacy UART: transmitter started, byte in the shift register, byte waiting in TXD. */
  txOn: boolean;
  txShift: number | null;
  txPending: number | null;
  // Absolute cycles of pending work (re-armed on restore).
  lineAt: number | null;
  txAt: number | null;
  rxStopAt: number | null;
}

const initial = (): UarteState => ({
  enable: 0,
  errorsrc: 0,
  psel: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
  baudrate: BAUDRATE_RESET,
  config: 0,
  rxdPtr: 0,
  rxdMaxcnt: 0,
  rxdAmount: 0,
  txdPtr: 0,
  txdMaxcnt: 0,
  txdAmount: 0,
  rxOn: false,
  rxBuf: null,
  fifo: [],
  rxd: 0,
  line: [],
  txBuf: null,
  txLast: null,
  rxLast: null,
  txOn: false,
  txShift: null,
  txPending: null,
  lineAt: null,
  txAt: null,
  rxStopAt: null,
});

const clone = (s: UarteState): UarteState => ({
  ...s,
  psel: [...s.psel],
  rxBuf: s.rxBuf && { ...s.rxBuf },
  fifo: [...s.fifo],
  line: [...s.line],
  txBuf: s.txBuf && { ...s.txBuf, data: [...s.txBuf.data] },
  txLast: s.txLast && { ...s.txLast },
  rxLast: s.rxLast && { ...s.rxLast },
});

export class Uarte extends NrfPeripheral {
  protected override readonly shortcuts = [
    undefined,
    undefined,
    undefined,
    [EV_CTS, TASKS_STARTRX] as const, // legacy UART CTS_STARTRX
    [EV_NCTS, TASKS_STOPRX] as const, // legacy UART NCTS_STOPRX
    [EV_ENDRX, TASKS_STARTRX] as const, // UARTE ENDRX_STARTRX
    [EV_ENDRX, TASKS_STOPRX] as const, // UARTE ENDRX_STOPRX
  ];
  protected override readonly intenMask =
    (1 << EV_CTS) |
    (1 << EV_NCTS) |
    (1 << EV_RXDRDY) |
    (1 << EV_ENDRX) |
    (1 << EV_TXDRDY) |
    (1 << EV_ENDTX) |
    (1 << EV_ERROR) |
    (1 << EV_RXTO) |
    (1 << EV_RXSTARTED) |
    (1 << EV_TXSTARTED) |
    (1 << EV_TXSTOPPED);
  /** EasyDMA transfers refused because their buffer lay outside Data RAM (see the header). */
  readonly dmaErrors: string[] = [];
  private s: UarteState = initial();
  /** The next byte to arrive on the RX line (`s.lineAt`). */
  private readonly lineEvent = new ClockEvent(this.ctx.clock, `${this.name} RX line`, () =>
    this.onLineByte(),
  );
  /** The end of the frame on the TX line (`s.txAt`). */
  private readonly txEvent = new ClockEvent(this.ctx.clock, `${this.name} TX frame`, () =>
    this.onTxFrame(),
  );
  /** The receiver's stop, one frame after STOPRX (`s.rxStopAt`). */
  private readonly stopEvent = new ClockEvent(this.ctx.clock, `${this.name} RX stop`, () =>
    this.onRxStopped(),
  );
  /** True while the CPU's own write is being handled (a fault can then be precise). */
  private cpuWrite = false;
  /** Told when an EasyDMA transfer starts or ends (debugger recorders; not the firmware's). */
  onDma: ((activity: DmaActivity) => void) | null = null;

  /** The two EasyDMA channels, from the registers and the model's own state. */
  dmaChannels(): DmaChannelState[] {
    const s = this.s;
    const tx = s.txBuf;
    const rx = s.rxBuf;
    const state = (active: boolean, last: { ended: boolean } | null): DmaChannelState['state'] =>
      active ? 'in flight' : last?.ended ? 'done' : 'idle';
    return [
      {
        peripheral: this.name,
        channel: 'TXD',
        register: this.base + TXD_PTR,
        ptr: s.txdPtr >>> 0,
        maxcnt: s.txdMaxcnt,
        amount: tx ? tx.sent : s.txdAmount,
        state: state(tx !== null && this.mode === 'uarte', s.txLast),
        buffer: tx
          ? { ptr: tx.ptr, length: tx.max }
          : s.txLast && { ptr: s.txLast.ptr, length: s.txLast.max },
      },
      {
        peripheral: this.name,
        channel: 'RXD',
        register: this.base + RXD_PTR,
        ptr: s.rxdPtr >>> 0,
        maxcnt: s.rxdMaxcnt,
        amount: rx ? rx.count : s.rxdAmount,
        state: state(rx !== null, s.rxLast),
        buffer: rx
          ? { ptr: rx.ptr, length: rx.max }
          : s.rxLast && { ptr: s.rxLast.ptr, length: s.rxLast.max },
      },
    ];
  }

  private dmaActivity(
    channel: 'TXD' | 'RXD',
    kind: 'start' | 'end',
    ptr: number,
    length: number,
    amount: number,
  ): void {
    this.onDma?.({ peripheral: this.name, channel, kind, ptr, length, amount });
  }

  /** `legacyUart`: the block also answers ENABLE = 4 (UART0 shares UARTE0's address only). */
  constructor(
    name: string,
    base: number,
    ctx: NrfContext,
    private readonly host: UartHost,
    private readonly legacyUart = base >>> 0 === 0x40002000,
  ) {
    super(name, base, ctx);
  }

  /** Bytes from the outside world on the RX line; they arrive one frame time apart. */
  receive(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array))
      throw new Error(`${this.name}.receive needs a Uint8Array of bytes`);
    this.s.line.push(...bytes);
    if (this.s.lineAt === null) this.armLine(this.ctx.clock.now + this.frameCycles());
  }

  /**
   * True when a byte arriving now would raise an RX event whose interrupt is enabled: the
   * receiver runs with its pin connected, and RXDRDY is enabled, or ENDRX with a buffer to
   * fill, or ERROR with no buffer (the FIFO overruns).
   */
  rxInterruptArmed(): boolean {
    const s = this.s;
    if (this.mode === 'off' || !s.rxOn || s.psel[3]! & PSEL_DISCONNECTED) return false;
    const on = (ev: number): boolean => ((this.inten >>> ev) & 1) === 1;
    return (
      on(EV_RXDRDY) || (on(EV_ENDRX) && s.rxBuf !== null) || (on(EV_ERROR) && s.rxBuf === null)
    );
  }

  /** Bytes queued on the RX line that have not arrived yet. */
  get pendingInput(): number {
    return this.s.line.length;
  }

  /** Core cycles one frame takes at the present BAUDRATE and CONFIG. */
  frameCycles(): number {
    const bits =
      1 + 8 + (((this.s.config >>> 1) & 7) === 7 ? 1 : 0) + (this.s.config & 0x10 ? 2 : 1);
    const bitRate = ((this.s.baudrate >>> 0) * UART_CLOCK_HZ) / 2 ** 32;
    // A BAUDRATE too small for a bit per second would never finish a frame: clamp to 1 bit/s.
    return Math.max(1, Math.round((bits * this.ctx.clock.frequencyHz) / Math.max(1, bitRate)));
  }

  override write(offset: number, size: AccessSize, value: number): void {
    this.cpuWrite = true;
    try {
      super.write(offset, size, value);
    } finally {
      this.cpuWrite = false;
    }
  }

  // ---- registers -------------------------------------------------------------------------

  protected readRegister(offset: number): number {
    const s = this.s;
    switch (offset) {
      case ERRORSRC:
        return s.errorsrc;
      case ENABLE:
        return s.enable;
      case PSEL_RTS:
      case PSEL_TXD:
      case PSEL_CTS:
      case PSEL_RXD:
        return s.psel[(offset - PSEL_RTS) >> 2]!;
      case UART_RXD:
        return this.readRxd();
      case UART_TXD:
        return 0; // write-only
      case BAUDRATE:
        return s.baudrate;
      case RXD_PTR:
        return s.rxdPtr;
      case RXD_MAXCNT:
        return s.rxdMaxcnt;
      case RXD_AMOUNT:
        return s.rxdAmount;
      case TXD_PTR:
        return s.txdPtr;
      case TXD_MAXCNT:
        return s.txdMaxcnt;
      case TXD_AMOUNT:
        return s.txdAmount;
      case CONFIG:
        return s.config;
      default:
        throw this.undecoded(offset);
    }
  }

  /** RXD shows the byte a read would take, without taking it (a debugger's read). */
  protected override peekRegister(offset: number): number {
    if (offset !== UART_RXD) return this.readRegister(offset);
    const s = this.s;
    return this.mode !== 'uart' || s.fifo.length === 0 ? s.rxd : s.fifo[0]!;
  }

  protected writeRegister(offset: number, value: number): void {
    const s = this.s;
    if (!DECODED.has(offset)) throw this.undecoded(offset);
    switch (offset) {
      case ERRORSRC:
        s.errorsrc = s.errorsrc & ~value & 0xf; // write 1 to clear
        return;
      case ENABLE:
        this.setEnable(value & 0xf);
        return;
      case PSEL_RTS:
      case PSEL_TXD:
      case PSEL_CTS:
      case PSEL_RXD:
        s.psel[(offset - PSEL_RTS) >> 2] = (value & PSEL_MASK) >>> 0;
        return;
      case UART_TXD:
        this.writeTxd(value & 0xff);
        return;
      case BAUDRATE:
        s.baudrate = value >>> 0;
        return;
      case RXD_PTR:
        s.rxdPtr = value >>> 0;
        return;
      case RXD_MAXCNT:
        s.rxdMaxcnt = value & MAXCNT_MASK;
        return;
      case TXD_PTR:
        s.txdPtr = value >>> 0;
        return;
      case TXD_MAXCNT:
        s.txdMaxcnt = value & MAXCNT_MASK;
        return;
      case CONFIG:
        s.config = value & CONFIG_MASK;
        return;
      default:
        return; // read-only registers (AMOUNT, RXD) ignore writes
    }
  }

  private undecoded(offset: number): BusErrorSignal {
    return new BusErrorSignal(
      this.base + offset,
      `${this.name} has no register at offset 0x${offset.toString(16)}`,
    );
  }

  private get mode(): 'uarte' | 'uart' | 'off' {
    if (this.s.enable === ENABLE_UARTE) return 'uarte';
    if (this.s.enable === ENABLE_UART && this.legacyUart) return 'uart';
    return 'off';
  }

  private setEnable(value: number): void {
    const before = this.mode;
    this.s.enable = value;
    if (this.mode === before) return;
    // Leaving a mode abandons whatever it was doing (the PS asks firmware to stop first).
    const s = this.s;
    s.rxOn = false;
    s.rxBuf = null;
    s.fifo = [];
    s.txBuf = null;
    s.txOn = false;
    s.txShift = null;
    s.txPending = null;
    this.disarmTx();
    this.disarmStop();
  }

  // ---- tasks -----------------------------------------------------------------------------

  protected task(offset: number): void {
    const mode = this.mode;
    if (mode === 'off') return;
    switch (offset) {
      case TASKS_STARTRX:
        this.startRx();
        break;
      case TASKS_STOPRX:
        this.stopRx();
        break;
      case TASKS_STARTTX:
        if (mode === 'uarte') this.startTxDma();
        else this.s.txOn = true;
        break;
      case TASKS_STOPTX:
        this.stopTx();
        break;
      case TASKS_FLUSHRX:
        if (mode === 'uarte') this.flushRx();
        break;
      case TASKS_SUSPEND:
        if (mode === 'uart') this.suspend();
        break;
    }
  }

  /** A buffer outside Data RAM: a precise fault for a CPU store, else refused and recorded. */
  private dmaRefused(reg: string, ptr: number, max: number): boolean {
    if (this.ctx.dma.inRam(ptr, max)) return false;
    const msg = `${this.name} ${reg} 0x${(ptr >>> 0).toString(16).padStart(8, '0')} (+${max} bytes) is outside Data RAM: EasyDMA cannot reach it`;
    if (this.dmaErrors.length >= 16) this.dmaErrors.shift();
    this.dmaErrors.push(msg);
    this.host.diagnostic?.(msg);
    if (this.cpuWrite) throw new BusErrorSignal(ptr >>> 0, msg);
    return true;
  }

  private startTxDma(): void {
    const s = this.s;
    if (s.txBuf !== null) return; // busy: the next buffer waits for ENDTX
    const ptr = s.txdPtr;
    const max = s.txdMaxcnt;
    if (max > 0 && this.dmaRefused('TXD.PTR', ptr, max)) return;
    const data = max > 0 ? Array.from(this.ctx.dma.read(ptr, max)) : [];
    s.txBuf = { data, sent: 0, ptr, max };
    s.txLast = { ptr, max, ended: false };
    this.dmaActivity('TXD', 'start', ptr, max, 0);
    this.generate(EV_TXSTARTED);
    // An empty buffer ends at once (on the clock, so a PPI loop cannot recurse).
    this.armTx(this.ctx.clock.now + (max > 0 ? this.frameCycles() : 1));
  }

  private writeTxd(byte: number): void {
    const s = this.s;
    if (this.mode !== 'uart' || !s.txOn) return;
    if (s.txShift === null) {
      s.txShift = byte;
      this.armTx(this.ctx.clock.now + this.frameCycles());
    } else s.txPending = byte;
  }

  private onTxFrame(): void {
    const s = this.s;
    s.txAt = null;
    if (this.mode === 'uarte' && s.txBuf !== null) {
      const b = s.txBuf;
      if (b.sent < b.data.length) {
        this.emit(b.data[b.sent]!);
        b.sent++;
        this.generate(EV_TXDRDY);
      }
      if (b.sent >= b.data.length) {
        s.txdAmount = b.sent;
        s.txBuf = null;
        this.txEnded(b.ptr, b.max, b.sent);
        this.generate(EV_ENDTX);
      } else this.armTx(this.ctx.clock.now + this.frameCycles());
    } else if (this.mode === 'uart' && s.txShift !== null) {
      this.emit(s.txShift);
      s.txShift = s.txPending;
      s.txPending = null;
      if (s.txShift !== null) this.armTx(this.ctx.clock.now + this.frameCycles());
      this.generate(EV_TXDRDY);
    }
  }

  private txEnded(ptr: number, max: number, sent: number): void {
    this.s.txLast = { ptr, max, ended: true };
    this.dmaActivity('TXD', 'end', ptr, max, sent);
  }

  private emit(byte: number): void {
    if (!(this.s.psel[1]! & PSEL_DISCONNECTED)) this.host.tx(byte);
  }

  private stopTx(): void {
    const s = this.s;
    this.disarmTx();
    if (this.mode === 'uarte') {
      if (s.txBuf !== null) {
        const b = s.txBuf;
        s.txdAmount = b.sent;
        s.txBuf = null;
        this.txEnded(b.ptr, b.max, b.sent);
        this.generate(EV_ENDTX);
      }
      this.generate(EV_TXSTOPPED);
    } else {
      s.txOn = false;
      s.txShift = null;
      s.txPending = null;
    }
  }

  private startRx(): void {
    const s = this.s;
    const ptr = s.rxdPtr;
    const max = s.rxdMaxcnt;
    if (s.rxStopAt !== null) {
      // Stopping: the stop ends now and reception goes on into the new buffer (see header).
      if (this.mode === 'uarte' && max > 0 && this.dmaRefused('RXD.PTR', ptr, max)) return;
      this.disarmStop();
      this.finishStop();
      s.rxOn = true;
      if (this.mode === 'uart' || s.rxBuf !== null) return;
      this.beginRx(ptr, max);
      return;
    }
    if (this.mode === 'uart') {
      s.rxOn = true;
      return;
    }
    if (s.rxBuf !== null) return; // a buffer is active: firmware restarts after ENDRX
    if (max > 0 && this.dmaRefused('RXD.PTR', ptr, max)) return;
    this.beginRx(ptr, max);
  }

  /** Reception into a latched buffer starts: RXSTARTED, and the FIFO drains into it. */
  private beginRx(ptr: number, max: number): void {
    const s = this.s;
    s.rxBuf = { ptr, max, count: 0 };
    s.rxLast = { ptr, max, ended: false };
    this.dmaActivity('RXD', 'start', ptr, max, 0);
    s.rxOn = true;
    this.generate(EV_RXSTARTED);
    // Bytes that waited in the FIFO move into the new buffer.
    while (s.fifo.length > 0 && s.rxBuf !== null && s.rxBuf.count < s.rxBuf.max)
      this.store(s.fifo.shift()!);
  }

  /** Put one received byte into the active buffer; a full buffer ends. */
  private store(byte: number): void {
    const b = this.s.rxBuf!;
    this.ctx.dma.write(b.ptr + b.count, Uint8Array.of(byte));
    b.count++;
    if (b.count >= b.max) this.endRx();
  }

  private endRx(): void {
    const s = this.s;
    const b = s.rxBuf;
    s.rxdAmount = b?.count ?? 0;
    s.rxBuf = null;
    if (b) {
      s.rxLast = { ptr: b.ptr, max: b.max, ended: true };
      this.dmaActivity('RXD', 'end', b.ptr, b.max, b.count);
    }
    this.generate(EV_ENDRX);
  }

  private stopRx(): void {
    const s = this.s;
    if (s.rxStopAt !== null) return;
    // The receiver winds down for one frame time (bytes already on the wire still land), then
    // RXTO; firmware waiting for RXTO gets it even when the receiver was not running.
    s.rxStopAt = this.ctx.clock.now + this.frameCycles();
    this.armStop();
  }

  private onRxStopped(): void {
    const s = this.s;
    s.rxStopAt = null;
    s.rxOn = false;
    this.finishStop();
  }

  /** The end of a stop: ENDRX always comes before RXTO (PS) for a buffer that has not ended. */
  private finishStop(): void {
    if (this.mode === 'uarte' && this.s.rxBuf !== null) this.endRx();
    this.generate(EV_RXTO);
  }

  private flushRx(): void {
    const s = this.s;
    if (s.rxBuf !== null) return; // the receiver still owns a buffer
    const ptr = s.rxdPtr;
    const max = s.rxdMaxcnt;
    const n = Math.min(s.fifo.length, max);
    if (n > 0 && this.dmaRefused('RXD.PTR', ptr, max)) return;
    if (n > 0) this.ctx.dma.write(ptr, Uint8Array.from(s.fifo.splice(0, n)));
    s.rxdAmount = n;
    this.generate(EV_ENDRX);
  }

  private suspend(): void {
    const s = this.s;
    this.disarmTx();
    this.disarmStop();
    s.txOn = false;
    s.txShift = null;
    s.txPending = null;
    s.rxOn = false;
  }

  private readRxd(): number {
    const s = this.s;
    if (this.mode !== 'uart' || s.fifo.length === 0) return s.rxd;
    s.rxd = s.fifo.shift()!;
    if (s.fifo.length > 0) this.generate(EV_RXDRDY); // the next byte moves into RXD
    return s.rxd;
  }

  // ---- the RX line -----------------------------------------------------------------------

  private onLineByte(): void {
    const s = this.s;
    s.lineAt = null;
    const byte = s.line.shift();
    if (s.line.length > 0) this.armLine(this.ctx.clock.now + this.frameCycles());
    if (byte !== undefined) this.deliver(byte);
  }

  private deliver(byte: number): void {
    const s = this.s;
    const mode = this.mode;
    // Lost: nothing is listening (disabled, receiver off, or RXD pin not connected).
    if (mode === 'off' || !s.rxOn || s.psel[3]! & PSEL_DISCONNECTED) return;
    if (mode === 'uart') {
      if (s.fifo.length >= UART_FIFO) return this.overrun();
      s.fifo.push(byte);
      if (s.fifo.length === 1) this.generate(EV_RXDRDY);
      return;
    }
    this.generate(EV_RXDRDY);
    if (s.rxBuf !== null && s.rxBuf.count < s.rxBuf.max) this.store(byte);
    else if (s.fifo.length < UARTE_FIFO) s.fifo.push(byte);
    else this.overrun();
  }

  private overrun(): void {
    this.s.errorsrc |= ERRORSRC_OVERRUN;
    this.generate(EV_ERROR);
  }

  // ---- clock events ----------------------------------------------------------------------

  private armLine(at: number): void {
    this.s.lineAt = at;
    this.lineEvent.armAt(at);
  }

  private armTx(at: number): void {
    this.s.txAt = at;
    this.txEvent.armAt(at);
  }

  private disarmTx(): void {
    this.txEvent.cancel();
    this.s.txAt = null;
  }

  private armStop(): void {
    this.stopEvent.armAt(this.s.rxStopAt!);
  }

  private disarmStop(): void {
    this.stopEvent.cancel();
    this.s.rxStopAt = null;
  }

  private disarmAll(): void {
    this.lineEvent.cancel();
    this.disarmTx();
    this.disarmStop();
  }

  // ---- reset and snapshots ---------------------------------------------------------------

  protected resetRegisters(): void {
    // Bytes still on the line would reach a receiver that reset has turned off: all lost.
    this.disarmAll();
    this.s = initial();
    this.dmaErrors.length = 0;
  }

  protected saveState(): UarteState {
    return clone(this.s);
  }

  protected loadState(state: unknown): void {
    this.disarmAll();
    this.s = clone(state as UarteState);
    const { lineAt, txAt, rxStopAt } = this.s;
    if (lineAt !== null) this.armLine(lineAt);
    if (txAt !== null) this.armTx(txAt);
    if (rxStopAt !== null) this.armStop();
  }
}
