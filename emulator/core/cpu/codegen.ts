/**
 * Code generators: JavaScript source for one decoded instruction, specialised on its fields.
 *
 * The translator (cpu/translate.ts) keeps r0-r14 and the N, Z, C, V flags in local variables of
 * the function it generates for a code region. For the encodings listed here it asks a
 * generator for source that works on those locals with the instruction's register numbers and
 * immediates written in as constants; every other encoding runs its table executor (the
 * translator stores the locals back around the call). Each generator must do exactly what the
 * executor in cpu/table.ts does, in the same order with respect to memory accesses (an access
 * that faults leaves earlier register writes done, as in the executor):
 * `codegen.test.ts` runs every generator against its executor on random operands.
 *
 * Memory accesses inline the core's fast path (the cached RAM/ROM region or MPU window, held in
 * locals) and call the core's access methods otherwise, setting `x`: 1 when the core raised
 * `attention` (an MMIO access scheduled an event, pended an interrupt, or a write dropped
 * compiled code; the translator leaves the region after the instruction), else 2 (reload the
 * fast-path locals before the next block).
 *
 * Usage: `const out = generate(insn, ctx)`; null means "call the executor".
 */
import type { Fields } from './encoding';
import type { Insn } from './table';

/** What the translator tells a generator about where the instruction sits. */
export interface GenContext {
  /** Address of the instruction. */
  readonly pc: number;
  /** Inside an IT block: 16-bit data-processing instructions leave the flags alone. */
  readonly inIT: boolean;
  /** Source that sets the core's clock to the instruction's start (before a slow access). */
  readonly sync: string;
}

/** How control leaves an instruction. */
export type Flow =
  | { kind: 'next' }
  /** Unconditional branch to a constant address. */
  | { kind: 'jump'; target: number }
  /** Conditional branch: `cond` is a JS boolean expression; taken costs 2 more cycles. */
  | { kind: 'cond'; cond: string; target: number }
  /** Branch to the address in local `t` with BXWritePC/LoadWritePC semantics. */
  | { kind: 'bx' }
  /**
   * Plain branch (BranchWritePC) to the address in local `t`. `table`: `t` is `base + 2 *
   * index`, with the local `index` in [0, entries) (TBB: the byte it loaded), so the
   * translator may find the target's block by the index in a table it builds once.
   */
  | { kind: 'jumpTo'; table?: { index: string; base: number; entries: number } };

export interface Generated {
  /** Statements; registers as locals r0-r14, flags as N, Z, C, V. */
  readonly code: string;
  /** Cycles the executor returns when the instruction executes (not counting a taken `cond`). */
  readonly cycles: number;
  readonly flow: Flow;
  /** Calls into the core (memory slow paths, faults): the translator sets the fault index first. */
  readonly calls: boolean;
}

const R = (n: number, pc: number): string => (n === 15 ? `${(pc + 4) | 0}` : `r${n}`);
const ok = (code: string, cycles = 1, calls = false, flow: Flow = { kind: 'next' }): Generated => ({
  code,
  cycles,
  flow,
  calls,
});

/** JS expression for ConditionPassed(cond) over the flag locals. */
export function condExpr(cond: number): string {
  switch (cond) {
    case 0:
      return 'Z !== 0';
    case 1:
      return 'Z === 0';
    case 2:
      return 'C !== 0';
    case 3:
      return 'C === 0';
    case 4:
      return 'N !== 0';
    case 5:
      return 'N === 0';
    case 6:
      return 'V !== 0';
    case 7:
      return 'V === 0';
    case 8:
      return '(C !== 0 && Z === 0)';
    case 9:
      return '(C === 0 || Z !== 0)';
    case 10:
      return 'N === V';
    case 11:
      return 'N !== V';
    case 12:
      return '(Z === 0 && N === V)';
    case 13:
      return '(Z !== 0 || N !== V)';
    default:
      return 'true';
  }
}

// ---- flag helpers (AddWithCarry and friends, A2.2.1) ----

/** d = a + b + carry with NZCV, as alu.adc; `b` is an int32 expression, `carry` 0/1/'C'. */
function addFlags(dst: string, a: string, b: string, carry: string): string {
  // t1/t2 hold the operands so each is evaluated once; the carry test follows alu.adc.
  const cfix =
    carry === '0'
      ? 'C = (t0 >>> 0) < (t1 >>> 0) ? 1 : 0;'
      : carry === '1'
        ? 'C = (t0 >>> 0) <= (t1 >>> 0) ? 1 : 0;'
        : 'C = t3 === 0 ? ((t0 >>> 0) < (t1 >>> 0) ? 1 : 0) : (t0 >>> 0) <= (t1 >>> 0) ? 1 : 0;';
  return (
    `t1 = ${a}; t2 = ${b};${carry === 'C' ? ' t3 = C;' : ''} t0 = (t1 + t2 + ${carry === 'C' ? 't3' : carry}) | 0;` +
    ` N = t0 >>> 31; Z = t0 === 0 ? 1 : 0; ${cfix} V = ((t1 ^ t0) & (t2 ^ t0)) >>> 31;` +
    (dst ? ` ${dst} = t0;` : '')
  );
}
const nz = (v: string): string => `N = ${v} >>> 31; Z = ${v} === 0 ? 1 : 0;`;

/**
 * Shift by a constant (DecodeImmShift already applied: type 0-4, amount) with carry out into
 * `carryVar` when given; result expression assigned to `dst`. Mirrors alu.shiftC.
 */
function shiftConst(
  dst: string,
  v: string,
  type: number,
  amount: number,
  carryVar: string | null,
): string {
  if (amount === 0 && type !== 4) return `${dst} = ${v};${carryVar ? ` ${carryVar} = C;` : ''}`;
  const cv = (e: string): string => (carryVar ? ` ${carryVar} = ${e};` : '');
  switch (type) {
    case 0:
      if (amount >= 32) return `${dst} = 0;${cv(amount === 32 ? `${v} & 1` : '0')}`;
      return `${cv(`(${v} >>> ${32 - amount}) & 1`)} ${dst} = ${v} << ${amount};`;
    case 1:
      if (amount >= 32) return `${cv(amount === 32 ? `${v} >>> 31` : '0')} ${dst} = 0;`;
      return `${cv(`(${v} >>> ${amount - 1}) & 1`)} ${dst} = (${v} >>> ${amount}) | 0;`;
    case 2:
      if (amount >= 32) return `${cv(`${v} >>> 31`)} ${dst} = ${v} >> 31;`;
      return `${cv(`(${v} >> ${amount - 1}) & 1`)} ${dst} = ${v} >> ${amount};`;
    case 3: {
      const m = amount & 31;
      const e = m === 0 ? `${v} | 0` : `(${v} >>> ${m}) | (${v} << ${32 - m})`;
      return `${dst} = ${e};${cv(`${dst} >>> 31`)}`;
    }
    default:
      return `${cv(`${v} & 1`)} ${dst} = (${v} >>> 1) | (C << 31);`;
  }
}

// ---- memory (inline fast paths; the core's methods otherwise) ----

/**
 * Reloads the locals that hold the core's data fast paths: the first two read slots
 * (`readRegion`/`readRegion2` in R and Q; the second because code reads flash literals between
 * its RAM accesses) and the first write slot (`writeRegion` in W): at region entry
 * and, after a call into the core, before the next block. A call can only rotate
 * them without raising attention (the old ones stay valid: anything that invalidates a fast
 * region raises attention, and the region is left). Per slot `p`: `<p>lo` the window's first
 * address; the window's usable bytes (its size rounded down to whole words) in two stretches
 * of offsets, the one below its hole, [0, `<p>lx`), and the one above it, from `<p>hh` for
 * `<p>ux` bytes (Region.holeLo/holeHi: the watched granules, data watchpoints and write
 * observers, that only the core may access; without a hole the first stretch is the whole
 * window and the second is empty); both limits with bit 31 flipped (see `clear`). Stores into
 * a region holding decoded code, or with a data-write observer, go through the core (which
 * drops the code and calls the observer): the write slot's stretches are empty then. Every
 * operation is evaluated with or without a hole (the conditionals only choose between
 * values), so a plain run gives V8 the type feedback of all of them: an operation first met
 * in a debug session deoptimizes the region.
 */
