/**
 * The Tock views' recorder: what the emulated machine did, cycle-stamped, for the timeline,
 * the cells' occupancy history and the DMA checks. It runs beside the machine (in the worker
 * with the emulator target) and costs nothing the core does not already pay: it listens to
 * exception entries and returns, ITM packets (the kernel's trace events), writes to a few
 * watched words (the core's write observers) and the EasyDMA peripherals' transfers.
 *
 * Records are fixed-size (`RECORD_WORDS` 32-bit words plus a cycle count) in a ring the host
 * fetches from by sequence number (`fetch(since)`); the host's timeline model
 * (emulator/debug/tock/timeline.ts) turns them into system calls, upcalls, interrupts,
 * context switches and faults. Layouts per kind (word 0 is the kind):
 *
 * | kind | words 1-9 |
 * |---|---|
 * | ExceptionEntry | exception, EXC_RETURN (LR), stacked PC, frame address, r0, r1, r2, r3, SVC immediate (-1 unless an SVC from Thread mode) |
 * | ExceptionReturn | exception, EXC_RETURN, tail-chained exception (0: unstacked), resumed PC, SP, r0, r1, r2, r3 |
 * | Fault | exception, CFSR, HFSR, MMFAR, BFAR, stacked PC, frame address |
 * | Itm | port, value, size |
 * | CellWrite | watch id, address, value, size, PC of the store |
 * | Dma | channel index (peripheral * 2 + 1 for RXD), 1 start / 0 end, buffer, length, bytes moved |
 * | DmaCpuWrite | channel index, address, size, value, PC of the store |
 *
 * Beside the ring, each system call's stack: at an SVC taken from Thread mode on the process
 * stack (while the timeline records), the bytes from the frame the hardware stacked (ARMv7-M
 * ARM B1.5.6) up `SYSCALL_STACK_BYTES`, kept in a side ring by the entry record's sequence
 * number (`{op:'stack', seq}`), so the host can unwind the call later through the app's CFI to
 * the app's own line that made it (the process's stack has moved on by then).
 *
 * @example
 *   const rec = new TockRecorder({
 *     core: session.core,
 *     dma: dmaPeripheralsOf(session.machine.devices.map((d) => d.dev)),
 *   });
 *   rec.start({ timeline: true, dma: true });
 *   // ... run ...
 *   const chunk = rec.fetch(0); // records 0.., cycles and words
 */
import type { CortexM } from '../../core/cortex-m';
import type { AccessSize } from '../../core/interfaces';
import type { DmaActivity, DmaChannelState } from '../../peripherals/nrf/uarte';

export const RecordKind = {
  ExceptionEntry: 1,
  ExceptionReturn: 2,
  Fault: 3,
  Itm: 4,
  CellWrite: 5,
  Dma: 6,
  DmaCpuWrite: 7,
} as const;

/** 32-bit words per record (the kind and nine values). */
export const RECORD_WORDS = 10;
const DEFAULT_CAPACITY = 1 << 17;
/**
 * Bytes of the process stack kept per system call, from the stacked frame up: the frame (32
 * bytes, 36 with the alignment pad), then the frames of the calls that led to the `svc` (the
 * apps runtime's console write sits under a 128-byte line buffer and `core::fmt`'s frames).
 */
export const SYSCALL_STACK_BYTES = 1024;
/**
 * The most bytes one EasyDMA channel's write observer covers (see `dmaWatch`): a kernel's
 * transfers come from a few buffers near each other; stores to the bytes around them between
 * transfers take the checked path, which costs far less than moving the observer.
 */
const DMA_WATCH_SPAN = 4096;
/** System calls whose stacks the side ring keeps (the newest, shared out per process). */
const STACK_SLOTS = 2048;
const MIN_STACKS_PER_GROUP = 64;
const SVC = 11;

/** What the recorder needs of a machine. */
export interface RecorderMachine {
  readonly core: CortexM;
  /** The chip's EasyDMA peripherals, in channel-index order (none on machines without). */
  readonly dma: readonly DmaPeripheral[];
}

export interface DmaPeripheral {
  dmaChannels(): DmaChannelState[];
  onDma: ((activity: DmaActivity) => void) | null;
}

