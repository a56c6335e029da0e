// Every code generator (and every register-only executor call) against its table executor: random encodings of each generated
// encoding, random registers (many pointing into RAM), random flags, alone and inside an IT
// block, run once by the interpreter and once as a compiled region; the whole machine state
// afterwards must be identical (registers, xPSR, count, cycles, fault state, RAM).
import { describe, expect, it } from 'vitest';
import { CortexM } from '../cortex-m';
import { insertFields } from './encoding';
import { GENERATED_ENCODINGS, REGISTER_ONLY_ENCODINGS } from './codegen';
import { ALL_ENCODINGS, assembleEncoding, decode, type Encoding } from './table';
import { compileRegion } from './translate';

const RAM = 0x20000000;
const RAM_SIZE = 0x2000;
const CODE = 0x100;

/** Deterministic PRNG (xorshift32) so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** One core per mode, reloaded for every case (building the bus is the costly part). */
const cores = new Map<boolean, CortexM>();

/**
 * `edge`: registers r0-r3 set to these values and APSR (Q included) cleared, after the random
 * ones; `ccr`: the CCR value (B3.2.8) to run with.
 */
function machine(
  translate: boolean,
  code: number[],
  seed: number,
  edge?: number[],
  ccr?: number,
  setup?: (core: CortexM) => void,
): CortexM {
  let core = cores.get(translate);
  if (core === undefined) {
    core = new CortexM({ frequencyHz: 1e6, numIrqs: 8, priorityBits: 3, translate });
    core.bus.mapRom(0, 0x1000, 'flash');
    core.bus.mapRam(RAM, RAM_SIZE, 'ram');
    cores.set(translate, core);
  }
  const flash = core.bus.find(0)!;
  const ram = core.bus.find(RAM)!;
  flash.bytes.fill(0);
  for (const r of core.bus.regions) r.dropCode();
  const dv = flash.dv;
  dv.setUint32(0, RAM + RAM_SIZE - 0x100, true);
  // Every vector (reset included) points at a `b .` at 0x80.
  for (let v = 1; v < 24; v++) dv.setUint32(4 * v, 0x81, true);
  dv.setUint16(0x80, 0xe7fe, true);
  // A NOP before the code under test: the interpreter runs it (setting up the code window),
  // then the core enters the compiled region at CODE.
  dv.setUint16(CODE - 2, 0xbf00, true);
  let a = CODE;
  for (const hw of code) {
    dv.setUint16(a, hw, true);
    a += 2;
  }
  dv.setUint16(a, 0xe7fe, true); // b . after the instructions under test
  const next = rng(seed);
  for (let i = 0; i < RAM_SIZE; i += 4) ram.dv.setUint32(i, next(), true);
  core.clock.clear();
  core.reset();
  for (let r = 0; r < 13; r++) {
    const k = next() % 4;
    const v = next();
    core.writeRegister(
      r,
      k === 0 ? v : k === 1 ? RAM + (v % (RAM_SIZE - 0x200)) : k === 2 ? v % 64 : -(v % 64),
    );
    // Edge values: 0, -1 and the sign boundary.
    if (next() % 8 === 0) core.writeRegister(r, [0, -1, 0x7fffffff, 0x80000000][next() % 4]!);
  }
  core.writeRegister(14, RAM + (next() % RAM_SIZE));
  core.writeSpecial('xpsr', (next() & 0xf8000000) | (1 << 24));
  if (edge !== undefined) {
    edge.forEach((v, r) => core.writeRegister(r, v));
    core.writeSpecial('xpsr', 1 << 24);
  }
  core.writeRegister(15, CODE - 2);
  // Faults go to the handler loop; UsageFault/BusFault/MemManage enabled (SHCSR).
  core.writeMemory(0xe000ed24, 4, 7 << 16);
  if (ccr !== undefined) core.writeMemory(0xe000ed14, 4, ccr);
  setup?.(core);
  return core;
}

function state(core: CortexM): unknown {
  const regs = Array.from({ length: 16 }, (_, i) => core.readRegister(i));
  const ram = core.bus.find(RAM)!.bytes;
  let h = 0;
  for (let i = 0; i < ram.length; i++) h = (Math.imul(h, 31) + ram[i]!) | 0;
  return {
    regs,
    xpsr: core.readSpecial('xpsr'),
    cycles: core.clock.now,
    cfsr: core.exc.cfsr,
    hfsr: core.exc.hfsr,
    pending: [...core.exc.pending],
    ram: h,
  };
}