const slot = (p: string, from: string, write: boolean): string =>
  ` d = cpu.${from}; ${p}lo = d.lo | 0;` +
  ` fs = ${write ? '(d.code === null && cpu.onDataWrite === null ? d.size : 0)' : 'd.size'} & -4;` +
  ` fl = d.holeLo | 0; ${p}hh = d.holeHi | 0; fu = fs - ${p}hh;` +
  ` ${p}lx = (fl < fs ? fl : fs) ^ H; ${p}ux = (fu > 0 ? fu : 0) ^ H;` +
  ` ${p.toUpperCase()}32 = d.i32; ${p.toUpperCase()}16 = d.u16; ${p.toUpperCase()}8 = d.bytes;`;
export const REFRESH =
  slot('r', 'readRegion', false) + slot('q', 'readRegion2', false) + slot('w', 'writeRegion', true);

/**
 * The locals REFRESH sets, declared once at the top of every region function, and `H`, the
 * sign bit the window tests flip (`clear`). As a literal, -2147483648 is no Smi: Ignition
 * wrote each `^ -2147483648` as a 10-byte BitwiseXorSmi.ExtraWide, against 3-6 bytes for a
 * register operand, and TurboFan folds the constant either way. The busy nRF52840 run's
 * regions came to 263 bytes of bytecode an instruction instead of 270, and 4.6 % fewer
 * characters (`emulator-source-bytes.ts`).
 */
export const FAST_PATH_LOCALS =
  'const H = -2147483648;' +
  ' let d = cpu.readRegion, R32 = d.i32, R16 = d.u16, R8 = d.bytes, W32 = R32, W16 = R16, W8 = R8,' +
  ' Q32 = R32, Q16 = R16, Q8 = R8,' +
  ' rlo = 0, rlx = 0, rhh = 0, rux = 0, qlo = 0, qlx = 0, qhh = 0, qux = 0,' +
  ' wlo = 0, wlx = 0, whh = 0, wux = 0, fs = 0, fl = 0, fu = 0;';

/**
 * The test that an access of `n` bytes at offset `o` of slot `p`'s window lies in one of the
 * window's two stretches (REFRESH), each an unsigned comparison written as a signed one of
 * int32 values (both sides with bit 31 flipped; an unsigned `>>> 0` there made TurboFan
 * compare doubles: ~13 % of bench's time). The stretch above the hole is tested first, so
 * the test of the one below is always evaluated too while there is no hole: a plain run gives
 * both the type feedback a debug session needs (a short-circuit's second half would be new to
 * TurboFan there, and deoptimize the region). With a hole, an access above it takes one
 * comparison. `aligned`: aligned to its size (at most a word) in a word-aligned window whose
 * stretches are whole words (the hole's bounds are 32-byte aligned), so its first byte tells.
 * The second read slot (`q`) tests the stretch below first: in the benchmarks it holds the
 * window without a hole (flash literals beside a watched RAM window: the core puts the window
 * it made last in the first slot), and with the stretch above first a debug session paid one
 * comparison more on each of those reads (bench and bench2 ran all of their debug cost in the hole
 * tests: no breakpoint cut a block, no access went to the core). The test above is then
 * reached only when the one below fails, where the core's path is the alternative anyway.
 * Every region function has these tests (translate.ts FACTORIES says why not a second one
 * without them); while no window has a hole, the stretch above is empty and its test fails.
 */
const clear = (p: string, n: number, aligned: boolean): string =>
  p === 'q' && (aligned || n === 1)
    ? `((o ^ H) < ${p}lx || ((o - ${p}hh) ^ H) < ${p}ux)`
    : aligned || n === 1
      ? `(((o - ${p}hh) ^ H) < ${p}ux || (o ^ H) < ${p}lx)`
      : `((((o - ${p}hh) ^ H) < ${p}ux && ((o - ${p}hh + ${n - 1}) ^ H) < ${p}ux) || ` +
        `(o >= 0 && ((o + ${n - 1}) ^ H) < ${p}lx))`;

/**
 * Loads into local `dst` from the int32 address in local `a`. `literal`: a PC-relative load
 * (a literal pool in the code; a word, or the byte of a TBB's table after it), which tests
 * the second read slot first: the core puts the
 * window it made last in the first slot, and in a running program that is the data's (RAM),
 * so a literal from flash (bench2's inner loops load a table's address from a pool on every
 * pass) went through a failed RAM test first. Either order is exact: a hit in either slot is
 * a valid fast path, and a miss in both goes to the core.
 */
function load(
  dst: string,
  size: 1 | 2 | 4,
  signed: boolean,
  aligned: boolean,
  sync: string,
  literal = false,
  inlineUnaligned = !aligned,
): string {
  if (literal && size === 4)
    return (
      `o = (a - qlo) | 0; if ((a & 3) === 0 && ${clear('q', 4, true)}) ${dst} = Q32[o >> 2];` +
      ` else { o = (a - rlo) | 0; if ((a & 3) === 0 && ${clear('r', 4, true)}) ${dst} = R32[o >> 2];` +
      ` else { ${sync} ${dst} = cpu.read32(a) | 0; x = cpu.attention ? 1 : 2; } }`
    );
  if (literal && size === 1)
    return (
      `o = (a - qlo) | 0; if (${clear('q', 1, true)}) ${dst} = Q8[o];` +
      ` else { o = (a - rlo) | 0; if (${clear('r', 1, true)}) ${dst} = R8[o];` +
      ` else { ${sync} ${dst} = cpu.read8(a) | 0; x = cpu.attention ? 1 : 2; } }` +
      (signed ? ` ${dst} = (${dst} << 24) >> 24;` : '')
    );
  // The first slot, else the second, else an unaligned access inside the first slot, else
  // the core (which may rotate the slots).
  const slow = (m: string, hit2: string, from: string, unaligned = ''): string =>
    `else { o = (a - qlo) | 0; if (${hit2}) ${dst} = ${from};${unaligned}` +
    ` else { ${sync} ${dst} = cpu.${m}(a) | 0; x = cpu.attention ? 1 : 2; } }`;
  if (size === 4) {
    // Unaligned word loads (LDR, LDRT; not LDM/LDRD, which fault) are allowed unless
    // CCR.UNALIGN_TRP is set (ARMv7-M ARM A3.2.1 "Alignment behavior"; B3.2.8 CCR); the core's
    // read32 reads the same four bytes little-endian (A3.3).
    const unaligned = !inlineUnaligned
      ? ''
      : ` else if ((cpu.ccr & 8) === 0 && ((o = (a - rlo) | 0), ${clear('r', 4, false)}))` +
        ` ${dst} = R8[o] | (R8[o + 1] << 8) | (R8[o + 2] << 16) | (R8[o + 3] << 24);`;
    return (
      `o = (a - rlo) | 0; if ((a & 3) === 0 && ${clear('r', 4, true)}) ${dst} = R32[o >> 2];` +
      ` ${slow(aligned ? 'read32A' : 'read32', `(a & 3) === 0 && ${clear('q', 4, true)}`, 'Q32[o >> 2]', unaligned)}`
    );
  }
  if (size === 2) {
    const fix = signed ? ` ${dst} = (${dst} << 16) >> 16;` : '';
    const unaligned = !inlineUnaligned
      ? ''
      : ` else if ((cpu.ccr & 8) === 0 && ((o = (a - rlo) | 0), ${clear('r', 2, false)}))` +
        ` ${dst} = R8[o] | (R8[o + 1] << 8);`;
    return (
      `o = (a - rlo) | 0; if ((a & 1) === 0 && ${clear('r', 2, true)}) ${dst} = R16[o >> 1];` +
      ` ${slow('read16', `(a & 1) === 0 && ${clear('q', 2, true)}`, 'Q16[o >> 1]', unaligned)}${fix}`
    );
  }
  const fix = signed ? ` ${dst} = (${dst} << 24) >> 24;` : '';
  return `o = (a - rlo) | 0; if (${clear('r', 1, true)}) ${dst} = R8[o]; ${slow('read8', `${clear('q', 1, true)}`, 'Q8[o]')}${fix}`;
}

