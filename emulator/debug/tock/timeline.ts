/**
 * The kernel timeline's model: the recorder's raw records (emulator/debug/tock/recorder.ts)
 * turned into what a Tock developer reads: system calls (class, driver, command, result),
 * upcalls (queued, dropped, delivered: the kernel's trace events on ITM port `abi.tracePort`),
 * interrupts (entry and exit per IRQ), context switches and faults, each on a lane (one per
 * process, one per IRQ, one for the kernel), and exportable as a Chrome / Perfetto trace
 * (the Trace Event Format's JSON: "X" complete events and "i" instant events).
 *
 * Names come from kernel/abi/abi.json (the ABI crate writes it), not from a copy here.
 * How records become events (ARMv7-M ARM B1.5.6-B1.5.8 for entry and return):
 * - an SVC (exception 11) taken from Thread mode on the process stack (EXC_RETURN bit 2) is a
 *   system call: the class is the SVC immediate, r0-r3 the arguments; it ends at the next
 *   exception return into that process (the kernel writes the result to its r0-r3 first);
 * - an exception return to Thread mode on the process stack is a switch into the process whose
 *   RAM holds the stack pointer; its next exception entry from the process stack switches out;
 * - exceptions 16 and up are IRQ n - 16, from entry to return; 3-6 with a Fault record are faults.
 *
 * @example
 *   const tl = new Timeline(processes); // [{ slot, name, ram }]
 *   tl.add(chunk);                      // each recorder `fetch` reply, in order
 *   tl.events;                          // [{ lane: 'hello', kind: 'syscall', name: 'command console 1', ... }]
 *   JSON.stringify(tl.chromeTrace());   // open in ui.perfetto.dev
 */
import abi from '../../../kernel/abi/abi.json';
import { RECORD_WORDS, RecordKind, type RecorderChunk } from './recorder';

export type TimelineKind = 'syscall' | 'upcall' | 'irq' | 'switch' | 'fault' | 'dma';

export interface TimelineEvent {
  kind: TimelineKind;
  /** 'kernel', a process name, or 'IRQ n'. */
  lane: string;
  name: string;
  /** Start cycle and duration in cycles (0 for instants). */
  start: number;
  duration: number;
  /** Where it happened (a PC: click-to-source). */
  pc?: number;
  /**
   * A system call's entry record (its sequence number in the recorder), whose stack the
   * recorder kept (`{op:'stack', seq}`) for the click to the app's own line.
   */
  seq?: number;
  args: Record<string, string | number>;
}

export interface TimelineProcess {
  slot: number;
  name: string;
  ram: { start: number; end: number };
}

const named = (list: { number: number; name: string }[]): Map<number, string> =>
  new Map(list.map((x) => [x.number, x.name]));
const CLASSES = named(abi.syscallClasses);
const DRIVERS = named(abi.drivers);
const RETURNS = named(abi.returnVariants);
const ERRORS = named(abi.errorCodes);
const TRACE = named(abi.traceEvents);
const MEMOPS = named(abi.memops);
const YIELDS = named(abi.yieldKinds);
const SVC = 11;
/** EXC_RETURN to Thread mode on the process stack (with or without an FP frame; B1.5.8). */
const toProcess = (excReturn: number): boolean =>
  excReturn >>> 28 === 0xf && (excReturn & 0xc) === 0xc;
const FAULT_NAMES: Record<number, string> = {
  3: 'HardFault',
  4: 'MemManage',
  5: 'BusFault',
  6: 'UsageFault',
};

const EXC_NAMES: Record<number, string> = { 11: 'SVC', 14: 'PendSV', 15: 'SysTick' };
const excName = (exc: number): string =>
  EXC_NAMES[exc] ?? FAULT_NAMES[exc] ?? (exc >= 16 ? `IRQ ${exc - 16}` : `exception ${exc}`);

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** A system call's arguments in words a person reads ("command console 1 (2, 0)"). */
export function describeSyscall(svc: number, r: number[]): string {
  const cls = CLASSES.get(svc) ?? `svc ${svc}`;
  const driver = (n: number): string => DRIVERS.get(n >>> 0) ?? hex(n);
  switch (cls) {
    case 'yield':
      return `yield ${YIELDS.get(r[0]!) ?? r[0]}`;
    case 'command':
      return `command ${driver(r[0]!)} ${r[1]! >>> 0}`;
    case 'subscribe':
    case 'allow-rw':
    case 'allow-ro':
    case 'allow-userspace-readable':
      return `${cls} ${driver(r[0]!)} ${r[1]! >>> 0}`;
    case 'memop':
      return `memop ${MEMOPS.get(r[0]!) ?? r[0]}`;
    default:
      return cls;
  }
}

