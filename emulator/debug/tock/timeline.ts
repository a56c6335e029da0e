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

export class Timeline {
  readonly events: TimelineEvent[] = [];
  /** Records the ring overwrote before they were fetched. */
  lost = 0;
  next = 0;
  frequencyHz = 64_000_000;
  private open = new Map<number, TimelineEvent>();
  private pendingSyscall = new Map<string, TimelineEvent>();
  private running: { lane: string; since: number; args: Record<string, string> } | null = null;
  /** The process lane the last exception entry from the process stack left, and by what. */
  private left: { lane: string; exc: number } | null = null;

  constructor(private processes: readonly TimelineProcess[] = []) {}

  /**
   * Forgets the events so far (the Timeline panel's Clear); records keep coming from `next`.
   * Spans still open (an IRQ, a system call, a process running) are dropped too: they restart
   * at their next record.
   */
  clear(): void {
    this.events.length = 0;
    this.open.clear();
    this.pendingSyscall.clear();
    this.running = null;
    this.left = null;
    this.traceHeader = null;
    this.lost = 0;
  }

  /** The process table changed (a restart, a new process). */
  setProcesses(processes: readonly TimelineProcess[]): void {
    this.processes = processes;
  }

  private laneOfSp(sp: number): string {
    const p = this.processes.find((x) => sp >= x.ram.start && sp <= x.ram.end);
    return p ? p.name : `process @${hex(sp)}`;
  }

  private laneOfSlot(slot: number): string {
    return this.processes.find((x) => x.slot === slot)?.name ?? `slot ${slot}`;
  }

  /** Adds one fetched chunk (chunks must come in order). */
  add(chunk: RecorderChunk): void {
    this.lost += chunk.lost;
    this.frequencyHz = chunk.frequencyHz;
    const n = chunk.cycles.length;
    for (let i = 0; i < n; i++) {
      const w = Array.from(chunk.words.subarray(i * RECORD_WORDS, (i + 1) * RECORD_WORDS));
      this.record(chunk.cycles[i]!, w, chunk.first + i);
    }
    this.next = chunk.first + n;
  }

  private record(at: number, w: number[], seq: number): void {
    switch (w[0]) {
      case RecordKind.ExceptionEntry: {
        const [, exc, lr, pc, frame, r0, r1, r2, r3, svc] = w as [number, ...number[]];
        const fromProcess = toProcess(lr! >>> 0);
        if (fromProcess && this.running) {
          this.push('switch', this.running.lane, 'running', this.running.since, at, {
            ...this.running.args,
            until: excName(exc!),
          });
          this.left = { lane: this.running.lane, exc: exc! };
          this.running = null;
        } else if (fromProcess) this.left = { lane: this.laneOfSp(frame!), exc: exc! };
        if (exc === SVC && fromProcess && svc! >= 0) {
          const lane = this.laneOfSp(frame!);
          const args = [r0!, r1!, r2!, r3!];
          const e = this.push('syscall', lane, describeSyscall(svc!, args), at, at, {
            class: CLASSES.get(svc!) ?? svc!,
            r0: hex(r0!),
            r1: hex(r1!),
            r2: hex(r2!),
            r3: hex(r3!),
          });
          e.pc = (pc! - 2) >>> 0;
          e.seq = seq;
          this.pendingSyscall.set(lane, e);
        } else if (exc! >= 16) {
          const e = this.push('irq', `IRQ ${exc! - 16}`, `IRQ ${exc! - 16}`, at, at, {
            exception: exc!,
          });
          e.pc = pc! >>> 0;
          this.open.set(exc!, e);
        }
        return;
      }
      case RecordKind.ExceptionReturn: {
        const [, exc, excReturn, , , sp, r0, r1, r2, r3] = w as [number, ...number[]];
        const [tail] = w.slice(3) as [number];
        const e = this.open.get(exc!);
        if (e) {
          e.duration = at - e.start;
          this.open.delete(exc!);
        }
        // A tail-chained return goes to the next handler, not to the process (B1.5.12): the
        // stack pointer is still the main stack's, and the process resumes at a later return.
        if (tail === 0 && toProcess(excReturn! >>> 0)) {
          const lane = this.laneOfSp(sp!);
          const call = this.pendingSyscall.get(lane);
          if (call) {
            call.duration = at - call.start;
            call.args.result = describeResult([r0!, r1!, r2!, r3!]);
            this.pendingSyscall.delete(lane);
          }
          // A return from the handler that was entered from another process is a context
          // switch made in handler mode (the kernel's SysTick timeslice switch): say so.
          const args: Record<string, string> = { since: excName(exc!) };
          if (this.left && this.left.lane !== lane && this.left.exc === exc) {
            args.from = this.left.lane;
            this.push('switch', lane, `switch from ${this.left.lane}`, at, at, {
              from: this.left.lane,
              by: excName(exc!),
            });
          }
          this.left = null;
          this.running = { lane, since: at, args };
        } else if (tail === 0 && (excReturn! & 0xf) === 9) this.left = null; // to the kernel thread
        return;
      }
      case RecordKind.Fault: {
        const [, exc, cfsr, hfsr, mmfar, bfar, pc] = w as [number, ...number[]];
        const lane = this.running?.lane ?? 'kernel';
        const e = this.push('fault', lane, FAULT_NAMES[exc!] ?? `exception ${exc}`, at, at, {
          cfsr: hex(cfsr!),
          hfsr: hex(hfsr!),
          mmfar: hex(mmfar!),
          bfar: hex(bfar!),
        });
        e.pc = pc! >>> 0;
        return;
      }
      case RecordKind.Itm: {
        const [, port, value] = w as [number, ...number[]];
        if (port !== abi.tracePort) return;
        // Two words per event: the header, then the driver number (abi TraceEvent).
        if (this.traceHeader === null) {
          this.traceHeader = value! >>> 0;
          return;
        }
        const header = this.traceHeader;
        this.traceHeader = null;
        const kind = TRACE.get(header & 0xff) ?? `trace ${header & 0xff}`;
        const slot = (header >>> 8) & 0xff;
        const subscribe = header >>> 16;
        const driver = DRIVERS.get(value! >>> 0) ?? hex(value!);
        this.push('upcall', this.laneOfSlot(slot), `${kind} ${driver} ${subscribe}`, at, at, {
          driver,
          subscribe,
        });
        return;
      }
      case RecordKind.Dma: {
        const [, channel, start, ptr, length, amount] = w as [number, ...number[]];
        this.push('dma', `DMA ${channel}`, start ? 'start' : 'end', at, at, {
          ptr: hex(ptr!),
          length: length!,
          amount: amount!,
        });
        return;
      }
      default:
        return;
    }
  }
  private traceHeader: number | null = null;

  private push(
    kind: TimelineKind,
    lane: string,
    name: string,
    start: number,
    end: number,
    args: TimelineEvent['args'],
  ): TimelineEvent {
    const e: TimelineEvent = { kind, lane, name, start, duration: end - start, args };
    this.events.push(e);
    return e;
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
    const traceEvents: object[] = this.events.map((e) => ({
      name: e.name,
      cat: e.kind,
      ph: e.duration > 0 ? 'X' : 'i',
      ts: us(e.start),
      ...(e.duration > 0 ? { dur: us(e.duration) } : { s: 't' }),
      pid: 1,
      tid: tid(e.lane),
      args: e.pc !== undefined ? { ...e.args, pc: hex(e.pc) } : e.args,
    }));
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