/** Stores the int32 expression `v` to the int32 address in local `a` (`inlineUnaligned`: as `load`). */
function store(
  v: string,
  size: 1 | 2 | 4,
  aligned: boolean,
  sync: string,
  inlineUnaligned = !aligned,
): string {
  // The write slot, else an unaligned access inside it (as for loads; `v` is a register
  // local, read more than once), else the core. The core's second write slot is not inlined:
  // the core checks it too, and no workload measured wrote through it (bench, bench2 and the
  // busy nRF52840 kernel: not once), where its tests were 8 % of the generated source.
  const slow = (m: string, unaligned = ''): string =>
    `${unaligned} else { ${sync} cpu.${m}(a, ${v}); x = cpu.attention ? 1 : 2; }`;
  if (size === 4) {
    const unaligned = !inlineUnaligned
      ? ''
      : ` else if ((cpu.ccr & 8) === 0 && ((o = (a - wlo) | 0), ${clear('w', 4, false)}))` +
        ` { W8[o] = ${v}; W8[o + 1] = ${v} >> 8; W8[o + 2] = ${v} >> 16; W8[o + 3] = ${v} >> 24; }`;
    return (
      `o = (a - wlo) | 0; if ((a & 3) === 0 && ${clear('w', 4, true)}) W32[o >> 2] = ${v};` +
      slow(aligned ? 'write32A' : 'write32', unaligned)
    );
  }
  if (size === 2) {
    const unaligned = !inlineUnaligned
      ? ''
      : ` else if ((cpu.ccr & 8) === 0 && ((o = (a - wlo) | 0), ${clear('w', 2, false)}))` +
        ` { W8[o] = ${v}; W8[o + 1] = ${v} >> 8; }`;
    return (
      `o = (a - wlo) | 0; if ((a & 1) === 0 && ${clear('w', 2, true)}) W16[o >> 1] = ${v};` +
      slow('write16', unaligned)
    );
  }
  return `o = (a - wlo) | 0; if (${clear('w', 1, true)}) W8[o] = ${v};${slow('write8')}`;
}

function popcount(v: number): number {
  let n = 0;
  for (let x = v; x; x &= x - 1) n++;
  return n;
}

type Gen = (f: Fields, g: GenContext) => Generated | null;

/** Generators by encoding name. */
const GEN = new Map<string, Gen>();
const gen = (names: string | string[], fn: Gen): void => {
  for (const n of Array.isArray(names) ? names : [names]) GEN.set(n, fn);
};

// ---------------------------------------------------------------------------------------------
// 16-bit data processing
// ---------------------------------------------------------------------------------------------

gen('MOV_reg_T2', (f) => ok(`r${f.d} = ${R(f.m!, 0)}; ${nz(`r${f.d}`)}`));
for (const [name, type] of [
  ['LSL_imm_T1', 0],
  ['LSR_imm_T1', 1],
  ['ASR_imm_T1', 2],
] as const) {
  gen(name, (f, g) =>
    ok(
      g.inIT
        ? `${shiftConst('t0', `r${f.m}`, type, f.n!, null)} r${f.d} = t0;`
        : `${shiftConst('t0', `r${f.m}`, type, f.n!, 't1')} r${f.d} = t0; ${nz('t0')} C = t1;`,
    ),
  );
}
const arith16 = (d: number, a: string, b: string, carry: string, g: GenContext): Generated =>
  ok(
    g.inIT
      ? `r${d} = (${a} + ${b} + ${carry === 'C' ? 'C' : carry}) | 0;`
      : addFlags(`r${d}`, a, b, carry),
  );
gen('ADD_reg_T1', (f, g) => arith16(f.d!, `r${f.n}`, `r${f.m}`, '0', g));
gen('SUB_reg_T1', (f, g) => arith16(f.d!, `r${f.n}`, `~r${f.m}`, '1', g));
gen('ADD_imm_T1', (f, g) => arith16(f.d!, `r${f.n}`, `${f.i}`, '0', g));
gen('SUB_imm_T1', (f, g) => arith16(f.d!, `r${f.n}`, `${~f.i!}`, '1', g));
gen('ADD_imm_T2', (f, g) => arith16(f.d!, `r${f.d}`, `${f.i}`, '0', g));
gen('SUB_imm_T2', (f, g) => arith16(f.d!, `r${f.d}`, `${~f.i!}`, '1', g));
gen('MOV_imm_T1', (f, g) =>
  ok(`r${f.d} = ${f.i};${g.inIT ? '' : ` N = 0; Z = ${f.i === 0 ? 1 : 0};`}`),
);
gen('CMP_imm_T1', (f) => ok(addFlags('', `r${f.n}`, `${~f.i!}`, '1')));
const logic16 = (d: number, e: string, g: GenContext): Generated =>
  ok(g.inIT ? `r${d} = ${e};` : `t0 = ${e}; r${d} = t0; ${nz('t0')}`);
gen('AND_reg_T1', (f, g) => logic16(f.d!, `r${f.d} & r${f.m}`, g));
gen('EOR_reg_T1', (f, g) => logic16(f.d!, `r${f.d} ^ r${f.m}`, g));
gen('ORR_reg_T1', (f, g) => logic16(f.d!, `r${f.d} | r${f.m}`, g));
gen('BIC_reg_T1', (f, g) => logic16(f.d!, `r${f.d} & ~r${f.m}`, g));
gen('MVN_reg_T1', (f, g) => logic16(f.d!, `~r${f.m}`, g));
gen('MUL_reg_T1', (f, g) => logic16(f.d!, `Math.imul(r${f.d}, r${f.m})`, g));
gen('ADC_reg_T1', (f, g) => arith16(f.d!, `r${f.d}`, `r${f.m}`, 'C', g));
gen('SBC_reg_T1', (f, g) => arith16(f.d!, `r${f.d}`, `~r${f.m}`, 'C', g));
gen('RSB_reg_T1', (f, g) => arith16(f.d!, `~r${f.m}`, '0', '1', g));
gen('TST_reg_T1', (f) => ok(`t0 = r${f.d} & r${f.m}; ${nz('t0')}`));
gen('CMP_reg_T1', (f) => ok(addFlags('', `r${f.d}`, `~r${f.m}`, '1')));
gen('CMN_reg_T1', (f) => ok(addFlags('', `r${f.d}`, `r${f.m}`, '0')));
gen('ADD_reg_T2', (f, g) =>
  f.dd === 15 ? null : ok(`r${f.dd} = (${R(f.dd!, g.pc)} + ${R(f.m!, g.pc)}) | 0;`),
);
gen('CMP_reg_T2', (f, g) => ok(addFlags('', R(f.nn!, g.pc), `~${R(f.m!, g.pc)}`, '1')));
gen('MOV_reg_T1', (f, g) => (f.dd === 15 ? null : ok(`r${f.dd} = ${R(f.m!, g.pc)};`)));
gen('ADR_T1', (f, g) => ok(`r${f.d} = ${(((g.pc + 4) & ~3) + f.i! * 4) | 0};`));
gen('ADD_SP_imm_T1', (f) => ok(`r${f.d} = (r13 + ${f.i! * 4}) | 0;`));
gen('ADD_SP_imm_T2', (f) => ok(`r13 = (r13 + ${f.i! * 4}) | 0;`));
gen('SUB_SP_imm_T1', (f) => ok(`r13 = (r13 - ${f.i! * 4}) | 0;`));
gen('SXTH_T1', (f) => ok(`r${f.d} = (r${f.m} << 16) >> 16;`));
gen('SXTB_T1', (f) => ok(`r${f.d} = (r${f.m} << 24) >> 24;`));
gen('UXTH_T1', (f) => ok(`r${f.d} = r${f.m} & 0xffff;`));
gen('UXTB_T1', (f) => ok(`r${f.d} = r${f.m} & 0xff;`));
const REV = (v: string): string =>
  `(${v} >>> 24) | ((${v} >>> 8) & 0xff00) | ((${v} & 0xff00) << 8) | (${v} << 24)`;
