/**
 * The recorder's stack high-water marks over a scripted core: only exceptions entered from
 * Thread mode on the process stack count (EXC_RETURN bit 2; ARMv7-M ARM B1.5.8), each frame
 * lands in the range that holds it, the lowest stays, new ranges start over, and the timeline's
 * start/stop leaves the marks' hook in place. The system calls' stacks: kept at each SVC from
 * the process stack while the timeline records (the bytes from the frame up, r4-r11), per
 * process so a busy one does not push out a quiet one's, clipped at the RAM's end.
 */
import { describe, expect, it } from 'vitest';
import type { CortexM } from '../../core/cortex-m';
import type { DmaActivity } from '../../peripherals/nrf/uarte';
import { RECORD_WORDS, RecordKind, SYSCALL_STACK_BYTES, TockRecorder } from './recorder';

function scriptedCore() {
  const core = {
    r: new Array<number>(16).fill(0),
    otherSp: 0,
    pc: 0,
    clock: { now: 0, frequencyHz: 64_000_000 },
    onExceptionEntry: null as ((e: number) => void) | null,
    onExceptionReturn: null as unknown,
    onItmWrite: null as unknown,
    readMemory: () => 0,
  };
  const enter = (exception: number, excReturn: number, psp: number): void => {
    core.r[14] = excReturn;
    core.otherSp = psp;
    core.onExceptionEntry?.(exception);
  };
  return { core, enter };
}

describe('TockRecorder stack marks', () => {
  const A = { start: 0x20008000, end: 0x2000a000 };
  const B = { start: 0x2000a000, end: 0x2000c000 };

  it('keeps the lowest frame per process stack, from process-stack entries only', () => {
    const { core, enter } = scriptedCore();
    const rec = new TockRecorder({ core: core as unknown as CortexM, dma: [] });
    expect(rec.handle({ op: 'stacks', ranges: [A, B] })).toEqual({
      op: 'stacks',
      lowest: [null, null],
    });
    enter(11, 0xfffffffd, 0x20008f00); // SVC from A
    enter(11, 0xfffffffd, 0x20008e80); // deeper
    enter(15, 0xfffffffd, 0x20008fc0); // shallower: kept lower
    enter(15, 0xfffffff9, 0x20008100); // from the kernel (MSP): not a process's stack
    enter(18, 0xfffffffd, 0x2000b800); // IRQ taken from B
    enter(18, 0xfffffffd, 0x30000000); // outside every range
    enter(11, 0xfffffffd, A.start); // the kernel's entry frame of a starting process
    expect(rec.stacks()).toEqual([0x20008e80, 0x2000b800]);
    // Same ranges: kept (in any order); another block or a restart (new id): over again.
    expect(rec.stacks([B, A])).toEqual([0x2000b800, 0x20008e80]);
    expect(rec.stacks([{ ...B, id: 7 }, A])).toEqual([null, 0x20008e80]);
  });

  it("survives the timeline's start and stop", () => {
    const { core, enter } = scriptedCore();
    const rec = new TockRecorder({ core: core as unknown as CortexM, dma: [] });
    rec.start({ timeline: true });
    rec.stacks([A]);
    rec.stop();
    enter(11, 0xfffffffd, 0x20008800);
    expect(rec.stacks()).toEqual([0x20008800]);
  });
});

describe('TockRecorder system-call stacks', () => {
  const RAM = { base: 0x20000000, size: 0x10000 };
  const A = { start: 0x20008000, end: 0x20009fff };
  const B = { start: 0x2000a000, end: 0x2000bfff };

  /** A scripted core over one RAM region whose bytes count up (byte i holds i & 0xff). */
  function ramCore() {
    const { core, enter } = scriptedCore();
    const bytes = new Uint8Array(RAM.size).map((_, i) => i & 0xff);
    const region = { base: RAM.base, end: RAM.base + RAM.size, bytes, dev: null };
    const bus = { find: (a: number) => (a >= region.base && a < region.end ? region : null) };
    return { core: Object.assign(core, { bus }), enter, bytes };
  }

  it('keeps the stack and r4-r11 at each SVC from the process stack, per process', () => {
    const { core, enter } = ramCore();
    const rec = new TockRecorder({ core: core as unknown as CortexM, dma: [] });
    rec.start({ timeline: true, processes: [A, B] });
    core.r.fill(0);
    for (let k = 4; k <= 11; k++) core.r[k] = 0x100 + k;
    const seqOf = (): number => rec.fetch(0).first + rec.fetch(0).cycles.length;
    const quiet = seqOf();
    enter(11, 0xfffffffd, 0x20009f00); // A's one call
    // B calls a thousand times: A's call stays kept (its own share of the ring).
    for (let i = 0; i < 1000; i++) enter(11, 0xfffffffd, 0x2000b000 + (i % 16) * 8);
    const a = rec.handle({ op: 'stack', seq: quiet });
    expect(a.op).toBe('stack');
    if (a.op !== 'stack' || !a.stack) throw new Error("A's stack was not kept");
    expect(a.stack.frame).toBe(0x20009f00);
    expect(a.stack.bytes.length).toBe(SYSCALL_STACK_BYTES);
    expect(a.stack.bytes[0]).toBe(0x00);
    expect(a.stack.bytes[5]).toBe(0x05);
    expect(a.stack.r4to11).toEqual([0x104, 0x105, 0x106, 0x107, 0x108, 0x109, 0x10a, 0x10b]);
    // B's oldest calls were pushed out by its newest; its newest is there.
    expect(rec.syscallStack(quiet + 1)).toBeNull();
    expect(rec.syscallStack(seqOf() - 1)?.frame).toBe(0x2000b000 + (999 % 16) * 8);
  });

  it('keeps no stack for other exceptions, the main stack, or without the timeline', () => {
    const { core, enter } = ramCore();
    const rec = new TockRecorder({ core: core as unknown as CortexM, dma: [] });
    rec.stacks([A]); // the stack marks' hook alone records nothing
    enter(11, 0xfffffffd, 0x20009f00);
    rec.start({ timeline: true });
    enter(15, 0xfffffffd, 0x20009f00); // SysTick from the process
    enter(11, 0xfffffff9, 0x20009f00); // SVC from the kernel (main stack)
    const n = rec.fetch(0).cycles.length;
    expect(n).toBe(2);
    for (let seq = 0; seq < n + 2; seq++) expect(rec.syscallStack(seq)).toBeNull();
  });

  it('stops at the end of the RAM and forgets the stacks at a new start', () => {
    const { core, enter } = ramCore();
    const rec = new TockRecorder({ core: core as unknown as CortexM, dma: [] });
    rec.start({ timeline: true });
    enter(11, 0xfffffffd, RAM.base + RAM.size - 40);
    const kept = rec.syscallStack(0);
    expect(kept?.bytes.length).toBe(40);
    rec.start({ timeline: true });
    expect(rec.syscallStack(0)).toBeNull();
    expect(rec.handle({ op: 'stack', seq: 0 })).toEqual({ op: 'stack', seq: 0, stack: null });
  });
});

