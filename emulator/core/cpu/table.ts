/**
 * The Thumb/Thumb-2 + DSP encoding table: every ARMv7E-M encoding with its executor,
 * disassembler and assembler layout, expanded once into lookup tables.
 *
 * Each entry is written as in the ARMv7-M ARM (A5/A7): a bit pattern, a name, a `prep` that
 * derives operands once at decode time (immediates, shift types), an executor returning the
 * cycle cost and a formatter. `decode(hw1, hw2)` looks 16-bit halfwords up in a 65536-entry
 * table and 32-bit words in buckets keyed by hw1[12:4]:hw2[15]; both are built at module load.
 * Where patterns overlap (e.g. CMP.W is SUBS.W with Rd=1111), the
 * more specific entry names the general one in `over` with a written reason, and the decoder
 * tries specific entries first; table.test.ts proves that every overlap is declared and
 * that every entry round-trips through assembler, decoder and disassembler.
 *
 * Cycle costs are approximate Cortex-M4 timings (TRM r0p1, table 3-1): ALU 1, loads/stores 2
 * (pipelined neighbours are not modelled), branches taken 1+P with P = 2, LDM/STM/PUSH/POP 1+N,
 * MUL/MLA 1-2, long multiplies 1 (+1 accumulating), SDIV/UDIV 2-12 by operand size.
 *
 * UNPREDICTABLE choices (documented where QEMU 7.2 differs from "UsageFault"): should-be bits are
 * ignored as QEMU's decoder ignores them; register operands of SP/PC in data-processing
 * instructions execute as written (QEMU does not check them) except where noted.
 */
import type { CortexM } from '../cortex-m';
import {
  adc,
  aluOut,
  conditionPassed,
  decodeImmShift,
  expandImmC,
  setNZ,
  shiftC,
  ssat,
  sx16,
  sx8,
  usat,
} from './alu';
import {
  extractFields,
  type Fields,
  insertFields,
  parsePattern,
  type ParsedPattern,
} from './encoding';

/** Executor: runs the instruction, returns cycles. `f` holds raw and prepared fields. */
export type Exec = (cpu: CortexM, f: Fields) => number;

export interface Encoding {
  readonly name: string;
  readonly source: string;
  readonly pattern: ParsedPattern;
  readonly over: readonly string[];
  readonly why: string;
  readonly prep: ((f: Fields) => void) | null;
  /** Optional decode-time choice of a specialised executor (defaults to `exec`). */
  readonly select: ((f: Fields) => Exec) | null;
  readonly exec: Exec;
  readonly dis: (f: Fields, pc: number) => string;
  readonly index: number;
}

/** A decoded instruction as cached per address. All instances share one shape. */
export class Insn {
  constructor(
    readonly exec: Exec,
    readonly f: Fields,
    readonly size: 2 | 4,
    readonly index: number,
    readonly encoding: Encoding,
  ) {}
}

const ENCODINGS: Encoding[] = [];

interface Opts {
  over?: string[];
  why?: string;
  prep?: (f: Fields) => void;
  select?: (f: Fields) => Exec;
}

