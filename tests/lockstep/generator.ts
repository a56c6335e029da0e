/**
 * Random program generator for lockstep: GNU assembly text covering the ARMv7E-M Thumb
 * instruction set with random operands and flags.
 *
 * Each program sets every register and the APSR (NZCVQ and GE) to random values, then runs a
 * long straight-line body drawn from templates: one or a few instructions per encoding class
 * (16-bit and 32-bit data processing, modified and plain immediates, shifts, multiplies and
 * DSP, parallel and saturating arithmetic, extends, bit-field ops, every load/store addressing
 * mode, load/store multiple, exclusives, branches, compare-and-branch, table branches, IT
 * blocks, status-register moves, barriers, hints including YIELD/WFE/WFI, and BKPT, which
 * a HardFault handler steps over). Operands avoid architecturally UNPREDICTABLE
 * choices (PC/SP as data registers, writeback to a loaded register, equal RdLo/RdHi...), so any
 * divergence is a real difference. r11 always points at a scratch data area. The program ends
 * at the `done` label, which the driver uses as its stop address. Output is deterministic for a
 * seed.
 */

export class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  next(): number {
    // xorshift32: fast, deterministic, good enough for operand selection.
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bool(): boolean {
    return (this.next() & 1) === 1;
  }
}

const LOW = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
/** Data registers for 32-bit encodings: everything except r11 (scratch base), SP and PC. */
const ANY = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r12'];
const CONDS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le'];
const SHIFTS = ['lsl', 'lsr', 'asr', 'ror'];
const SCRATCH_BYTES = 1024;

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** A random constant encodable as a Thumb-2 modified immediate. */
function modImm(r: Rng): number {
  const b = r.int(256);
  switch (r.int(5)) {
    case 0:
      return b;
    case 1:
      return (b << 16) | b;
    case 2:
      return ((b << 24) | (b << 8)) >>> 0;
    case 3:
      return ((b << 24) | (b << 16) | (b << 8) | b) >>> 0;
    default: {
      const rot = 8 + r.int(24);
      const v = 0x80 | (b & 0x7f);
      return ((v << (32 - rot)) | (v >>> rot)) >>> 0;
    }
  }
}

function distinct(r: Rng, pool: readonly string[], n: number): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const x = r.pick(pool);
    if (!out.includes(x)) out.push(x);
  }
  return out;
}

type Template = (r: Rng, label: () => string) => string[];

const dp16: Template[] = [
  (r) => [`movs ${r.pick(LOW)}, #${r.int(256)}`],
  (r) => [`movs ${r.pick(LOW)}, ${r.pick(LOW)}`],
  (r) => [`${r.pick(['adds', 'subs'])} ${r.pick(LOW)}, ${r.pick(LOW)}, #${r.int(8)}`],
  (r) => [`${r.pick(['adds', 'subs'])} ${r.pick(LOW)}, #${r.int(256)}`],
  (r) => [`${r.pick(['adds', 'subs'])} ${r.pick(LOW)}, ${r.pick(LOW)}, ${r.pick(LOW)}`],
  (r) => [`cmp ${r.pick(LOW)}, #${r.int(256)}`],
  (r) => [
    `${r.pick(['ands', 'eors', 'orrs', 'bics', 'mvns', 'tst', 'cmp', 'cmn', 'adcs', 'sbcs', 'muls'])} ${r.pick(LOW)}, ${r.pick(LOW)}`,
  ],
  (r) => [`${r.pick(['lsls', 'lsrs', 'asrs', 'rors'])} ${r.pick(LOW)}, ${r.pick(LOW)}`],
  (r) => [`${r.pick(['lsls', 'lsrs', 'asrs'])} ${r.pick(LOW)}, ${r.pick(LOW)}, #${1 + r.int(31)}`],
  (r) => [`rsbs ${r.pick(LOW)}, ${r.pick(LOW)}, #0`],
  (r) => [`add ${r.pick(ANY)}, ${r.pick(ANY)}`],
  (r) => [`mov ${r.pick(ANY)}, ${r.pick(ANY)}`],
  (r) => {
    const [a, b] = distinct(r, ANY, 2);
    return [`cmp ${a}, ${b}`];
  },
  (r) => [
    `${r.pick(['sxtb', 'sxth', 'uxtb', 'uxth', 'rev', 'rev16', 'revsh'])} ${r.pick(LOW)}, ${r.pick(LOW)}`,
  ],
  (r) => [`add ${r.pick(LOW)}, sp, #${4 * r.int(256)}`],
  (r) => [`adr ${r.pick(LOW)}, 1f`, 'b 2f', '.align 2', '1: .word 0', '2:'],
  (r) => {
    const rd = r.pick(LOW);
    return [`ldr ${rd}, 1f`, 'b 2f', '.align 2', `1: .word ${hex(r.next())}`, '2:'];
  },
  () => ['nop'],
];