const REV16 = (v: string): string => `((${v} >>> 8) & 0x00ff00ff) | ((${v} & 0x00ff00ff) << 8)`;
const REVSH = (v: string): string =>
  `(((((${v} >>> 8) & 0xff) | ((${v} & 0xff) << 8)) << 16) >> 16)`;
gen('REV_T1', (f) => ok(`r${f.d} = ${REV(`r${f.m}`)};`));
gen('REV16_T1', (f) => ok(`r${f.d} = ${REV16(`r${f.m}`)};`));
gen('REVSH_T1', (f) => ok(`r${f.d} = ${REVSH(`r${f.m}`)};`));
gen(['NOP_T1', 'HINT_T1', 'YIELD_T1', 'NOP_T2', 'YIELD_T2'], () => ok(''));

// ---------------------------------------------------------------------------------------------
// 16-bit loads and stores
// ---------------------------------------------------------------------------------------------

const LS16: Record<string, [1 | 2 | 4, boolean, boolean]> = {
  STR: [4, false, false],
  STRH: [2, false, false],
  STRB: [1, false, false],
  LDRSB: [1, true, true],
  LDR: [4, true, false],
  LDRH: [2, true, false],
  LDRB: [1, true, false],
  LDRSH: [2, true, true],
};
/**
 * A single load or store at address expression `addr` (no write-back). `sp`: the address is SP
 * plus a multiple of the access size, unaligned only if SP is (the ARMv7-M ARM keeps the stack
 * pointers word-aligned, B1.4.1), so the inline unaligned path (`load`) is left out. Exact
 * either way: an unaligned access still goes through the core, which does what that path does.
 * Why: SP-relative spills and reloads are a large share of compiled code, and the unaligned
 * paths were ~9 % of the busy nRF52840 run's source.
 */
function single(op: string, t: number, addr: string, g: GenContext, sp = false): Generated {
  const [size, isLoad, signed] = LS16[op]!;
  if (isLoad)
    return ok(
      `a = (${addr}) | 0; ${load('t0', size, signed, false, g.sync, false, !sp)} r${t} = t0;`,
      2,
      true,
    );
  return ok(`a = (${addr}) | 0; ${store(`r${t}`, size, false, g.sync, !sp)}`, 2, true);
}
for (const op of Object.keys(LS16)) {
  gen(`${op}_reg_T1`, (f, g) => single(op, f.t!, `r${f.n} + r${f.m}`, g));
}
for (const [op, scale] of [
  ['STR', 4],
  ['LDR', 4],
  ['STRB', 1],
  ['LDRB', 1],
  ['STRH', 2],
  ['LDRH', 2],
] as const) {
  gen(`${op}_imm_T1`, (f, g) => single(op, f.t!, `r${f.n} + ${f.i! * scale}`, g));
}
gen('STR_imm_T2', (f, g) => single('STR', f.t!, `r13 + ${f.i! * 4}`, g, true));
gen('LDR_imm_T2', (f, g) => single('LDR', f.t!, `r13 + ${f.i! * 4}`, g, true));
gen('LDR_lit_T1', (f, g) =>
  ok(
    `a = ${((g.pc + 4) & ~3) + f.i! * 4}; ${load('t0', 4, false, true, g.sync, true)} r${f.t} = t0;`,
    2,
    true,
  ),
);

/**
 * A run of word accesses at consecutive addresses from the int32 local `base` (a load or store
 * multiple: PUSH, POP, STM, LDM...), tested once for the whole run instead of once a word: when
 * the run lies in one stretch of a slot's window (`clear` of its bytes), every word is read or
 * written there; else each goes through the core in turn, as the executor does them (its
 * checks, faults and device accesses; a fault midway leaves the words before it done and, for
 * loads into registers, those registers written, as the executor leaves them). The core's
 * read32A/write32A take the aligned path of LDM/STM (ARMv7-M ARM A3.2.1: an unaligned LDM or
 * STM faults whatever CCR.UNALIGN_TRP says), so a base that is not word-aligned goes there.
 * Why: a register list compiled one access at a time repeated the two slots' tests and the
 * slow path for every word (a PUSH of five registers came to ~1,300 characters of source, the
 * lists ~29 % of the busy nRF52840 run's source); V8's optimising compile time grows with it.
 */
function wordRun(
  base: string,
  count: number,
  sync: string,
  access: (arr: string, i: number) => string,
  slow: (addr: string, i: number) => string,
  [first, second]: readonly [string, string | null],
): string {
  if (count === 0) return ''; // an empty list (UNPREDICTABLE) accesses nothing, as its executor
  const all = (arr: string): string =>
    Array.from({ length: count }, (_, i) => access(arr, i)).join(' ');
  const test = (p: string): string => `(${base} & 3) === 0 && ${clear(p, 4 * count, false)}`;
  const core = Array.from({ length: count }, (_, i) =>
    slow(i === 0 ? base : `(${base} + ${4 * i}) | 0`, i),
  ).join(' ');
  const inFirst = ` o = (${base} - ${first}lo) | 0; if (${test(first)}) { o >>= 2; ${all(`${first.toUpperCase()}32`)} }`;
  const viaCore = `{ ${sync} ${core} x = cpu.attention ? 1 : 2; }`;
  if (second === null) return `${inFirst} else ${viaCore}`;
  return (
    `${inFirst} else { o = (${base} - ${second}lo) | 0; if (${test(second)}) { o >>= 2; ${all(`${second.toUpperCase()}32`)} }` +
    ` else ${viaCore} }`
  );
}

/** Loads `dsts.length` words from `base` into the locals `dsts`, in order (`wordRun`). */
function loadWords(base: string, dsts: string[], sync: string): string {
  return wordRun(
    base,
    dsts.length,
    sync,
    (arr, i) => `${dsts[i]} = ${arr}[${i === 0 ? 'o' : `o + ${i}`}];`,
    (addr, i) => `${dsts[i]} = cpu.read32A(${addr}) | 0;`,
    ['r', 'q'],
  );
}

/** Stores the locals `values` as words from `base`, in order (`wordRun`). */
function storeWords(base: string, values: string[], sync: string): string {
  return wordRun(
    base,
    values.length,
    sync,
    (arr, i) => `${arr}[${i === 0 ? 'o' : `o + ${i}`}] = ${values[i]};`,
    (addr, i) => `cpu.write32A(${addr}, ${values[i]});`,
    ['w', null],
  );
}

/** The registers of a register list, lowest first (`limit`: registers below it only). */
function listRegs(list: number, limit = 16): number[] {
  const regs: number[] = [];
  for (let i = 0; i < limit; i++) if ((list >>> i) & 1) regs.push(i);
  return regs;
}

/** PUSH/STMDB-style and POP/LDM-style register lists with the executors' access order. */
function storeList(list: number, start: string, g: GenContext): string {
  const regs = listRegs(list, 15);
  return storeWords(
    start,
    regs.map((i) => `r${i}`),
    g.sync,
  );
}
gen('PUSH_T1', (f, g) => {
  const cnt = f.cnt!;
  return ok(`t1 = (r13 - ${4 * cnt}) | 0;${storeList(f.list!, 't1', g)} r13 = t1;`, 1 + cnt, true);
});
gen('POP_T1', (f, g) => {
  // The registers as the words arrive, then SP, then the branch (the executor's order).
  let s = 't1 = r13;';
  const dsts = listRegs(f.list!, 8).map((i) => `r${i}`);
  if (f.P) dsts.push('t');
  s += loadWords('t1', dsts, g.sync);
  s += ` r13 = (t1 + ${4 * f.cnt!}) | 0;`;
  if (f.P) return ok(s, 1 + f.cnt! + 2, true, { kind: 'bx' });
  return ok(s, 1 + f.cnt!, true);
});
gen('STM_T1', (f, g) => {
  const cnt = popcount(f.r!);
  return ok(
    `t1 = r${f.n};${storeList(f.r!, 't1', g)} r${f.n} = (t1 + ${4 * cnt}) | 0;`,
    1 + cnt,
    true,
  );
});
gen('LDM_T1', (f, g) => {
  const cnt = popcount(f.r!);
  const wb = ((f.r! >>> f.n!) & 1) === 0;
  let s = `t1 = r${f.n};`;
  const regs = listRegs(f.r!, 8);
  s += loadWords(
    't1',
    regs.map((i) => `r${i}`),
    g.sync,
  );
  if (wb) s += ` r${f.n} = (t1 + ${4 * cnt}) | 0;`;
  return ok(s, 1 + cnt, true);
});