describe('TockRecorder ring', () => {
  it("fetches across the ring's wrap in order, and says how many were overwritten", () => {
    const { core } = scriptedCore();
    const rec = new TockRecorder({ core: core as unknown as CortexM, dma: [] });
    rec.start({ timeline: true, capacity: 1024 });
    const itm = core.onItmWrite as (port: number, value: number, size: number) => void;
    for (let i = 0; i < 1500; i++) {
      core.clock.now = 10 * i;
      itm(1, i, 4);
    }
    const all = rec.fetch(0);
    expect([all.first, all.lost, all.cycles.length]).toEqual([476, 476, 1024]);
    const values = (c: typeof all): number[] =>
      Array.from({ length: c.cycles.length }, (_, i) => c.words[i * RECORD_WORDS + 2]!);
    expect(values(all)).toEqual(Array.from({ length: 1024 }, (_, i) => 476 + i));
    expect(Array.from(all.cycles.subarray(0, 2))).toEqual([4760, 4770]);
    // A window that starts before the wrap and ends after it.
    const part = rec.fetch(1000, 100);
    expect([part.first, part.lost]).toEqual([1000, 0]);
    expect(values(part)).toEqual(Array.from({ length: 100 }, (_, i) => 1000 + i));
    expect(rec.fetch(1500).cycles.length).toBe(0);
  });
});

describe('TockRecorder EasyDMA buffers', () => {
  it("records the CPU's stores into a buffer in flight only, moving its observer rarely", () => {
    const observers: {
      start: number;
      end: number;
      fn: (a: number, s: number, v: number) => void;
    }[] = [];
    let installs = 0;
    const core = {
      pc: 0x4_0100,
      clock: { now: 0, frequencyHz: 64_000_000 },
      onExceptionEntry: null,
      onExceptionReturn: null,
      onItmWrite: null,
      observeWrites(start: number, length: number, fn: (a: number, s: number, v: number) => void) {
        installs++;
        const o = { start, end: start + length, fn };
        observers.push(o);
        return () => observers.splice(observers.indexOf(o), 1);
      },
    };
    const store = (a: number, v: number) => {
      for (const o of observers) if (a < o.end && a + 1 > o.start) o.fn(a, 1, v);
    };
    const uarte = { dmaChannels: () => [], onDma: null as ((a: DmaActivity) => void) | null };
    const rec = new TockRecorder({ core: core as unknown as CortexM, dma: [uarte] });
    rec.start({ timeline: false, dma: true });
    const BUF = 0x2000_2700;
    const dma = (kind: 'start' | 'end', ptr: number, length: number) =>
      uarte.onDma!({ peripheral: 'UARTE0', channel: 'TXD', kind, ptr, length, amount: 0 });
    const cpuWrites = () => {
      const c = rec.fetch(0);
      const out: number[] = [];
      for (let i = 0; i < c.cycles.length; i++)
        if (c.words[i * RECORD_WORDS] === RecordKind.DmaCpuWrite)
          out.push(c.words[i * RECORD_WORDS + 2]!);
      return out;
    };

    dma('start', BUF, 4);
    store(BUF + 1, 7); // in flight: recorded
    store(BUF + 4, 7); // past the buffer
    dma('end', BUF, 4);
    store(BUF + 2, 7); // the transfer ended
    // The next transfers from the same buffer and one beside it keep the observer.
    dma('start', BUF + 8, 2);
    store(BUF, 7); // the earlier buffer, not in flight now
    store(BUF + 9, 7); // recorded
    dma('end', BUF + 8, 2);
    dma('start', BUF, 4);
    expect(installs).toBe(2);
    expect(observers).toHaveLength(1);
    // A buffer far away moves it (one observer, not one per buffer).
    dma('start', BUF + 0x10000, 4);
    store(BUF + 0x10000, 7);
    expect(installs).toBe(3);
    expect(observers).toHaveLength(1);
    expect(cpuWrites()).toEqual([BUF + 1, BUF + 9, BUF + 0x10000]);
    rec.stop();
    expect(observers).toHaveLength(0);
  });
});