function def(
  name: string,
  source: string,
  exec: Exec,
  dis: (f: Fields, pc: number) => string,
  o: Opts = {},
): void {
  if (ENCODINGS.some((e) => e.name === name)) throw new Error(`duplicate encoding ${name}`);
  ENCODINGS.push({
    name,
    source,
    pattern: parsePattern(source),
    over: o.over ?? [],
    why: o.why ?? '',
    prep: o.prep ?? null,
    select: o.select ?? null,
    exec,
    dis,
    index: ENCODINGS.length,
  });
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers
// ---------------------------------------------------------------------------------------------

/** Core register names as the disassembler (and GDB's target description) spell them. */
export const REGISTER_NAMES: readonly string[] = [
  'r0',
  'r1',
  'r2',
  'r3',
  'r4',
  'r5',
  'r6',
  'r7',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'sp',
  'lr',
  'pc',
];
const R = (n: number): string => REGISTER_NAMES[n]!;
const COND = [
  'eq',
  'ne',
  'cs',
  'cc',
  'mi',
  'pl',
  'vs',
  'vc',
  'hi',
  'ls',
  'ge',
  'lt',
  'gt',
  'le',
  '',
  '',
];
const SHIFTN = ['lsl', 'lsr', 'asr', 'ror', 'rrx'];
const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
const imm = (v: number): string => `#${v >>> 0 > 9 ? hex(v) : v >>> 0}`;
const regList = (mask: number): string => {
  const out: string[] = [];
  for (let i = 0; i < 16; i++) if ((mask >>> i) & 1) out.push(R(i));
  return `{${out.join(', ')}}`;
};
const shiftText = (sh: number): string => {
  const t = sh & 7;
  const n = sh >>> 3;
  if (t === 0 && n === 0) return '';
  if (t === 4) return ', rrx';
  return `, ${SHIFTN[t]} #${n}`;
};

// ---------------------------------------------------------------------------------------------
// Execution helpers
// ---------------------------------------------------------------------------------------------

/** Writes a register; PC writes branch (ALUWritePC). */
function wr(cpu: CortexM, d: number, v: number): void {
  if (d === 15) cpu.branch(v);
  else cpu.r[d] = v;
}

const inIT = (cpu: CortexM): boolean => cpu.itstate !== 0;
/** Branch cycles: 1 + pipeline refill (2). */
const BR = 3;

// ---------------------------------------------------------------------------------------------
// 16-bit Thumb (A5.2)
// ---------------------------------------------------------------------------------------------

def(
  'MOV_reg_T2',
  '0000000000mmmddd',
  (c, f) => {
    const v = c.r[f.m!]!;
    c.r[f.d!] = v;
    setNZ(c, v);
    return 1;
  },
  (f) => `movs ${R(f.d!)}, ${R(f.m!)}`,
  { over: ['LSL_imm_T1'], why: 'LSL #0 is MOVS (register), which does not touch C' },
);
for (const [name, op, type] of [
  ['LSL_imm_T1', '00', 0],
  ['LSR_imm_T1', '01', 1],
  ['ASR_imm_T1', '10', 2],
] as const) {
  def(
    name,
    `000${op}iiiiimmmddd`,
    (c, f) => {
      const res = shiftC(c.r[f.m!]!, type, f.n!, c.c);
      c.r[f.d!] = res;
      if (!inIT(c)) {
        setNZ(c, res);
        c.c = aluOut.carry;
      }
      return 1;
    },
    (f) => `${SHIFTN[type]}s ${R(f.d!)}, ${R(f.m!)}, #${f.n}`,
    {
      prep: (f) => {
        f.n = decodeImmShift(type, f.i!) >>> 3;
      },
    },
  );
}
def(
  'ADD_reg_T1',
  '0001100mmmnnnddd',
  (c, f) => {
    c.r[f.d!] = adc(c, c.r[f.n!]!, c.r[f.m!]!, 0, !inIT(c));
    return 1;
  },
  (f) => `adds ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
);
def(
  'SUB_reg_T1',
  '0001101mmmnnnddd',
  (c, f) => {
    c.r[f.d!] = adc(c, c.r[f.n!]!, ~c.r[f.m!]!, 1, !inIT(c));
    return 1;
  },
  (f) => `subs ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
);
def(
  'ADD_imm_T1',
  '0001110iiinnnddd',
  (c, f) => {
    c.r[f.d!] = adc(c, c.r[f.n!]!, f.i!, 0, !inIT(c));
    return 1;
  },
  (f) => `adds ${R(f.d!)}, ${R(f.n!)}, #${f.i}`,
);
def(
  'SUB_imm_T1',
  '0001111iiinnnddd',
  (c, f) => {
    c.r[f.d!] = adc(c, c.r[f.n!]!, ~f.i!, 1, !inIT(c));
    return 1;
  },
  (f) => `subs ${R(f.d!)}, ${R(f.n!)}, #${f.i}`,
);
def(
  'MOV_imm_T1',
  '00100dddiiiiiiii',
  (c, f) => {
    c.r[f.d!] = f.i!;
    if (!inIT(c)) setNZ(c, f.i!);
    return 1;
  },
  (f) => `movs ${R(f.d!)}, ${imm(f.i!)}`,
);
def(
  'CMP_imm_T1',
  '00101nnniiiiiiii',
  (c, f) => {
    adc(c, c.r[f.n!]!, ~f.i!, 1, true);
    return 1;
  },
  (f) => `cmp ${R(f.n!)}, ${imm(f.i!)}`,
);
def(
  'ADD_imm_T2',
  '00110dddiiiiiiii',
  (c, f) => {
    c.r[f.d!] = adc(c, c.r[f.d!]!, f.i!, 0, !inIT(c));
    return 1;
  },
  (f) => `adds ${R(f.d!)}, ${imm(f.i!)}`,
);
def(
  'SUB_imm_T2',
  '00111dddiiiiiiii',
  (c, f) => {
    c.r[f.d!] = adc(c, c.r[f.d!]!, ~f.i!, 1, !inIT(c));
    return 1;
  },
  (f) => `subs ${R(f.d!)}, ${imm(f.i!)}`,
);

// Data processing (register), A5.2.2
const dp16: [string, string, Exec][] = [
  ['AND', '0000', (c, f) => logic16(c, f.d!, c.r[f.d!]! & c.r[f.m!]!)],
  ['EOR', '0001', (c, f) => logic16(c, f.d!, c.r[f.d!]! ^ c.r[f.m!]!)],
  ['LSL', '0010', (c, f) => shift16(c, f, 0)],
  ['LSR', '0011', (c, f) => shift16(c, f, 1)],
  ['ASR', '0100', (c, f) => shift16(c, f, 2)],
  [
    'ADC',
    '0101',
    (c, f) => {
      c.r[f.d!] = adc(c, c.r[f.d!]!, c.r[f.m!]!, c.c, !inIT(c));
      return 1;
    },
  ],
  [
    'SBC',
    '0110',
    (c, f) => {
      c.r[f.d!] = adc(c, c.r[f.d!]!, ~c.r[f.m!]!, c.c, !inIT(c));
      return 1;
    },
  ],
  ['ROR', '0111', (c, f) => shift16(c, f, 3)],
  [
    'TST',
    '1000',
    (c, f) => {
      setNZ(c, c.r[f.d!]! & c.r[f.m!]!);
      return 1;
    },
  ],
  [
    'RSB',
    '1001',
    (c, f) => {
      c.r[f.d!] = adc(c, ~c.r[f.m!]!, 0, 1, !inIT(c));
      return 1;
    },
  ],
  [
    'CMP',
    '1010',
    (c, f) => {
      adc(c, c.r[f.d!]!, ~c.r[f.m!]!, 1, true);
      return 1;
    },
  ],
  [
    'CMN',
    '1011',
    (c, f) => {
      adc(c, c.r[f.d!]!, c.r[f.m!]!, 0, true);
      return 1;
    },
  ],
  ['ORR', '1100', (c, f) => logic16(c, f.d!, c.r[f.d!]! | c.r[f.m!]!)],
  [
    'MUL',
    '1101',
    (c, f) => {
      const res = Math.imul(c.r[f.d!]!, c.r[f.m!]!);
      c.r[f.d!] = res;
      if (!inIT(c)) setNZ(c, res);
      return 1;
    },
  ],
  ['BIC', '1110', (c, f) => logic16(c, f.d!, c.r[f.d!]! & ~c.r[f.m!]!)],
  ['MVN', '1111', (c, f) => logic16(c, f.d!, ~c.r[f.m!]!)],
];
function logic16(c: CortexM, d: number, res: number): number {
  c.r[d] = res;
  if (!inIT(c)) setNZ(c, res);
  return 1;
}
function shift16(c: CortexM, f: Fields, type: number): number {
  const res = shiftC(c.r[f.d!]!, type, c.r[f.m!]! & 0xff, c.c);
  c.r[f.d!] = res;
  if (!inIT(c)) {
    setNZ(c, res);
    c.c = aluOut.carry;
  }
  return 1;
}
for (const [op, bits, exec] of dp16) {
  const noWrite = op === 'TST' || op === 'CMP' || op === 'CMN';
  const mn = noWrite ? op.toLowerCase() : op === 'RSB' ? 'rsbs' : `${op.toLowerCase()}s`;
  def(`${op}_reg_T1`, `010000${bits}mmmddd`, exec, (f) =>
    op === 'RSB' ? `rsbs ${R(f.d!)}, ${R(f.m!)}, #0` : `${mn} ${R(f.d!)}, ${R(f.m!)}`,
  );
}

def(
  'ADD_reg_T2',
  '01000100Dmmmmddd',
  (c, f) => {
    const d = f.dd!;
    const res = (c.r[d]! + c.r[f.m!]!) | 0;
    if (d === 15) {
      c.branch(res);
      return BR;
    }
    c.r[d] = res;
    return 1;
  },
  (f) => `add ${R(f.dd!)}, ${R(f.m!)}`,
  { prep: (f) => void (f.dd = (f.D! << 3) | f.d!) },
);
def(
  'CMP_reg_T2',
  '01000101Nmmmmnnn',
  (c, f) => {
    adc(c, c.r[f.nn!]!, ~c.r[f.m!]!, 1, true);
    return 1;
  },
  (f) => `cmp ${R(f.nn!)}, ${R(f.m!)}`,
  { prep: (f) => void (f.nn = (f.N! << 3) | f.n!) },
);
def(
  'MOV_reg_T1',
  '01000110Dmmmmddd',
  (c, f) => {
    const d = f.dd!;
    if (d === 15) {
      c.branch(c.r[f.m!]!);
      return BR;
    }
    c.r[d] = c.r[f.m!]!;
    return 1;
  },
  (f) => `mov ${R(f.dd!)}, ${R(f.m!)}`,
  { prep: (f) => void (f.dd = (f.D! << 3) | f.d!) },
);
def(
  'BX_T1',
  '010001110mmmm(0)(0)(0)',
  (c, f) => {
    c.bxWrite(c.r[f.m!]!);
    return BR;
  },
  (f) => `bx ${R(f.m!)}`,
);
def(
  'BLX_reg_T1',
  '010001111mmmm(0)(0)(0)',
  (c, f) => {
    const target = c.r[f.m!]!;
    c.r[14] = (c.pc + 2) | 1;
    c.bxWrite(target);
    return BR;
  },
  (f) => `blx ${R(f.m!)}`,
);
def(
  'LDR_lit_T1',
  '01001tttiiiiiiii',
  (c, f) => {
    c.r[f.t!] = c.read32(((c.pc + 4) & ~3) + f.i! * 4);
    return 2;
  },
  (f, pc) => `ldr ${R(f.t!)}, [pc, #${f.i! * 4}] ; ${hex(((pc + 4) & ~3) + f.i! * 4)}`,
);

// Load/store register offset, A5.2.4
const ldst16: [string, string, Exec][] = [
  ['STR', '000', (c, f) => (c.write32(c.r[f.n!]! + c.r[f.m!]!, c.r[f.t!]!), 2)],
  ['STRH', '001', (c, f) => (c.write16(c.r[f.n!]! + c.r[f.m!]!, c.r[f.t!]!), 2)],
  ['STRB', '010', (c, f) => (c.write8(c.r[f.n!]! + c.r[f.m!]!, c.r[f.t!]!), 2)],
  ['LDRSB', '011', (c, f) => ((c.r[f.t!] = sx8(c.read8(c.r[f.n!]! + c.r[f.m!]!))), 2)],
  ['LDR', '100', (c, f) => ((c.r[f.t!] = c.read32(c.r[f.n!]! + c.r[f.m!]!)), 2)],
  ['LDRH', '101', (c, f) => ((c.r[f.t!] = c.read16(c.r[f.n!]! + c.r[f.m!]!)), 2)],
  ['LDRB', '110', (c, f) => ((c.r[f.t!] = c.read8(c.r[f.n!]! + c.r[f.m!]!)), 2)],
  ['LDRSH', '111', (c, f) => ((c.r[f.t!] = sx16(c.read16(c.r[f.n!]! + c.r[f.m!]!))), 2)],
];
for (const [op, bits, exec] of ldst16) {
  def(
    `${op}_reg_T1`,
    `0101${bits}mmmnnnttt`,
    exec,
    (f) => `${op.toLowerCase()} ${R(f.t!)}, [${R(f.n!)}, ${R(f.m!)}]`,
  );
}
const ldstImm16: [string, string, number, Exec][] = [
  ['STR', '01100', 4, (c, f) => (c.write32(c.r[f.n!]! + f.i! * 4, c.r[f.t!]!), 2)],
  ['LDR', '01101', 4, (c, f) => ((c.r[f.t!] = c.read32(c.r[f.n!]! + f.i! * 4)), 2)],
  ['STRB', '01110', 1, (c, f) => (c.write8(c.r[f.n!]! + f.i!, c.r[f.t!]!), 2)],
  ['LDRB', '01111', 1, (c, f) => ((c.r[f.t!] = c.read8(c.r[f.n!]! + f.i!)), 2)],
  ['STRH', '10000', 2, (c, f) => (c.write16(c.r[f.n!]! + f.i! * 2, c.r[f.t!]!), 2)],
  ['LDRH', '10001', 2, (c, f) => ((c.r[f.t!] = c.read16(c.r[f.n!]! + f.i! * 2)), 2)],
];
for (const [op, bits, scale, exec] of ldstImm16) {
  def(
    `${op}_imm_T1`,
    `${bits}iiiiinnnttt`,
    exec,
    (f) => `${op.toLowerCase()} ${R(f.t!)}, [${R(f.n!)}, #${f.i! * scale}]`,
  );
}
def(
  'STR_imm_T2',
  '10010tttiiiiiiii',
  (c, f) => (c.write32(c.r[13]! + f.i! * 4, c.r[f.t!]!), 2),
  (f) => `str ${R(f.t!)}, [sp, #${f.i! * 4}]`,
);
def(
  'LDR_imm_T2',
  '10011tttiiiiiiii',
  (c, f) => ((c.r[f.t!] = c.read32(c.r[13]! + f.i! * 4)), 2),
  (f) => `ldr ${R(f.t!)}, [sp, #${f.i! * 4}]`,
);
def(
  'ADR_T1',
  '10100dddiiiiiiii',
  (c, f) => ((c.r[f.d!] = ((c.pc + 4) & ~3) + f.i! * 4), 1),
  (f, pc) => `adr ${R(f.d!)}, ${hex(((pc + 4) & ~3) + f.i! * 4)}`,
);
def(
  'ADD_SP_imm_T1',
  '10101dddiiiiiiii',
  (c, f) => ((c.r[f.d!] = c.r[13]! + f.i! * 4), 1),
  (f) => `add ${R(f.d!)}, sp, #${f.i! * 4}`,
);
def(
  'ADD_SP_imm_T2',
  '101100000iiiiiii',
  (c, f) => ((c.r[13] = c.r[13]! + f.i! * 4), 1),
  (f) => `add sp, #${f.i! * 4}`,
);
def(
  'SUB_SP_imm_T1',
  '101100001iiiiiii',
  (c, f) => ((c.r[13] = c.r[13]! - f.i! * 4), 1),
  (f) => `sub sp, #${f.i! * 4}`,
);
for (const [name, op] of [
  ['CBZ_T1', 0],
  ['CBNZ_T1', 1],
] as const) {
  def(
    name,
    `1011${op}0i1iiiiinnn`,
    (c, f) => {
      if ((c.r[f.n!] === 0) !== (op === 1)) {
        c.branch(c.pc + 4 + f.i! * 2);
        return BR;
      }
      return 1;
    },
    (f, pc) => `${op ? 'cbnz' : 'cbz'} ${R(f.n!)}, ${hex(pc + 4 + f.i! * 2)}`,
  );
}
const ext16: [string, string, (v: number) => number][] = [
  ['SXTH', '00', (v) => sx16(v)],
  ['SXTB', '01', (v) => sx8(v)],
  ['UXTH', '10', (v) => v & 0xffff],
  ['UXTB', '11', (v) => v & 0xff],
];
for (const [op, bits, fn] of ext16) {
  def(
    `${op}_T1`,
    `10110010${bits}mmmddd`,
    (c, f) => ((c.r[f.d!] = fn(c.r[f.m!]!)), 1),
    (f) => `${op.toLowerCase()} ${R(f.d!)}, ${R(f.m!)}`,
  );
}
def(
  'PUSH_T1',
  '1011010Mrrrrrrrr',
  (c, f) => {
    const list = f.list!;
    const count = f.cnt!;
    let a = c.r[13]! - 4 * count;
    const start = a;
    for (let i = 0; i < 15; i++) {
      if ((list >>> i) & 1) {
        c.write32A(a, c.r[i]!);
        a += 4;
      }
    }
    c.r[13] = start;
    return 1 + count;
  },
  (f) => `push ${regList(f.list!)}`,
  {
    prep: (f) => {
      f.list = f.r! | (f.M! << 14);
      f.cnt = popcount(f.list);
    },
  },
);
def(
  'POP_T1',
  '1011110Prrrrrrrr',
  (c, f) => {
    const list = f.list!;
    let a = c.r[13]!;
    const end = a + 4 * f.cnt!;
    for (let i = 0; i < 8; i++) {
      if ((list >>> i) & 1) {
        c.r[i] = c.read32A(a);
        a += 4;
      }
    }
    if (f.P) {
      const pcv = c.read32A(a);
      c.r[13] = end;
      c.bxWrite(pcv);
      return 1 + f.cnt! + 2;
    }
    c.r[13] = end;
    return 1 + f.cnt!;
  },
  (f) => `pop ${regList(f.list!)}`,
  {
    prep: (f) => {
      f.list = f.r! | (f.P! << 15);
      f.cnt = popcount(f.list);
    },
  },
);
def(
  'CPS_T1',
  '10110110011m(0)(0)if',
  (c, f) => (c.cps(f.m === 1, f.i === 1, f.f === 1), 1),
  (f) => `cps${f.m ? 'id' : 'ie'} ${f.i ? 'i' : ''}${f.f ? 'f' : ''}`,
);
const rev16: [string, string, (v: number) => number][] = [
  ['REV', '00', (v) => (v >>> 24) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24) | 0],
  ['REV16', '01', (v) => ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8) | 0],
  ['REVSH', '11', (v) => sx16(((v >>> 8) & 0xff) | ((v & 0xff) << 8))],
];
for (const [op, bits, fn] of rev16) {
  def(
    `${op}_T1`,
    `10111010${bits}mmmddd`,
    (c, f) => ((c.r[f.d!] = fn(c.r[f.m!]!)), 1),
    (f) => `${op.toLowerCase()} ${R(f.d!)}, ${R(f.m!)}`,
  );
}
def(
  'BKPT_T1',
  '10111110iiiiiiii',
  (c, f) => (c.bkpt(f.i!), 1),
  (f) => `bkpt ${imm(f.i!)}`,
);
def(
  'IT_T1',
  '10111111ccccmmmm',
  (c, f) => {
    c.itstate = (f.c! << 4) | f.m!;
    return 1;
  },
  (f) => `it${itSuffix(f.c!, f.m!)} ${COND[f.c!] || 'al'}`,
);
function itSuffix(cond: number, mask: number): string {
  let s = '';
  const tz = mask & 1 ? 0 : mask & 2 ? 1 : mask & 4 ? 2 : 3;
  for (let k = 3; k > tz; k--) s += ((mask >>> k) & 1) === (cond & 1) ? 't' : 'e';
  return s;
}
const hints: [string, number, Exec][] = [
  ['NOP', 0, () => 1],
  ['YIELD', 1, () => 1],
  ['WFE', 2, (c) => (c.wfe(), 1)],
  ['WFI', 3, (c) => (c.wfi(), 1)],
  ['SEV', 4, (c) => (c.sev(), 1)],
];
for (const [op, n, exec] of hints) {
  def(`${op}_T1`, `10111111${n.toString(2).padStart(4, '0')}0000`, exec, () => op.toLowerCase(), {
    over: ['IT_T1', 'HINT_T1'],
    why: 'IT with mask 0000 is the hint space (A5.2.5); these hints are allocated',
  });
}
def(
  'HINT_T1',
  '10111111oooo0000',
  () => 1,
  (f) => `nop ; hint #${f.o}`,
  {
    over: ['IT_T1'],
    why: 'unallocated hints execute as NOP (A5.2.5)',
  },
);
for (const [name, l] of [
  ['STM_T1', 0],
  ['LDM_T1', 1],
] as const) {
  def(
    name,
    `1100${l}nnnrrrrrrrr`,
    (c, f) => {
      const n = f.n!;
      const list = f.r!;
      let a = c.r[n]!;
      if (l === 0) {
        for (let i = 0; i < 8; i++)
          if ((list >>> i) & 1) {
            c.write32A(a, c.r[i]!);
            a += 4;
          }
        c.r[n] = a;
      } else {
        const wb = ((list >>> n) & 1) === 0;
        for (let i = 0; i < 8; i++)
          if ((list >>> i) & 1) {
            c.r[i] = c.read32A(a);
            a += 4;
          }
        if (wb) c.r[n] = a;
      }
      return 1 + popcount(list);
    },
    (f) =>
      `${l ? 'ldm' : 'stm'} ${R(f.n!)}${l && (f.r! >>> f.n!) & 1 ? '' : '!'}, ${regList(f.r!)}`,
  );
}
/**
 * B<cond> (T1) with the condition resolved at decode time: one executor per condition, so the
 * hottest instruction in most loops skips the generic condition switch.
 */