/** A result in the process's r0-r3 (TRD104 return variants), as words. */
export function describeResult(r: number[]): string {
  const variant = RETURNS.get(r[0]! >>> 0);
  if (variant === undefined) return `r0=${hex(r[0]!)}`;
  if (variant.startsWith('Failure')) return `${variant}: ${ERRORS.get(r[1]! >>> 0) ?? r[1]}`;
  return variant;
}

/** Events a timeline keeps by default (the oldest half goes when it is full). */
export const TIMELINE_CAPACITY = 1 << 18;
const KIND_CODES: readonly TimelineKind[] = ['syscall', 'upcall', 'irq', 'switch', 'fault', 'dma'];
const K_SYSCALL = 0;
const K_UPCALL = 1;
const K_IRQ = 2;
const K_SWITCH = 3;
const K_FAULT = 4;
const K_DMA = 5;
/** Each lane's newest events kept by number for `shown`'s floor (the most a floor can ask). */
const LANE_RING = 64;
/** `sub` of a switch event: a 'running' span (else an instant 'switch from'). */
const RUNNING = 1 << 16;
/** A syscall's `sub` once its result is in `res`. */
const HAS_RESULT = 1 << 16;

/**
 * The decoded events, kept as columns of typed arrays (no object per event: the recording runs
 * at tens of thousands of events per second, and objects made per record cost the decoding
 * thread and the collector more than the recording costs the core). An event's name and
 * arguments are written out only when it is asked for (`event(i)`), from its numbers:
 *
 * | kind | sub | a0-a3 | res0-res3 |
 * |---|---|---|---|
 * | syscall | SVC immediate (class), HAS_RESULT | r0-r3 | r0-r3 at the return |
 * | upcall | | trace header, driver | |
 * | irq | exception | | |
 * | switch | since exception, RUNNING for a span | until exception (-1: open), from lane (-1) | |
 * | fault | exception | CFSR, HFSR, MMFAR, BFAR | |
 * | dma | channel | start (1) / end (0), buffer, length, bytes moved | |
 */
class EventColumns {
  kind: Uint8Array;
  lane: Uint16Array;
  start: Float64Array;
  duration: Float64Array;
  /** PC, or -1. */
  pc: Float64Array;
  /** The entry record's sequence number, or -1. */
  seq: Float64Array;
  sub: Int32Array;
  a: Int32Array;
  res: Int32Array;
  constructor(readonly capacity: number) {
    this.kind = new Uint8Array(capacity);
    this.lane = new Uint16Array(capacity);
    this.start = new Float64Array(capacity);
    this.duration = new Float64Array(capacity);
    this.pc = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.sub = new Int32Array(capacity);
    this.a = new Int32Array(capacity * 4);
    this.res = new Int32Array(capacity * 4);
  }
  /** Moves events `from`.. to 0.. (the oldest are dropped). */
  shift(from: number, count: number): void {
    for (const col of [
      this.kind,
      this.lane,
      this.start,
      this.duration,
      this.pc,
      this.seq,
      this.sub,
    ])
      col.copyWithin(0, from, from + count);
    this.a.copyWithin(0, from * 4, (from + count) * 4);
    this.res.copyWithin(0, from * 4, (from + count) * 4);
  }
}