const dp32: Template[] = [
  (r) => [
    `${r.pick(['and', 'bic', 'orr', 'orn', 'eor', 'add', 'adc', 'sbc', 'sub', 'rsb'])}${r.pick(['', 's'])}.w ${r.pick(ANY)}, ${r.pick(ANY)}, #${hex(modImm(r))}`,
  ],
  (r) => [`${r.pick(['tst', 'teq', 'cmn', 'cmp'])}.w ${r.pick(ANY)}, #${hex(modImm(r))}`],
  (r) => [`${r.pick(['mov', 'mvn'])}${r.pick(['', 's'])}.w ${r.pick(ANY)}, #${hex(modImm(r))}`],
  (r) => [`${r.pick(['addw', 'subw'])} ${r.pick(ANY)}, ${r.pick(ANY)}, #${r.int(4096)}`],
  (r) => [`movw ${r.pick(ANY)}, #${r.int(65536)}`],
  (r) => [`movt ${r.pick(ANY)}, #${r.int(65536)}`],
  (r) => [`adr.w ${r.pick(ANY)}, 1f`, 'nop', '1:'],
  (r) => [
    `${r.pick(['ssat', 'usat'])} ${r.pick(ANY)}, #${1 + r.int(31)}, ${r.pick(ANY)}${r.bool() ? `, ${r.pick(['lsl', 'asr'])} #${1 + r.int(31)}` : ''}`,
  ],
  (r) => [`ssat16 ${r.pick(ANY)}, #${1 + r.int(16)}, ${r.pick(ANY)}`],
  (r) => [`usat16 ${r.pick(ANY)}, #${r.int(16)}, ${r.pick(ANY)}`],
  (r) => {
    const lsb = r.int(32);
    return [
      `${r.pick(['sbfx', 'ubfx'])} ${r.pick(ANY)}, ${r.pick(ANY)}, #${lsb}, #${1 + r.int(32 - lsb)}`,
    ];
  },
  (r) => {
    const lsb = r.int(32);
    return [`bfi ${r.pick(ANY)}, ${r.pick(ANY)}, #${lsb}, #${1 + r.int(32 - lsb)}`];
  },
  (r) => {
    const lsb = r.int(32);
    return [`bfc ${r.pick(ANY)}, #${lsb}, #${1 + r.int(32 - lsb)}`];
  },
  (r) => [
    `${r.pick(['and', 'bic', 'orr', 'orn', 'eor', 'add', 'adc', 'sbc', 'sub', 'rsb'])}${r.pick(['', 's'])}.w ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(SHIFTS)} #${1 + r.int(31)}`,
  ],
  (r) => [
    `${r.pick(['and', 'orr', 'eor', 'add', 'sub'])}${r.pick(['', 's'])}.w ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}, rrx`,
  ],
  (r) => [
    `${r.pick(['tst', 'teq', 'cmn', 'cmp'])}.w ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(SHIFTS)} #${1 + r.int(31)}`,
  ],
  (r) => [`${r.pick(['mov', 'mvn'])}${r.pick(['', 's'])}.w ${r.pick(ANY)}, ${r.pick(ANY)}`],
  (r) => [
    `mvn${r.pick(['', 's'])}.w ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(SHIFTS)} #${1 + r.int(31)}`,
  ],
  (r) => [
    `${r.pick(['lsl', 'lsr', 'asr', 'ror'])}${r.pick(['', 's'])}.w ${r.pick(ANY)}, ${r.pick(ANY)}, #${1 + r.int(31)}`,
  ],
  (r) => [`rrx${r.pick(['', 's'])} ${r.pick(ANY)}, ${r.pick(ANY)}`],
  (r) => [
    `${r.pick(['lsl', 'lsr', 'asr', 'ror'])}${r.pick(['', 's'])}.w ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`,
  ],
  (r) => [
    `${r.pick(['clz', 'rbit', 'rev.w', 'rev16.w', 'revsh.w'])} ${r.pick(ANY)}, ${r.pick(ANY)}`,
  ],
];