const taken = (c: CortexM, f: Fields): number => {
  c.branch(c.pc + 4 + f.off!);
  return BR;
};
const BCOND: Exec[] = [
  (c, f) => (c.z === 1 ? taken(c, f) : 1),
  (c, f) => (c.z === 0 ? taken(c, f) : 1),
  (c, f) => (c.c === 1 ? taken(c, f) : 1),
  (c, f) => (c.c === 0 ? taken(c, f) : 1),
  (c, f) => (c.n === 1 ? taken(c, f) : 1),
  (c, f) => (c.n === 0 ? taken(c, f) : 1),
  (c, f) => (c.v === 1 ? taken(c, f) : 1),
  (c, f) => (c.v === 0 ? taken(c, f) : 1),
  (c, f) => (c.c === 1 && c.z === 0 ? taken(c, f) : 1),
  (c, f) => (c.c === 0 || c.z === 1 ? taken(c, f) : 1),
  (c, f) => (c.n === c.v ? taken(c, f) : 1),
  (c, f) => (c.n !== c.v ? taken(c, f) : 1),
  (c, f) => (c.z === 0 && c.n === c.v ? taken(c, f) : 1),
  (c, f) => (c.z === 1 || c.n !== c.v ? taken(c, f) : 1),
];
def(
  'B_T1',
  '1101cccciiiiiiii',
  (c, f) => {
    if (conditionPassed(c, f.c!)) {
      c.branch(c.pc + 4 + f.off!);
      return BR;
    }
    return 1;
  },
  (f, pc) => `b${COND[f.c!]} ${hex(pc + 4 + f.off!)}`,
  { prep: (f) => void (f.off = sx8(f.i!) * 2), select: (f) => BCOND[f.c!] ?? BCOND[0]! },
);
def(
  'UDF_T1',
  '11011110iiiiiiii',
  (c) => c.undefinedInstruction(),
  (f) => `udf ${imm(f.i!)}`,
  {
    over: ['B_T1'],
    why: 'cond 1110 is the permanently UNDEFINED space (A5.2.6)',
  },
);
def(
  'SVC_T1',
  '11011111iiiiiiii',
  (c) => (c.svc(), 1),
  (f) => `svc ${imm(f.i!)}`,
  {
    over: ['B_T1'],
    why: 'cond 1111 is SVC (A5.2.6)',
  },
);
def(
  'B_T2',
  '11100iiiiiiiiiii',
  (c, f) => (c.branch(c.pc + 4 + f.off!), BR),
  (f, pc) => `b ${hex(pc + 4 + f.off!)}`,
  { prep: (f) => void (f.off = ((f.i! << 21) >> 21) * 2) },
);
function popcount(v: number): number {
  let n = 0;
  for (let x = v; x; x &= x - 1) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// 32-bit Thumb-2 (A5.3)
// ---------------------------------------------------------------------------------------------

// Data processing (modified immediate), A5.3.1
type DpOp = (c: CortexM, a: number, b: number, s: boolean) => number;
const logicOp =
  (fn: (a: number, b: number) => number): DpOp =>
  (c, a, b, s) => {
    const res = fn(a, b);
    if (s) {
      setNZ(c, res);
      c.c = aluOut.carry;
    }
    return res;
  };
const dpOps: [string, string, DpOp, boolean][] = [
  ['AND', '0000', logicOp((a, b) => a & b), true],
  ['BIC', '0001', logicOp((a, b) => a & ~b), true],
  ['ORR', '0010', logicOp((a, b) => a | b), true],
  ['ORN', '0011', logicOp((a, b) => a | ~b), true],
  ['EOR', '0100', logicOp((a, b) => a ^ b), true],
  ['ADD', '1000', (c, a, b, s) => adc(c, a, b, 0, s), false],
  ['ADC', '1010', (c, a, b, s) => adc(c, a, b, c.c, s), false],
  ['SBC', '1011', (c, a, b, s) => adc(c, a, ~b, c.c, s), false],
  ['SUB', '1101', (c, a, b, s) => adc(c, a, ~b, 1, s), false],
  ['RSB', '1110', (c, a, b, s) => adc(c, b, ~a, 1, s), false],
];
/** Test forms: op with Rd=1111 and S=1 (TST, TEQ, CMN, CMP). */
const testForms: Record<string, string> = { AND: 'TST', EOR: 'TEQ', ADD: 'CMN', SUB: 'CMP' };
/** Move forms: op with Rn=1111 (MOV, MVN). */
const moveForms: Record<string, string> = { ORR: 'MOV', ORN: 'MVN' };

/** Distinct executors for the hottest data-processing forms (see FAST_LDST for why). */
const FAST_DP: Record<string, Exec> = {
  CMP_imm_mod: (c, f) => (adc(c, c.r[f.n!]!, ~f.imm!, 1, true), 1),
  ADD_imm_mod: (c, f) => (wr(c, f.d!, adc(c, c.r[f.n!]!, f.imm!, 0, f.S === 1)), 1),
  SUB_imm_mod: (c, f) => (wr(c, f.d!, adc(c, c.r[f.n!]!, ~f.imm!, 1, f.S === 1)), 1),
  EOR_reg_shift: (c, f) => {
    const sh = f.sh!;
    const res = c.r[f.n!]! ^ shiftC(c.r[f.m!]!, sh & 7, sh >>> 3, c.c);
    wr(c, f.d!, res);
    if (f.S === 1) {
      setNZ(c, res);
      c.c = aluOut.carry;
    }
    return 1;
  },
  ADD_reg_shift: (c, f) => {
    const sh = f.sh!;
    wr(c, f.d!, adc(c, c.r[f.n!]!, shiftC(c.r[f.m!]!, sh & 7, sh >>> 3, c.c), 0, f.S === 1));
    return 1;
  },
};

// The modified immediates (ThumbExpandImm) are kept as int32, as ThumbExpandImm_C returns them:
// every user works modulo 2^32 (executors, codegen.ts, the spin-loop analyser, `imm` in the
// disassembly). As unsigned numbers, the first one from 0x80000000 made the fields objects'
// `imm` a double field: a new hidden class, and a "wrong map" deoptimization of the executors
// optimised for the old one (double-field.ts).
for (const [op, bits, fn, logical] of dpOps) {
  const base = `${op}_imm_mod`;
  def(
    base,
    `11110i0${bits}Snnnn 0iiiddddiiiiiiii`,
    FAST_DP[base] ??
      ((c, f) => {
        const b = logical ? expandImmC(f.i!, c.c) : f.imm!;
        wr(c, f.d!, fn(c, c.r[f.n!]!, b, f.S === 1));
        return 1;
      }),
    (f) => `${op.toLowerCase()}${f.S ? 's' : ''}.w ${R(f.d!)}, ${R(f.n!)}, ${imm(f.imm!)}`,
    { prep: (f) => void (f.imm = expandImmC(f.i!, 0)) },
  );
  const t = testForms[op];
  if (t) {
    def(
      `${t}_imm_mod`,
      `11110i0${bits}1nnnn 0iii1111iiiiiiii`,
      FAST_DP[`${t}_imm_mod`] ??
        ((c, f) => {
          const b = logical ? expandImmC(f.i!, c.c) : f.imm!;
          fn(c, c.r[f.n!]!, b, true);
          return 1;
        }),
      (f) => `${t.toLowerCase()}.w ${R(f.n!)}, ${imm(f.imm!)}`,
      {
        over: [base],
        why: `${op}S with Rd=PC is ${t} (A5.3.1)`,
        prep: (f) => void (f.imm = expandImmC(f.i!, 0)),
      },
    );
  }
  const m = moveForms[op];
  if (m) {
    def(
      `${m}_imm_mod`,
      `11110i0${bits}S1111 0iiiddddiiiiiiii`,
      (c, f) => {
        let res = expandImmC(f.i!, c.c);
        if (op === 'ORN') res = ~res;
        wr(c, f.d!, res);
        if (f.S) {
          setNZ(c, res);
          c.c = aluOut.carry;
        }
        return 1;
      },
      (f) =>
        `${m.toLowerCase()}${f.S ? 's' : ''}.w ${R(f.d!)}, ${imm(op === 'ORN' ? ~f.imm! : f.imm!)}`,
      {
        over: [base],
        why: `${op} with Rn=PC is ${m} (A5.3.1)`,
        prep: (f) => void (f.imm = expandImmC(f.i!, 0)),
      },
    );
  }
}

// Data processing (plain binary immediate), A5.3.3
def(
  'ADDW_T4',
  '11110i100000nnnn 0iiiddddiiiiiiii',
  (c, f) => (wr(c, f.d!, c.r[f.n!]! + f.i!), 1),
  (f) => `addw ${R(f.d!)}, ${R(f.n!)}, ${imm(f.i!)}`,
);
def(
  'SUBW_T4',
  '11110i101010nnnn 0iiiddddiiiiiiii',
  (c, f) => (wr(c, f.d!, c.r[f.n!]! - f.i!), 1),
  (f) => `subw ${R(f.d!)}, ${R(f.n!)}, ${imm(f.i!)}`,
);
def(
  'ADR_T3',
  '11110i1000001111 0iiiddddiiiiiiii',
  (c, f) => (wr(c, f.d!, ((c.pc + 4) & ~3) + f.i!), 1),
  (f, pc) => `adr.w ${R(f.d!)}, ${hex(((pc + 4) & ~3) + f.i!)}`,
  { over: ['ADDW_T4'], why: 'ADDW with Rn=PC is ADR (A7.7.7)' },
);
def(
  'ADR_T2',
  '11110i1010101111 0iiiddddiiiiiiii',
  (c, f) => (wr(c, f.d!, ((c.pc + 4) & ~3) - f.i!), 1),
  (f, pc) => `adr.w ${R(f.d!)}, ${hex(((pc + 4) & ~3) - f.i!)}`,
  { over: ['SUBW_T4'], why: 'SUBW with Rn=PC is ADR (A7.7.7)' },
);
def(
  'MOVW_T3',
  '11110i100100jjjj 0iiiddddiiiiiiii',
  (c, f) => (wr(c, f.d!, f.imm!), 1),
  (f) => `movw ${R(f.d!)}, ${imm(f.imm!)}`,
  { prep: (f) => void (f.imm = (f.j! << 12) | f.i!) }, // imm16 = imm4:i:imm3:imm8
);
def(
  'MOVT_T1',
  '11110i101100jjjj 0iiiddddiiiiiiii',
  (c, f) => ((c.r[f.d!] = (c.r[f.d!]! & 0xffff) | (f.imm! << 16)), 1),
  (f) => `movt ${R(f.d!)}, ${imm(f.imm!)}`,
  { prep: (f) => void (f.imm = (f.j! << 12) | f.i!) },
);
def(
  'SSAT_T1',
  '11110(0)1100h0nnnn 0iiiddddii(0)sssss',
  (c, f) => {
    const op = f.h ? c.r[f.n!]! >> (f.i! === 0 ? 31 : f.i!) : c.r[f.n!]! << f.i!;
    c.r[f.d!] = ssat(op, f.s! + 1);
    if (aluOut.sat) c.q = 1;
    return 1;
  },
  (f) =>
    `ssat ${R(f.d!)}, #${f.s! + 1}, ${R(f.n!)}${f.i ? `, ${f.h ? 'asr' : 'lsl'} #${f.i}` : f.h ? ', asr #32' : ''}`,
);
def(
  'SSAT16_T1',
  '11110(0)110010nnnn 0000dddd00(0)(0)ssss',
  (c, f) => {
    const v = c.r[f.n!]!;
    const lo = ssat(sx16(v), f.s! + 1);
    let q = aluOut.sat;
    const hi = ssat(v >> 16, f.s! + 1);
    q |= aluOut.sat;
    c.r[f.d!] = (lo & 0xffff) | (hi << 16);
    if (q) c.q = 1;
    return 1;
  },
  (f) => `ssat16 ${R(f.d!)}, #${f.s! + 1}, ${R(f.n!)}`,
  { over: ['SSAT_T1'], why: 'SSAT with sh=1 and shift 0 is SSAT16 (A5.3.3)' },
);
def(
  'USAT_T1',
  '11110(0)1110h0nnnn 0iiiddddii(0)sssss',
  (c, f) => {
    const op = f.h ? c.r[f.n!]! >> (f.i! === 0 ? 31 : f.i!) : c.r[f.n!]! << f.i!;
    c.r[f.d!] = usat(op, f.s!);
    if (aluOut.sat) c.q = 1;
    return 1;
  },
  (f) =>
    `usat ${R(f.d!)}, #${f.s}, ${R(f.n!)}${f.i ? `, ${f.h ? 'asr' : 'lsl'} #${f.i}` : f.h ? ', asr #32' : ''}`,
);
def(
  'USAT16_T1',
  '11110(0)111010nnnn 0000dddd00(0)(0)ssss',
  (c, f) => {
    const v = c.r[f.n!]!;
    const lo = usat(sx16(v), f.s!);
    let q = aluOut.sat;
    const hi = usat(v >> 16, f.s!);
    q |= aluOut.sat;
    c.r[f.d!] = (lo & 0xffff) | (hi << 16);
    if (q) c.q = 1;
    return 1;
  },
  (f) => `usat16 ${R(f.d!)}, #${f.s}, ${R(f.n!)}`,
  { over: ['USAT_T1'], why: 'USAT with sh=1 and shift 0 is USAT16 (A5.3.3)' },
);
def(
  'SBFX_T1',
  '11110(0)110100nnnn 0iiiddddii(0)wwwww',
  (c, f) => {
    const lsb = f.i!;
    const width = f.w! + 1;
    if (lsb + width > 32) return c.undefinedInstruction();
    c.r[f.d!] = (c.r[f.n!]! << (32 - lsb - width)) >> (32 - width);
    return 1;
  },
  (f) => `sbfx ${R(f.d!)}, ${R(f.n!)}, #${f.i}, #${f.w! + 1}`,
);
def(
  'UBFX_T1',
  '11110(0)111100nnnn 0iiiddddii(0)wwwww',
  (c, f) => {
    const lsb = f.i!;
    const width = f.w! + 1;
    if (lsb + width > 32) return c.undefinedInstruction();
    c.r[f.d!] = width === 32 ? c.r[f.n!]! : (c.r[f.n!]! >>> lsb) & ((1 << width) - 1);
    return 1;
  },
  (f) => `ubfx ${R(f.d!)}, ${R(f.n!)}, #${f.i}, #${f.w! + 1}`,
);
def(
  'BFI_T1',
  '11110(0)110110nnnn 0iiiddddii(0)mmmmm',
  (c, f) => {
    const lsb = f.i!;
    const msb = f.m!;
    if (msb < lsb) return c.undefinedInstruction();
    const mask = msb - lsb === 31 ? -1 : ((1 << (msb - lsb + 1)) - 1) << lsb;
    c.r[f.d!] = (c.r[f.d!]! & ~mask) | ((c.r[f.n!]! << lsb) & mask);
    return 1;
  },
  (f) => `bfi ${R(f.d!)}, ${R(f.n!)}, #${f.i}, #${f.m! - f.i! + 1}`,
);
def(
  'BFC_T1',
  '11110(0)1101101111 0iiiddddii(0)mmmmm',
  (c, f) => {
    const lsb = f.i!;
    const msb = f.m!;
    if (msb < lsb) return c.undefinedInstruction();
    const mask = msb - lsb === 31 ? -1 : ((1 << (msb - lsb + 1)) - 1) << lsb;
    c.r[f.d!] = c.r[f.d!]! & ~mask;
    return 1;
  },
  (f) => `bfc ${R(f.d!)}, #${f.i}, #${f.m! - f.i! + 1}`,
  { over: ['BFI_T1'], why: 'BFI with Rn=PC is BFC (A5.3.3)' },
);

// Branches and miscellaneous control, A5.3.4
def(
  'B_T3',
  '11110Scccciiiiii 10J0Kiiiiiiiiiii',
  (c, f) => {
    // cond 111x here is the miscellaneous-control space; anything not matched there is UNDEFINED.
    if (f.c! >= 14) return c.undefinedInstruction();
    if (conditionPassed(c, f.c!)) {
      c.branch(c.pc + 4 + f.off!);
      return BR;
    }
    return 1;
  },
  (f, pc) => (f.c! >= 14 ? 'udf.w ; unallocated' : `b${COND[f.c!]}.w ${hex(pc + 4 + f.off!)}`),
  {
    prep: (f) => {
      const v = (f.S! << 20) | (f.K! << 19) | (f.J! << 18) | (f.i! << 1);
      f.off = (v << 11) >> 11;
    },
  },
);
const branchT4Prep = (f: Fields): void => {
  const i1 = 1 - (f.J! ^ f.S!);
  const i2 = 1 - (f.K! ^ f.S!);
  const v = (f.S! << 24) | (i1 << 23) | (i2 << 22) | (f.i! << 1);
  f.off = (v << 7) >> 7;
};
def(
  'B_T4',
  '11110Siiiiiiiiii 10J1Kiiiiiiiiiii',
  (c, f) => (c.branch(c.pc + 4 + f.off!), BR),
  (f, pc) => `b.w ${hex(pc + 4 + f.off!)}`,
  { prep: branchT4Prep },
);
def(
  'BL_T1',
  '11110Siiiiiiiiii 11J1Kiiiiiiiiiii',
  (c, f) => {
    c.r[14] = (c.pc + 4) | 1;
    c.branch(c.pc + 4 + f.off!);
    return BR + 1;
  },
  (f, pc) => `bl ${hex(pc + 4 + f.off!)}`,
  { prep: branchT4Prep },
);
def(
  'MSR_T1',
  '11110011100(0)nnnn 10(0)0mm(0)(0)ssssssss',
  (c, f) => (msr(c, f.s!, f.m!, c.r[f.n!]!), 1),
  (f) =>
    `msr ${sysmName(f.s!)}${f.s! < 4 ? `_${['', 'g', 'nzcvq', 'nzcvqg'][f.m!]}` : ''}, ${R(f.n!)}`,
  { over: ['B_T3'], why: 'cond 111x of B.W is the miscellaneous control space (A5.3.4)' },
);
def(
  'MRS_T1',
  '11110011111(0)(1)(1)(1)(1) 10(0)0ddddssssssss',
  (c, f) => ((c.r[f.d!] = mrs(c, f.s!)), 1),
  (f) => `mrs ${R(f.d!)}, ${sysmName(f.s!)}`,
  { over: ['B_T3'], why: 'cond 111x of B.W is the miscellaneous control space (A5.3.4)' },
);
const hint32: [string, number, Exec][] = [
  ['NOP', 0, () => 1],
  ['YIELD', 1, () => 1],
  ['WFE', 2, (c) => (c.wfe(), 1)],
  ['WFI', 3, (c) => (c.wfi(), 1)],
  ['SEV', 4, (c) => (c.sev(), 1)],
];
def(
  'HINT_T2',
  '111100111010(1)(1)(1)(1) 10(0)0(0)000oooooooo',
  () => 1,
  (f) => `nop.w ; hint #${f.o}`,
  {
    over: ['B_T3'],
    why: 'cond 111x of B.W is the miscellaneous control space (A5.3.4)',
  },
);
for (const [op, n, exec] of hint32) {
  def(
    `${op}_T2`,
    `111100111010(1)(1)(1)(1) 10(0)0(0)000${n.toString(2).padStart(8, '0')}`,
    exec,
    () => `${op.toLowerCase()}.w`,
    {
      over: ['HINT_T2', 'B_T3'],
      why: 'allocated hints in the misc control space (A5.3.4)',
    },
  );
}
def(
  'DBG_T1',
  '111100111010(1)(1)(1)(1) 10(0)0(0)0001111oooo',
  () => 1,
  (f) => `dbg #${f.o}`,
  {
    over: ['HINT_T2', 'B_T3'],
    why: 'DBG is a hint in the misc control space (A7.7.26)',
  },
);
def(
  'CLREX_T1',
  '111100111011(1)(1)(1)(1) 10(0)0(1)(1)(1)(1)0010(1)(1)(1)(1)',
  (c) => ((c.exclusive = -1), 1),
  () => 'clrex',
  {
    over: ['B_T3'],
    why: 'cond 111x of B.W is the miscellaneous control space (A5.3.4)',
  },
);
for (const [op, bits] of [
  ['DSB', '0100'],
  ['DMB', '0101'],
  ['ISB', '0110'],
] as const) {
  def(
    `${op}_T1`,
    `111100111011(1)(1)(1)(1) 10(0)0(1)(1)(1)(1)${bits}oooo`,
    () => 1,
    (f) => `${op.toLowerCase()} ${f.o === 15 ? 'sy' : `#${f.o}`}`,
    {
      over: ['B_T3'],
      why: 'cond 111x of B.W is the miscellaneous control space (A5.3.4)',
    },
  );
}
def(
  'UDF_T2',
  '111101111111iiii 1010iiiiiiiiiiii',
  (c) => c.undefinedInstruction(),
  (f) => `udf.w ${imm(f.i!)}`,
  { over: ['B_T3'], why: 'cond 1111 with op1=111 is UDF (A5.3.4)' },
);
const SYSM: Record<number, string> = {
  0: 'apsr',
  1: 'iapsr',
  2: 'eapsr',
  3: 'xpsr',
  5: 'ipsr',
  6: 'epsr',
  7: 'iepsr',
  8: 'msp',
  9: 'psp',
  16: 'primask',
  17: 'basepri',
  18: 'basepri_max',
  19: 'faultmask',
  20: 'control',
};
const sysmName = (s: number): string => SYSM[s] ?? `sysm${s}`;

function mrs(c: CortexM, sysm: number): number {
  const priv = c.privileged();
  switch (sysm >>> 3) {
    case 0: {
      let v = 0;
      if (sysm & 1) v |= c.ipsr;
      if ((sysm & 4) === 0)
        v |=
          ((c.n << 31) | (c.z << 30) | (c.c << 29) | (c.v << 28) | (c.q << 27) | (c.ge << 16)) >>>
          0;
      return v;
    }
    case 1:
      if (!priv) return 0;
      return sysm === 8 ? c.msp | 0 : sysm === 9 ? c.psp | 0 : 0;
    case 2:
      switch (sysm & 7) {
        case 0:
          return c.primask;
        case 1:
        case 2:
          return c.basepri;
        case 3:
          return c.faultmask;
        case 4:
          return c.control;
      }
      return 0;
    default:
      return 0;
  }
}

function msr(c: CortexM, sysm: number, mask: number, v: number): void {
  const priv = c.privileged();
  switch (sysm >>> 3) {
    case 0:
      if ((sysm & 4) === 0) {
        if (mask & 2) {
          c.n = (v >>> 31) & 1;
          c.z = (v >>> 30) & 1;
          c.c = (v >>> 29) & 1;
          c.v = (v >>> 28) & 1;
          c.q = (v >>> 27) & 1;
        }
        if (mask & 1) c.ge = (v >>> 16) & 15;
      }
      return;
    case 1:
      if (!priv) return;
      if (sysm === 8) c.setMsp(v);
      else if (sysm === 9) c.setPsp(v);
      return;
    case 2:
      if (!priv) return;
      switch (sysm & 7) {
        case 0:
          c.primask = v & 1;
          break;
        case 1:
          c.basepri = v & c.exc.prioMask & 0xff;
          break;
        case 2: {
          const nv = v & c.exc.prioMask & 0xff;
          if (nv !== 0 && (nv < c.basepri || c.basepri === 0)) c.basepri = nv;
          break;
        }
        case 3:
          if (c.executionPriority() > -1) c.faultmask = v & 1;
          c.mpuContextChanged();
          break;
        case 4:
          // CONTROL.SPSEL is writable only in Thread mode.
          c.setControl(c.ipsr === 0 ? v : (v & ~2) | (c.control & 2));
          break;
      }
      c.attention = true;
      return;
  }
}

// Load/store multiple, A5.3.5
for (const [name, l, db] of [
  ['STM_T2', 0, 0],
  ['LDM_T2', 1, 0],
  ['STMDB_T1', 0, 1],
  ['LDMDB_T1', 1, 1],
] as const) {
  def(
    name,
    `1110100${db ? '100' : '010'}W${l}nnnn ${l ? 'PM' : '(0)M'}(0)rrrrrrrrrrrrr`,
    (c, f) => {
      const n = f.n!;
      const list = f.list!;
      const cnt = f.cnt!;
      const baseAddr = c.r[n]!;
      let a = db ? baseAddr - 4 * cnt : baseAddr;
      const wbv = db ? baseAddr - 4 * cnt : baseAddr + 4 * cnt;
      if (cnt === 0) return c.undefinedInstruction();
      if (l === 0) {
        for (let i = 0; i < 15; i++)
          if ((list >>> i) & 1) {
            c.write32A(a, c.r[i]!);
            a += 4;
          }
        if (f.W) c.r[n] = wbv;
        return 1 + cnt;
      }
      let pcv = 0;
      const vals = LDM_TMP;
      let k = 0;
      for (let i = 0; i < 16; i++)
        if ((list >>> i) & 1) {
          vals[k++] = c.read32A(a);
          a += 4;
        }
      k = 0;
      for (let i = 0; i < 15; i++) if ((list >>> i) & 1) c.r[i] = vals[k++]!;
      if (list & 0x8000) pcv = vals[k]!;
      if (f.W && ((list >>> n) & 1) === 0) c.r[n] = wbv;
      if (list & 0x8000) {
        c.bxWrite(pcv);
        return 1 + cnt + 2;
      }
      return 1 + cnt;
    },
    (f) => {
      const isSp = f.n === 13 && f.W === 1;
      if (isSp && name === 'STMDB_T1') return `push.w ${regList(f.list!)}`;
      if (isSp && name === 'LDM_T2') return `pop.w ${regList(f.list!)}`;
      return `${['stm', 'ldm', 'stmdb', 'ldmdb'][l + 2 * db]}.w ${R(f.n!)}${f.W ? '!' : ''}, ${regList(f.list!)}`;
    },
    {
      prep: (f) => {
        f.list = f.r! | (f.M! << 14) | ((f.P ?? 0) << 15);
        f.cnt = popcount(f.list);
      },
    },
  );
}
const LDM_TMP = new Int32Array(16);

// Load/store dual, exclusive, table branch, A5.3.6
def(
  'STREX_T1',
  '111010000100nnnn ttttddddiiiiiiii',
  (c, f) => {
    const a = (c.r[f.n!]! + f.i! * 4) | 0;
    if (c.exclusive === a) {
      c.write32A(a, c.r[f.t!]!);
      c.r[f.d!] = 0;
    } else {
      c.alignOnly(a, 4);
      c.r[f.d!] = 1;
    }
    c.exclusive = -1;
    return 2;
  },
  (f) => `strex ${R(f.d!)}, ${R(f.t!)}, [${R(f.n!)}, #${f.i! * 4}]`,
  { over: ['STRD_imm_T1'], why: 'STRD with P=0 W=0 is the exclusive space (A5.3.6)' },
);
def(
  'LDREX_T1',
  '111010000101nnnn tttt(1)(1)(1)(1)iiiiiiii',
  (c, f) => {
    const a = (c.r[f.n!]! + f.i! * 4) | 0;
    c.r[f.t!] = c.read32A(a);
    c.exclusive = a;
    return 2;
  },
  (f) => `ldrex ${R(f.t!)}, [${R(f.n!)}, #${f.i! * 4}]`,
  { over: ['LDRD_imm_T1'], why: 'LDRD with P=0 W=0 is the exclusive space (A5.3.6)' },
);
for (const [sz, bits] of [
  [1, '0100'],
  [2, '0101'],
] as const) {
  const sfx = sz === 1 ? 'b' : 'h';
  def(
    `STREX${sfx.toUpperCase()}_T1`,
    `111010001100nnnn tttt(1)(1)(1)(1)${bits}dddd`,
    (c, f) => {
      const a = c.r[f.n!]!;
      if (c.exclusive === a) {
        if (sz === 1) c.write8(a, c.r[f.t!]!);
        else c.write16A(a, c.r[f.t!]!);
        c.r[f.d!] = 0;
      } else {
        c.alignOnly(a, sz);
        c.r[f.d!] = 1;
      }
      c.exclusive = -1;
      return 2;
    },
    (f) => `strex${sfx} ${R(f.d!)}, ${R(f.t!)}, [${R(f.n!)}]`,
    { over: ['STRD_imm_T1'], why: 'STRD with P=0 W=0 is the exclusive space (A5.3.6)' },
  );
  def(
    `LDREX${sfx.toUpperCase()}_T1`,
    `111010001101nnnn tttt(1)(1)(1)(1)${bits}(1)(1)(1)(1)`,
    (c, f) => {
      const a = c.r[f.n!]!;
      c.r[f.t!] = sz === 1 ? c.read8(a) : c.read16A(a);
      c.exclusive = a;
      return 2;
    },
    (f) => `ldrex${sfx} ${R(f.t!)}, [${R(f.n!)}]`,
    { over: ['LDRD_imm_T1'], why: 'LDRD with P=0 W=0 is the exclusive space (A5.3.6)' },
  );
}
def(
  'TBB_T1',
  '111010001101nnnn (1)(1)(1)(1)(0)(0)(0)(0)000hmmmm',
  (c, f) => {
    const base = c.r[f.n!]!;
    const off = f.h ? c.read16(base + (c.r[f.m!]! << 1)) : c.read8(base + c.r[f.m!]!);
    c.branch(c.pc + 4 + off * 2);
    return 2 + BR;
  },
  (f) => (f.h ? `tbh [${R(f.n!)}, ${R(f.m!)}, lsl #1]` : `tbb [${R(f.n!)}, ${R(f.m!)}]`),
  { over: ['LDRD_imm_T1'], why: 'LDRD with P=0 W=0 is the table-branch space (A5.3.6)' },
);
for (const [l, name] of [
  [0, 'STRD_imm_T1'],
  [1, 'LDRD_imm_T1'],
] as const) {
  def(
    name,
    `1110100PU1W${l}nnnn ttttTTTTiiiiiiii`,
    (c, f) => {
      if (f.P === 0 && f.W === 0) return c.undefinedInstruction();
      const base = f.n === 15 ? (c.pc + 4) & ~3 : c.r[f.n!]!;
      const off = f.U ? f.i! * 4 : -f.i! * 4;
      const addr = f.P ? base + off : base;
      if (l) {
        const v1 = c.read32A(addr);
        const v2 = c.read32A(addr + 4);
        c.r[f.t!] = v1;
        c.r[f.T!] = v2;
      } else {
        c.write32A(addr, c.r[f.t!]!);
        c.write32A(addr + 4, c.r[f.T!]!);
      }
      if (f.W) c.r[f.n!] = base + off;
      return 3;
    },
    (f) => {
      const o = `#${f.U ? '' : '-'}${f.i! * 4}`;
      const m = l ? 'ldrd' : 'strd';
      if (!f.P) return `${m} ${R(f.t!)}, ${R(f.T!)}, [${R(f.n!)}], ${o}`;
      return `${m} ${R(f.t!)}, ${R(f.T!)}, [${R(f.n!)}, ${o}]${f.W ? '!' : ''}`;
    },
  );
}
// Load/store single, A5.3.7-A5.3.10
interface LdSt {
  op: string;
  bits: string; // hw1[8:4] without bit 7 (size/sign), e.g. '0101' = LDR
  size: 1 | 2 | 4;
  load: boolean;
  signed: boolean;
}
const LDST: LdSt[] = [
  { op: 'STRB', bits: '000', size: 1, load: false, signed: false },
  { op: 'STRH', bits: '010', size: 2, load: false, signed: false },
  { op: 'STR', bits: '100', size: 4, load: false, signed: false },
  { op: 'LDRB', bits: '001', size: 1, load: true, signed: false },
  { op: 'LDRH', bits: '011', size: 2, load: true, signed: false },
  { op: 'LDR', bits: '101', size: 4, load: true, signed: false },
  { op: 'LDRSB', bits: '001', size: 1, load: true, signed: true },
  { op: 'LDRSH', bits: '011', size: 2, load: true, signed: true },
];
function loadValue(c: CortexM, a: number, size: number, signed: boolean): number {
  if (size === 4) return c.read32(a);
  if (size === 2) return signed ? sx16(c.read16(a)) : c.read16(a);
  return signed ? sx8(c.read8(a)) : c.read8(a);
}
function storeValue(c: CortexM, a: number, size: number, v: number): void {
  if (size === 4) c.write32(a, v);
  else if (size === 2) c.write16(a, v);
  else c.write8(a, v);
}
/**
 * Hand-specialised executors for the hottest load/store forms. Closures created in a loop share
 * one JIT feedback slot, so the generic executors below dispatch through a polymorphic call;
 * these distinct literals stay monomorphic and inline their memory access.
 */
const FAST_LDST: Record<string, Exec> = {
  LDR_imm12: (c, f) => {
    if (f.n === 15) return c.undefinedInstruction();
    const v = c.read32(c.r[f.n!]! + f.i!);
    if (f.t === 15) c.bxWrite(v);
    else c.r[f.t!] = v;
    return 2;
  },
  LDR_reg: (c, f) => {
    const v = c.read32(c.r[f.n!]! + (c.r[f.m!]! << f.i!));
    if (f.t === 15) c.bxWrite(v);
    else c.r[f.t!] = v;
    return 2;
  },
  LDR_imm8: (c, f) => {
    const base = c.r[f.n!]!;
    const off = f.U ? f.i! : -f.i!;
    if (f.P === 0 && f.W === 0) return c.undefinedInstruction();
    if (f.W && f.n === f.t) return c.undefinedInstruction();
    const v = c.read32(f.P ? base + off : base);
    if (f.W) c.r[f.n!] = base + off;
    if (f.t === 15) c.bxWrite(v);
    else c.r[f.t!] = v;
    return 2;
  },
  LDRB_imm12: (c, f) => {
    if (f.n === 15) return c.undefinedInstruction();
    c.r[f.t!] = c.read8(c.r[f.n!]! + f.i!);
    return 2;
  },
  LDRB_reg: (c, f) => {
    c.r[f.t!] = c.read8(c.r[f.n!]! + (c.r[f.m!]! << f.i!));
    return 2;
  },
  LDRB_imm8: (c, f) => {
    const base = c.r[f.n!]!;
    const off = f.U ? f.i! : -f.i!;
    if (f.P === 0 && f.W === 0) return c.undefinedInstruction();
    if (f.W && f.n === f.t) return c.undefinedInstruction();
    const v = c.read8(f.P ? base + off : base);
    if (f.W) c.r[f.n!] = base + off;
    c.r[f.t!] = v;
    return 2;
  },
  STR_imm12: (c, f) => {
    if (f.n === 15) return c.undefinedInstruction();
    c.write32(c.r[f.n!]! + f.i!, c.r[f.t!]!);
    return 2;
  },
  STR_reg: (c, f) => {
    c.write32(c.r[f.n!]! + (c.r[f.m!]! << f.i!), c.r[f.t!]!);
    return 2;
  },
  STR_imm8: (c, f) => {
    const base = c.r[f.n!]!;
    const off = f.U ? f.i! : -f.i!;
    if (f.P === 0 && f.W === 0) return c.undefinedInstruction();
    c.write32(f.P ? base + off : base, c.r[f.t!]!);
    if (f.W) c.r[f.n!] = base + off;
    return 2;
  },
  STRB_imm12: (c, f) => {
    if (f.n === 15) return c.undefinedInstruction();
    c.write8(c.r[f.n!]! + f.i!, c.r[f.t!]!);
    return 2;
  },
  STRB_imm8: (c, f) => {
    const base = c.r[f.n!]!;
    const off = f.U ? f.i! : -f.i!;
    if (f.P === 0 && f.W === 0) return c.undefinedInstruction();
    c.write8(f.P ? base + off : base, c.r[f.t!]!);
    if (f.W) c.r[f.n!] = base + off;
    return 2;
  },
};

for (const x of LDST) {
  const s = x.signed ? '1' : '0';
  const hwPrefix = `1111100${s}`;
  const sz = x.bits.slice(0, 2);
  const lbit = x.bits[2];
  const mn = x.op.toLowerCase();
  const isPreload = x.load && x.size < 4; // Rt=PC forms are PLD/PLI
  const ld = (c: CortexM, t: number, a: number): void => {
    if (x.load) {
      const v = loadValue(c, a, x.size, x.signed);
      if (t === 15) c.bxWrite(v);
      else c.r[t] = v;
    } else storeValue(c, a, x.size, c.r[t]!);
  };
  // imm12 (T2/T3)
  def(
    `${x.op}_imm12`,
    `${hwPrefix}1${sz}${lbit}nnnn ttttiiiiiiiiiiii`,
    FAST_LDST[`${x.op}_imm12`] ??
      ((c, f) => {
        // Stores with Rn=PC are UNDEFINED (A5.3.10); loads with Rn=PC are the literal form.
        if (f.n === 15) return c.undefinedInstruction();
        ld(c, f.t!, c.r[f.n!]! + f.i!);
        return 2;
      }),
    (f) => `${mn}.w ${R(f.t!)}, [${R(f.n!)}, #${f.i}]`,
  );
  // imm8 with P/U/W (T4) and unprivileged (T)
  def(
    `${x.op}_imm8`,
    `${hwPrefix}0${sz}${lbit}nnnn tttt1PUWiiiiiiii`,
    FAST_LDST[`${x.op}_imm8`] ??
      ((c, f) => {
        const base = c.r[f.n!]!;
        const off = f.U ? f.i! : -f.i!;
        const a = f.P ? base + off : base;
        if (f.P === 0 && f.W === 0) return c.undefinedInstruction();
        if (x.load && f.W && f.n === f.t) return c.undefinedInstruction();
        ld(c, f.t!, a);
        if (f.W) c.r[f.n!] = base + off;
        return 2;
      }),
    (f) => {
      const o = `#${f.U ? '' : '-'}${f.i}`;
      if (!f.P) return `${mn} ${R(f.t!)}, [${R(f.n!)}], ${o}`;
      return `${mn} ${R(f.t!)}, [${R(f.n!)}, ${o}]${f.W ? '!' : ''}`;
    },
  );
  def(
    `${x.op}T`,
    `${hwPrefix}0${sz}${lbit}nnnn tttt1110iiiiiiii`,
    (c, f) => {
      const a = c.r[f.n!]! + f.i!;
      if (x.load) {
        let v = c.readT(a, x.size);
        if (x.signed) v = x.size === 1 ? sx8(v) : sx16(v);
        c.r[f.t!] = v;
      } else c.writeT(a, x.size, c.r[f.t!]!);
      return 2;
    },
    (f) => `${mn}t ${R(f.t!)}, [${R(f.n!)}, #${f.i}]`,
    { over: [`${x.op}_imm8`], why: 'P=1 U=1 W=0 is the unprivileged form (A5.3.7)' },
  );
  def(
    `${x.op}_reg`,
    `${hwPrefix}0${sz}${lbit}nnnn tttt000000iimmmm`,
    FAST_LDST[`${x.op}_reg`] ?? ((c, f) => (ld(c, f.t!, c.r[f.n!]! + (c.r[f.m!]! << f.i!)), 2)),
    (f) => `${mn}.w ${R(f.t!)}, [${R(f.n!)}, ${R(f.m!)}${f.i ? `, lsl #${f.i}` : ''}]`,
  );
  if (x.load) {
    def(
      `${x.op}_lit`,
      `${hwPrefix}U${sz}${lbit}1111 ttttiiiiiiiiiiii`,
      (c, f) => {
        const base = (c.pc + 4) & ~3;
        ld(c, f.t!, f.U ? base + f.i! : base - f.i!);
        return 2;
      },
      (f, pc) =>
        `${mn}.w ${R(f.t!)}, [pc, #${f.U ? '' : '-'}${f.i}] ; ${hex((((pc + 4) & ~3) + (f.U ? f.i! : -f.i!)) >>> 0)}`,
      {
        over: [`${x.op}_imm12`, `${x.op}_imm8`, `${x.op}T`, `${x.op}_reg`],
        why: 'Rn=PC selects the literal form (A5.3.7-A5.3.10)',
      },
    );
  }
  if (isPreload) {
    const pl = x.signed ? 'PLI' : 'PLD';
    const names = x.size === 1 ? [pl] : [];
    for (const p of names) {
      def(
        `${p}_imm12`,
        `${hwPrefix}1${sz}${lbit}nnnn 1111iiiiiiiiiiii`,
        () => 1,
        (f) => `${p.toLowerCase()} [${R(f.n!)}, #${f.i}]`,
        {
          over: [`${x.op}_imm12`],
          why: `${x.op} with Rt=PC is ${p} (A5.3.9)`,
        },
      );
      def(
        `${p}_imm8`,
        `${hwPrefix}0${sz}${lbit}nnnn 11111100iiiiiiii`,
        () => 1,
        (f) => `${p.toLowerCase()} [${R(f.n!)}, #-${f.i}]`,
        {
          over: [`${x.op}_imm8`],
          why: `${x.op} with Rt=PC is ${p} (A5.3.9)`,
        },
      );
      def(
        `${p}_reg`,
        `${hwPrefix}0${sz}${lbit}nnnn 1111000000iimmmm`,
        () => 1,
        (f) => `${p.toLowerCase()} [${R(f.n!)}, ${R(f.m!)}, lsl #${f.i}]`,
        {
          over: [`${x.op}_reg`],
          why: `${x.op} with Rt=PC is ${p} (A5.3.9)`,
        },
      );
      def(
        `${p}_lit`,
        `${hwPrefix}U${sz}${lbit}1111 1111iiiiiiiiiiii`,
        () => 1,
        (f) => `${p.toLowerCase()} [pc, #${f.U ? '' : '-'}${f.i}]`,
        {
          over: [
            `${x.op}_lit`,
            `${x.op}_imm12`,
            `${x.op}_imm8`,
            `${x.op}_reg`,
            `${x.op}T`,
            `${p}_imm12`,
            `${p}_imm8`,
            `${p}_reg`,
          ],
          why: 'Rn=PC and Rt=PC is the literal preload (A5.3.9)',
        },
      );
    }
  }
}

// Data processing (shifted register), A5.3.11
for (const [op, bits, fn, logical] of dpOps) {
  const base = `${op}_reg_shift`;
  const exec: Exec =
    FAST_DP[base] ??
    ((c, f) => {
      const sh = f.sh!;
      const b = shiftC(c.r[f.m!]!, sh & 7, sh >>> 3, c.c);
      wr(c, f.d!, fn(c, c.r[f.n!]!, b, f.S === 1));
      return 1;
    });
  void logical;
  const prep = (f: Fields): void => void (f.sh = decodeImmShift(f.t!, f.i!));
  def(
    base,
    `1110101${bits}Snnnn (0)iiiddddiittmmmm`,
    exec,
    (f) =>
      `${op.toLowerCase()}${f.S ? 's' : ''}.w ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}${shiftText(f.sh!)}`,
    { prep },
  );
  const t = testForms[op];
  if (t) {
    def(
      `${t}_reg_shift`,
      `1110101${bits}1nnnn (0)iii1111iittmmmm`,
      (c, f) => {
        const sh = f.sh!;
        const b = shiftC(c.r[f.m!]!, sh & 7, sh >>> 3, c.c);
        fn(c, c.r[f.n!]!, b, true);
        return 1;
      },
      (f) => `${t.toLowerCase()}.w ${R(f.n!)}, ${R(f.m!)}${shiftText(f.sh!)}`,
      { over: [base], why: `${op}S with Rd=PC is ${t} (A5.3.11)`, prep },
    );
  }
  const m = moveForms[op];
  if (m) {
    def(
      `${m}_reg_shift`,
      `1110101${bits}S1111 (0)iiiddddiittmmmm`,
      (c, f) => {
        const sh = f.sh!;
        let res = shiftC(c.r[f.m!]!, sh & 7, sh >>> 3, c.c);
        if (op === 'ORN') res = ~res;
        wr(c, f.d!, res);
        if (f.S) {
          setNZ(c, res);
          c.c = aluOut.carry;
        }
        return 1;
      },
      (f) => {
        const sh = f.sh!;
        if (op === 'ORR' && !(sh === 0)) {
          return sh & 7 && (sh & 7) !== 4
            ? `${SHIFTN[sh & 7]}${f.S ? 's' : ''}.w ${R(f.d!)}, ${R(f.m!)}, #${sh >>> 3}`
            : (sh & 7) === 4
              ? `rrx${f.S ? 's' : ''} ${R(f.d!)}, ${R(f.m!)}`
              : `lsl${f.S ? 's' : ''}.w ${R(f.d!)}, ${R(f.m!)}, #${sh >>> 3}`;
        }
        return `${m.toLowerCase()}${f.S ? 's' : ''}.w ${R(f.d!)}, ${R(f.m!)}${shiftText(sh)}`;
      },
      { over: [base], why: `${op} with Rn=PC is ${m} / shift by immediate (A5.3.11)`, prep },
    );
  }
}
def(
  'PKH_T1',
  '111010101100nnnn (0)iiiddddiit0mmmm',
  (c, f) => {
    const n = c.r[f.n!]!;
    const sh = f.t ? shiftC(c.r[f.m!]!, 2, f.i! === 0 ? 32 : f.i!, 0) : c.r[f.m!]! << f.i!;
    c.r[f.d!] = f.t ? (n & 0xffff0000) | (sh & 0xffff) : (n & 0xffff) | (sh & 0xffff0000);
    return 1;
  },
  (f) =>
    `pkh${f.t ? 'tb' : 'bt'} ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}${f.i ? `, ${f.t ? 'asr' : 'lsl'} #${f.i}` : f.t ? ', asr #32' : ''}`,
);

// Data processing (register), A5.3.12
for (const [op, type] of [
  ['LSL', 0],
  ['LSR', 1],
  ['ASR', 2],
  ['ROR', 3],
] as const) {
  def(
    `${op}_reg_W`,
    `11111010 0${type.toString(2).padStart(2, '0')}Snnnn 1111dddd0000mmmm`,
    (c, f) => {
      const res = shiftC(c.r[f.n!]!, type, c.r[f.m!]! & 0xff, c.c);
      c.r[f.d!] = res;
      if (f.S) {
        setNZ(c, res);
        c.c = aluOut.carry;
      }
      return 1;
    },
    (f) => `${op.toLowerCase()}${f.S ? 's' : ''}.w ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
  );
}
const extOps: [string, string, (v: number) => number, boolean][] = [
  ['SXTH', '000', sx16, false],
  ['UXTH', '001', (v) => v & 0xffff, false],
  ['SXTB16', '010', (v) => (sx8(v) & 0xffff) | (sx8(v >>> 16) << 16) | 0, true],
  ['UXTB16', '011', (v) => v & 0x00ff00ff, true],
  ['SXTB', '100', sx8, false],
  ['UXTB', '101', (v) => v & 0xff, false],
];
for (const [op, bits, fn, dual] of extOps) {
  const acc = op.replace('XT', 'XTA');
  def(
    `${acc}_T1`,
    `11111010 0${bits}nnnn 1111dddd1(0)rrmmmm`,
    (c, f) => {
      const rot = f.r! * 8;
      const v = c.r[f.m!]!;
      const x = fn(rot ? (v >>> rot) | (v << (32 - rot)) : v);
      const n = c.r[f.n!]!;
      c.r[f.d!] = dual ? ((n + x) & 0xffff) | (((n >>> 16) + (x >>> 16)) << 16) | 0 : (n + x) | 0;
      return 1;
    },
    (f) =>
      `${acc.toLowerCase()} ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}${f.r ? `, ror #${f.r! * 8}` : ''}`,
  );
  def(
    `${op}_T2`,
    `11111010 0${bits}1111 1111dddd1(0)rrmmmm`,
    (c, f) => {
      const rot = f.r! * 8;
      const v = c.r[f.m!]!;
      c.r[f.d!] = fn(rot ? (v >>> rot) | (v << (32 - rot)) : v);
      return 1;
    },
    (f) =>
      `${op.toLowerCase()}${dual ? '' : '.w'} ${R(f.d!)}, ${R(f.m!)}${f.r ? `, ror #${f.r! * 8}` : ''}`,
    { over: [`${acc}_T1`], why: `${acc} with Rn=PC is ${op} (A5.3.12)` },
  );
}

// Parallel addition and subtraction, A5.3.13/14
const PAR_PREFIX: [string, string][] = [
  ['S', '000'],
  ['Q', '001'],
  ['SH', '010'],
  ['U', '100'],
  ['UQ', '101'],
  ['UH', '110'],
];
const PAR_OPS: [string, string][] = [
  ['ADD8', '000'],
  ['ADD16', '001'],
  ['ASX', '010'],
  ['SUB8', '100'],
  ['SUB16', '101'],
  ['SAX', '110'],
];
function parallel(c: CortexM, prefix: string, op: string, a: number, b: number): number {
  const signed = prefix[0] !== 'U';
  const mode = prefix.length === 1 ? (signed ? 'S' : 'U') : prefix.slice(1); // '' | Q | H
  const m = prefix === 'S' || prefix === 'U' ? 'G' : prefix.endsWith('Q') ? 'Q' : 'H';
  void mode;
  let res = 0;
  let ge = 0;
  if (op.endsWith('8')) {
    const sub = op === 'SUB8';
    for (let k = 0; k < 4; k++) {
      let x = (a >>> (8 * k)) & 0xff;
      let y = (b >>> (8 * k)) & 0xff;
      if (signed) {
        x = sx8(x);
        y = sx8(y);
      }
      const r = sub ? x - y : x + y;
      let lane: number;
      if (m === 'G') {
        lane = r & 0xff;
        if (signed ? r >= 0 : sub ? r >= 0 : r >= 0x100) ge |= 1 << k;
      } else if (m === 'Q') lane = (signed ? ssat(r, 8) : usat(r, 8)) & 0xff;
      else lane = (r >> 1) & 0xff;
      res |= lane << (8 * k);
    }
  } else {
    let al = a & 0xffff;
    let ah = (a >>> 16) & 0xffff;
    let bl = b & 0xffff;
    let bh = (b >>> 16) & 0xffff;
    if (signed) {
      al = sx16(al);
      ah = sx16(ah);
      bl = sx16(bl);
      bh = sx16(bh);
    }
    let r0: number, r1: number, s0: boolean, s1: boolean;
    switch (op) {
      case 'ADD16':
        r0 = al + bl;
        r1 = ah + bh;
        s0 = s1 = false;
        break;
      case 'SUB16':
        r0 = al - bl;
        r1 = ah - bh;
        s0 = s1 = true;
        break;
      case 'ASX':
        r0 = al - bh;
        r1 = ah + bl;
        s0 = true;
        s1 = false;
        break;
      default:
        r0 = al + bh;
        r1 = ah - bl;
        s0 = false;
        s1 = true;
        break;
    }
    const lanes = [r0, r1];
    const subs = [s0, s1];
    for (let k = 0; k < 2; k++) {
      const r = lanes[k]!;
      let lane: number;
      if (m === 'G') {
        lane = r & 0xffff;
        if (signed || subs[k] ? r >= 0 : r >= 0x10000) ge |= 3 << (2 * k);
      } else if (m === 'Q') lane = (signed ? ssat(r, 16) : usat(r, 16)) & 0xffff;
      else lane = (r >> 1) & 0xffff;
      res |= lane << (16 * k);
    }
  }
  if (m === 'G') c.ge = ge;
  return res | 0;
}
for (const [prefix, pbits] of PAR_PREFIX) {
  for (const [op, obits] of PAR_OPS) {
    const name = `${prefix}${op}`;
    def(
      `${name}_T1`,
      `111110101${obits}nnnn 1111dddd0${pbits}mmmm`,
      (c, f) => ((c.r[f.d!] = parallel(c, prefix, op, c.r[f.n!]!, c.r[f.m!]!)), 1),
      (f) => `${name.toLowerCase()} ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
    );
  }
}

