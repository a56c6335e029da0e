/**
 * The timeline's decoding of recorder records, on a hand-made chunk: a process's SVC is a system
 * call named from abi.json that ends, with its result, at the return into the process; IRQ
 * entry/return pairs become spans; trace-port words become upcalls in the slot's lane; the Chrome
 * trace export has one named thread per lane.
 */
import { describe, expect, it } from 'vitest';
import { RECORD_WORDS, RecordKind, type RecorderChunk } from './recorder';
import { Timeline, describeResult, describeSyscall } from './timeline';

function chunk(records: [number, number[]][]): RecorderChunk {
  const words = new Int32Array(records.length * RECORD_WORDS);
  records.forEach(([, w], i) => words.set(w, i * RECORD_WORDS));
  return {
    first: 0,
    lost: 0,
    cycles: Float64Array.from(records.map(([c]) => c)),
    words,
    now: 10_000,
    frequencyHz: 64_000_000,
    recording: true,
  };
}

const PSP = 0xfffffffd | 0;
const HELLO = { slot: 0, name: 'hello', ram: { start: 0x2000_8000, end: 0x2000_9800 } };
/** hello runs, calls console command 1; IRQ 2 comes and goes; an upcall is queued; the result. */
const HELLO_CALL: [number, number[]][] = [
  [100, [RecordKind.ExceptionReturn, 11, PSP, 0, 0x40200, 0x2000_8700, 0, 0, 0, 0]],
  [200, [RecordKind.ExceptionEntry, 11, PSP, 0x40212, 0x2000_86e0, 1, 1, 21, 0, 2]],
  [300, [RecordKind.ExceptionEntry, 18, 0xfffffff9 | 0, 0x1000, 0x2000_0f00, 0, 0, 0, 0, -1]],
  [340, [RecordKind.ExceptionReturn, 18, 0xfffffff9 | 0, 0, 0x1000, 0x2000_0f00, 0, 0, 0, 0]],
  [350, [RecordKind.Itm, 1, 1 | (0 << 8) | (1 << 16), 4]],
  [351, [RecordKind.Itm, 1, 1, 4]],
  [500, [RecordKind.ExceptionReturn, 11, PSP, 0, 0x40214, 0x2000_8700, 128, 0, 0, 0]],
];

