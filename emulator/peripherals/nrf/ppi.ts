/**
 * nRF52 PPI: the programmable peripheral interconnect that lets an event start a task.
 *
 * From the nRF52840 Product Specification, "PPI — Programmable peripheral interconnect":
 * - 32 channels; each has an event end point (EEP) and a task end point (TEP), both register
 *   addresses. Channels 0-19 are programmed through CH[n].EEP/TEP (0x510 + 8n / 0x514 + 8n);
 *   channels 20-31 have fixed end points ("Pre-programmed channels", table below).
 * - Every channel has a fork: FORK[n].TEP (0x910 + 4n), a second task started with the first.
 * - CHEN (0x500) enables channels; CHENSET/CHENCLR (0x504/0x508) set/clear bits and read CHEN.
 * - Six channel groups CHG[n] (0x800 + 4n) name sets of channels; TASKS_CHG[n].EN/.DIS
 *   (0x000 + 8n / 0x004 + 8n) enable/disable a whole group. These tasks may themselves be PPI
 *   task end points (the machine routes their addresses back to `triggerTask`).
 * - "On each PPI channel, the signals are synchronized to the 16 MHz clock": a task starts one
 *   16 MHz period after its event. We model that delay (rounded up to whole core cycles); it
 *   also keeps a channel that loops an event back to its own task from recursing on the host:
 *   such a loop runs once per delay in virtual time, as on the chip.
 * - A task is a signal (PS "Peripheral interface": a task is started by writing to its register
 *   or by a PPI channel's signal), so starts of one task that several channels, or a channel
 *   and its fork, deliver on the same 16 MHz edge are one start. Our reading, and the one that
 *   keeps a loop through a fork from doubling its work every period.
 * The PPI has no events and no interrupt.
 *
 * The machine calls `onEvent(address)` for every published event and gives the constructor a
 * `triggerTask(address)` that starts the task at an absolute address (writes to addresses that
 * are no task are the machine's business).
 */
import { ClockEvent } from '../../core/clock-event';
import type { AccessSize, MmioDevice } from '../../core/interfaces';
import { laneValue, readLanes } from '../../core/memory/lanes';
import type { NrfContext } from './nrf-peripheral';
import type { RegisterInfo } from './registers';

export const PPI_BASE = 0x4001f000;
/** Channels with programmable end points. */
export const PPI_PROGRAMMABLE_CHANNELS = 20;
export const PPI_CHANNELS = 32;
export const PPI_GROUPS = 6;
/** PPI signals are synchronized to this clock (PCLK16M). */
export const PPI_SYNC_HZ = 16_000_000;

const CHEN = 0x500;
const CHENSET = 0x504;
const CHENCLR = 0x508;
const CH_EEP0 = 0x510;
const CHG0 = 0x800;
const FORK_TEP0 = 0x910;

const RADIO = 0x40001000;
const TIMER0 = 0x40008000;
const RTC0 = 0x4000b000;
/** AAR and CCM share one address block. */
const AAR_CCM = 0x4000f000;

/** One fixed channel: absolute event and task addresses with their PS names. */
export interface FixedChannel {
  channel: number;
  eep: number;
  tep: number;
  event: string;
  task: string;
}

/** PS "Pre-programmed channels" (channels 20-31). */
export const PPI_FIXED_CHANNELS: readonly FixedChannel[] = [
  [20, TIMER0 + 0x140, RADIO + 0x000, 'TIMER0.EVENTS_COMPARE[0]', 'RADIO.TASKS_TXEN'],
  [21, TIMER0 + 0x140, RADIO + 0x004, 'TIMER0.EVENTS_COMPARE[0]', 'RADIO.TASKS_RXEN'],
  [22, TIMER0 + 0x144, RADIO + 0x010, 'TIMER0.EVENTS_COMPARE[1]', 'RADIO.TASKS_DISABLE'],
  [23, RADIO + 0x128, AAR_CCM + 0x000, 'RADIO.EVENTS_BCMATCH', 'AAR.TASKS_START'],
  [24, RADIO + 0x100, AAR_CCM + 0x000, 'RADIO.EVENTS_READY', 'CCM.TASKS_KSGEN'],
  [25, RADIO + 0x104, AAR_CCM + 0x004, 'RADIO.EVENTS_ADDRESS', 'CCM.TASKS_CRYPT'],
  [26, RADIO + 0x104, TIMER0 + 0x044, 'RADIO.EVENTS_ADDRESS', 'TIMER0.TASKS_CAPTURE[1]'],
  [27, RADIO + 0x10c, TIMER0 + 0x048, 'RADIO.EVENTS_END', 'TIMER0.TASKS_CAPTURE[2]'],
  [28, RTC0 + 0x140, RADIO + 0x000, 'RTC0.EVENTS_COMPARE[0]', 'RADIO.TASKS_TXEN'],
  [29, RTC0 + 0x140, RADIO + 0x004, 'RTC0.EVENTS_COMPARE[0]', 'RADIO.TASKS_RXEN'],
  [30, RTC0 + 0x140, TIMER0 + 0x00c, 'RTC0.EVENTS_COMPARE[0]', 'TIMER0.TASKS_CLEAR'],
  [31, RTC0 + 0x140, TIMER0 + 0x000, 'RTC0.EVENTS_COMPARE[0]', 'TIMER0.TASKS_START'],
].map(([channel, eep, tep, event, task]) => ({
  channel: channel as number,
  eep: eep as number,
  tep: tep as number,
  event: event as string,
  task: task as string,
}));