// Miscellaneous operations, A5.3.15
const qops: [string, string][] = [
  ['QADD', '00'],
  ['QDADD', '01'],
  ['QSUB', '10'],
  ['QDSUB', '11'],
];
for (const [op, bits] of qops) {
  def(
    `${op}_T1`,
    `111110101000nnnn 1111dddd10${bits}mmmm`,
    (c, f) => {
      let n = c.r[f.n!]!;
      let q = 0;
      if (op === 'QDADD' || op === 'QDSUB') {
        n = ssat(n * 2, 32);
        q = aluOut.sat;
      }
      const m = c.r[f.m!]!;
      const res = ssat(op.includes('SUB') ? m - n : m + n, 32);
      if (q || aluOut.sat) c.q = 1;
      c.r[f.d!] = res;
      return 1;
    },
    (f) => `${op.toLowerCase()} ${R(f.d!)}, ${R(f.m!)}, ${R(f.n!)}`,
  );
}
const misc1: [string, string, string, (v: number) => number][] = [
  [
    'REV',
    '001',
    '00',
    (v) => (v >>> 24) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24) | 0,
  ],
  ['REV16', '001', '01', (v) => ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8) | 0],
  [
    'RBIT',
    '001',
    '10',
    (v) => {
      let x = v >>> 0;
      x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
      x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
      x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
      x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
      return (x >>> 16) | (x << 16) | 0;
    },
  ],
  ['REVSH', '001', '11', (v) => sx16(((v >>> 8) & 0xff) | ((v & 0xff) << 8))],
  ['CLZ', '011', '00', (v) => Math.clz32(v)],
];
for (const [op, o1, o2, fn] of misc1) {
  // Rm appears twice in these encodings; QEMU 7.2 uses the copy in hw2, so that is ours too.
  def(
    `${op}_T2`,
    `111110101${o1}xxxx 1111dddd10${o2}mmmm`,
    (c, f) => ((c.r[f.d!] = fn(c.r[f.m!]!)), 1),
    (f) => `${op.toLowerCase()}${op === 'CLZ' || op === 'RBIT' ? '' : '.w'} ${R(f.d!)}, ${R(f.m!)}`,
  );
}
def(
  'SEL_T1',
  '111110101010nnnn 1111dddd1000mmmm',
  (c, f) => {
    const n = c.r[f.n!]!;
    const m = c.r[f.m!]!;
    let res = 0;
    for (let k = 0; k < 4; k++) res |= ((((c.ge >>> k) & 1 ? n : m) >>> (8 * k)) & 0xff) << (8 * k);
    c.r[f.d!] = res;
    return 1;
  },
  (f) => `sel ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
);

// Multiply, multiply accumulate, absolute difference, A5.3.16
def(
  'MUL_T2',
  '111110110000nnnn 1111dddd0000mmmm',
  (c, f) => ((c.r[f.d!] = Math.imul(c.r[f.n!]!, c.r[f.m!]!)), 1),
  (f) => `mul.w ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
  { over: ['MLA_T1'], why: 'MLA with Ra=PC is MUL (A5.3.16)' },
);
def(
  'MLA_T1',
  '111110110000nnnn aaaadddd0000mmmm',
  (c, f) => ((c.r[f.d!] = (Math.imul(c.r[f.n!]!, c.r[f.m!]!) + c.r[f.a!]!) | 0), 2),
  (f) => `mla ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}, ${R(f.a!)}`,
);
def(
  'MLS_T1',
  '111110110000nnnn aaaadddd0001mmmm',
  (c, f) => ((c.r[f.d!] = (c.r[f.a!]! - Math.imul(c.r[f.n!]!, c.r[f.m!]!)) | 0), 2),
  (f) => `mls ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}, ${R(f.a!)}`,
);
const half = (v: number, top: number): number => (top ? v >> 16 : sx16(v));
def(
  'SMLAxy_T1',
  '111110110001nnnn aaaadddd00NMmmmm',
  (c, f) => {
    const p = half(c.r[f.n!]!, f.N!) * half(c.r[f.m!]!, f.M!);
    const res = p + c.r[f.a!]!;
    if (res !== (res | 0)) c.q = 1;
    c.r[f.d!] = res | 0;
    return 1;
  },
  (f) => `smla${f.N ? 't' : 'b'}${f.M ? 't' : 'b'} ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}, ${R(f.a!)}`,
);
def(
  'SMULxy_T1',
  '111110110001nnnn 1111dddd00NMmmmm',
  (c, f) => ((c.r[f.d!] = half(c.r[f.n!]!, f.N!) * half(c.r[f.m!]!, f.M!)), 1),
  (f) => `smul${f.N ? 't' : 'b'}${f.M ? 't' : 'b'} ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
  { over: ['SMLAxy_T1'], why: 'Ra=PC is the non-accumulating form (A5.3.16)' },
);
const dualProd = (c: CortexM, f: Fields, sub: boolean): number => {
  const n = c.r[f.n!]!;
  let m = c.r[f.m!]!;
  if (f.M) m = (m >>> 16) | (m << 16);
  const p1 = sx16(n) * sx16(m);
  const p2 = (n >> 16) * (m >> 16);
  return sub ? p1 - p2 : p1 + p2;
};
for (const [op, bits, sub] of [
  ['SMLAD', '010', false],
  ['SMLSD', '100', true],
] as const) {
  const mul = op.replace('SMLA', 'SMUA').replace('SMLS', 'SMUS');
  def(
    `${op}_T1`,
    `111110110${bits}nnnn aaaadddd000Mmmmm`,
    (c, f) => {
      const res = dualProd(c, f, sub) + c.r[f.a!]!;
      if (res !== (res | 0)) c.q = 1;
      c.r[f.d!] = res | 0;
      return 1;
    },
    (f) => `${op.toLowerCase()}${f.M ? 'x' : ''} ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}, ${R(f.a!)}`,
  );
  def(
    `${mul}_T1`,
    `111110110${bits}nnnn 1111dddd000Mmmmm`,
    (c, f) => {
      const res = dualProd(c, f, sub);
      if (res !== (res | 0)) c.q = 1;
      c.r[f.d!] = res | 0;
      return 1;
    },
    (f) => `${mul.toLowerCase()}${f.M ? 'x' : ''} ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
    { over: [`${op}_T1`], why: 'Ra=PC is the non-accumulating form (A5.3.16)' },
  );
}
def(
  'SMLAWy_T1',
  '111110110011nnnn aaaadddd000Mmmmm',
  (c, f) => {
    const p = Math.floor((c.r[f.n!]! * half(c.r[f.m!]!, f.M!)) / 65536);
    const res = p + c.r[f.a!]!;
    if (res !== (res | 0)) c.q = 1;
    c.r[f.d!] = res | 0;
    return 1;
  },
  (f) => `smlaw${f.M ? 't' : 'b'} ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}, ${R(f.a!)}`,
);
def(
  'SMULWy_T1',
  '111110110011nnnn 1111dddd000Mmmmm',
  (c, f) => ((c.r[f.d!] = Math.floor((c.r[f.n!]! * half(c.r[f.m!]!, f.M!)) / 65536) | 0), 1),
  (f) => `smulw${f.M ? 't' : 'b'} ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
  { over: ['SMLAWy_T1'], why: 'Ra=PC is the non-accumulating form (A5.3.16)' },
);
/**
 * 32x32 -> 64-bit multiply (signed or unsigned operands) as [hi, lo], int32 halves: 16-bit
 * limbs in doubles (every partial sum stays below 2^53, so exact), without BigInt (which
 * allocated and kept the multiplies out of V8's optimised code).
 */
export function mul64(a: number, b: number, signed: boolean): [number, number] {
  const ua = a >>> 0;
  const ub = b >>> 0;
  const al = ua & 0xffff;
  const ah = ua >>> 16;
  const bl = ub & 0xffff;
  const bh = ub >>> 16;
  const mid = ah * bl + al * bh; // < 2^33
  const low = al * bl + (mid % 65536) * 65536; // < 2^33
  let hi = ah * bh + Math.floor(mid / 65536) + Math.floor(low / 4294967296);
  // Signed operands: subtract 2^32 * (the other operand) for each negative one (mod 2^64).
  if (signed) hi = hi - (a < 0 ? ub : 0) - (b < 0 ? ua : 0);
  return [hi | 0, low | 0];
}
function add64(hi: number, lo: number, hi2: number, lo2: number): [number, number] {
  const l = (lo >>> 0) + (lo2 >>> 0);
  const carry = l > 0xffffffff ? 1 : 0;
  return [(hi + hi2 + carry) | 0, l | 0];
}
for (const [op, bits, r] of [
  ['SMMLA', '101', 0],
  ['SMMLS', '110', 0],
] as const) {
  void r;
  const mul = op === 'SMMLA' ? 'SMMUL' : null;
  const exec =
    (acc: boolean, subtract: boolean): Exec =>
    (c, f) => {
      const [ph, pl] = mul64(c.r[f.n!]!, c.r[f.m!]!, true);
      let hi = ph;
      let lo = pl;
      if (acc) {
        if (subtract) {
          // (Ra << 32) - product
          const [nh, nl] = add64(~ph, ~pl, 0, 1);
          [hi, lo] = add64(nh, nl, c.r[f.a!]!, 0);
        } else [hi, lo] = add64(ph, pl, c.r[f.a!]!, 0);
      }
      if (f.R) [hi] = add64(hi, lo, 0, 0x80000000);
      c.r[f.d!] = hi;
      return 1;
    };
  def(
    `${op}_T1`,
    `111110110${bits}nnnn aaaadddd000Rmmmm`,
    exec(true, op === 'SMMLS'),
    (f) => `${op.toLowerCase()}${f.R ? 'r' : ''} ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}, ${R(f.a!)}`,
  );
  if (mul) {
    def(
      `${mul}_T1`,
      `111110110${bits}nnnn 1111dddd000Rmmmm`,
      exec(false, false),
      (f) => `${mul.toLowerCase()}${f.R ? 'r' : ''} ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
      { over: [`${op}_T1`], why: 'Ra=PC is SMMUL (A5.3.16)' },
    );
  }
}
const usad = (a: number, b: number): number => {
  let s = 0;
  for (let k = 0; k < 4; k++) s += Math.abs(((a >>> (8 * k)) & 0xff) - ((b >>> (8 * k)) & 0xff));
  return s;
};
def(
  'USADA8_T1',
  '111110110111nnnn aaaadddd0000mmmm',
  (c, f) => ((c.r[f.d!] = (usad(c.r[f.n!]!, c.r[f.m!]!) + c.r[f.a!]!) | 0), 1),
  (f) => `usada8 ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}, ${R(f.a!)}`,
);
def(
  'USAD8_T1',
  '111110110111nnnn 1111dddd0000mmmm',
  (c, f) => ((c.r[f.d!] = usad(c.r[f.n!]!, c.r[f.m!]!)), 1),
  (f) => `usad8 ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
  { over: ['USADA8_T1'], why: 'Ra=PC is USAD8 (A5.3.16)' },
);

// Long multiply, long multiply accumulate, divide, A5.3.17
const divCycles = (q: number): number =>
  2 + Math.min(10, Math.max(0, 32 - Math.clz32(q >>> 0)) >>> 2);
def(
  'SDIV_T1',
  '111110111001nnnn (1)(1)(1)(1)dddd1111mmmm',
  (c, f) => {
    const m = c.r[f.m!]!;
    if (m === 0) {
      c.r[f.d!] = c.divideByZero();
      return 2;
    }
    const n = c.r[f.n!]!;
    const q = n === -0x80000000 && m === -1 ? n : (n / m) | 0;
    c.r[f.d!] = q;
    return divCycles(q);
  },
  (f) => `sdiv ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
);
def(
  'UDIV_T1',
  '111110111011nnnn (1)(1)(1)(1)dddd1111mmmm',
  (c, f) => {
    const m = c.r[f.m!]! >>> 0;
    if (m === 0) {
      c.r[f.d!] = c.divideByZero();
      return 2;
    }
    const q = Math.floor((c.r[f.n!]! >>> 0) / m) | 0;
    c.r[f.d!] = q;
    return divCycles(q);
  },
  (f) => `udiv ${R(f.d!)}, ${R(f.n!)}, ${R(f.m!)}`,
);
const longOps: [string, string, string, (c: CortexM, f: Fields) => void][] = [
  [
    'SMULL',
    '000',
    '0000',
    (c, f) => {
      const [h, l] = mul64(c.r[f.n!]!, c.r[f.m!]!, true);
      c.r[f.l!] = l;
      c.r[f.h!] = h;
    },
  ],
  [
    'UMULL',
    '010',
    '0000',
    (c, f) => {
      const [h, l] = mul64(c.r[f.n!]!, c.r[f.m!]!, false);
      c.r[f.l!] = l;
      c.r[f.h!] = h;
    },
  ],
  [
    'SMLAL',
    '100',
    '0000',
    (c, f) => {
      const [h, l] = mul64(c.r[f.n!]!, c.r[f.m!]!, true);
      const [h2, l2] = add64(h, l, c.r[f.h!]!, c.r[f.l!]!);
      c.r[f.l!] = l2;
      c.r[f.h!] = h2;
    },
  ],
  [
    'UMLAL',
    '110',
    '0000',
    (c, f) => {
      const [h, l] = mul64(c.r[f.n!]!, c.r[f.m!]!, false);
      const [h2, l2] = add64(h, l, c.r[f.h!]!, c.r[f.l!]!);
      c.r[f.l!] = l2;
      c.r[f.h!] = h2;
    },
  ],
  [
    'UMAAL',
    '110',
    '0110',
    (c, f) => {
      const [h, l] = mul64(c.r[f.n!]!, c.r[f.m!]!, false);
      const [h2, l2] = add64(h, l, 0, c.r[f.h!]!);
      const [h3, l3] = add64(h2, l2, 0, c.r[f.l!]!);
      c.r[f.l!] = l3;
      c.r[f.h!] = h3;
    },
  ],
];
for (const [op, o1, o2, fn] of longOps) {
  def(
    `${op}_T1`,
    `111110111${o1}nnnn llllhhhh${o2}mmmm`,
    (c, f) => (fn(c, f), op.includes('LA') ? 2 : 1),
    (f) => `${op.toLowerCase()} ${R(f.l!)}, ${R(f.h!)}, ${R(f.n!)}, ${R(f.m!)}`,
  );
}
def(
  'SMLALxy_T1',
  '111110111100nnnn llllhhhh10NMmmmm',
  (c, f) => {
    const p = half(c.r[f.n!]!, f.N!) * half(c.r[f.m!]!, f.M!);
    const [h, l] = add64(c.r[f.h!]!, c.r[f.l!]!, p < 0 ? -1 : 0, p | 0);
    c.r[f.l!] = l;
    c.r[f.h!] = h;
    return 2;
  },
  (f) => `smlal${f.N ? 't' : 'b'}${f.M ? 't' : 'b'} ${R(f.l!)}, ${R(f.h!)}, ${R(f.n!)}, ${R(f.m!)}`,
);
for (const [op, o1, sub] of [
  ['SMLALD', '100', false],
  ['SMLSLD', '101', true],
] as const) {
  def(
    `${op}_T1`,
    `111110111${o1}nnnn llllhhhh110Mmmmm`,
    (c, f) => {
      const p = dualProd(c, f, sub);
      const [h, l] = add64(c.r[f.h!]!, c.r[f.l!]!, p < 0 ? -1 : 0, p | 0);
      c.r[f.l!] = l;
      c.r[f.h!] = h;
      return 2;
    },
    (f) => `${op.toLowerCase()}${f.M ? 'x' : ''} ${R(f.l!)}, ${R(f.h!)}, ${R(f.n!)}, ${R(f.m!)}`,
  );
}