/** The devices that have EasyDMA channels (in address order: UARTE0 before UARTE1). */
export function dmaPeripheralsOf(devices: readonly object[]): DmaPeripheral[] {
  return devices.filter(
    (d): d is DmaPeripheral =>
      typeof (d as Partial<DmaPeripheral>).dmaChannels === 'function' && 'onDma' in d,
  );
}

export interface RecorderOptions {
  /** Exception entries and returns, faults and ITM packets (the timeline). */
  timeline?: boolean;
  /** Words whose writes become CellWrite records (the cells' occupancy history). */
  watches?: { id: number; address: number; length: number }[];
  /** EasyDMA transfers, and CPU writes into a buffer while its transfer is in flight. */
  dma?: boolean;
  /** Ring size in records (default 131072). */
  capacity?: number;
  /**
   * The processes' RAM blocks: the system calls' stacks (see the header) are kept per block,
   * the newest of each, so a busy process's calls do not push out a quiet one's.
   */
  processes?: { start: number; end: number }[];
  /**
   * Keep each system call's stack with the timeline (see the header). Default true; false
   * records the timeline without them (what bench tock-timeline-ab compares).
   */
  stacks?: boolean;
}

/** Records `first`.. in order; `lost` counts records the ring overwrote before this fetch. */
export interface RecorderChunk {
  first: number;
  lost: number;
  cycles: Float64Array;
  words: Int32Array;
  /** The machine's cycle count and clock rate now (to place the records in time). */
  now: number;
  frequencyHz: number;
  recording: boolean;
}

/** Requests the emulator target's `recorder` method takes (across the worker). */
export type RecorderRequest =
  | ({ op: 'start' } & RecorderOptions)
  | { op: 'stop' }
  | { op: 'fetch'; since: number; max?: number }
  | { op: 'dma' }
  /**
   * The stack high-water marks: the lowest exception frame address seen on the process stack
   * in each of `ranges` (the processes' RAM), from the first request naming those ranges on;
   * a range that changed (another block, or `id`: the process restarted) starts over; without
   * `ranges`, the marks.
   */
  | { op: 'stacks'; ranges?: StackRange[] }
  /**
   * The cells' occupancy history: CellWrite records for every CPU write to these words from
   * now on, whether the timeline records or not (`watches` replaces the previous set; an empty
   * list stops watching). The reply's `next` is the sequence number of the first record that
   * can come from this set.
   */
  | { op: 'watch'; watches: { id: number; address: number; length: number }[] }
  /** The stack kept at the system call whose ExceptionEntry record is `seq` (see the header). */
  | { op: 'stack'; seq: number };

/** A process's stack at a system call (see the header). */
export interface SyscallStack {
  /** The address of the frame the hardware stacked (ARMv7-M ARM B1.5.6). */
  frame: number;
  /** The bytes from `frame` up (fewer than `SYSCALL_STACK_BYTES` where the RAM ends). */
  bytes: Uint8Array;
  /**
   * r4-r11 at the entry: the frame does not hold them (the hardware leaves them as they were,
   * B1.5.6), and the app's code may keep its frame pointer (r7) or saved values there.
   */
  r4to11: number[];
}

/** A process's RAM block for the stack marks; `id` tells one incarnation from the next. */
export interface StackRange {
  start: number;
  end: number;
  id?: number;
}

export type RecorderReply =
  | { op: 'started' }
  | { op: 'stopped' }
  | { op: 'chunk'; chunk: RecorderChunk }
  | { op: 'dma'; channels: DmaChannelState[] }
  /** Per range, the lowest frame address seen (null: no exception from it yet). */
  | { op: 'stacks'; lowest: (number | null)[] }
  | { op: 'watching'; count: number; next: number }
  /**
   * The stack at system call `seq`: `bytes` from the stacked frame's address `frame` up (fewer
   * than `SYSCALL_STACK_BYTES` where the RAM ends); null when it was not kept (no system call
   * from the process stack, recorded before the timeline, or overwritten by newer ones).
   */
  | { op: 'stack'; seq: number; stack: SyscallStack | null };

