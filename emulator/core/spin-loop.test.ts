/**
 * Spin-loop fast-forward: which loops qualify, and that skipping passes leaves exactly the
 * interpreter's instruction count, cycles and registers (an nRF52 TIMER's EVENTS_COMPARE[0]
 * polled with the kernel's three timeout-loop shapes, run in slices so budgets end mid-loop).
 */
import { describe, expect, it } from 'vitest';
import { Program } from './assembler';
import type { DmaPort } from '../peripherals/nrf/nrf-peripheral';
import { Timer } from '../peripherals/nrf/timer';
import { analyseSpin } from './spin-loop';
import { Bus } from './memory/bus';
import { bareCore } from './testing/bare-core';

const RAM = 0x20000000;
const TIMER = 0x40008000;
const EVENTS_COMPARE0 = 0x140;

const noDma: DmaPort = {
  read: () => new Uint8Array(0),
  write: () => undefined,
  inRam: () => false,
};

/** `cmp sl, r0; beq out; ldr.w r2, [r1, #off]; adds r0, #1; cmp r2, #0; beq head` (the kernel's). */
function countUp(p: Program, head: string, out: string, base = 1): Program {
  return p
    .label(head)
    .i('CMP_reg_T2', { N: 1, n: 2, m: 0 })
    .branch('B_T1', out, { c: 0 })
    .i('LDR_imm12', { n: base, t: 2, i: EVENTS_COMPARE0 })
    .i('ADD_imm_T2', { d: 0, i: 1 })
    .i('CMP_imm_T1', { n: 2, i: 0 })
    .branch('B_T1', head, { c: 0 });
}

/** `subs r2, #1; beq out; ldr.w r3, [r1, #off]; cmp r3, #0; beq head` (the kernel's other one). */
function countDown(p: Program, head: string, out: string): Program {
  return p
    .label(head)
    .i('SUB_imm_T2', { d: 2, i: 1 })
    .branch('B_T1', out, { c: 0 })
    .i('LDR_imm12', { n: 1, t: 3, i: EVENTS_COMPARE0 })
    .i('CMP_imm_T1', { n: 3, i: 0 })
    .branch('B_T1', head, { c: 0 });
}

/**
 * `mov r6, r0; cmp sl, r0; beq out; ldr.w r2, [r1, #off]; adds r0, r6, #1; cmp r2, #0; beq head`:
 * the counter kept in two registers (the nRF52840-DK kernel's start-up wait for the LF clock).
 */
function countUpCopy(p: Program, head: string, out: string): Program {
  return p
    .label(head)
    .i('MOV_reg_T1', { D: 0, d: 6, m: 0 })
    .i('CMP_reg_T2', { N: 1, n: 2, m: 0 })
    .branch('B_T1', out, { c: 0 })
    .i('LDR_imm12', { n: 1, t: 2, i: EVENTS_COMPARE0 })
    .i('ADD_imm_T1', { d: 0, n: 6, i: 1 })
    .i('CMP_imm_T1', { n: 2, i: 0 })
    .branch('B_T1', head, { c: 0 });
}

/** Analyses the code `body` assembles at 0x100 of a scratch flash region. */
function analyse(body: (p: Program) => void): ReturnType<typeof analyseSpin> {
  const bus = new Bus();
  const p = new Program(0x100);
  body(p);
  bus.mapRom(0, 0x1000, 'flash').set(p.bytes(), 0x100);
  const reg = bus.find(0)!;
  return analyseSpin(reg, 0x100, 0, 0x1000);
}