// ---------------------------------------------------------------------------------------------
// 16-bit branches
// ---------------------------------------------------------------------------------------------

gen('B_T1', (f, g) =>
  ok('', 1, false, { kind: 'cond', cond: condExpr(f.c!), target: (g.pc + 4 + f.off!) >>> 0 }),
);
gen('B_T2', (f, g) => ok('', 3, false, { kind: 'jump', target: (g.pc + 4 + f.off!) >>> 0 }));
GEN.set('CBZ_T1', (f, g) =>
  ok('', 1, false, { kind: 'cond', cond: `r${f.n} === 0`, target: (g.pc + 4 + f.i! * 2) >>> 0 }),
);
GEN.set('CBNZ_T1', (f, g) =>
  ok('', 1, false, { kind: 'cond', cond: `r${f.n} !== 0`, target: (g.pc + 4 + f.i! * 2) >>> 0 }),
);
gen('BX_T1', (f, g) => ok(`t = ${R(f.m!, g.pc)};`, 3, false, { kind: 'bx' }));
gen('BLX_reg_T1', (f, g) =>
  ok(`t = ${R(f.m!, g.pc)}; r14 = ${(g.pc + 2) | 1};`, 3, false, { kind: 'bx' }),
);

// ---------------------------------------------------------------------------------------------
// 32-bit data processing
// ---------------------------------------------------------------------------------------------

const LOGIC: Record<string, (a: string, b: string) => string> = {
  AND: (a, b) => `${a} & ${b}`,
  BIC: (a, b) => `${a} & ~${b}`,
  ORR: (a, b) => `${a} | ${b}`,
  ORN: (a, b) => `${a} | ~${b}`,
  EOR: (a, b) => `${a} ^ ${b}`,
};
/** [b operand transform, carry] of the arithmetic ops in adc form. */
const ARITH: Record<string, { swap: boolean; not: boolean; carry: string }> = {
  ADD: { swap: false, not: false, carry: '0' },
  ADC: { swap: false, not: false, carry: 'C' },
  SBC: { swap: false, not: true, carry: 'C' },
  SUB: { swap: false, not: true, carry: '1' },
  RSB: { swap: true, not: true, carry: '1' },
};
const TEST_OF: Record<string, string> = { AND: 'TST', EOR: 'TEQ', ADD: 'CMN', SUB: 'CMP' };
const MOVE_OF: Record<string, string> = { ORR: 'MOV', ORN: 'MVN' };

/**
 * One data-processing operation on operand a (expression) and b (a local or constant), with the
 * shifter's carry in `bc` ('C' when unchanged). `dst` null for the test forms.
 */
function dataProc(
  op: string,
  dst: number | null,
  a: string,
  b: string,
  bc: string,
  setFlags: boolean,
): string | null {
  if (dst === 15) return null;
  const logic = LOGIC[op];
  if (logic) {
    const e = logic(a, b);
    if (!setFlags) return `r${dst} = ${e};`;
    return `t0 = ${e}; ${dst === null ? '' : `r${dst} = t0; `}${nz('t0')}${bc === 'C' ? '' : ` C = ${bc};`}`;
  }
  const ar = ARITH[op]!;
  const x = ar.swap ? b : a;
  const y0 = ar.swap ? a : b;
  const y = ar.not ? `~${y0}` : y0;
  if (!setFlags) return `r${dst} = (${x} + ${y} + ${ar.carry}) | 0;`;
  return addFlags(dst === null ? '' : `r${dst}`, x, y, ar.carry);
}

for (const op of [...Object.keys(LOGIC), ...Object.keys(ARITH)]) {
  const logical = op in LOGIC;
  // Modified immediate: the carry of ThumbExpandImm is known at translation time.
  const immCarry = (i: number, imm: number): string =>
    i >>> 10 === 0 ? 'C' : `${(imm >>> 31) & 1}`;
  gen(`${op}_imm_mod`, (f, g) => {
    const c = dataProc(
      op,
      f.d!,
      R(f.n!, g.pc),
      `${f.imm! | 0}`,
      logical ? immCarry(f.i!, f.imm!) : 'C',
      f.S === 1,
    );
    return c === null ? null : ok(c);
  });
  gen(`${op}_reg_shift`, (f, g) => {
    if (f.m === 15) return null;
    const sh = f.sh!;
    const code = dataProc(op, f.d!, R(f.n!, g.pc), 't4', logical ? 't5' : 'C', f.S === 1);
    if (code === null) return null;
    const needCarry = logical && f.S === 1;
    return ok(`${shiftConst('t4', `r${f.m}`, sh & 7, sh >>> 3, needCarry ? 't5' : null)} ${code}`);
  });
  const t = TEST_OF[op];
  if (t) {
    gen(`${t}_imm_mod`, (f, g) => {
      return ok(
        dataProc(
          op,
          null,
          R(f.n!, g.pc),
          `${f.imm! | 0}`,
          logical ? immCarry(f.i!, f.imm!) : 'C',
          true,
        )!,
      );
    });
    gen(`${t}_reg_shift`, (f, g) => {
      if (f.m === 15) return null;
      const sh = f.sh!;
      return ok(
        `${shiftConst('t4', `r${f.m}`, sh & 7, sh >>> 3, logical ? 't5' : null)} ${dataProc(op, null, R(f.n!, g.pc), 't4', logical ? 't5' : 'C', true)!}`,
      );
    });
  }
  const m = MOVE_OF[op];
  if (m) {
    gen(`${m}_imm_mod`, (f) => {
      if (f.d === 15) return null;
      const v = op === 'ORN' ? ~f.imm! : f.imm! | 0;
      if (!f.S) return ok(`r${f.d} = ${v};`);
      const c = f.i! >>> 10 === 0 ? '' : ` C = ${(f.imm! >>> 31) & 1};`;
      return ok(`r${f.d} = ${v}; N = ${v >>> 31}; Z = ${v === 0 ? 1 : 0};${c}`);
    });
    gen(`${m}_reg_shift`, (f) => {
      if (f.d === 15 || f.m === 15) return null;
      const sh = f.sh!;
      const inv = op === 'ORN' ? '~' : '';
      if (!f.S)
        return ok(`${shiftConst('t4', `r${f.m}`, sh & 7, sh >>> 3, null)} r${f.d} = ${inv}t4;`);
      return ok(
        `${shiftConst('t4', `r${f.m}`, sh & 7, sh >>> 3, 't5')} t0 = ${inv}t4; r${f.d} = t0; ${nz('t0')} C = t5;`,
      );
    });
  }
}
gen('ADDW_T4', (f, g) => (f.d === 15 ? null : ok(`r${f.d} = (${R(f.n!, g.pc)} + ${f.i}) | 0;`)));
gen('SUBW_T4', (f, g) => (f.d === 15 ? null : ok(`r${f.d} = (${R(f.n!, g.pc)} - ${f.i}) | 0;`)));
gen('ADR_T3', (f, g) => (f.d === 15 ? null : ok(`r${f.d} = ${(((g.pc + 4) & ~3) + f.i!) | 0};`)));
gen('ADR_T2', (f, g) => (f.d === 15 ? null : ok(`r${f.d} = ${(((g.pc + 4) & ~3) - f.i!) | 0};`)));
gen('MOVW_T3', (f) => (f.d === 15 ? null : ok(`r${f.d} = ${f.imm};`)));
gen('MOVT_T1', (f) => (f.d === 15 ? null : ok(`r${f.d} = (r${f.d} & 0xffff) | ${f.imm! << 16};`)));
for (const [op, type] of [
  ['LSL', 0],
  ['LSR', 1],
  ['ASR', 2],
  ['ROR', 3],
] as const) {
  gen(`${op}_reg_W`, (f) => {
    if (f.d === 15 || f.n === 15 || f.m === 15) return null;
    // Shift amount from a register: the same case analysis as alu.shiftC at run time.
    const body =
      type === 0
        ? `t0 = t2 >= 32 ? 0 : v << t2; t1 = t2 === 0 ? C : t2 > 32 ? 0 : (v >>> (32 - t2)) & 1;`
        : type === 1
          ? `t0 = t2 >= 32 ? 0 : (v >>> t2) | 0; t1 = t2 === 0 ? C : t2 > 32 ? 0 : (v >>> (t2 - 1)) & 1;`
          : type === 2
            ? `t0 = v >> (t2 >= 32 ? 31 : t2); t1 = t2 === 0 ? C : t2 >= 32 ? v >>> 31 : (v >> (t2 - 1)) & 1;`
            : `t3 = t2 & 31; t0 = t3 === 0 ? v : (v >>> t3) | (v << (32 - t3)); t1 = t2 === 0 ? C : t0 >>> 31;`;
    const code = `tv = r${f.n}; t2 = r${f.m} & 0xff; ${body.replace(/\bv\b/g, 'tv')}`;
    return ok(`${code} r${f.d} = t0;${f.S ? ` ${nz('t0')} C = t1;` : ''}`);
  });
}
gen('MUL_T2', (f) => (f.d === 15 ? null : ok(`r${f.d} = Math.imul(r${f.n}, r${f.m});`)));
gen('MLA_T1', (f) =>
  f.d === 15 || f.a === 15 ? null : ok(`r${f.d} = (Math.imul(r${f.n}, r${f.m}) + r${f.a}) | 0;`, 2),
);
gen('MLS_T1', (f) =>
  f.d === 15 || f.a === 15 ? null : ok(`r${f.d} = (r${f.a} - Math.imul(r${f.n}, r${f.m})) | 0;`, 2),
);
// Long multiplies and divides inline (bench2's inner loops run UMULL and UDIV; through their
// register-only executor calls each cost a call and the stores and reloads around it). The
// same arithmetic as table.ts's `mul64` and divide executors; `codegen.test.ts` compares them
// at edge values.
/**
 * `t0`/`t1` = high/low word of the unsigned 64-bit product of r`n` and r`m` (UMULL, ARMv7-M
 * ARM A7.7.190), from four 16x16-bit partial products, each exact in a double; the low word is
 * Math.imul's.
 */