export const PPI_REGISTERS: readonly RegisterInfo[] = [
  {
    name: 'TASKS_CHG[%s].EN',
    offset: 0x000,
    access: 'write-only',
    reset: 0,
    dim: { count: PPI_GROUPS, stride: 8 },
  },
  {
    name: 'TASKS_CHG[%s].DIS',
    offset: 0x004,
    access: 'write-only',
    reset: 0,
    dim: { count: PPI_GROUPS, stride: 8 },
  },
  { name: 'CHEN', offset: CHEN, access: 'read-write', reset: 0 },
  { name: 'CHENSET', offset: CHENSET, access: 'read-write', reset: 0 },
  { name: 'CHENCLR', offset: CHENCLR, access: 'read-write', reset: 0 },
  {
    name: 'CH[%s].EEP',
    offset: CH_EEP0,
    access: 'read-write',
    reset: 0,
    dim: { count: PPI_PROGRAMMABLE_CHANNELS, stride: 8 },
  },
  {
    name: 'CH[%s].TEP',
    offset: CH_EEP0 + 4,
    access: 'read-write',
    reset: 0,
    dim: { count: PPI_PROGRAMMABLE_CHANNELS, stride: 8 },
  },
  {
    name: 'CHG[%s]',
    offset: CHG0,
    access: 'read-write',
    reset: 0,
    dim: { count: PPI_GROUPS, stride: 4 },
  },
  {
    name: 'FORK[%s].TEP',
    offset: FORK_TEP0,
    access: 'read-write',
    reset: 0,
    dim: { count: PPI_CHANNELS, stride: 4 },
  },
];

/** A task start waiting for its 16 MHz synchronization. */
interface PendingTask {
  at: number;
  address: number;
}

interface PpiState {
  chen: number;
  eep: number[];
  tep: number[];
  chg: number[];
  fork: number[];
  pending: PendingTask[];
}

export class Ppi implements MmioDevice {
  readonly name = 'PPI';
  private chen = 0;
  private readonly eep = new Array<number>(PPI_PROGRAMMABLE_CHANNELS).fill(0);
  private readonly tep = new Array<number>(PPI_PROGRAMMABLE_CHANNELS).fill(0);
  private readonly chg = new Array<number>(PPI_GROUPS).fill(0);
  private readonly fork = new Array<number>(PPI_CHANNELS).fill(0);
  private pending: PendingTask[] = [];
  /** The earliest pending task start. */
  private readonly delivery: ClockEvent;

  constructor(
    private readonly ctx: NrfContext,
    private readonly startTask: (address: number) => void,
  ) {
    this.delivery = new ClockEvent(ctx.clock, this.name, () => this.deliver());
  }

  /** Event and task end points of channel `ch` (fixed ones for 20-31). */
  endpoints(ch: number): { eep: number; tep: number; fork: number } {
    if (!Number.isInteger(ch) || ch < 0 || ch >= PPI_CHANNELS)
      throw new Error(`PPI has channels 0-${PPI_CHANNELS - 1}, not ${ch}`);
    const fixed = PPI_FIXED_CHANNELS[ch - PPI_PROGRAMMABLE_CHANNELS];
    return {
      eep: fixed ? fixed.eep : this.eep[ch]!,
      tep: fixed ? fixed.tep : this.tep[ch]!,
      fork: this.fork[ch]!,
    };
  }

  /** An event at `eventAddress` was generated: start the tasks of every enabled channel on it. */
  onEvent(eventAddress: number): void {
    const address = eventAddress >>> 0;
    if (this.chen === 0 || address === 0) return;
    const at = this.ctx.clock.now + Math.ceil(this.ctx.clock.frequencyHz / PPI_SYNC_HZ);
    for (let ch = 0; ch < PPI_CHANNELS; ch++) {
      if (((this.chen >>> ch) & 1) === 0) continue;
      const e = this.endpoints(ch);
      if (e.eep !== address) continue;
      if (e.tep !== 0) this.queue(at, e.tep);
      if (e.fork !== 0) this.queue(at, e.fork);
    }
    this.arm();
  }