// Coprocessor and FP space, A5.3.18: no coprocessors; CP10/CP11 are the FPU.
function coproc(c: CortexM, f: Fields): number {
  const cp = f.c!;
  if ((cp === 10 || cp === 11) && c.config.fpu) {
    const access = (c.cpacr >>> (cp === 10 ? 20 : 22)) & 3;
    if (access === 0 || (access === 1 && !c.privileged())) return c.noCoprocessor();
    // FPU enabled but FP emulation is not part of this core yet: report as UNDEFINED.
    return c.undefinedInstruction();
  }
  return c.noCoprocessor();
}
def(
  'COPROC_T1',
  '111011oooooonnnn ttttcccciiiiiiii',
  coproc,
  (f) => `cdp/ldc/mcr p${f.c} ; coprocessor op ${hex(f.o!)}`,
);
def(
  'COPROC_T2',
  '111111oooooonnnn ttttcccciiiiiiii',
  coproc,
  (f) => `cdp2/ldc2/mcr2 p${f.c} ; coprocessor op ${hex(f.o!)}`,
);

// ---------------------------------------------------------------------------------------------
// Lookup tables
// ---------------------------------------------------------------------------------------------

export const ENCODING_NAMES: readonly string[] = ENCODINGS.map((e) => e.name);
export const ALL_ENCODINGS: readonly Encoding[] = ENCODINGS;