describe('timeline', () => {
  it('names system calls and results from abi.json', () => {
    expect(describeSyscall(2, [1, 1, 21, 0])).toBe('command console 1');
    expect(describeSyscall(5, [10, 0, 0, 0])).toBe('memop declare-stack-top');
    expect(describeSyscall(0, [1, 0, 0, 0])).toBe('yield wait');
    expect(describeResult([128, 0, 0, 0])).toBe('Success');
    expect(describeResult([0, 6, 0, 0])).toBe('Failure: INVALID');
  });

  it('decodes a system call, an interrupt and an upcall', () => {
    const tl = new Timeline([HELLO]);
    tl.add(chunk(HELLO_CALL));
    const byKind = (k: string) => tl.events.filter((e) => e.kind === k);
    const call = byKind('syscall')[0]!;
    expect(call).toMatchObject({
      lane: 'hello',
      name: 'command console 1',
      start: 200,
      duration: 300,
    });
    expect(call.args.result).toBe('Success');
    expect(call.pc).toBe(0x40210);
    expect(byKind('irq')[0]).toMatchObject({ lane: 'IRQ 2', start: 300, duration: 40 });
    expect(byKind('upcall')[0]).toMatchObject({ lane: 'hello', name: 'upcall-queued console 1' });
    expect(byKind('switch')[0]).toMatchObject({ lane: 'hello', start: 100, duration: 100 });
    const trace = tl.chromeTrace();
    const threads = trace.traceEvents.filter((e) => (e as { ph: string }).ph === 'M');
    expect(threads.map((t) => (t as { args: { name: string } }).args.name).sort()).toEqual([
      'IRQ 2',
      'hello',
    ]);
  });

  it('a SysTick that returns into another process is a handler-mode context switch', () => {
    const TIMER = { slot: 1, name: 'timer', ram: { start: 0x2000_a000, end: 0x2000_c000 } };
    const MSP = 0x2000_3f00;
    const tl = new Timeline([HELLO, TIMER]);
    tl.add(
      chunk([
        [100, [RecordKind.ExceptionReturn, 11, PSP, 0, 0x40200, 0x2000_8700, 0, 0, 0, 0]],
        // hello's timeslice ends; an interrupt is pending: SysTick tail-chains into IRQ 2 first.
        [200, [RecordKind.ExceptionEntry, 15, PSP, 0x40210, 0x2000_86e0, 0, 0, 0, 0, -1]],
        [220, [RecordKind.ExceptionReturn, 15, PSP, 18, 0x1000, MSP, 0, 0, 0, 0]],
        [230, [RecordKind.ExceptionEntry, 18, PSP, 0x40210, 0x2000_86e0, 0, 0, 0, 0, -1]],
        // IRQ 2's handler switched to timer (PSP now in timer's RAM).
        [260, [RecordKind.ExceptionReturn, 18, PSP, 0, 0x50100, 0x2000_b800, 0, 0, 0, 0]],
        [400, [RecordKind.ExceptionEntry, 15, PSP, 0x50110, 0x2000_b7e0, 0, 0, 0, 0, -1]],
        [420, [RecordKind.ExceptionReturn, 15, PSP, 0, 0x40210, 0x2000_8700, 0, 0, 0, 0]],
        // hello's yield goes to the kernel thread; the kernel thread's own SVC resumes timer:
        // not a handler-mode switch.
        [500, [RecordKind.ExceptionEntry, 11, PSP, 0x40220, 0x2000_86e0, 1, 0, 0, 0, 0]],
        [510, [RecordKind.ExceptionReturn, 11, 0xfffffff9 | 0, 0, 0x300, MSP, 0, 0, 0, 0]],
        [600, [RecordKind.ExceptionEntry, 11, 0xfffffff9 | 0, 0x310, MSP - 32, 0, 0, 0, 0, -1]],
        [610, [RecordKind.ExceptionReturn, 11, PSP, 0, 0x50110, 0x2000_b800, 0, 0, 0, 0]],
      ]),
    );
    const running = tl.events.filter((e) => e.kind === 'switch' && e.name === 'running');
    // No lane for the main stack's address of the tail-chained return.
    expect(new Set(tl.events.map((e) => e.lane))).toEqual(new Set(['hello', 'timer', 'IRQ 2']));
    expect(running.map((e) => [e.lane, e.start, e.start + e.duration])).toEqual([
      ['hello', 100, 200],
      ['timer', 260, 400],
      ['hello', 420, 500],
    ]);
    expect(running[1]!.args).toMatchObject({ since: 'IRQ 2', until: 'SysTick' });
    expect(running[2]!.args).toMatchObject({ since: 'SysTick', from: 'timer' });
    const switches = tl.events.filter((e) => e.kind === 'switch' && e.name !== 'running');
    expect(switches.map((e) => [e.lane, e.name, e.start, e.args.by])).toEqual([
      ['timer', 'switch from hello', 260, 'IRQ 2'],
      ['hello', 'switch from timer', 420, 'SysTick'],
    ]);
  });

  it("the view keeps a quiet lane's newest events when a busy lane fills it", () => {
    const FUZZER = { slot: 1, name: 'fuzzer', ram: { start: 0x2000_a000, end: 0x2000_c000 } };
    const call = (at: number, sp: number): [number, number[]] => [
      at,
      [RecordKind.ExceptionEntry, 11, PSP, 0x40212, sp, 1, 1, 21, 0, 2],
    ];
    const tl = new Timeline([HELLO, FUZZER]);
    tl.add(
      chunk([
        call(0, 0x2000_86e0),
        call(1, 0x2000_86e0),
        ...Array.from({ length: 100 }, (_, i) => call(2 + i, 0x2000_b000)),
      ]),
    );
    // The newest 10 (all fuzzer) plus hello's newest one, in recorded order.
    const shown = tl.shown(10, 1);
    expect(shown.map((e) => e.start)).toEqual([1, ...Array.from({ length: 10 }, (_, i) => 92 + i)]);
    expect(shown[0]).toMatchObject({ lane: 'hello', name: 'command console 1', seq: 1 });
    // A lane already at its floor inside the window gets nothing older.
    expect(tl.shown(10, 10)).toHaveLength(12);
    expect(tl.shown(200, 3)).toHaveLength(102);
  });

  it('a view reuses the events it wrote out, except those whose span or result came since', () => {
    const tl = new Timeline([HELLO]);
    tl.add(chunk(HELLO_CALL.slice(0, 3)));
    const first = tl.shown(100, 4);
    const call = first.find((e) => e.kind === 'syscall')!;
    const irq = first.find((e) => e.kind === 'irq')!;
    expect([call.duration, call.args.result, irq.duration]).toEqual([0, undefined, 0]);
    // Nothing new: the same objects.
    expect(tl.shown(100, 4)).toEqual(first);
    expect(tl.shown(100, 4)[0]).toBe(first[0]);
    tl.add({ ...chunk(HELLO_CALL.slice(3)), first: 3 });
    const second = tl.shown(100, 4);
    // The IRQ's end and the call's result are in the view, not the first poll's copies.
    expect(second.find((e) => e.kind === 'irq')!.duration).toBe(40);
    expect(second.find((e) => e.kind === 'syscall')).toMatchObject({
      duration: 300,
      args: { result: 'Success' },
    });
    expect(second).toEqual(tl.events);
  });

  it('a new process table names the lanes of the records after it (lane ids are cached)', () => {
    const entry = (sp: number): [number, number[]] => [
      0,
      [RecordKind.ExceptionEntry, 11, PSP, 0x40212, sp, 1, 1, 21, 0, 2],
    ];
    const tl = new Timeline([HELLO]);
    tl.add(chunk([entry(0x2000_86e0), entry(0x2000_0400)]));
    // hello restarted as blink in the same RAM; the stray stack keeps its lane.
    tl.setProcesses([{ ...HELLO, name: 'blink' }]);
    tl.add({ ...chunk([entry(0x2000_86e0), entry(0x2000_0400)]), first: tl.next });
    expect(tl.events.map((e) => e.lane)).toEqual([
      'hello',
      'process @0x20000400',
      'blink',
      'process @0x20000400',
    ]);
  });

  it('drops the oldest half when full, and a span still open across the drop ends in place', () => {
    const tl = new Timeline([HELLO], 16);
    const records: [number, number[]][] = [
      // An IRQ opens, then 20 system calls (no results), then the IRQ returns.
      [5, [RecordKind.ExceptionEntry, 18, 0xfffffff9 | 0, 0x1000, 0x2000_0f00, 0, 0, 0, 0, -1]],
      ...Array.from({ length: 20 }, (_, i): [number, number[]] => [
        10 + i,
        [RecordKind.ExceptionEntry, 11, PSP, 0x40212, 0x2000_86e0, 1, 1, 21, 0, 2],
      ]),
      [50, [RecordKind.ExceptionReturn, 18, 0xfffffff9 | 0, 0, 0x1000, 0x2000_0f00, 0, 0, 0, 0]],
      [60, [RecordKind.ExceptionReturn, 11, PSP, 0, 0x40214, 0x2000_8700, 128, 0, 0, 0]],
    ];
    tl.add(chunk(records));
    // 21 events in 16 slots: the oldest 8 went (the IRQ among them), 13 kept.
    expect(tl.dropped).toBe(8);
    expect(tl.length).toBe(13);
    expect(tl.events[0]!.start).toBe(17);
    // The newest call got its result; the dropped IRQ's return changed nothing kept.
    expect(tl.events.at(-1)!.args.result).toBe('Success');
    expect(tl.events.at(-1)!.duration).toBe(31);
    expect(tl.events.every((e) => e.kind === 'syscall')).toBe(true);
    tl.clear();
    expect([tl.length, tl.dropped]).toEqual([0, 0]);
  });
});