export class Timeline {
  /** Records the ring overwrote before they were fetched. */
  lost = 0;
  next = 0;
  frequencyHz = 64_000_000;
  /** Events dropped from the front (beyond the capacity) since the last clear. */
  dropped = 0;
  private cols: EventColumns;
  /** Events kept: absolute numbers `base`..`base + count - 1`. */
  private count = 0;
  private base = 0;
  private laneNames: string[] = [];
  private laneIds = new Map<string, number>();
  /**
   * Lane ids by what names them, so that decoding a record makes no string: the processes' (by
   * index in `processes`), the IRQs' (by exception number), the EasyDMA channels', the
   * kernel's, and stacks outside every process (by stack pointer). A CPU profile of a recording
   * had the names' template strings and their Map lookups at 1 % of the thread.
   */
  private processLanes: number[] = [];
  private irqLanes: number[] = [];
  private dmaLanes: number[] = [];
  private kernelLane = -1;
  private strayLanes = new Map<number, number>();
  /** Open IRQ spans: exception -> absolute event number. */
  private open = new Map<number, number>();
  /** A system call waiting for its result: lane -> absolute event number. */
  private pendingSyscall = new Map<number, number>();
  /**
   * The process running (its lane, -1: none) since a cycle, the exception it came back from
   * and the lane it switched from (-1); fields rather than an object made per record.
   */
  private runLane = -1;
  private runSince = 0;
  private runExc = 0;
  private runFrom = -1;
  /** The process lane the last exception entry from the process stack left (-1), and by what. */
  private leftLane = -1;
  private leftExc = 0;
  private traceHeader: number | null = null;
  /**
   * Per lane id, the absolute numbers of its newest `LANE_RING` events (a ring; `ringNext` is
   * how many it was given): `shown` finds a quiet lane's newest older events here instead of
   * scanning every kept event (up to 262,144) at each poll.
   */
  private rings: Float64Array[] = [];
  private ringNext: number[] = [];
  /**
   * The events `shown` wrote out last time, by absolute number: the next poll reuses those that
   * did not change (a span's end or a system call's result drops its entry), so a poll writes
   * out only the events recorded since, not every event it carries.
   */
  private written = new Map<number, TimelineEvent>();

  constructor(
    private processes: readonly TimelineProcess[] = [],
    capacity = TIMELINE_CAPACITY,
  ) {
    this.cols = new EventColumns(Math.max(16, capacity));
  }

  /**
   * Forgets the events so far (the Timeline panel's Clear); records keep coming from `next`.
   * Spans still open (an IRQ, a system call, a process running) are dropped too: they restart
   * at their next record.
   */
  clear(): void {
    this.base += this.count;
    this.count = 0;
    this.open.clear();
    this.pendingSyscall.clear();
    this.runLane = -1;
    this.leftLane = -1;
    this.traceHeader = null;
    this.written.clear();
    this.lost = 0;
    this.dropped = 0;
  }

  /** The process table changed (a restart, a new process). */
  setProcesses(processes: readonly TimelineProcess[]): void {
    this.processes = processes;
    this.processLanes = [];
  }

  /** Events kept. */
  get length(): number {
    return this.count;
  }

  /** Every kept event, written out (tests and small recordings: `event(i)` for one). */
  get events(): TimelineEvent[] {
    const out: TimelineEvent[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.event(i));
    return out;
  }

  /** Event `i` (0: the oldest kept) written out. */
  event(i: number): TimelineEvent {
    const c = this.cols;
    const k = c.kind[i]!;
    const sub = c.sub[i]!;
    const a = (j: number): number => c.a[i * 4 + j]!;
    const e: TimelineEvent = {
      kind: KIND_CODES[k]!,
      lane: this.laneName(i),
      name: '',
      start: c.start[i]!,
      duration: c.duration[i]!,
      args: {},
    };
    if (c.pc[i]! >= 0) e.pc = c.pc[i]!;
    if (c.seq[i]! >= 0) e.seq = c.seq[i]!;
    switch (k) {
      case K_SYSCALL: {
        const svc = sub & 0xffff;
        const r = [a(0), a(1), a(2), a(3)];
        e.name = describeSyscall(svc, r);
        e.args = {
          class: CLASSES.get(svc) ?? svc,
          r0: hex(r[0]!),
          r1: hex(r[1]!),
          r2: hex(r[2]!),
          r3: hex(r[3]!),
        };
        if (sub & HAS_RESULT) {
          const b = i * 4;
          e.args.result = describeResult([c.res[b]!, c.res[b + 1]!, c.res[b + 2]!, c.res[b + 3]!]);
        }
        break;
      }
      case K_UPCALL: {
        const header = a(0) >>> 0;
        const kind = TRACE.get(header & 0xff) ?? `trace ${header & 0xff}`;
        const subscribe = header >>> 16;
        const driver = DRIVERS.get(a(1) >>> 0) ?? hex(a(1));
        e.name = `${kind} ${driver} ${subscribe}`;
        e.args = { driver, subscribe };
        break;
      }
      case K_IRQ:
        e.name = `IRQ ${sub - 16}`;
        e.args = { exception: sub };
        break;
      case K_SWITCH: {
        const from = a(1) >= 0 ? this.laneNames[a(1)]! : null;
        if (sub & RUNNING) {
          e.name = 'running';
          const args: Record<string, string> = { since: excName(sub & 0xffff) };
          if (from !== null) args.from = from;
          if (a(0) >= 0) args.until = excName(a(0));
          e.args = args;
        } else {
          e.name = `switch from ${from}`;
          e.args = { from: from ?? '', by: excName(sub) };
        }
        break;
      }
      case K_FAULT:
        e.name = FAULT_NAMES[sub] ?? `exception ${sub}`;
        e.args = { cfsr: hex(a(0)), hfsr: hex(a(1)), mmfar: hex(a(2)), bfar: hex(a(3)) };
        break;
      case K_DMA:
        e.name = a(0) ? 'start' : 'end';
        e.args = { ptr: hex(a(1)), length: a(2), amount: a(3) };
        break;
    }
    return e;
  }