/**
 * Decode priority: an encoding that overrides another (declared in `over`) is tried first;
 * otherwise table order. A depth-first topological sort; a cycle is a table bug.
 */
function priorityOrder(): Encoding[] {
  const byName = new Map(ENCODINGS.map((e) => [e.name, e]));
  const overriders = new Map<string, Encoding[]>();
  for (const e of ENCODINGS) {
    for (const o of e.over) {
      if (!byName.has(o)) throw new Error(`${e.name} overrides unknown encoding ${o}`);
      let l = overriders.get(o);
      if (!l) overriders.set(o, (l = []));
      l.push(e);
    }
  }
  const out: Encoding[] = [];
  const state = new Map<string, number>();
  const visit = (e: Encoding): void => {
    const st = state.get(e.name);
    if (st === 2) return;
    if (st === 1) throw new Error(`override cycle at ${e.name}`);
    state.set(e.name, 1);
    for (const o of overriders.get(e.name) ?? []) visit(o);
    state.set(e.name, 2);
    out.push(e);
  };
  for (const e of ENCODINGS) visit(e);
  return out;
}
/** Encodings in the order the decoder tries them. */
export const DECODE_ORDER: readonly Encoding[] = priorityOrder();
const byPriority = DECODE_ORDER;

const UNDEF16: Encoding = {
  name: 'UNDEFINED16',
  source: '',
  pattern: parsePattern('xxxxxxxxxxxxxxxx'),
  over: [],
  why: '',
  prep: null,
  select: null,
  exec: (c) => c.undefinedInstruction(),
  dis: () => 'udf ; undefined',
  index: -1,
};
const UNDEF32: Encoding = {
  ...UNDEF16,
  name: 'UNDEFINED32',
  pattern: parsePattern('x'.repeat(32)),
  dis: () => 'udf.w ; undefined',
};