const mul: Template[] = [
  (r) => [`${r.pick(['mul', 'sdiv', 'udiv'])} ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`],
  (r) => [
    `${r.pick(['mla', 'mls'])} ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`,
  ],
  (r) => {
    const [lo, hi] = distinct(r, ANY, 2);
    return [
      `${r.pick(['smull', 'umull', 'smlal', 'umlal', 'umaal', 'smlalbb', 'smlalbt', 'smlaltb', 'smlaltt', 'smlald', 'smlaldx', 'smlsld', 'smlsldx'])} ${lo}, ${hi}, ${r.pick(ANY)}, ${r.pick(ANY)}`,
    ];
  },
  (r) => [
    `${r.pick(['smulbb', 'smulbt', 'smultb', 'smultt', 'smulwb', 'smulwt', 'smuad', 'smuadx', 'smusd', 'smusdx', 'smmul', 'smmulr', 'usad8'])} ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`,
  ],
  (r) => [
    `${r.pick(['smlabb', 'smlabt', 'smlatb', 'smlatt', 'smlawb', 'smlawt', 'smlad', 'smladx', 'smlsd', 'smlsdx', 'smmla', 'smmlar', 'smmls', 'smmlsr', 'usada8'])} ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`,
  ],
];

const PARALLEL = ['add16', 'asx', 'sax', 'sub16', 'add8', 'sub8'];
const dsp: Template[] = [
  (r) => [
    `${r.pick(['s', 'sh', 'u', 'uh'])}${r.pick(PARALLEL)} ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`,
  ],
  (r) => [`sel ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`],
  (r) => [
    `${r.pick(['sxtb', 'sxth', 'uxtb', 'uxth', 'sxtb16', 'uxtb16'])}${r.pick(['.w', ''])} ${r.pick(ANY)}, ${r.pick(ANY)}${r.bool() ? `, ror #${r.pick([8, 16, 24])}` : ''}`.replace(
      /(16)\.w/,
      '$1',
    ),
  ],
  (r) => [
    `${r.pick(['sxtab', 'sxtah', 'uxtab', 'uxtah', 'sxtab16', 'uxtab16'])} ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}${r.bool() ? `, ror #${r.pick([8, 16, 24])}` : ''}`,
  ],
  (r) => [
    r.bool()
      ? `pkhbt ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}, lsl #${r.int(32)}`
      : `pkhtb ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}, asr #${1 + r.int(31)}`,
  ],
];

/** Saturating arithmetic: QADD family and the saturating parallel forms. */
const saturating: Template[] = [
  (r) => [
    `${r.pick(['q', 'uq'])}${r.pick(PARALLEL)} ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`,
  ],
  (r) => [
    `${r.pick(['qadd', 'qsub', 'qdadd', 'qdsub'])} ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`,
  ],
];