const UMUL64 = (n: number, m: number): string =>
  `t2 = r${n} >>> 0; t3 = r${m} >>> 0; t4 = (t2 >>> 16) * (t3 & 0xffff); t5 = (t2 & 0xffff) * (t3 >>> 16);` +
  ` t6 = (t2 & 0xffff) * (t3 & 0xffff); t1 = Math.imul(t2, t3);` +
  ` t0 = ((t2 >>> 16) * (t3 >>> 16) + (t4 >>> 16) + (t5 >>> 16) + (((t6 >>> 16) + (t4 & 0xffff) + (t5 & 0xffff)) >>> 16)) | 0;`;
for (const signed of [false, true]) {
  gen(signed ? 'SMULL_T1' : 'UMULL_T1', (f) => {
    if (f.l === 15 || f.h === 15 || f.n === 15 || f.m === 15) return null;
    // SMULL (A7.7.149): the unsigned product less 2^32 times each operand whose sign is set.
    const fix = signed ? ` t0 = (t0 - (r${f.n} < 0 ? t3 : 0) - (r${f.m} < 0 ? t2 : 0)) | 0;` : '';
    // Low word first, as the executor writes them (RdLo == RdHi is UNPREDICTABLE).
    return ok(`${UMUL64(f.n!, f.m!)}${fix} r${f.l} = t1; r${f.h} = t0;`);
  });
}
/**
 * The divides' cycles (table.ts `divCycles`: 2 to 10 by the quotient's significant bits) less
 * the 10 the generator declares: the region's cycle bounds take the most.
 */
const DIV_EXTRA = (q: string): string => `now += ((32 - Math.clz32(${q})) >>> 2) - 8;`;
for (const signed of [false, true]) {
  gen(signed ? 'SDIV_T1' : 'UDIV_T1', (f, g) => {
    if (f.d === 15 || f.n === 15 || f.m === 15) return null;
    // SDIV's one overflow, 0x80000000 / -1, gives 0x80000000 (A7.7.127); a zero divisor gives
    // 0 or, with CCR.DIV_0_TRP, a UsageFault (the core's divideByZero: B3.2.8).
    const q = signed
      ? `t1 = r${f.n}; t1 = t1 === -0x80000000 && t0 === -1 ? t1 : (t1 / t0) | 0;`
      : `t1 = Math.floor((r${f.n} >>> 0) / t0) | 0;`;
    return ok(
      `t0 = r${f.m}${signed ? '' : ' >>> 0'};` +
        ` if (t0 === 0) { ${g.sync} r${f.d} = cpu.divideByZero(); now += -8; }` +
        ` else { ${q} r${f.d} = t1; ${DIV_EXTRA('t1')} }`,
      10,
      true,
    );
  });
}