/** Coverage slots after the table's encodings for unmatched (UNDEFINED) halfwords and words. */
export const UNDEFINED16_INDEX = ENCODINGS.length;
export const UNDEFINED32_INDEX = ENCODINGS.length + 1;
/** Coverage names: the table's encodings, then UNDEFINED16 and UNDEFINED32. */
export const COVERAGE_NAMES: readonly string[] = [
  ...ENCODINGS.map((e) => e.name),
  UNDEF16.name,
  UNDEF32.name,
];

const table16: (Encoding | null)[] = new Array(65536).fill(null);
{
  const list16 = byPriority.filter((e) => e.pattern.width === 16);
  for (let hw = 0; hw < 0xe800; hw++) {
    for (const e of list16) {
      if ((hw & e.pattern.mask) === e.pattern.value) {
        table16[hw] = e;
        break;
      }
    }
  }
}
/** 32-bit buckets keyed by hw1[12:4] and hw2[15]. */
const buckets32: Encoding[][] = [];
for (let k = 0; k < 1024; k++) buckets32.push([]);
for (const e of byPriority) {
  if (e.pattern.width !== 32) continue;
  const keyMask = (((e.pattern.mask >>> 20) & 0x1ff) << 1) | ((e.pattern.mask >>> 15) & 1);
  const keyVal = (((e.pattern.value >>> 20) & 0x1ff) << 1) | ((e.pattern.value >>> 15) & 1);
  for (let k = 0; k < 1024; k++) if ((k & keyMask) === keyVal) buckets32[k]!.push(e);
}