/** Loads and stores: the base is a copy of r11 so writeback never moves the scratch pointer. */
const mem: Template[] = [
  (r) => {
    const size = r.pick([
      ['ldr', 'str', 4, 124],
      ['ldrb', 'strb', 1, 31],
      ['ldrh', 'strh', 2, 62],
    ] as const);
    const [rt, rb] = distinct(r, LOW, 2);
    const off = r.int(size[3] / size[2] + 1) * size[2];
    return [`mov ${rb}, r11`, `${r.bool() ? size[0] : size[1]} ${rt}, [${rb}, #${off}]`];
  },
  (r) => {
    const [rt, rb, rm] = distinct(r, LOW, 3);
    const op = r.pick(['ldr', 'str', 'ldrb', 'strb', 'ldrh', 'strh', 'ldrsb', 'ldrsh']);
    return [`mov ${rb}, r11`, `movs ${rm}, #${4 * r.int(64)}`, `${op} ${rt}, [${rb}, ${rm}]`];
  },
  (r) => [`${r.bool() ? 'ldr' : 'str'} ${r.pick(LOW)}, [sp, #${4 * r.int(8)}]`],
  (r) => {
    const [rt, rb] = distinct(r, ANY, 2);
    const op = r.pick(['ldr', 'str', 'ldrb', 'strb', 'ldrh', 'strh', 'ldrsb', 'ldrsh']);
    const off = r.int(SCRATCH_BYTES - 4) & ~3;
    return [`mov ${rb}, r11`, `${op}.w ${rt}, [${rb}, #${off}]`];
  },
  (r) => {
    const [rt, rb] = distinct(r, ANY, 2);
    const op = r.pick(['ldr', 'str', 'ldrb', 'strb', 'ldrh', 'strh', 'ldrsb', 'ldrsh']);
    const mode = r.int(3);
    const off = 4 * (1 + r.int(60));
    const addr =
      mode === 0
        ? `[${rb}, #-${off & 0xff}]`
        : mode === 1
          ? `[${rb}, #${off}]!`
          : `[${rb}], #${off}`;
    return [`add ${rb}, r11, #256`, `${op} ${rt}, ${addr}`];
  },
  (r) => {
    const [rt, rb, rm] = distinct(r, ANY, 3);
    const op = r.pick(['ldr', 'str', 'ldrb', 'strb', 'ldrh', 'strh', 'ldrsb', 'ldrsh']);
    return [
      `mov ${rb}, r11`,
      `mov ${rm}, #${r.int(64)}`,
      `${op}.w ${rt}, [${rb}, ${rm}, lsl #${r.int(4)}]`,
    ];
  },
  (r) => {
    const [rt, rb] = distinct(r, ANY, 2);
    return [
      `mov ${rb}, r11`,
      `${r.pick(['ldrt', 'strt', 'ldrbt', 'strbt', 'ldrht', 'strht', 'ldrsbt', 'ldrsht'])} ${rt}, [${rb}, #${r.int(256)}]`,
    ];
  },
  (r) => {
    const [rt, rt2, rb] = distinct(r, ANY, 3);
    const mode = r.int(3);
    const off = 4 * r.int(32);
    const addr =
      mode === 0 ? `[${rb}, #${off}]` : mode === 1 ? `[${rb}, #${off}]!` : `[${rb}], #-${off}`;
    return [`add ${rb}, r11, #512`, `${r.bool() ? 'ldrd' : 'strd'} ${rt}, ${rt2}, ${addr}`];
  },
  (r) => {
    const rt = r.pick(ANY);
    return [
      `${r.pick(['ldr', 'ldrb', 'ldrh', 'ldrsb', 'ldrsh'])}.w ${rt}, 1f`,
      'b 2f',
      '.align 2',
      `1: .word ${hex(r.next())}`,
      '2:',
    ];
  },
  (r) => {
    const rb = r.pick(LOW);
    const regs = distinct(
      r,
      LOW.filter((x) => x !== rb),
      1 + r.int(4),
    ).sort();
    return [`mov ${rb}, r11`, `${r.bool() ? 'ldmia' : 'stmia'} ${rb}!, {${regs.join(', ')}}`];
  },
  (r) => {
    const rb = r.pick(ANY);
    const regs = distinct(
      r,
      ANY.filter((x) => x !== rb),
      2 + r.int(5),
    ).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    const op = r.pick(['ldmia', 'stmia', 'ldmdb', 'stmdb']);
    return [`add ${rb}, r11, #512`, `${op}.w ${rb}${r.bool() ? '!' : ''}, {${regs.join(', ')}}`];
  },
  (r) => {
    const regs = distinct(r, LOW, 1 + r.int(5)).sort();
    const withLr = r.bool() ? ', lr' : '';
    // Pop exactly what was pushed so SP stays balanced.
    return [`push {${regs.join(', ')}${withLr}}`, `pop {${regs.join(', ')}${withLr}}`];
  },
  (r) => {
    const regs = distinct(r, ANY, 2 + r.int(4)).sort(
      (a, b) => Number(a.slice(1)) - Number(b.slice(1)),
    );
    return [`push.w {${regs.join(', ')}}`, `pop.w {${regs.join(', ')}}`];
  },
  (r) => {
    const [rt, rb, rd] = distinct(r, ANY, 3);
    const kind = r.pick([
      ['ldrex', 'strex', 4],
      ['ldrexb', 'strexb', 1],
      ['ldrexh', 'strexh', 2],
    ] as const);
    const off = kind[2] === 4 ? `, #${4 * r.int(64)}` : '';
    const lines = [`mov ${rb}, r11`, `${kind[0]} ${rt}, [${rb}${off}]`];
    if (r.int(4) === 0) lines.push('clrex');
    lines.push(`${kind[1]} ${rd}, ${rt}, [${rb}${off}]`);
    return lines;
  },
  (r) => [`pld [r11, #${r.int(1024)}]`],
  (r) => [`${r.pick(['pld', 'pli'])} [r11, #-${1 + r.int(255)}]`],
  (r) => [`pli [r11, #${r.int(1024)}]`],
  (r) => {
    const rx = r.pick(LOW);
    return [
      `movs ${rx}, #${r.int(64)}`,
      `${r.pick(['pld', 'pli'])} [r11, ${rx}, lsl #${r.int(4)}]`,
    ];
  },
  (r) => [`${r.pick(['pld', 'pli'])} 1f`, 'b 2f', '.align 2', '1: .word 0', '2:'],
  (r) => {
    const n = 4 * (1 + r.int(127));
    return [`sub sp, #${n}`, `add sp, #${n}`];
  },
];