export class TockRecorder {
  private cycles = new Float64Array(0);
  private words = new Int32Array(0);
  private capacity = 0;
  /** Sequence number of the next record. */
  private next = 0;
  private active = false;
  private undo: (() => void)[] = [];
  /** Write observers on the buffers of transfers in flight, by channel index. */
  /**
   * Per EasyDMA channel: the buffer a transfer moves now (null between transfers), and the write
   * observer that sees the CPU's stores into it. The observer outlives its transfer and is
   * moved only when a transfer's buffer is outside it (it then covers both, up to
   * DMA_WATCH_SPAN bytes): installing or removing an observer drops every fast window of the
   * core (with the MPU on), and UARTE0 starts ~28 transfers per M instructions, mostly in the
   * same buffer. A CPU profile had those refreshes cost more than the rest of the recorder.
   */
  private dmaLive: ({ ptr: number; end: number } | null)[] = [];
  private dmaWatch: ({ start: number; end: number; stop: () => void } | undefined)[] = [];

  /** The cell watches of the `watch` request (kept across start and stop). */
  private cellWatches: (() => void)[] = [];

  /** Stack high-water tracking: independent of recording (always on once asked for). */
  private stackRanges: StackRange[] = [];
  private stackLowest: (number | null)[] = [];
  private entryHooked = false;
  private timelineOn = false;

  /** The system calls' stacks (see the header): slot i holds `stackSeq[i]`'s bytes. */
  private stackBytes = new Uint8Array(0);
  private stackSeq = new Float64Array(0);
  private stackFrame = new Uint32Array(0);
  private stackLength = new Uint16Array(0);
  private stackRegs = new Uint32Array(0);
  /** Per group (see `stackGroups`): system calls kept so far; the group's slots. */
  private stackNext: number[] = [];
  private stackPer = 0;
  private stackRangesOf: { start: number; end: number }[] = [];
  /**
   * Keep each system call's stack while the timeline records (set by `start`'s `stacks`; the
   * A/B bench turns it off and on between slices without restarting the recording).
   */
  keepStacks = true;

  constructor(private readonly machine: RecorderMachine) {}

  /**
   * The lowest stack pointer each process's stack reached, as far as exception entries show it:
   * an exception taken from Thread mode on the process stack (EXC_RETURN bit 2) stacks its
   * frame just below the process's SP (ARMv7-M ARM B1.5.6), so the frame's address is how deep
   * that stack went at that moment. System calls, interrupts and the timeslice end all enter
   * this way, but a call chain that went deeper and came back between two exceptions is not
   * seen: a lower bound of the true mark (no stack painting, nothing written to the target).
   */
  stacks(ranges?: StackRange[]): (number | null)[] {
    if (ranges) {
      const same = (a: StackRange, b: StackRange | undefined): boolean =>
        !!b && a.start >>> 0 === b.start && a.end >>> 0 === b.end && a.id === b.id;
      this.stackLowest = ranges.map((r) => {
        const i = this.stackRanges.findIndex((b) => same(r, b));
        return i < 0 ? null : (this.stackLowest[i] ?? null);
      });
      this.stackRanges = ranges.map((r) => ({ ...r, start: r.start >>> 0, end: r.end >>> 0 }));
      this.hookEntry();
    }
    return [...this.stackLowest];
  }

  /**
   * One exception-entry observer for the timeline and the stack marks, installed at the first
   * use and kept (each is switched by its own flag, so neither's stop drops the other's hook).
   */
  private hookEntry(): void {
    if (this.entryHooked) return;
    this.entryHooked = true;
    const core = this.machine.core;
    const before = core.onExceptionEntry;
    core.onExceptionEntry = (e) => {
      before?.(e);
      if (this.stackRanges.length > 0) this.onStackEntry();
      if (this.timelineOn) this.onEntry(e);
    };
  }