function randomInstance(e: Encoding, next: () => number): number[] | null {
  const fields: Record<string, number> = {};
  // Edge values (0, all ones) often: they are where shifts, carries and immediates differ.
  for (const [name, positions] of e.pattern.fields) {
    const max = 2 ** positions.length - 1;
    const k = next() % 8;
    fields[name] = k === 0 ? 0 : k === 1 ? max : next() % (max + 1);
  }
  const word = insertFields(e.pattern, fields, e.name);
  const hw = e.pattern.width === 32 ? [word >>> 16, word & 0xffff] : [word & 0xffff];
  if (decode(hw[0]!, hw[1] ?? 0).encoding !== e) return null; // a more specific encoding
  return hw;
}

function runBoth(
  code: number[],
  steps: number,
  seed: number,
  edge?: number[],
  ccr?: number,
  setup?: (core: CortexM) => void,
): [unknown, unknown] {
  const tr = machine(true, code, seed, edge, ccr, setup);
  const flash = tr.bus.find(0)!;
  flash.initCode();
  const cr = compileRegion(tr, flash, CODE, 0, flash.size)!;
  // Entered once: the core calls its function.
  const fn = cr.fn;
  let entered = 0;
  Object.defineProperty(cr, 'fn', {
    value: (...a: Parameters<typeof fn>) => (entered++, fn(...a)),
  });
  // Enough budget for the region's longest block (a branch target's block may be long).
  const budget = Math.max(steps, cr.maxLen) + 1;
  const n0 = tr.instructionCount;
  tr.run(budget);
  expect(entered).toBe(1);
  const ref = machine(false, code, seed, edge, ccr, setup);
  const m0 = ref.instructionCount;
  ref.run(budget);
  return [
    { ...(state(ref) as object), count: ref.instructionCount - m0 },
    { ...(state(tr) as object), count: tr.instructionCount - n0 },
  ];
}

const generated = ALL_ENCODINGS.filter(
  (e) => GENERATED_ENCODINGS.has(e.name) || REGISTER_ONLY_ENCODINGS.has(e.name),
);