const branch: Template[] = [
  (r) => ['b 1f', `movs ${r.pick(LOW)}, #${r.int(256)}`, '1:'],
  (r) => [`b${r.pick(CONDS)} 1f`, `movs ${r.pick(LOW)}, #${r.int(256)}`, '1:'],
  (r) => [`b${r.pick(CONDS)}.w 1f`, `add.w ${r.pick(ANY)}, ${r.pick(ANY)}, #1`, '1:'],
  () => ['b.w 1f', 'nop', '1:'],
  (r) => [`${r.pick(['cbz', 'cbnz'])} ${r.pick(LOW)}, 1f`, `adds ${r.pick(LOW)}, #1`, '1:'],
  (r) => ['bl 1f', 'b 2f', `1: eor ${r.pick(ANY)}, ${r.pick(ANY)}, #${r.int(256)}`, 'bx lr', '2:'],
  (r) => {
    const rx = r.pick(LOW);
    return [`adr ${rx}, 1f`, `adds ${rx}, #1`, `blx ${rx}`, 'b 2f', '.align 2', '1: bx lr', '2:'];
  },
  (r) => {
    const rx = r.pick(LOW);
    return [`adr ${rx}, 1f`, `adds ${rx}, #1`, `bx ${rx}`, 'nop', '.align 2', '1:'];
  },
  (r) => {
    const rx = r.pick(LOW);
    return [
      `movs ${rx}, #${r.int(3)}`,
      `tbb [pc, ${rx}]`,
      '0: .byte (1f-0b)/2, (2f-0b)/2, (3f-0b)/2',
      '.align 1',
      '1: adds r0, #1',
      'b 4f',
      '2: adds r1, #2',
      'b 4f',
      '3: adds r2, #3',
      '4:',
    ];
  },
  (r) => {
    const rx = r.pick(LOW);
    return [
      `movs ${rx}, #${r.int(3)}`,
      `tbh [pc, ${rx}, lsl #1]`,
      '0: .hword (1f-0b)/2, (2f-0b)/2, (3f-0b)/2',
      '1: adds r3, #1',
      'b 4f',
      '2: adds r4, #2',
      'b 4f',
      '3: adds r5, #3',
      '4:',
    ];
  },
];