// Saturating arithmetic and dual 16-bit multiplies inline (DSP code runs them in its inner
// loops; through their executors each cost a call and the register stores around it). The
// same operations as the executors in table.ts; `codegen.test.ts` compares them.
/** `t0` clamped to the signed range of `bits`, Q set when it was clamped (pseudocode SignedSatQ). */
const SIGNED_SAT = (bits: number): string => {
  const max = 2 ** (bits - 1) - 1;
  const min = -(2 ** (bits - 1));
  return `if (t0 > ${max}) { t0 = ${max}; cpu.q = 1; } else if (t0 < ${min}) { t0 = ${min}; cpu.q = 1; }`;
};
// SSAT (ARMv7-M ARM A7.7, SSAT): the operand shifted (LSL #i, or ASR #i with ASR #0 meaning
// #32), saturated.
gen('SSAT_T1', (f) => {
  const op = f.h
    ? `r${f.n} >> ${f.i === 0 ? 31 : f.i}`
    : f.i === 0
      ? `r${f.n}`
      : `r${f.n} << ${f.i}`;
  return ok(`t0 = ${op}; ${SIGNED_SAT(f.s! + 1)} r${f.d} = t0;`);
});
// QADD, QSUB, QDADD, QDSUB (A7.7): Rm +/- Rn (doubled with saturation for QD*).
for (const [name, sub, dbl] of [
  ['QADD_T1', false, false],
  ['QSUB_T1', true, false],
  ['QDADD_T1', false, true],
  ['QDSUB_T1', true, true],
] as const) {
  gen(name, (f) => {
    const n = dbl ? `t0 = r${f.n} * 2; ${SIGNED_SAT(32)} t1 = t0;` : `t1 = r${f.n};`;
    return ok(`${n} t0 = r${f.m} ${sub ? '-' : '+'} t1; ${SIGNED_SAT(32)} r${f.d} = t0;`);
  });
}
// SMLAD, SMLSD, SMUAD, SMUSD (A7.7): the products of the signed halves (Rm's swapped with the
// X form), added or subtracted, plus Ra; Q set when the exact sum does not fit in 32 bits (it
// always fits in a double).
for (const [name, sub, acc] of [
  ['SMLAD_T1', false, true],
  ['SMLSD_T1', true, true],
  ['SMUAD_T1', false, false],
  ['SMUSD_T1', true, false],
] as const) {
  gen(name, (f) => {
    const m = f.M ? `t1 = (r${f.m} >>> 16) | (r${f.m} << 16);` : `t1 = r${f.m};`;
    return ok(
      `${m} t0 = ((r${f.n} << 16) >> 16) * ((t1 << 16) >> 16) ${sub ? '-' : '+'} (r${f.n} >> 16) * (t1 >> 16)${acc ? ` + r${f.a}` : ''};` +
        ` if (t0 !== (t0 | 0)) cpu.q = 1; r${f.d} = t0 | 0;`,
    );
  });
}
// The parallel add and subtract family (ARMv7-M ARM A5.3.x "Parallel addition and
// subtraction", A7.7: SADD16 ... UHSUB8) and SEL inline: four byte or two halfword lanes,
// computed from the operands sign- or zero-extended; the plain forms set APSR.GE per lane
// (signed: the lane's result >= 0; unsigned: a carry out of an addition, no borrow from a
// subtraction), the Q forms saturate each lane (Q untouched), the H forms halve it. The same
// operations as `parallel` in table.ts; `codegen.test.ts` compares them at the lanes' edges.
for (const prefix of ['S', 'Q', 'SH', 'U', 'UQ', 'UH']) {
  const signed = prefix[0] !== 'U';
  const mode = prefix === 'S' || prefix === 'U' ? 'G' : prefix.endsWith('Q') ? 'Q' : 'H';
  for (const op of ['ADD16', 'ASX', 'SAX', 'SUB16', 'ADD8', 'SUB8']) {
    gen(`${prefix}${op}_T1`, (f) => {
      if (f.d === 15 || f.n === 15 || f.m === 15) return null;
      const bits = op.endsWith('8') ? 8 : 16;
      const mask = bits === 8 ? 0xff : 0xffff;
      /** Lane `k` of register `r` (bits 8k or 16k up), sign- or zero-extended. */
      const lane = (r: number, k: number): string =>
        signed
          ? `((r${r} << ${32 - bits * (k + 1)}) >> ${32 - bits})`
          : `((r${r} >>> ${bits * k}) & ${mask})`;
      // [n's lane, m's lane, subtract] per result lane (ASX: low = n.lo - m.hi, high = n.hi +
      // m.lo; SAX the other way round).
      const lanes: [number, number, boolean][] =
        bits === 8
          ? [0, 1, 2, 3].map((k) => [k, k, op === 'SUB8'])
          : op === 'ADD16'
            ? [
                [0, 0, false],
                [1, 1, false],
              ]
            : op === 'SUB16'
              ? [
                  [0, 0, true],
                  [1, 1, true],
                ]
              : op === 'ASX'
                ? [
                    [0, 1, true],
                    [1, 0, false],
                  ]
                : [
                    [0, 1, false],
                    [1, 0, true],
                  ];
      const lo = signed ? -(2 ** (bits - 1)) : 0;
      const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
      let code = 't0 = 0; t1 = 0;';
      lanes.forEach(([kn, km, sub], k) => {
        code += ` t2 = ${lane(f.n!, kn)} ${sub ? '-' : '+'} ${lane(f.m!, km)};`;
        if (mode === 'G') {
          const ge = signed || sub ? 't2 >= 0' : `t2 > ${mask}`;
          code += ` if (${ge}) t1 |= ${bits === 8 ? 1 << k : 3 << (2 * k)};`;
        } else if (mode === 'Q') {
          code += ` if (t2 > ${hi}) t2 = ${hi}; else if (t2 < ${lo}) t2 = ${lo};`;
        } else code += ' t2 >>= 1;';
        code += ` t0 |= (t2 & ${mask}) << ${bits * k};`;
      });
      code += `${mode === 'G' ? ' cpu.ge = t1;' : ''} r${f.d} = t0;`;
      return ok(code);
    });
  }
}
// SEL (A7.7): each byte from Rn where its APSR.GE bit is set, else from Rm.
gen('SEL_T1', (f) =>
  f.d === 15 || f.n === 15 || f.m === 15
    ? null
    : ok(
        't0 = cpu.ge; t1 = (t0 & 1 ? 0xff : 0) | (t0 & 2 ? 0xff00 : 0) | (t0 & 4 ? 0xff0000 : 0) | (t0 & 8 ? -0x1000000 : 0);' +
          ` r${f.d} = (r${f.n} & t1) | (r${f.m} & ~t1);`,
      ),
);
gen('UBFX_T1', (f) => {
  const lsb = f.i!;
  const width = f.w! + 1;
  if (lsb + width > 32 || f.d === 15 || f.n === 15) return null;
  return ok(
    width === 32 ? `r${f.d} = r${f.n};` : `r${f.d} = (r${f.n} >>> ${lsb}) & ${(1 << width) - 1};`,
  );
});
gen('SBFX_T1', (f) => {
  const lsb = f.i!;
  const width = f.w! + 1;
  if (lsb + width > 32 || f.d === 15 || f.n === 15) return null;
  return ok(`r${f.d} = (r${f.n} << ${32 - lsb - width}) >> ${32 - width};`);
});
gen('BFI_T1', (f) => {
  const lsb = f.i!;
  const msb = f.m!;
  if (msb < lsb || f.d === 15 || f.n === 15) return null;
  const mask = msb - lsb === 31 ? -1 : ((1 << (msb - lsb + 1)) - 1) << lsb;
  return ok(`r${f.d} = (r${f.d} & ${~mask}) | ((r${f.n} << ${lsb}) & ${mask});`);
});
gen('BFC_T1', (f) => {
  const lsb = f.i!;
  const msb = f.m!;
  if (msb < lsb || f.d === 15) return null;
  const mask = msb - lsb === 31 ? -1 : ((1 << (msb - lsb + 1)) - 1) << lsb;
  return ok(`r${f.d} = r${f.d} & ${~mask};`);
});
for (const [op, fn] of [
  ['SXTH', (v: string) => `(${v} << 16) >> 16`],
  ['UXTH', (v: string) => `${v} & 0xffff`],
  ['SXTB', (v: string) => `(${v} << 24) >> 24`],
  ['UXTB', (v: string) => `${v} & 0xff`],
] as const) {
  const rot = (f: Fields): string =>
    f.r ? `((r${f.m} >>> ${f.r * 8}) | (r${f.m} << ${32 - f.r * 8}))` : `r${f.m}`;
  gen(`${op}_T2`, (f) => (f.d === 15 || f.m === 15 ? null : ok(`r${f.d} = ${fn(rot(f))};`)));
  const acc = op.replace('XT', 'XTA');
  gen(`${acc}_T1`, (f) =>
    f.d === 15 || f.m === 15 || f.n === 15
      ? null
      : ok(`r${f.d} = (r${f.n} + (${fn(rot(f))})) | 0;`),
  );
}
gen('REV_T2', (f) => (f.d === 15 ? null : ok(`r${f.d} = ${REV(`r${f.m}`)};`)));
gen('REV16_T2', (f) => (f.d === 15 ? null : ok(`r${f.d} = ${REV16(`r${f.m}`)};`)));
gen('REVSH_T2', (f) => (f.d === 15 ? null : ok(`r${f.d} = ${REVSH(`r${f.m}`)};`)));
gen('CLZ_T2', (f) => (f.d === 15 ? null : ok(`r${f.d} = Math.clz32(r${f.m});`)));

// ---------------------------------------------------------------------------------------------
// 32-bit branches
// ---------------------------------------------------------------------------------------------

gen('B_T3', (f, g) =>
  f.c! >= 14
    ? null
    : ok('', 1, false, { kind: 'cond', cond: condExpr(f.c!), target: (g.pc + 4 + f.off!) >>> 0 }),
);
gen('B_T4', (f, g) => ok('', 3, false, { kind: 'jump', target: (g.pc + 4 + f.off!) >>> 0 }));
gen('BL_T1', (f, g) =>
  ok(`r14 = ${(g.pc + 4) | 1};`, 4, false, { kind: 'jump', target: (g.pc + 4 + f.off!) >>> 0 }),
);
gen('TBB_T1', (f, g) => {
  if (f.n === 13 || f.m === 13 || f.m === 15) return null;
  const base = R(f.n!, g.pc);
  const ld = f.h
    ? `a = (${base} + (r${f.m} << 1)) | 0; ${load('t0', 2, false, false, g.sync)}`
    : `a = (${base} + r${f.m}) | 0; ${load('t0', 1, false, false, g.sync, f.n === 15)}`;
  // ARMv7-M ARM A7.7.185: target = PC + 2 * entry, PC = the TBB's address + 4; a byte entry
  // is in [0, 256).
  const table = f.h ? undefined : { index: 't0', base: (g.pc + 4) | 0, entries: 256 };
  return ok(`${ld} t = ${(g.pc + 4) | 0} + t0 * 2;`, 5, true, { kind: 'jumpTo', table });
});