describe('spin-loop recognition', () => {
  it('takes the kernel debug writer loops: one device load, a timeout counter, an EQ exit', () => {
    const up = analyse((p) => countUp(p, 'h', 'o').label('o'));
    expect(up).not.toBeNull();
    // The counter goes up after the load (the log's skipped entries see it so).
    expect(up!.counters).toEqual([{ x: 0, step: 1, beforeLoad: false }]);
    expect([up!.load, up!.loadTo]).toEqual([2, 2]);
    expect(up!.exits).toEqual([{ x: 0, off: 0, other: 10, imm: 0 }]);
    expect([up!.base, up!.offset, up!.size]).toEqual([1, EVENTS_COMPARE0, 4]);
    const down = analyse((p) => countDown(p, 'h', 'o').label('o'));
    expect(down!.counters).toEqual([{ x: 2, step: -1, beforeLoad: true }]);
    expect([down!.load, down!.loadTo]).toEqual([2, 3]);
    expect(down!.exits).toEqual([{ x: 2, off: -1, other: -1, imm: 0 }]);
    const copied = analyse((p) => countUpCopy(p, 'h', 'o').label('o'));
    expect(copied!.counters).toEqual([{ x: 0, step: 1, beforeLoad: false }]);
    expect(copied!.copies).toEqual([{ y: 6, x: 0, off: 0, beforeLoad: true }]);
    expect(copied!.exits).toEqual([{ x: 0, off: 0, other: 10, imm: 0 }]);
    // A plain poll: ldr, lsls #31, beq (no counter).
    const plain = analyse((p) =>
      p
        .label('h')
        .i('LDR_imm_T1', { t: 2, n: 1, i: 0 })
        .i('LSL_imm_T1', { d: 2, m: 2, i: 31 })
        .branch('B_T1', 'h', { c: 0 }),
    );
    expect(plain?.exits).toEqual([]);
  });

  it('refuses loops whose passes differ or that touch anything else', () => {
    const refused: [string, (p: Program) => void][] = [
      [
        'a store',
        (p) =>
          p
            .label('h')
            .i('LDR_imm_T1', { t: 2, n: 1, i: 0 })
            .i('STR_imm_T1', { t: 2, n: 1, i: 1 })
            .i('CMP_imm_T1', { n: 2, i: 0 })
            .branch('B_T1', 'h', { c: 0 }),
      ],
      [
        'two loads',
        (p) =>
          p
            .label('h')
            .i('LDR_imm_T1', { t: 2, n: 1, i: 0 })
            .i('LDR_imm_T1', { t: 3, n: 1, i: 1 })
            .i('CMP_imm_T1', { n: 2, i: 0 })
            .branch('B_T1', 'h', { c: 0 }),
      ],
      [
        'an accumulator (carried from pass to pass)',
        (p) =>
          p
            .label('h')
            .i('LDR_imm_T1', { t: 2, n: 1, i: 0 })
            .i('ADD_reg_T1', { d: 3, n: 3, m: 2 })
            .i('CMP_imm_T1', { n: 2, i: 0 })
            .branch('B_T1', 'h', { c: 0 }),
      ],
      [
        'a counter exit taken on NE',
        (p) =>
          p
            .label('h')
            .i('SUB_imm_T2', { d: 2, i: 1 })
            .branch('B_T1', 'o', { c: 1 })
            .i('LDR_imm_T1', { t: 3, n: 1, i: 0 })
            .i('CMP_imm_T1', { n: 3, i: 0 })
            .branch('B_T1', 'h', { c: 0 })
            .label('o'),
      ],
      [
        'flags read before the pass sets them',
        (p) =>
          p
            .label('h')
            .branch('B_T1', 'o', { c: 1 })
            .i('LDR_imm_T1', { t: 3, n: 1, i: 0 })
            .i('CMP_imm_T1', { n: 3, i: 0 })
            .branch('B_T1', 'h', { c: 0 })
            .label('o'),
      ],
      [
        'a counter that is copied',
        (p) =>
          p
            .label('h')
            .i('ADD_imm_T2', { d: 0, i: 1 })
            .i('MOV_reg_T2', { d: 5, m: 0 })
            .i('LDR_imm_T1', { t: 3, n: 1, i: 0 })
            .i('CMP_imm_T1', { n: 3, i: 0 })
            .branch('B_T1', 'h', { c: 0 }),
      ],
      [
        'a copy of a counter read by anything but its update',
        (p) =>
          p
            .label('h')
            .i('MOV_reg_T1', { D: 0, d: 6, m: 0 })
            .i('LDR_imm_T1', { t: 3, n: 1, i: 0 })
            .i('ADD_imm_T1', { d: 0, n: 6, i: 1 })
            .i('ADD_reg_T1', { d: 5, n: 6, m: 3 })
            .i('CMP_imm_T1', { n: 3, i: 0 })
            .branch('B_T1', 'h', { c: 0 }),
      ],
      [
        'a counter updated from a copy made after the update',
        (p) =>
          p
            .label('h')
            .i('ADD_imm_T2', { d: 0, i: 1 })
            .i('MOV_reg_T1', { D: 0, d: 6, m: 0 })
            .i('LDR_imm_T1', { t: 3, n: 1, i: 0 })
            .i('ADD_imm_T1', { d: 0, n: 6, i: 1 })
            .i('CMP_imm_T1', { n: 3, i: 0 })
            .branch('B_T1', 'h', { c: 0 }),
      ],
      [
        'a base register the loop writes',
        (p) =>
          p
            .label('h')
            .i('LDR_imm_T1', { t: 1, n: 1, i: 0 })
            .i('CMP_imm_T1', { n: 1, i: 0 })
            .branch('B_T1', 'h', { c: 0 }),
      ],
    ];
    for (const [why, body] of refused) expect(analyse(body), why).toBeNull();
  });
});