/** Instructions that may sit in an IT block (conditional forms, no flag setting except compares). */
const itBody: ((r: Rng, c: string) => string)[] = [
  (r, c) => `add${c} ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`,
  (r, c) => `sub${c}.w ${r.pick(ANY)}, ${r.pick(ANY)}, #${r.int(256)}`,
  (r, c) => `mov${c} ${r.pick(LOW)}, #${r.int(256)}`,
  (r, c) => `eor${c}.w ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`,
  (r, c) => `lsl${c} ${r.pick(LOW)}, ${r.pick(LOW)}, #${1 + r.int(31)}`,
  (r, c) => `cmp${c} ${r.pick(LOW)}, #${r.int(256)}`,
  (r, c) => `mul${c} ${r.pick(ANY)}, ${r.pick(ANY)}, ${r.pick(ANY)}`,
  (r, c) => `ldr${c} ${r.pick(ANY)}, [r11, #${4 * r.int(64)}]`,
  (r, c) => `str${c} ${r.pick(ANY)}, [r11, #${4 * r.int(64)}]`,
  (r, c) => `adds${c}.w ${r.pick(ANY)}, ${r.pick(ANY)}, #${r.int(256)}`,
];

const INVERT: Record<string, string> = {
  eq: 'ne',
  ne: 'eq',
  cs: 'cc',
  cc: 'cs',
  mi: 'pl',
  pl: 'mi',
  vs: 'vc',
  vc: 'vs',
  hi: 'ls',
  ls: 'hi',
  ge: 'lt',
  lt: 'ge',
  gt: 'le',
  le: 'gt',
};

const itBlock: Template = (r) => {
  const cond = r.pick(CONDS);
  const n = 1 + r.int(4);
  let mask = '';
  const conds = [cond];
  for (let i = 1; i < n; i++) {
    const t = r.bool();
    mask += t ? 't' : 'e';
    conds.push(t ? cond : INVERT[cond]!);
  }
  // A compare in the middle of a block would change the later conditions' meaning only
  // through the flags, which is legal; keep it simple and allow it anywhere.
  return [`it${mask} ${cond}`, ...conds.map((c) => r.pick(itBody)(r, c))];
};

const status: Template[] = [
  (r) => [`mrs ${r.pick(ANY)}, apsr`],
  (r) => [`msr ${r.pick(['APSR_nzcvq', 'APSR_g', 'APSR_nzcvqg'])}, ${r.pick(ANY)}`],
  (r) => [r.pick(['dsb', 'isb', 'dmb', 'nop.w', 'sev', 'sev.w', `dbg #${r.int(16)}`])],
  // YIELD and WFE: QEMU runs both as a yield to its main loop, past which a gdbstub single-step
  // does not stop, so the driver steps them with a breakpoint on the next instruction. WFE
  // follows an SEV so the event register is set and it does not sleep (QEMU never sleeps on it).
  (r) => [r.pick(['yield', 'yield.w'])],
  (r) => (r.bool() ? ['sev', 'wfe'] : ['sev.w', 'wfe.w']),
  // WFI with an interrupt pending but masked by PRIMASK does not sleep (pending exceptions wake
  // it regardless of PRIMASK, ARMv7-M ARM B1.5.19); the interrupt is then cleared, or taken
  // when PRIMASK clears. IRQ 30 is never the seeded interrupt (lockstep.test.ts seeds 3 mod 4).
  (r) => [
    'push {r0, r1}',
    'cpsid i',
    'movw r0, #0xe100',
    'movt r0, #0xe000',
    'mov r1, #0x40000000',
    'str r1, [r0]',
    'str r1, [r0, #0x100]',
    r.pick(['wfi', 'wfi.w', 'wfi.w']),
    ...(r.bool() ? ['str r1, [r0, #0x180]'] : []),
    'cpsie i',
    'isb',
    'str r1, [r0, #0x80]',
    'pop {r0, r1}',
  ],
  // BKPT with no debugger halting the core and DebugMonitor disabled escalates to HardFault;
  // hardfault_handler steps over it.
  (r) => [`bkpt #${r.int(256)}`],
  (r) => ['b 2f', '1: nop', `2: adr.w ${r.pick(ANY)}, 1b`],
  // Unallocated hints execute as NOP (ARMv7-M ARM A5.2.5, A5.3.12); GNU as has no mnemonic.
  (r) => [`.inst.n 0x${(0xbf50 + 0x10 * r.int(11)).toString(16)}`],
  (r) => [`.inst.w 0x${(0xf3af8005 + r.int(0xeb)).toString(16)}`],
];