  /** Queue a task start at `at` unless that task already starts on that edge. */
  private queue(at: number, address: number): void {
    // Starts are queued in time order, so those on the same edge sit at the end.
    for (let i = this.pending.length - 1; i >= 0 && this.pending[i]!.at === at; i--)
      if (this.pending[i]!.address === address) return;
    this.pending.push({ at, address });
  }

  /** Start one of the PPI's own tasks (TASKS_CHG[n].EN/DIS) by offset, as the bus or PPI does. */
  triggerTask(offset: number): void {
    if (offset >= 8 * PPI_GROUPS || offset & 3) return;
    const group = this.chg[offset >> 3]!;
    if (offset & 4) this.chen = (this.chen & ~group) >>> 0;
    else this.chen = (this.chen | group) >>> 0;
  }

  /** Schedule the clock event for the earliest pending task start. */
  private arm(): void {
    if (this.delivery.armed || this.pending.length === 0) return;
    this.delivery.armAt(this.pending[0]!.at);
  }

  private deliver(): void {
    const now = this.ctx.clock.now;
    let due = 0;
    while (due < this.pending.length && this.pending[due]!.at <= now) due++;
    // Take the due starts out first: tasks they start may publish events that queue more.
    const batch = this.pending.splice(0, due);
    for (const p of batch) this.startTask(p.address);
    this.arm();
  }

  read(offset: number, size: AccessSize): number {
    return readLanes(this.readWord(offset & ~3) >>> 0, offset, size);
  }

  /** Reads of the PPI have no side effects: a debugger's read is an ordinary one. */
  peek(offset: number, size: AccessSize): number {
    return this.read(offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    this.writeWord(offset & ~3, laneValue(value, offset, size));
  }

  private readWord(offset: number): number {
    if (offset === CHEN || offset === CHENSET || offset === CHENCLR) return this.chen;
    const cell = this.cell(offset);
    return cell ? cell.array[cell.index]! : 0;
  }

  private writeWord(offset: number, v: number): void {
    if (offset < 8 * PPI_GROUPS) {
      if (v & 1) this.triggerTask(offset);
    } else if (offset === CHEN) this.chen = v;
    else if (offset === CHENSET) this.chen = (this.chen | v) >>> 0;
    else if (offset === CHENCLR) this.chen = (this.chen & ~v) >>> 0;
    else {
      const cell = this.cell(offset);
      if (cell) cell.array[cell.index] = v;
    }
  }

  /** The storage behind an end-point or group register, or undefined for other offsets. */
  private cell(offset: number): { array: number[]; index: number } | undefined {
    if (offset >= CH_EEP0 && offset < CH_EEP0 + 8 * PPI_PROGRAMMABLE_CHANNELS) {
      const rel = offset - CH_EEP0;
      return { array: rel & 4 ? this.tep : this.eep, index: rel >> 3 };
    }
    if (offset >= CHG0 && offset < CHG0 + 4 * PPI_GROUPS)
      return { array: this.chg, index: (offset - CHG0) >> 2 };
    if (offset >= FORK_TEP0 && offset < FORK_TEP0 + 4 * PPI_CHANNELS)
      return { array: this.fork, index: (offset - FORK_TEP0) >> 2 };
    return undefined;
  }

  reset(): void {
    this.delivery.cancel();
    this.pending = [];
    this.chen = 0;
    this.eep.fill(0);
    this.tep.fill(0);
    this.chg.fill(0);
    this.fork.fill(0);
  }

  snapshot(): PpiState {
    return {
      chen: this.chen,
      eep: [...this.eep],
      tep: [...this.tep],
      chg: [...this.chg],
      fork: [...this.fork],
      pending: this.pending.map((p) => ({ ...p })),
    };
  }

  restore(state: unknown): void {
    const s = state as PpiState;
    const lengths: [string, number[] | undefined, number][] = [
      ['eep', s.eep, PPI_PROGRAMMABLE_CHANNELS],
      ['tep', s.tep, PPI_PROGRAMMABLE_CHANNELS],
      ['chg', s.chg, PPI_GROUPS],
      ['fork', s.fork, PPI_CHANNELS],
    ];
    for (const [key, arr, n] of lengths)
      if (!Array.isArray(arr) || arr.length !== n)
        throw new Error(`PPI snapshot: '${key}' must hold ${n} values`);
    this.delivery.cancel();
    this.chen = s.chen >>> 0;
    this.eep.splice(0, PPI_PROGRAMMABLE_CHANNELS, ...s.eep);
    this.tep.splice(0, PPI_PROGRAMMABLE_CHANNELS, ...s.tep);
    this.chg.splice(0, PPI_GROUPS, ...s.chg);
    this.fork.splice(0, PPI_CHANNELS, ...s.fork);
    const pending: unknown = s.pending;
    if (!Array.isArray(pending)) throw new Error(`PPI snapshot: 'pending' must be a list`);
    this.pending = (pending as PendingTask[]).map((p) => ({ at: p.at, address: p.address >>> 0 }));
    this.arm();
  }
}