describe('code generators', () => {
  it('cover the encodings that dominate compiled code', () => {
    expect(generated.length).toBeGreaterThan(150);
  });

  it('name only encodings of the table as register-only calls', () => {
    const names = new Set(ALL_ENCODINGS.map((e) => e.name));
    for (const n of REGISTER_ONLY_ENCODINGS) expect(names.has(n), n).toBe(true);
    for (const n of REGISTER_ONLY_ENCODINGS) expect(GENERATED_ENCODINGS.has(n), n).toBe(false);
  });

  for (const e of generated) {
    it(`${e.name} does what its executor does`, () => {
      const next = rng(e.index * 7919 + 1);
      let tried = 0;
      for (let n = 0; n < 400 && tried < 16; n++) {
        const hw = randomInstance(e, next);
        if (hw === null) continue;
        tried++;
        const seed = next();
        const [a, b] = runBoth(hw, 2, seed);
        expect(b, `${e.name} ${hw.map((x) => x.toString(16)).join(' ')}`).toEqual(a);
        if (e.pattern.width === 16) {
          // Inside an IT block (condition and its opposite), where 16-bit instructions keep flags.
          const cond = next() % 14;
          const it = assembleEncoding('IT_T1', { c: cond, m: 8 });
          const [c, d] = runBoth([...it, ...hw], 3, seed);
          expect(d, `IT ${cond}: ${e.name} ${hw[0]!.toString(16)}`).toEqual(c);
        }
      }
      expect(tried).toBeGreaterThan(0);
    });
  }

  it('saturate and set Q exactly where the executors do, at the edges of the ranges', () => {
    // Random operands rarely reach the saturation points (QADD's overflow, SMUAD's
    // 0x8000 * 0x8000 twice) and start with Q often set: here Q starts clear and r0-r3 hold
    // values around the limits, for every operand order.
    const edges = [
      0x7fffffff, 0x80000000, 0x80008000, 0x7fff7fff, 1, -1, 0, 0x40000000, 0xc0000000,
    ];
    const cases: [string, Record<string, number>][] = [
      ['SSAT_T1', { d: 0, n: 1, s: 15, h: 0, i: 0 }],
      ['SSAT_T1', { d: 0, n: 1, s: 7, h: 1, i: 4 }],
      ['SSAT_T1', { d: 0, n: 1, s: 31, h: 0, i: 1 }],
      ['SSAT_T1', { d: 0, n: 1, s: 0, h: 1, i: 0 }],
      ...['QADD', 'QSUB', 'QDADD', 'QDSUB'].map((op): [string, Record<string, number>] => [
        `${op}_T1`,
        { d: 0, n: 1, m: 2 },
      ]),
      ...['SMLAD', 'SMLSD'].flatMap((op) =>
        [0, 1].map((M): [string, Record<string, number>] => [
          `${op}_T1`,
          { d: 0, n: 1, m: 2, a: 3, M },
        ]),
      ),
      ...['SMUAD', 'SMUSD'].flatMap((op) =>
        [0, 1].map((M): [string, Record<string, number>] => [`${op}_T1`, { d: 0, n: 1, m: 2, M }]),
      ),
    ];
    let saturated = 0;
    for (const [name, fields] of cases) {
      expect(GENERATED_ENCODINGS.has(name), name).toBe(true);
      const hw = assembleEncoding(name, fields);
      for (const x of edges)
        for (const y of edges) {
          const edge = [0, x, y, x]; // r3: the accumulator at an edge too
          const [a, b] = runBoth(hw, 1, 1, edge);
          expect(b, `${name} ${JSON.stringify(fields)} ${x} ${y}`).toEqual(a);
          if (((a as { xpsr: number }).xpsr >>> 27) & 1) saturated++;
        }
    }
    expect(saturated).toBeGreaterThan(50);
  });

  it('multiply long and divide as the executors do at edge values, and trap a zero divisor', () => {
    // Where the 64-bit product's partial products carry (0xffff, 0x10000, all ones), the signs,
    // SDIV's overflow (0x80000000 / -1), zero divisors with CCR.DIV_0_TRP off and on (B3.2.8),
    // quotients of every size (the divide's cycles follow them), and destinations that are
    // also operands.
    const edges = [0, 1, 3, -1, 0x7fffffff, 0x80000000, 0xffff, 0x10000, 0xffff0000, 0x9abcdef1];
    const cases: [string, Record<string, number>][] = [
      ...['UMULL', 'SMULL'].flatMap((op): [string, Record<string, number>][] => [
        [`${op}_T1`, { l: 2, h: 3, n: 0, m: 1 }],
        [`${op}_T1`, { l: 1, h: 0, n: 0, m: 1 }],
      ]),
      ...['UDIV', 'SDIV'].flatMap((op): [string, Record<string, number>][] => [
        [`${op}_T1`, { d: 2, n: 0, m: 1 }],
        [`${op}_T1`, { d: 1, n: 0, m: 1 }],
      ]),
    ];
    let trapped = 0;
    for (const [name, fields] of cases) {
      expect(GENERATED_ENCODINGS.has(name), name).toBe(true);
      const hw = assembleEncoding(name, fields);
      for (const x of edges)
        for (const y of edges)
          for (const ccr of name.endsWith('DIV_T1') && y === 0 ? [0x200, 0x210] : [0x200]) {
            const [a, b] = runBoth(hw, 1, 1, [x, y, 0x5a5a5a5a, 0x3c3c3c3c], ccr);
            expect(b, `${name} ${JSON.stringify(fields)} ${x} ${y} ccr ${ccr}`).toEqual(a);
            if ((a as { cfsr: number }).cfsr !== 0) trapped++;
          }
    }
    // A zero divisor with the trap on: UsageFault DIVBYZERO, once per case and dividend.
    expect(trapped).toBe(4 * edges.length);
  });

  it('add and subtract lanes, set GE, saturate and halve as the executors do, and SEL by GE', () => {
    // Lane values at the byte and halfword limits (0x7f/0x80/0xff/0x00, 0x7fff/0x8000/0xffff)
    // in every operand order, for all 36 parallel encodings; then SEL after each plain (GE
    // setting) form, so it runs with the GE values those produce.
    const edges = [
      0x7f80ff00, 0x807f00ff, 0xffffffff, 0, 0x80008000, 0x7fff7fff, 0x01010101, 0xfefefefe,
      0xff7f0180,
    ];
    const sel = assembleEncoding('SEL_T1', { d: 3, n: 1, m: 2 });
    const geSeen = new Set<number>();
    for (const prefix of ['S', 'Q', 'SH', 'U', 'UQ', 'UH'])
      for (const op of ['ADD16', 'ASX', 'SAX', 'SUB16', 'ADD8', 'SUB8']) {
        const name = `${prefix}${op}_T1`;
        expect(GENERATED_ENCODINGS.has(name), name).toBe(true);
        const hw = assembleEncoding(name, { d: 0, n: 1, m: 2 });
        const plain = prefix === 'S' || prefix === 'U';
        for (const x of edges)
          for (const y of edges) {
            const code = plain ? [...hw, ...sel] : hw;
            const [a, b] = runBoth(code, plain ? 2 : 1, 1, [0, x, y, 0]);
            expect(b, `${name} ${x} ${y}`).toEqual(a);
            if (plain) geSeen.add(((a as { xpsr: number }).xpsr >>> 16) & 15);
          }
      }
    // SEL saw many GE patterns (each byte's and each halfword's both ways).
    expect(geSeen.size).toBeGreaterThanOrEqual(8);
  });

  it('run register lists inside a window, across its end, around a watched word and unaligned as the executors do', () => {
    // A list's words are tested as one run (codegen.ts `wordRun`): a run inside RAM is done in
    // the window; a run that leaves RAM part way (the words before the end done, then a
    // BusFault), that covers a watched word (DWT, the window's hole: C2.3.2), or whose base
    // is not word-aligned (UsageFault UNALIGNED whatever UNALIGN_TRP says, A3.2.1) goes
    // through the core word by word. SP-based lists get SP from r0 first (MOV SP, r0).
    const movSp = assembleEncoding('MOV_reg_T1', { D: 1, d: 5, m: 0 });
    const cases: [string, Record<string, number>, boolean][] = [
      ['PUSH_T1', { M: 1, r: 0xf2 }, true],
      ['POP_T1', { P: 0, r: 0xf6 }, true],
      ['POP_T1', { P: 1, r: 0x32 }, true],
      ['STM_T1', { n: 0, r: 0x1e }, false],
      ['LDM_T1', { n: 0, r: 0x1e }, false],
      ['LDM_T1', { n: 0, r: 0x07 }, false],
      ['STM_T2', { W: 1, n: 0, M: 1, r: 0x0f0e }, false],
      ['LDM_T2', { W: 1, n: 0, P: 0, M: 1, r: 0x0f0e }, false],
      ['STMDB_T1', { W: 1, n: 0, M: 0, r: 0x01fe }, false],
      ['LDMDB_T1', { W: 0, n: 0, P: 0, M: 1, r: 0x01fe }, false],
      ['STRD_imm_T1', { P: 1, U: 1, W: 1, n: 0, t: 1, T: 2, i: 1 }, false],
      ['LDRD_imm_T1', { P: 1, U: 0, W: 0, n: 0, t: 1, T: 2, i: 1 }, false],
    ];
    const watch = (address: number, fn: number) => (core: CortexM) => {
      core.writeMemory(0xe000edf0, 4, 0xa05f0001); // DHCSR: C_DEBUGEN (watchpoints halt)
      core.writeMemory(0xe0001020, 4, address); // DWT_COMP0
      core.writeMemory(0xe0001024, 4, 2); // DWT_MASK0: the word
      core.writeMemory(0xe0001028, 4, fn); // DWT_FUNCTION0: 5 read, 6 write
    };
    let faults = 0;
    let stops = 0;
    for (const [name, fields, sp] of cases) {
      const hw = assembleEncoding(name, fields);
      const code = sp ? [...movSp, ...hw] : hw;
      const steps = sp ? 2 : 1;
      const load = /^(POP|LDM)/.test(name);
      for (const base of [
        RAM + 0x400,
        RAM + RAM_SIZE - 8, // two words in RAM, then outside
        RAM + RAM_SIZE - 40,
        RAM + 4, // a descending list starts below RAM
        RAM + 0x402, // unaligned
      ]) {
        const edge = [base, 0x11111111, 0x22222222, 0x33333333];
        const [a, b] = runBoth(code, steps, 3, edge);
        expect(b, `${name} at ${base.toString(16)}`).toEqual(a);
        if ((a as { cfsr: number }).cfsr !== 0) faults++;
      }
      // A watched word in the middle of a run (reads for loads, writes for stores).
      const setup = watch(RAM + 0x408, load ? 5 : 6);
      for (const base of [RAM + 0x400, RAM + 0x404, RAM + 0x40c, RAM + 0x410]) {
        const edge = [base, 0x11111111, 0x22222222, 0x33333333];
        const free = runBoth(code, steps, 3, edge)[0] as { count: number };
        // Fresh cores: a watchpoint's halt outlives the reset that reuses a core.
        cores.clear();
        const [a, b] = runBoth(code, steps, 3, edge, undefined, setup);
        cores.clear();
        expect(b, `${name} at ${base.toString(16)}, RAM + 0x408 watched`).toEqual(a);
        if ((a as { count: number }).count < free.count) stops++;
      }
    }
    expect(faults).toBeGreaterThan(10);
    expect(stops).toBeGreaterThan(5);
  });

  it('load and store SP-relative words at an unaligned SP as the core does (no inline unaligned path there)', () => {
    // SP-relative forms leave the unaligned path to the core (codegen.ts `single`); SP comes
    // from r0 (MOV SP, r0), at every byte offset, with CCR.UNALIGN_TRP clear and set.
    const movSp = assembleEncoding('MOV_reg_T1', { D: 1, d: 5, m: 0 });
    const cases: [string, Record<string, number>][] = [
      ['LDR_imm_T2', { t: 1, i: 2 }],
      ['STR_imm_T2', { t: 3, i: 2 }],
      ['LDR_imm12', { t: 1, n: 13, i: 8 }],
      ['STR_imm12', { t: 3, n: 13, i: 8 }],
      ['LDRH_imm12', { t: 1, n: 13, i: 6 }],
      ['STRH_imm12', { t: 3, n: 13, i: 6 }],
    ];
    let faults = 0;
    for (const [name, fields] of cases) {
      const hw = assembleEncoding(name, fields);
      for (const ccr of [0x200, 0x208])
        for (let off = 0; off < 4; off++) {
          const edge = [RAM + 0x400 + off, 0, 0, 0x89abcdef | 0];
          const [a, b] = runBoth([...movSp, ...hw], 2, 5, edge, ccr);
          expect(b, `${name} ccr ${ccr.toString(16)} SP + ${off}`).toEqual(a);
          if ((a as { cfsr: number }).cfsr !== 0) faults++;
        }
    }
    expect(faults).toBeGreaterThan(0);
  });

  it('load and store unaligned words and halfwords inline as the core does, or trap (UNALIGN_TRP)', () => {
    // Every byte offset inside RAM and across its end, with CCR.UNALIGN_TRP clear (the access
    // is done, A3.2.1) and set (UsageFault UNALIGNED): compiled code and the interpreter agree
    // on registers, memory, CFSR and cycles.
    const cases: [string, Record<string, number>][] = [
      ['LDR_reg_T1', { t: 0, n: 1, m: 2 }],
      ['STR_reg_T1', { t: 3, n: 1, m: 2 }],
      ['LDRH_reg_T1', { t: 0, n: 1, m: 2 }],
      ['LDRSH_reg_T1', { t: 0, n: 1, m: 2 }],
      ['STRH_reg_T1', { t: 3, n: 1, m: 2 }],
      ['LDR_imm12', { t: 0, n: 1, i: 0 }],
      ['STR_imm12', { t: 3, n: 1, i: 0 }],
    ];
    let faults = 0;
    for (const [name, fields] of cases) {
      const hw = assembleEncoding(name, fields);
      for (const ccr of [0x200, 0x208])
        for (const base of [RAM + 0x100, RAM + RAM_SIZE - 4])
          for (let off = 0; off < 4; off++) {
            const edge = [0, base + off, 0, 0x89abcdef | 0];
            const [a, b] = runBoth(hw, 1, 7, edge, ccr);
            expect(b, `${name} ccr ${ccr.toString(16)} at ${(base + off).toString(16)}`).toEqual(a);
            if ((a as { cfsr: number }).cfsr !== 0) faults++;
          }
    }
    expect(faults).toBeGreaterThan(10);
  });
});