interface Run {
  /** [instructions, cycles, r0..r14] at the end of every slice. */
  trace: number[][];
  reads: number;
  /** Device accesses the access log's listener saw (with `accessLog`). */
  logged: number;
  /**
   * What the listener saw at each access, as numbers: address, size, value, whether a write, the
   * PC, the cycle, then a hash of r0..r14 (what a call-chain walk reads).
   */
  seen: number[];
  skipped: number;
  /** Entries into spin-loop regions. */
  entries: number;
}

/**
 * Polls TIMER0's COMPARE[0] (every 100 µs, cleared by a shortcut) with the three loop shapes,
 * 12 times each, then waits with a limit too short for the event so the counter exit fires
 * (two shapes), then polls a RAM word until its counter runs out.
 */
function pollTimer(translate: boolean, slice: number, accessLog = false): Run {
  const { core, flash } = bareCore({ frequencyHz: 64_000_000, numIrqs: 48, translate });
  const timer = new Timer('TIMER0', TIMER, { clock: core.clock, irq: core.irq, dma: noDma }, 4);
  let reads = 0;
  const read = timer.read.bind(timer);
  timer.read = (o, s) => {
    reads++;
    return read(o, s);
  };
  core.bus.mapDevice(TIMER, 0x1000, timer);
  let logged = 0;
  const seen: number[] = [];
  if (accessLog)
    core.bus.onDeviceAccess = (write, address, size, value) => {
      logged++;
      // The registers at the loads (every load here is a spin loop's: its skipped passes'
      // registers are what `logSkipped` makes up). A store after a loop may run in a compiled
      // region, which keeps the registers in locals and gives the core only the PC and the
      // cycle at a device access (what the access log records).
      let h = 0;
      if (!write) for (let i = 0; i < 15; i++) h = (Math.imul(h, 31) + core.r[i]!) | 0;
      seen.push(address, size, value, write ? 1 : 0, core.pc, core.clock.now, h);
    };

  const p = new Program(0);
  p.word(RAM + 0x8000).addr('reset', 1);
  const store = (addr: number, v: number): void => {
    p.mov32(5, addr).mov32(6, v).i('STR_imm_T1', { t: 6, n: 5, i: 0 });
  };
  p.label('reset');
  store(TIMER + 0x510, 4); // PRESCALER: 1 MHz
  store(TIMER + 0x508, 3); // BITMODE: 32 bits
  store(TIMER + 0x540, 100); // CC[0]: 100 µs
  store(TIMER + 0x200, 1); // SHORTS: COMPARE0 -> CLEAR
  store(TIMER + 0x000, 1); // TASKS_START
  p.mov32(1, TIMER).mov32(7, 12).mov32(4, 0);
  p.label('outer');
  p.mov32(10, 4_000_000).mov32(0, 0);
  countUp(p, 'up', 'fail');
  p.i('STR_imm12', { t: 4, n: 1, i: EVENTS_COMPARE0 });
  p.mov32(2, 100_000);
  countDown(p, 'down', 'fail');
  p.i('STR_imm12', { t: 4, n: 1, i: EVENTS_COMPARE0 });
  p.mov32(10, 4_000_000).mov32(0, 0);
  countUpCopy(p, 'copy', 'fail');
  p.i('STR_imm12', { t: 4, n: 1, i: EVENTS_COMPARE0 });
  p.i('SUB_imm_T2', { d: 7, i: 1 }).branch('B_T1', 'outer', { c: 1 });
  // Too short a wait: the counter exit fires before the event (both counter shapes).
  p.mov32(10, 77).mov32(0, 0);
  countUp(p, 'short', 'short2');
  p.label('fail').mov32(1, 0xbad).i('BKPT_T1', { i: 0xab });
  p.label('short2').mov32(10, 77).mov32(0, 0);
  countUpCopy(p, 'short2-loop', 'ram');
  p.label('fail3').mov32(1, 0xbad).i('BKPT_T1', { i: 0xab });
  // A RAM word nothing sets (memory is stable between clock events too): the counter runs out.
  p.label('ram')
    .mov32(1, RAM + 0x1000)
    .mov32(2, 5_000);
  countDown(p, 'poll-ram', 'timeout');
  p.label('fail2').mov32(1, 0xbad).i('BKPT_T1', { i: 0xab });
  p.label('timeout').mov32(1, 0x600d).i('BKPT_T1', { i: 0xab });
  flash.set(p.bytes());
  core.reset();

  const trace: number[][] = [];
  for (let i = 0; i < 10_000; i++) {
    const stop = core.run(slice);
    trace.push([core.instructionCount, core.clock.now, ...core.snapshot({ memory: false }).r]);
    if (stop.kind === 'exit') {
      expect(stop).toEqual({ kind: 'exit', code: 0x600d });
      break;
    }
    expect(stop.kind).toBe('limit');
  }
  let skipped = 0;
  let entries = 0;
  // A region covering several chunks is in each chunk's list: count each once.
  const regions = new Set<unknown>();
  for (const reg of core.bus.regions)
    for (const chunk of reg.chunks ?? []) for (const cr of chunk?.covering ?? []) regions.add(cr);
  for (const cr of regions) {
    const s = (cr as { k: unknown[] }).k[0] as { skipped?: number; entries?: number } | undefined;
    if (typeof s?.skipped === 'number') skipped += s.skipped;
    if (typeof s?.entries === 'number') entries += s.entries;
  }
  return { trace, reads, logged, seen, skipped, entries };
}