export const TEMPLATE_GROUPS: Record<string, Template[]> = {
  dp16,
  dp32,
  mul,
  dsp,
  saturating,
  mem,
  branch,
  it: [itBlock],
  status,
};

export interface GeneratedProgram {
  name: string;
  source: string;
  instructions: number;
}

/**
 * One program of about `length` body templates, from the groups given (all by default). With
 * `irq`, the body also enables and pends that interrupt at a seed-chosen point through NVIC
 * ISER/ISPR stores: the program itself raises it, so both sides take it after the same
 * instruction (QEMU's gdbstub cannot write the NVIC from outside).
 */
export function generateProgram(
  seed: number,
  length: number,
  groups = Object.keys(TEMPLATE_GROUPS),
  irq?: number,
): GeneratedProgram {
  const r = new Rng(seed);
  const templates = groups.flatMap((g) => TEMPLATE_GROUPS[g]!);
  const body: string[] = [];
  let labels = 0;
  const label = (): string => `L${labels++}`;
  const regs = [...ANY, 'lr'];
  for (const reg of regs) {
    const v = r.next();
    body.push(`movw ${reg}, #${v & 0xffff}`, `movt ${reg}, #${v >>> 16}`);
  }
  body.push(`msr APSR_nzcvqg, r0`);
  let count = 0;
  const irqAt = irq === undefined ? -1 : r.int(length);
  for (let i = 0; i < length; i++) {
    if (i === irqAt) {
      const bit = 1 << (irq! & 31);
      const offset = 4 * (irq! >> 5);
      body.push(
        'push {r0, r1}',
        `movw r0, #${(0xe000e100 + offset) & 0xffff}`,
        'movt r0, #0xe000',
        `movw r1, #${bit & 0xffff}`,
        `movt r1, #${bit >>> 16}`,
        'str r1, [r0]',
        'str r1, [r0, #0x100]',
        'pop {r0, r1}',
      );
    }
    const lines = r.pick(templates)(r, label);
    body.push(...lines);
    count += lines.filter((l) => !l.startsWith('.') && !/^\d+:$/.test(l)).length;
    // Re-randomise flags now and then so conditional code sees every combination.
    if (r.int(16) === 0) body.push(`msr APSR_nzcvqg, ${r.pick(ANY)}`);
  }
  const scratch: string[] = [];
  for (let i = 0; i < SCRATCH_BYTES / 4; i++) scratch.push(`.word ${hex(r.next())}`);
  const source = [
    '.syntax unified',
    '.thumb',
    '.section .vectors, "a"',
    '.word __stack_top',
    '.word reset_handler',
    '.word fault_handler',
    '.word hardfault_handler',
    '.rept 12',
    '.word fault_handler',
    '.endr',
    '.rept 32',
    '.word irq_handler',
    '.endr',
    '.text',
    '.thumb_func',
    '.global reset_handler',
    'reset_handler:',
    'movw r11, #:lower16:scratch',
    'movt r11, #:upper16:scratch',
    'sub sp, #64',
    ...body,
    '.global done',
    'done: b done',
    '.thumb_func',
    'fault_handler: b fault_handler',
    // HardFault from a BKPT returns past it; any other HardFault hangs (reported as a failure).
    '.thumb_func',
    'hardfault_handler:',
    'ldr r0, [sp, #24]',
    'ldrh r1, [r0]',
    'lsrs r1, r1, #8',
    'cmp r1, #0xbe',
    'bne fault_handler',
    'adds r0, #2',
    'str r0, [sp, #24]',
    'bx lr',
    // Interrupts the program raises (generateProgram irq) land here: count them in the last scratch word.
    '.thumb_func',
    'irq_handler:',
    'ldr r0, [r11, #1020]',
    'adds r0, #1',
    'str r0, [r11, #1020]',
    'bx lr',
    '.ltorg',
    '.data',
    '.align 4',
    'scratch:',
    ...scratch,
  ].join('\n');
  return { name: `gen-${seed.toString(16)}`, source: source + '\n', instructions: count };
}