  /** Event `i`'s lane. */
  laneName(i: number): string {
    return this.laneNames[this.cols.lane[i]!]!;
  }

  /** Event `i`'s kind. */
  kindOf(i: number): TimelineKind {
    return KIND_CODES[this.cols.kind[i]!]!;
  }

  /** Event `i`'s start and duration in cycles. */
  span(i: number): { start: number; duration: number } {
    return { start: this.cols.start[i]!, duration: this.cols.duration[i]! };
  }

  /**
   * The events a view carries: the newest `limit`, plus, for each lane with fewer than `floor`
   * events among them, its newest older events up to `floor` (a quiet process's last system
   * calls stay visible while a busy one's scroll past). In the order they were recorded.
   */
  shown(limit: number, floor: number): TimelineEvent[] {
    const from = Math.max(0, this.count - limit);
    const fromAbs = this.base + from;
    const want = Math.min(floor, LANE_RING);
    const older: number[] = [];
    for (let lane = 0; lane < this.rings.length; lane++) {
      const ring = this.rings[lane]!;
      const n = Math.min(this.ringNext[lane]!, LANE_RING);
      // The ring's entries, newest first: those in the window, then the older ones still kept.
      let inWindow = 0;
      let k = 0;
      for (; k < n; k++) {
        const abs = ring[(this.ringNext[lane]! - 1 - k) % LANE_RING]!;
        if (abs < fromAbs) break;
        inWindow++;
      }
      for (; k < n && inWindow < want; k++, inWindow++) {
        const abs = ring[(this.ringNext[lane]! - 1 - k) % LANE_RING]!;
        if (abs < this.base) break;
        older.push(abs - this.base);
      }
    }
    older.sort((a, b) => a - b);
    const written = new Map<number, TimelineEvent>();
    const out: TimelineEvent[] = [];
    const put = (i: number): void => {
      const abs = this.base + i;
      const e = this.written.get(abs) ?? this.event(i);
      written.set(abs, e);
      out.push(e);
    };
    for (const i of older) put(i);
    for (let i = from; i < this.count; i++) put(i);
    this.written = written;
    return out;
  }

  private laneId(name: string): number {
    let id = this.laneIds.get(name);
    if (id === undefined) {
      id = this.laneNames.length;
      this.laneNames.push(name);
      this.laneIds.set(name, id);
    }
    return id;
  }

  private processLane(i: number): number {
    const id = this.processLanes[i];
    if (id !== undefined) return id;
    return (this.processLanes[i] = this.laneId(this.processes[i]!.name));
  }