  private onStackEntry(): void {
    const core = this.machine.core;
    if ((core.r[14]! & 4) === 0) return;
    const frame = core.otherSp >>> 0;
    const ranges = this.stackRanges;
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i]!;
      if (frame < r.start || frame >= r.end) continue;
      // A frame at the block's very start is the kernel's entry frame (a process starts with
      // only the 32 bytes above its block's start for one exception frame, and its first call,
      // memop brk, is made from there: kernel/apps/runtime/src/entry.rs), not its own stack.
      if (frame === r.start) return;
      const low = this.stackLowest[i];
      if (low === null || low === undefined || frame < low) this.stackLowest[i] = frame;
      return;
    }
  }

  /**
   * Replaces the cell watches (see the `watch` request); returns the next sequence number.
   * One write observer per cell. With `clustered`, cells that share a 32-byte granule share
   * one observer over their span, which finds the cells a store hits in its member list (the
   * core checks every observer at each observed store). Not the default: three in-process
   * A/B runs at load measured it costing more than one observer per cell (h-tock5's notes);
   * `tests/bench/tock-history-ab.ts` compares them for a quiet re-measure.
   */
  watch(watches: { id: number; address: number; length: number }[], clustered = false): number {
    for (const u of this.cellWatches) u();
    this.cellWatches = [];
    if (this.capacity === 0) this.allocate(DEFAULT_CAPACITY);
    const core = this.machine.core;
    const sorted = watches
      .map((w) => ({
        id: w.id,
        start: w.address >>> 0,
        end: (w.address >>> 0) + Math.max(1, w.length),
      }))
      .sort((a, b) => a.start - b.start);
    const clusters: (typeof sorted)[] = [];
    for (const w of sorted) {
      const last = clusters.at(-1);
      const end = last ? Math.max(...last.map((x) => x.end)) : 0;
      // Only cells sharing a 32-byte granule: the shared observer then takes no granule off
      // the fast paths that the cells' own observers would not (with a one-granule gap
      // allowance, bench:tock's A/B measured it costing more than one observer per cell).
      if (last && clustered && w.start < ((end + 31) & ~31) >>> 0) last.push(w);
      else clusters.push([w]);
    }
    for (const members of clusters) {
      const start = members[0]!.start;
      const end = Math.max(...members.map((x) => x.end));
      this.cellWatches.push(
        core.observeWrites(start, end - start, (a, size, v) => {
          for (const m of members)
            if (a < m.end && a + size > m.start)
              this.push(RecordKind.CellWrite, m.id, a, v, size, core.pc);
        }),
      );
    }
    return this.next;
  }

  private allocate(capacity: number): void {
    this.capacity = capacity;
    this.cycles = new Float64Array(capacity);
    this.words = new Int32Array(capacity * RECORD_WORDS);
  }

  get recording(): boolean {
    return this.active;
  }

  /** Starts recording (a running recording is stopped first; sequence numbers go on). */
  start(options: RecorderOptions): void {
    this.stop();
    const capacity = Math.max(1024, options.capacity ?? DEFAULT_CAPACITY);
    if (capacity !== this.capacity) {
      // A new ring: what the old one held is gone (sequence numbers go on).
      this.allocate(capacity);
    }
    const core = this.machine.core;
    if (options.timeline) {
      this.stackGroups(options.processes ?? []);
      const ret = core.onExceptionReturn;
      const itm = core.onItmWrite;
      this.hookEntry();
      this.timelineOn = true;
      this.keepStacks = options.stacks !== false;
      core.onExceptionReturn = (e, r, tail) => {
        ret?.(e, r, tail);
        this.onReturn(e, r, tail);
      };
      core.onItmWrite = (port, value, size) => {
        itm?.(port, value, size);
        this.push(RecordKind.Itm, port, value, size);
      };
      this.undo.push(() => {
        this.timelineOn = false;
        core.onExceptionReturn = ret;
        core.onItmWrite = itm;
      });
    }
    for (const w of options.watches ?? []) {
      const id = w.id;
      this.undo.push(
        core.observeWrites(w.address, w.length, (a, size, v) =>
          this.push(RecordKind.CellWrite, id, a, v, size, core.pc),
        ),
      );
    }
    if (options.dma) {
      this.machine.dma.forEach((p, index) => {
        const before = p.onDma;
        p.onDma = (a) => {
          before?.(a);
          this.onDma(index * 2 + (a.channel === 'RXD' ? 1 : 0), a);
        };
        this.undo.push(() => {
          p.onDma = before;
        });
      });
    }
    this.active = true;
  }

  stop(): void {
    for (const u of this.undo.reverse()) u();
    this.undo = [];
    for (const w of this.dmaWatch) w?.stop();
    this.dmaWatch = [];
    this.dmaLive = [];
    this.active = false;
  }

  /** Records from sequence number `since` on (at most `max`). */
  fetch(since: number, max = this.capacity): RecorderChunk {
    const core = this.machine.core;
    const oldest = Math.max(0, this.next - this.capacity);
    const first = Math.max(since, oldest);
    const n = Math.max(0, Math.min(this.next - first, max));
    const cycles = new Float64Array(n);
    const words = new Int32Array(n * RECORD_WORDS);
    // At most two runs of slots: to the ring's end, then from its start.
    const slot = n > 0 ? first % this.capacity : 0;
    const head = Math.min(n, this.capacity - slot);
    cycles.set(this.cycles.subarray(slot, slot + head));
    words.set(this.words.subarray(slot * RECORD_WORDS, (slot + head) * RECORD_WORDS));
    if (head < n) {
      cycles.set(this.cycles.subarray(0, n - head), head);
      words.set(this.words.subarray(0, (n - head) * RECORD_WORDS), head * RECORD_WORDS);
    }
    return {
      first,
      lost: Math.max(0, oldest - since),
      cycles,
      words,
      now: core.clock.now,
      frequencyHz: core.clock.frequencyHz,
      recording: this.active,
    };
  }

  /** Every EasyDMA channel's state now. */
  dmaChannels(): DmaChannelState[] {
    return this.machine.dma.flatMap((p) => p.dmaChannels());
  }

  handle(request: RecorderRequest): RecorderReply {
    switch (request.op) {
      case 'start':
        this.start(request);
        return { op: 'started' };
      case 'stop':
        this.stop();
        return { op: 'stopped' };
      case 'fetch':
        return { op: 'chunk', chunk: this.fetch(request.since, request.max) };
      case 'dma':
        return { op: 'dma', channels: this.dmaChannels() };
      case 'stacks':
        return { op: 'stacks', lowest: this.stacks(request.ranges) };
      case 'watch':
        return { op: 'watching', count: request.watches.length, next: this.watch(request.watches) };
      case 'stack':
        return { op: 'stack', seq: request.seq, stack: this.syscallStack(request.seq) };
    }
  }

  /** The stack kept at the system call whose entry record is `seq` (null: not kept). */
  syscallStack(seq: number): SyscallStack | null {
    const i = this.stackSeq.indexOf(seq);
    if (i < 0) return null;
    const base = i * SYSCALL_STACK_BYTES;
    return {
      frame: this.stackFrame[i]!,
      bytes: this.stackBytes.slice(base, base + this.stackLength[i]!),
      r4to11: Array.from(this.stackRegs.subarray(i * 8, i * 8 + 8)),
    };
  }

  /**
   * The side ring's groups: one per process RAM block of the `start` request (a busy process
   * does not push a quiet one's calls out), and one for stacks outside them.
   */
  private stackGroups(processes: readonly { start: number; end: number }[]): void {
    this.stackRangesOf = processes.map((p) => ({ start: p.start >>> 0, end: p.end >>> 0 }));
    const groups = this.stackRangesOf.length + 1;
    this.stackPer = Math.max(MIN_STACKS_PER_GROUP, Math.floor(STACK_SLOTS / groups));
    const slots = groups * this.stackPer;
    if (this.stackSeq.length !== slots) {
      this.stackBytes = new Uint8Array(slots * SYSCALL_STACK_BYTES);
      this.stackSeq = new Float64Array(slots);
      this.stackFrame = new Uint32Array(slots);
      this.stackLength = new Uint16Array(slots);
      this.stackRegs = new Uint32Array(slots * 8);
    }
    this.stackSeq.fill(-1);
    this.stackNext = new Array<number>(groups).fill(0);
  }

  /** Keeps the process stack at a system call (entry record `seq`, frame at `frame`). */
  private keepStack(seq: number, frame: number): void {
    const region = this.machine.core.bus.find(frame);
    // Plain memory only (a stack in a device's window is not read: no side effects).
    if (region === null || region.dev !== null) return;
    const ranges = this.stackRangesOf;
    let g = 0;
    while (g < ranges.length && (frame < ranges[g]!.start || frame > ranges[g]!.end)) g++;
    const i = g * this.stackPer + (this.stackNext[g]! % this.stackPer);
    this.stackNext[g]!++;
    const length = Math.min(SYSCALL_STACK_BYTES, region.end - frame);
    const off = frame - region.base;
    this.stackBytes.set(region.bytes.subarray(off, off + length), i * SYSCALL_STACK_BYTES);
    this.stackSeq[i] = seq;
    this.stackFrame[i] = frame;
    this.stackLength[i] = length;
    const r = this.machine.core.r;
    for (let k = 0; k < 8; k++) this.stackRegs[i * 8 + k] = r[4 + k]!;
  }

  /**
   * One record (the nine values after the kind; fixed arity: a rest parameter made an array per
   * record, tens of thousands a second while the timeline records).
   */
  private push(
    kind: number,
    v1 = 0,
    v2 = 0,
    v3 = 0,
    v4 = 0,
    v5 = 0,
    v6 = 0,
    v7 = 0,
    v8 = 0,
    v9 = 0,
  ): void {
    if (this.capacity === 0) return;
    const slot = this.next % this.capacity;
    this.cycles[slot] = this.machine.core.clock.now;
    const w = this.words;
    const base = slot * RECORD_WORDS;
    w[base] = kind;
    w[base + 1] = v1;
    w[base + 2] = v2;
    w[base + 3] = v3;
    w[base + 4] = v4;
    w[base + 5] = v5;
    w[base + 6] = v6;
    w[base + 7] = v7;
    w[base + 8] = v8;
    w[base + 9] = v9;
    this.next++;
  }

  private word(address: number): number {
    try {
      return this.machine.core.readMemory(address >>> 0, 4 as AccessSize) | 0;
    } catch {
      return 0;
    }
  }

  private onEntry(exception: number): void {
    const core = this.machine.core;
    const lr = core.r[14]! >>> 0;
    // The frame is on the stack of the interrupted context: PSP (now the other SP) when it
    // was Thread mode on the process stack (EXC_RETURN bit 2), else the main stack.
    const frame = ((lr & 4) !== 0 ? core.otherSp : core.r[13]!) >>> 0;
    const pc = this.word(frame + 24);
    let svc = -1;
    if (exception === SVC && (lr & 8) !== 0) {
      // The immediate of the SVC just before the return address (ARMv7-M ARM A7.7.175).
      try {
        svc = core.readMemory((pc - 2) >>> 0, 1 as AccessSize);
      } catch {
        svc = -1;
      }
    }
    const r = core.r;
    if (svc >= 0 && (lr & 4) !== 0 && this.keepStacks) this.keepStack(this.next, frame);
    this.push(RecordKind.ExceptionEntry, exception, lr, pc, frame, r[0]!, r[1]!, r[2]!, r[3]!, svc);
    if (exception >= 3 && exception <= 6) {
      const x = core.exc;
      this.push(RecordKind.Fault, exception, x.cfsr, x.hfsr, x.mmfar, x.bfar, pc, frame);
    }
  }

  private onReturn(exception: number, excReturn: number, tail: number): void {
    const core = this.machine.core;
    const r = core.r;
    this.push(
      RecordKind.ExceptionReturn,
      exception,
      excReturn,
      tail,
      core.pc,
      r[13]!,
      r[0]!,
      r[1]!,
      r[2]!,
      r[3]!,
    );
  }

  private onDma(channel: number, a: DmaActivity): void {
    this.push(RecordKind.Dma, channel, a.kind === 'start' ? 1 : 0, a.ptr, a.length, a.amount);
    if (a.kind !== 'start' || a.length <= 0) {
      this.dmaLive[channel] = null;
      return;
    }
    const ptr = a.ptr >>> 0;
    const end = ptr + a.length;
    this.dmaLive[channel] = { ptr, end };
    const w = this.dmaWatch[channel];
    if (w && ptr >= w.start && end <= w.end) return;
    w?.stop();
    let start = w ? Math.min(w.start, ptr) : ptr;
    let last = w ? Math.max(w.end, end) : end;
    if (last - start > DMA_WATCH_SPAN) {
      start = ptr;
      last = end;
    }
    const core = this.machine.core;
    const stop = core.observeWrites(start, last - start, (address, size, value) => {
      const live = this.dmaLive[channel];
      if (live && address < live.end && address + size > live.ptr)
        this.push(RecordKind.DmaCpuWrite, channel, address, size, value, core.pc);
    });
    this.dmaWatch[channel] = { start, end: last, stop };
  }
}