describe('spin-loop fast-forward', () => {
  it('polls a TIMER event with the interpreter’s exact counts, cycles and registers', () => {
    for (const slice of [100_000, 9_973, 1_001]) {
      const interpreted = pollTimer(false, slice);
      const compiled = pollTimer(true, slice);
      expect(compiled.trace).toEqual(interpreted.trace);
      expect(compiled.skipped).toBeGreaterThan(0);
      // Skipped passes do not read the register: far fewer reads than passes.
      expect(compiled.reads * 4).toBeLessThan(interpreted.reads);
    }
  });

  it('skips device polls while an access log watches, telling it each skipped pass exactly', () => {
    for (const slice of [100_000, 9_973, 1_001]) {
      const interpreted = pollTimer(false, slice, true);
      const compiled = pollTimer(true, slice, true);
      expect(compiled.trace).toEqual(interpreted.trace);
      // The listener saw every access the interpreter made, each with the same address, size,
      // value, PC, cycle and registers, in the same order.
      expect(compiled.logged).toBe(interpreted.logged);
      expect(compiled.logged).toBeGreaterThan(interpreted.reads / 2);
      const diff = compiled.seen.findIndex((v, i) => v !== interpreted.seen[i]);
      expect(diff, `first different field ${diff % 7} of access ${Math.floor(diff / 7)}`).toBe(-1);
      expect(compiled.seen.length).toBe(interpreted.seen.length);
      // The device polls' passes were skipped (not read) as with the log off.
      expect(compiled.skipped).toBe(pollTimer(true, slice).skipped);
      expect(compiled.reads * 4).toBeLessThan(interpreted.reads);
    }
  });
});