  private laneOfSp(sp: number): number {
    const ps = this.processes;
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i]!;
      if (sp >= p.ram.start && sp <= p.ram.end) return this.processLane(i);
    }
    let id = this.strayLanes.get(sp);
    if (id === undefined) this.strayLanes.set(sp, (id = this.laneId(`process @${hex(sp)}`)));
    return id;
  }

  private laneOfSlot(slot: number): number {
    const ps = this.processes;
    for (let i = 0; i < ps.length; i++) if (ps[i]!.slot === slot) return this.processLane(i);
    return this.laneId(`slot ${slot}`);
  }

  private irqLane(exc: number): number {
    const id = this.irqLanes[exc];
    if (id !== undefined) return id;
    return (this.irqLanes[exc] = this.laneId(`IRQ ${exc - 16}`));
  }

  private dmaLane(channel: number): number {
    const id = this.dmaLanes[channel];
    if (id !== undefined) return id;
    return (this.dmaLanes[channel] = this.laneId(`DMA ${channel}`));
  }

  /** Adds one fetched chunk (chunks must come in order). */
  add(chunk: RecorderChunk): void {
    this.lost += chunk.lost;
    this.frequencyHz = chunk.frequencyHz;
    const n = chunk.cycles.length;
    const w = chunk.words;
    for (let i = 0; i < n; i++) this.record(chunk.cycles[i]!, w, i * RECORD_WORDS, chunk.first + i);
    this.next = chunk.first + n;
  }

  /** The kept event of absolute number `abs`, or -1 when it was dropped. */
  private at(abs: number): number {
    const i = abs - this.base;
    return i >= 0 && i < this.count ? i : -1;
  }

  private record(at: number, w: Int32Array, o: number, seq: number): void {
    switch (w[o]) {
      case RecordKind.ExceptionEntry: {
        const exc = w[o + 1]!;
        const lr = w[o + 2]! >>> 0;
        const pc = w[o + 3]!;
        const frame = w[o + 4]! >>> 0;
        const svc = w[o + 9]!;
        const fromProcess = toProcess(lr);
        if (fromProcess && this.runLane >= 0) {
          const e = this.push(K_SWITCH, this.runLane, RUNNING | this.runExc, this.runSince, at);
          this.cols.a[e * 4] = exc;
          this.cols.a[e * 4 + 1] = this.runFrom;
          this.leftLane = this.runLane;
          this.leftExc = exc;
          this.runLane = -1;
        } else if (fromProcess) {
          this.leftLane = this.laneOfSp(frame);
          this.leftExc = exc;
        }
        if (exc === SVC && fromProcess && svc >= 0) {
          const lane = this.laneOfSp(frame);
          const e = this.push(K_SYSCALL, lane, svc, at, at);
          this.cols.a.set(w.subarray(o + 5, o + 9), e * 4);
          this.cols.pc[e] = (pc - 2) >>> 0;
          this.cols.seq[e] = seq;
          this.pendingSyscall.set(lane, this.base + e);
        } else if (exc >= 16) {
          const e = this.push(K_IRQ, this.irqLane(exc), exc, at, at);
          this.cols.pc[e] = pc >>> 0;
          this.open.set(exc, this.base + e);
        }
        return;
      }
      case RecordKind.ExceptionReturn: {
        const exc = w[o + 1]!;
        const excReturn = w[o + 2]! >>> 0;
        const tail = w[o + 3]!;
        const sp = w[o + 5]! >>> 0;
        const open = this.open.get(exc);
        if (open !== undefined) {
          const e = this.at(open);
          if (e >= 0) this.cols.duration[e] = at - this.cols.start[e]!;
          this.written.delete(open);
          this.open.delete(exc);
        }
        // A tail-chained return goes to the next handler, not to the process (B1.5.12): the
        // stack pointer is still the main stack's, and the process resumes at a later return.
        if (tail === 0 && toProcess(excReturn)) {
          const lane = this.laneOfSp(sp);
          const pending = this.pendingSyscall.get(lane);
          if (pending !== undefined) {
            const e = this.at(pending);
            if (e >= 0) {
              this.cols.duration[e] = at - this.cols.start[e]!;
              this.cols.sub[e]! |= HAS_RESULT;
              this.cols.res.set(w.subarray(o + 6, o + 10), e * 4);
            }
            this.written.delete(pending);
            this.pendingSyscall.delete(lane);
          }
          // A return from the handler that was entered from another process is a context
          // switch made in handler mode (the kernel's SysTick timeslice switch): say so.
          let from = -1;
          if (this.leftLane >= 0 && this.leftLane !== lane && this.leftExc === exc) {
            from = this.leftLane;
            const e = this.push(K_SWITCH, lane, exc, at, at);
            this.cols.a[e * 4] = -1;
            this.cols.a[e * 4 + 1] = from;
          }
          this.leftLane = -1;
          this.runLane = lane;
          this.runSince = at;
          this.runExc = exc;
          this.runFrom = from;
        } else if (tail === 0 && (excReturn & 0xf) === 9) this.leftLane = -1; // to the kernel thread
        return;
      }
      case RecordKind.Fault: {
        const exc = w[o + 1]!;
        const lane =
          this.runLane >= 0
            ? this.runLane
            : this.kernelLane >= 0
              ? this.kernelLane
              : (this.kernelLane = this.laneId('kernel'));
        const e = this.push(K_FAULT, lane, exc, at, at);
        this.cols.a.set(w.subarray(o + 2, o + 6), e * 4);
        this.cols.pc[e] = w[o + 6]! >>> 0;
        return;
      }
      case RecordKind.Itm: {
        if (w[o + 1] !== abi.tracePort) return;
        const value = w[o + 2]!;
        // Two words per event: the header, then the driver number (abi TraceEvent).
        if (this.traceHeader === null) {
          this.traceHeader = value >>> 0;
          return;
        }
        const header = this.traceHeader;
        this.traceHeader = null;
        const e = this.push(K_UPCALL, this.laneOfSlot((header >>> 8) & 0xff), 0, at, at);
        this.cols.a[e * 4] = header | 0;
        this.cols.a[e * 4 + 1] = value;
        return;
      }
      case RecordKind.Dma: {
        const channel = w[o + 1]!;
        const e = this.push(K_DMA, this.dmaLane(channel), channel, at, at);
        this.cols.a.set(w.subarray(o + 2, o + 6), e * 4);
        return;
      }
      default:
        return;
    }
  }

  /** A new event (its index among the kept); the oldest half goes when the columns are full. */
  private push(kind: number, lane: number, sub: number, start: number, end: number): number {
    const c = this.cols;
    if (this.count === c.capacity) {
      const drop = c.capacity >>> 1;
      c.shift(drop, this.count - drop);
      this.count -= drop;
      this.base += drop;
      this.dropped += drop;
    }
    const i = this.count++;
    let ring = this.rings[lane];
    if (!ring) {
      ring = this.rings[lane] = new Float64Array(LANE_RING);
      this.ringNext[lane] = 0;
    }
    ring[this.ringNext[lane]!++ % LANE_RING] = this.base + i;
    c.kind[i] = kind;
    c.lane[i] = lane;
    c.sub[i] = sub;
    c.start[i] = start;
    c.duration[i] = end - start;
    c.pc[i] = -1;
    c.seq[i] = -1;
    return i;
  }

  /** The Trace Event Format (Chrome's about:tracing, Perfetto): microseconds, one tid per lane. */
  chromeTrace(): { traceEvents: object[]; displayTimeUnit: string } {
    const lanes = new Map<string, number>();
    const tid = (lane: string): number => {
      let t = lanes.get(lane);
      if (t === undefined) lanes.set(lane, (t = lanes.size + 1));
      return t;
    };
    const us = (cycles: number): number => (cycles * 1e6) / this.frequencyHz;
    const traceEvents: object[] = [];
    for (let i = 0; i < this.count; i++) {
      const e = this.event(i);
      traceEvents.push({
        name: e.name,
        cat: e.kind,
        ph: e.duration > 0 ? 'X' : 'i',
        ts: us(e.start),
        ...(e.duration > 0 ? { dur: us(e.duration) } : { s: 't' }),
        pid: 1,
        tid: tid(e.lane),
        args: e.pc !== undefined ? { ...e.args, pc: hex(e.pc) } : e.args,
      });
    }
    for (const [name, t] of lanes)
      traceEvents.push({ name: 'thread_name', ph: 'M', pid: 1, tid: t, args: { name } });
    return { traceEvents, displayTimeUnit: 'ns' };
  }
}