/** Finds the encoding for a halfword pair (hw2 ignored for 16-bit instructions). */
export function findEncoding(hw1: number, hw2: number): Encoding {
  if (hw1 >>> 11 < 0x1d) return table16[hw1] ?? UNDEF16;
  const word = ((hw1 << 16) | hw2) >>> 0;
  const bucket = buckets32[(((hw1 >>> 4) & 0x1ff) << 1) | (hw2 >>> 15)]!;
  for (const e of bucket) if ((word & e.pattern.mask) >>> 0 === e.pattern.value) return e;
  return UNDEF32;
}

export function decode(hw1: number, hw2: number): Insn {
  const is32 = hw1 >>> 11 >= 0x1d;
  const word = is32 ? ((hw1 << 16) | hw2) >>> 0 : hw1;
  const known = DECODED.get(word);
  if (known !== undefined) return known;
  const e = findEncoding(hw1, hw2);
  const f = extractFields(e.pattern, word);
  if (e.prep) e.prep(f);
  const exec = e.select ? e.select(f) : e.exec;
  const index = e === UNDEF16 ? UNDEFINED16_INDEX : e === UNDEF32 ? UNDEFINED32_INDEX : e.index;
  const insn = new Insn(exec, f, is32 ? 4 : 2, index, e);
  if (DECODED.size >= MAX_DECODED) DECODED.clear();
  DECODED.set(word, insn);
  return insn;
}

/**
 * Decoded instructions by their word (a 16-bit one by its halfword: below 0x10000, where no
 * 32-bit word lies, since those start 0xe8xx or above). An Insn and its fields are never
 * changed after `decode` (prep runs here, once), so every session and every address with the
 * same word shares one. Why: each session decodes its program afresh (its code cache starts
 * empty), and the 32-bit bucket search and the fields object cost ~1 µs an instruction: a few
 * % of a short session of bench2 (its later sessions' first 10^6 instructions).
 */
const DECODED = new Map<number, Insn>();
const MAX_DECODED = 1 << 16;

/** Text of the instruction at `pc`. */
export function disassembleWord(
  hw1: number,
  hw2: number,
  pc: number,
): { text: string; size: 2 | 4; encoding: string } {
  const insn = decode(hw1, hw2);
  return { text: insn.encoding.dis(insn.f, pc), size: insn.size, encoding: insn.encoding.name };
}

/** Assembles one encoding from its raw fields; returns the halfwords in program order. */
export function assembleEncoding(name: string, fields: Fields): number[] {
  const e = ENCODINGS.find((x) => x.name === name);
  if (!e) throw new Error(`unknown encoding ${name}`);
  const word = insertFields(e.pattern, fields, name);
  return e.pattern.width === 16 ? [word] : [word >>> 16, word & 0xffff];
}