// ---------------------------------------------------------------------------------------------
// 32-bit loads and stores
// ---------------------------------------------------------------------------------------------

const LS32: Record<string, [1 | 2 | 4, boolean, boolean]> = {
  STRB: [1, false, false],
  STRH: [2, false, false],
  STR: [4, false, false],
  LDRB: [1, true, false],
  LDRH: [2, true, false],
  LDR: [4, true, false],
  LDRSB: [1, true, true],
  LDRSH: [2, true, true],
};
for (const [op, [size, isLoad, signed]] of Object.entries(LS32)) {
  // `sp`: SP plus a multiple of the size (see `single`).
  const access = (t: number, g: GenContext, sp = false): string =>
    isLoad
      ? `${load('t0', size, signed, false, g.sync, false, !sp)}`
      : store(`r${t}`, size, false, g.sync, !sp);
  const done = (t: number): string => (isLoad ? ` r${t} = t0;` : '');
  gen(`${op}_imm12`, (f, g) => {
    if (f.n === 15 || f.t === 15) return null;
    const sp = f.n === 13 && f.i! % size === 0;
    return ok(`a = (r${f.n} + ${f.i}) | 0; ${access(f.t!, g, sp)}${done(f.t!)}`, 2, true);
  });
  gen(`${op}_reg`, (f, g) => {
    if (f.n === 15 || f.t === 15 || f.m === 15) return null;
    return ok(`a = (r${f.n} + (r${f.m} << ${f.i})) | 0; ${access(f.t!, g)}${done(f.t!)}`, 2, true);
  });
  gen(`${op}_imm8`, (f, g) => {
    if (f.P === 0 && f.W === 0) return null;
    if (isLoad && f.W && f.n === f.t) return null;
    if (f.n === 15 || f.t === 15) return null;
    const off = f.U ? f.i! : -f.i!;
    const wb = f.W ? ` r${f.n} = (t6 + ${off}) | 0;` : '';
    // The executor writes back the base before the loaded register.
    return ok(
      `t6 = r${f.n}; a = (t6 + ${f.P ? off : 0}) | 0; ${access(f.t!, g)}${wb}${done(f.t!)}`,
      2,
      true,
    );
  });
  if (isLoad) {
    gen(`${op}_lit`, (f, g) => {
      if (f.t === 15) return null;
      const base = (g.pc + 4) & ~3;
      const a = (f.U ? base + f.i! : base - f.i!) | 0;
      // A word from a pool: the second slot first (`load`). An unaligned one (LDR.W can
      // address any byte) keeps the general path.
      const get =
        size === 4 && (a & 3) === 0 ? load('t0', 4, false, true, g.sync, true) : access(f.t!, g);
      return ok(`a = ${a | 0}; ${get}${done(f.t!)}`, 2, true);
    });
  }
}
for (const [name, l] of [
  ['STRD_imm_T1', 0],
  ['LDRD_imm_T1', 1],
] as const) {
  gen(name, (f, g) => {
    if (f.P === 0 && f.W === 0) return null;
    if (f.n === 15 || f.t === 15 || f.T === 15) return null;
    const off = f.U ? f.i! * 4 : -f.i! * 4;
    // Two words, tested as one run (`wordRun`; LDRD/STRD fault when unaligned, A3.2.1).
    let s = `t6 = r${f.n}; t1 = (t6 + ${f.P ? off : 0}) | 0;`;
    if (l) s += `${loadWords('t1', ['t2', 't3'], g.sync)} r${f.t} = t2; r${f.T} = t3;`;
    else s += storeWords('t1', [`r${f.t}`, `r${f.T}`], g.sync);
    if (f.W) s += ` r${f.n} = (t6 + ${off}) | 0;`;
    return ok(s, 3, true);
  });
}
for (const [name, l, db] of [
  ['STM_T2', 0, 0],
  ['LDM_T2', 1, 0],
  ['STMDB_T1', 0, 1],
  ['LDMDB_T1', 1, 1],
] as const) {
  gen(name, (f, g) => {
    const list = f.list!;
    const cnt = f.cnt!;
    if (cnt === 0 || f.n === 15) return null;
    const start = db ? `(t6 - ${4 * cnt}) | 0` : 't6';
    const wbv = db ? `(t6 - ${4 * cnt}) | 0` : `(t6 + ${4 * cnt}) | 0`;
    let s = `t6 = r${f.n}; t1 = ${start};`;
    if (l === 0) {
      s += storeList(list, 't1', g);
      if (f.W) s += ` r${f.n} = ${wbv};`;
      return ok(s, 1 + cnt, true);
    }
    // The executor reads every word first, then writes the registers.
    const vals: [number, string][] = listRegs(list).map((i) => [i, `v${i}`]);
    s += loadWords(
      't1',
      vals.map(([, v]) => v),
      g.sync,
    );
    for (const [i, v] of vals) if (i < 15) s += ` r${i} = ${v};`;
    if (f.W && ((list >>> f.n!) & 1) === 0) s += ` r${f.n} = ${wbv};`;
    if (list & 0x8000) return ok(`${s} t = v15;`, 1 + cnt + 2, true, { kind: 'bx' });
    return ok(s, 1 + cnt, true);
  });
}

/**
 * Source for `insn` at `ctx.pc`, or null when the translator must call the executor (no
 * generator, or an operand form the generator leaves to the executor, such as PC or SP
 * destinations).
 */
export function generate(insn: Insn, ctx: GenContext): Generated | null {
  const g = GEN.get(insn.encoding.name);
  return g === undefined ? null : g(insn.f, ctx);
}

/** Encodings with a generator (for the test that compares them with the executors). */
export const GENERATED_ENCODINGS: ReadonlySet<string> = new Set(GEN.keys());

/**
 * Encodings whose executors read and write nothing but the registers their fields name and the
 * core's Q and GE flags (saturating, parallel add/subtract, DSP multiplies, long
 * multiply-accumulates, packing). The translator calls their executors with only those
 * registers stored and reloaded around the call, instead of the whole register file and NZCV.
 * (Long multiplies and divides are generated inline.) `codegen.test.ts` runs them against the
 * interpreter too.
 */
export const REGISTER_ONLY_ENCODINGS: ReadonlySet<string> = new Set([
  ...['USAD8', 'USADA8'].map((x) => `${x}_T1`),
  ...['USAT', 'SSAT16', 'USAT16', 'PKH', 'SXTAB16', 'UXTAB16'].map((x) => `${x}_T1`),
  'SXTB16_T2',
  'UXTB16_T2',
  ...['SMLALD', 'SMLSLD', 'SMLAxy', 'SMULxy'].map((x) => `${x}_T1`),
  ...['SMLAWy', 'SMULWy', 'SMLALxy', 'SMMLA', 'SMMLS', 'SMMUL'].map((x) => `${x}_T1`),
  ...['SMLAL', 'UMLAL', 'UMAAL'].map((x) => `${x}_T1`),
]);

/**
 * The registers a register-only encoding's executor may read or write (its fields d, n, m, a,
 * and l/h of the long forms); null when the encoding is not one of them or names the PC
 * (UNPREDICTABLE: left to the full call).
 */
export function registerOperands(insn: Insn): number[] | null {
  if (!REGISTER_ONLY_ENCODINGS.has(insn.encoding.name)) return null;
  const f = insn.f;
  const names =
    f.l !== undefined && f.h !== undefined ? ['d', 'n', 'm', 'a', 'l', 'h'] : ['d', 'n', 'm', 'a'];
  const regs: number[] = [];
  for (const k of names) {
    const v = f[k];
    if (v === undefined) continue;
    if (v === 15) return null;
    if (!regs.includes(v)) regs.push(v);
  }
  return regs;
}

/** Locals every generated function declares (scratch values of the generators). */
export const SCRATCH_LOCALS = [
  'a',
  'o',
  't',
  't0',
  't1',
  't2',
  't3',
  't4',
  't5',
  't6',
  'tv',
  ...Array.from({ length: 16 }, (_, i) => `v${i}`),
];