/** ITM registers a debugger writes to let the kernel emit its trace events (ARMv7-M ARM C1.7). */
const DEMCR = 0xe000edfc;
const ITM_TER = 0xe0000e00;
const ITM_TCR = 0xe0000e80;
const ITM_LAR = 0xe0000fb0;

/**
 * Switches the kernel's trace events on as a debugger does: DEMCR.TRCENA (C1.6.5), the ITM
 * unlocked (LAR), ITMENA in the TCR and the trace port's bit in TER. `read`/`write` are a
 * DebugTarget's word accesses.
 */
export async function enableKernelTrace(
  read: (address: number) => Promise<{ ok: boolean; value?: number }>,
  write: (address: number, value: number) => Promise<{ ok: boolean; error?: string }>,
): Promise<string | null> {
  const set = async (address: number, bits: number): Promise<string | null> => {
    const r = await read(address);
    const w = await write(address, ((r.ok ? (r.value ?? 0) : 0) | bits) >>> 0);
    return w.ok ? null : `cannot write ${hex(address)}: ${w.error ?? 'refused'}`;
  };
  return (
    (await set(DEMCR, 1 << 24)) ??
    (await write(ITM_LAR, 0xc5acce55)).error ??
    (await set(ITM_TCR, 1)) ??
    (await set(ITM_TER, 1 << abi.tracePort))
  );
}
