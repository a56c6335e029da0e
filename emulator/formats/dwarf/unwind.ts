/**
 * Stack unwinding for Cortex-M: .debug_frame CFI plus the hardware's exception entry.
 *
 * Walks physical frames from the registers of a stop. A frame whose code has an FDE is
 * unwound by its CFI row; the innermost frame (or one interrupted by an exception) without CFI
 * is treated as a leaf whose return address is in LR. When a return address is an EXC_RETURN
 * value (ARMv7-M ARM B1.5.8: 0xFFFFFFF1/F9/FD, and E1/E9/ED with an extended floating-point
 * frame), the walk crosses the exception: it reads the frame the processor stacked on entry
 * (B1.5.6: r0-r3, r12, lr, return address, xPSR, then s0-s15 and FPSCR for an extended frame)
 * from MSP or PSP as EXC_RETURN bit 2 says, undoes the 4-byte alignment pad that xPSR bit 9
 * records (B1.5.7), and continues in the interrupted code, process or kernel. That crossing is
 * its own frame (`kind: 'exception'`), as GDB shows "<signal handler called>".
 *
 * Registers a callee does not describe follow `policy`: 'aapcs' (default) treats r0-r3, r12,
 * lr and s0-s15 as clobbered by the call (AAPCS section 5.1.1: caller-saved), so values in them
 * read as unavailable in outer frames; 'same' keeps every unspecified register as in the
 * callee, which is what GDB does.
 *
 * @example
 *   const frames = await unwindStack(cfi, initial, mem);
 *   for (const f of frames.frames) console.log(f.pc.toString(16), f.kind);
 */
import type { RegisterRule, UnwindRow } from './cfi';
import { evaluateLocation, evaluateValue, type ExprContext } from './expr';
import type { ReadMemory } from './memory';
import { readU32 } from './memory';
import { DwarfError } from './reader';

/** Registers at a stop, as a DebugTarget reports them (ARM names). */
export interface StopRegisters {
  /**
   * r0-r12, sp, lr, pc (index = DWARF register number 0-15); undefined: not known (a rule that
   * needs it ends the walk rather than compute from a made-up value).
   */
  core: (number | undefined)[];
  xpsr?: number;
  msp?: number;
  psp?: number;
  control?: number;
  /** s0-s31 when the target has an FPU. */
  s?: number[];
  fpscr?: number;
}

export type UnwindPolicy = 'aapcs' | 'same';

/** Where the unwinder finds CFI rows: one image's .debug_frame, or a set of images. */
export interface UnwindTable {
  rowAt(address: number): UnwindRow | undefined;
  /** Where the function holding `address` starts (from the symbol table), for code without CFI. */
  functionStart?(address: number): number | undefined;
}

export interface ExceptionInfo {
  /** The EXC_RETURN value found as the return address. */
  excReturn: number;
  /** Which stack the hardware pushed the frame on. */
  stack: 'msp' | 'psp';
  /** Address of the stacked frame. */
  frameAddress: number;
  /** Extended (floating-point) frame. */
  extended: boolean;
  /** Returning to thread mode (else handler mode: a nested exception). */
  toThread: boolean;
  /** Exception number the interrupted code was in (IPSR of the stacked xPSR), 0 = thread. */
  interruptedException: number;
}

export interface PhysicalFrame {
  pc: number;
  /** Canonical frame address (the caller's SP at the call), when CFI or a leaf rule gave one. */
  cfa: number | undefined;
  /** Registers known in this frame (DWARF numbering: 0-15 core, 64-95 s0-s31). */
  regs: Map<number, number>;
  msp: number | undefined;
  psp: number | undefined;
  /** 'exception': the crossing from a handler to the interrupted code (pc = EXC_RETURN). */
  kind: 'normal' | 'exception';
  /** True when pc is where execution resumes (innermost or interrupted), not a return address. */
  exactPc: boolean;
  exception?: ExceptionInfo;
  /** How this frame's caller was found, when not by CFI ("no CFI: assumed a leaf"...). */
  note?: string;
}

export interface UnwindResult {
  frames: PhysicalFrame[];
  /** Why the walk ended. */
  stopReason: string;
}

export interface UnwindOptions {
  maxFrames?: number;
  policy?: UnwindPolicy;
}

const SP = 13;
const LR = 14;
const PC = 15;
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** True for the EXC_RETURN values ARMv7-M defines (B1.5.8, table B1-8 and B1-9). */
export function isExcReturn(value: number): boolean {
  const v = value >>> 0;
  return (
    v === 0xfffffff1 ||
    v === 0xfffffff9 ||
    v === 0xfffffffd ||
    v === 0xffffffe1 ||
    v === 0xffffffe9 ||
    v === 0xffffffed
  );
}

/** Registers the caller cannot rely on after a call (AAPCS 5.1.1, 5.1.2.1). */
function callerSaved(reg: number): boolean {
  return reg <= 3 || reg === 12 || reg === LR || (reg >= 64 && reg < 80);
}

export function initialFrame(regs: StopRegisters): PhysicalFrame {
  const m = new Map<number, number>();
  regs.core.forEach((v, i) => {
    if (i <= 15 && v !== undefined) m.set(i, v >>> 0);
  });
  regs.s?.forEach((v, i) => m.set(64 + i, v >>> 0));
  return {
    pc: (m.get(PC) ?? 0) & ~1,
    cfa: undefined,
    regs: m,
    msp: regs.msp,
    psp: regs.psp,
    kind: 'normal',
    exactPc: true,
  };
}

/** Walk the stack from `regs`; see the module header. Never throws for bad memory or CFI. */
export async function unwindStack(
  cfi: UnwindTable,
  regs: StopRegisters,
  mem: ReadMemory,
  options: UnwindOptions = {},
): Promise<UnwindResult> {
  const maxFrames = options.maxFrames ?? 64;
  const policy = options.policy ?? 'aapcs';
  const frames: PhysicalFrame[] = [initialFrame(regs)];
  for (;;) {
    if (frames.length >= maxFrames) return { frames, stopReason: `stopped at ${maxFrames} frames` };
    const cur = frames[frames.length - 1]!;
    let next: PhysicalFrame | string;
    try {
      next =
        cur.kind === 'exception'
          ? await unwindException(cur, mem)
          : await unwindNormal(cfi, cur, mem, policy, frames.length === 1);
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      return { frames, stopReason: `corrupt call frame information: ${e.message}` };
    }
    if (typeof next === 'string') return { frames, stopReason: next };
    if (next.kind === 'normal' && (next.pc === 0 || next.pc >>> 0 >= 0xfffffff0))
      return { frames, stopReason: `return address ${hex(next.pc)} ends the stack` };
    const prevSp = cur.regs.get(SP);
    const nextSp = next.regs.get(SP);
    if (next.pc === cur.pc && nextSp === prevSp && next.kind === cur.kind)
      return { frames, stopReason: 'the caller frame is identical to this one (corrupt stack?)' };
    // Unless an exception switched stacks, a caller's stack pointer is above its callee's.
    if (
      cur.kind === 'normal' &&
      next.kind === 'normal' &&
      prevSp !== undefined &&
      nextSp !== undefined &&
      nextSp < prevSp
    )
      return { frames, stopReason: `caller's stack pointer ${hex(nextSp)} is below its callee's` };
    frames.push(next);
  }
}

async function unwindNormal(
  cfi: UnwindTable,
  cur: PhysicalFrame,
  mem: ReadMemory,
  policy: UnwindPolicy,
  innermost: boolean,
): Promise<PhysicalFrame | string> {
  const lookup = cur.exactPc ? cur.pc : cur.pc - 1;
  const row: UnwindRow | undefined = cfi.rowAt(lookup);
  const regs = cur.regs;
  if (!row) {
    if (!cur.exactPc && !innermost) return `no call frame information for ${hex(cur.pc)}`;
    // No CFI where execution stopped: hand-written code (exception entry, context switch) or
    // code without debug information. Read its prologue from the function's start to the PC
    // for pushes and stack adjustments; with none, it is a leaf whose return address is in LR.
    const sp = regs.get(SP);
    if (sp === undefined) return 'no CFI and no SP';
    const start = cfi.functionStart?.(cur.pc);
    const prologue = start !== undefined ? await scanPrologue(mem, start, cur.pc) : undefined;
    const out = new Map(regs);
    for (const k of [...out.keys()]) if (policy === 'aapcs' && callerSaved(k)) out.delete(k);
    const cfa = (sp + (prologue?.size ?? 0)) >>> 0;
    for (const [reg, offset] of prologue?.saved ?? []) {
      const v = await readU32(mem, cfa + offset);
      if (!v.ok) return `saved ${reg === LR ? 'lr' : `r${reg}`}: ${v.error}`;
      out.set(reg, v.value);
    }
    const lr = prologue?.saved.has(LR) ? out.get(LR) : regs.get(LR);
    if (lr === undefined) return 'no CFI and no LR to return through';
    cur.cfa = cfa;
    out.set(SP, cfa);
    out.set(PC, lr & ~1);
    const how =
      prologue && prologue.size > 0
        ? `its prologue pushed ${prologue.size} bytes`
        : 'a leaf (return address in LR)';
    return makeNext(cur, out, lr, cfa, `no CFI at ${hex(cur.pc)}: ${how}`);
  }
  const ctx: ExprContext = {
    addressSize: 4,
    readMemory: mem,
    register: (n) => regs.get(n),
  };
  let cfa: number;
  if (row.cfa.kind === 'reg') {
    const base = regs.get(row.cfa.reg);
    if (base === undefined) return `CFA register r${row.cfa.reg} is not known`;
    cfa = (base + row.cfa.offset) >>> 0;
  } else {
    const v = await evaluateValue(row.cfa.expr, ctx);
    if (!v.ok) return `CFA expression: ${v.error}`;
    cfa = v.value >>> 0;
  }
  cur.cfa = cfa;
  const out = new Map<number, number>();
  const apply = async (reg: number, rule: RegisterRule): Promise<string | undefined> => {
    switch (rule.kind) {
      case 'undefined':
        return undefined;
      case 'same': {
        const v = regs.get(reg);
        if (v !== undefined) out.set(reg, v);
        return undefined;
      }
      case 'offset': {
        const v = await readU32(mem, cfa + rule.offset);
        if (!v.ok) return `saved ${reg === LR ? 'lr' : `r${reg}`}: ${v.error}`;
        out.set(reg, v.value);
        return undefined;
      }
      case 'valOffset':
        out.set(reg, (cfa + rule.offset) >>> 0);
        return undefined;
      case 'register': {
        const v = regs.get(rule.reg);
        if (v !== undefined) out.set(reg, v);
        return undefined;
      }
      case 'expression': {
        const loc = await evaluateLocation(rule.expr, { ...ctx, initialStack: [cfa] });
        if (!loc.ok) return loc.error;
        const p = loc.value.pieces[0]?.location;
        if (p?.kind !== 'memory') return 'register rule expression is not a memory location';
        const v = await readU32(mem, p.address);
        if (!v.ok) return v.error;
        out.set(reg, v.value);
        return undefined;
      }
      case 'valExpression': {
        const v = await evaluateValue(rule.expr, { ...ctx, initialStack: [cfa] });
        if (!v.ok) return v.error;
        out.set(reg, v.value >>> 0);
        return undefined;
      }
    }
  };
  // Unspecified registers: callee-saved ones keep their value; caller-saved per the policy.
  for (const [reg, v] of regs) {
    if (row.rules.has(reg) || reg === SP || reg === PC) continue;
    if (policy === 'aapcs' && callerSaved(reg) && reg !== row.returnAddressRegister) continue;
    out.set(reg, v);
  }
  for (const [reg, rule] of row.rules) {
    const problem = await apply(reg, rule);
    if (problem) return `cannot recover the caller's registers: ${problem}`;
  }
  const raRule = row.rules.get(row.returnAddressRegister);
  if (raRule?.kind === 'undefined') return 'the return address is undefined (outermost frame)';
  const ra = raRule ? out.get(row.returnAddressRegister) : regs.get(row.returnAddressRegister);
  if (ra === undefined) return 'the return address is not known';
  if (!row.rules.has(SP)) out.set(SP, cfa);
  // The caller's LR is not the return address just used (AAPCS: lr is clobbered by the call).
  if (policy === 'aapcs' && !row.rules.has(LR)) out.delete(LR);
  return makeNext(cur, out, ra, out.get(SP) ?? cfa);
}

function makeNext(
  cur: PhysicalFrame,
  regs: Map<number, number>,
  ra: number,
  sp: number,
  note?: string,
): PhysicalFrame {
  const exc = isExcReturn(ra);
  const pc = exc ? ra >>> 0 : ra & ~1;
  regs.set(PC, pc);
  // Thread code runs on whichever stack CONTROL.SPSEL picks; in a handler SP is MSP. After
  // unwinding a normal frame the stack pointer stays the same physical one.
  const onPsp = cur.psp !== undefined && cur.regs.get(SP) === cur.psp && cur.msp !== cur.psp;
  const frame: PhysicalFrame = {
    pc,
    cfa: undefined,
    regs,
    msp: onPsp ? cur.msp : sp,
    psp: onPsp ? sp : cur.psp,
    kind: exc ? 'exception' : 'normal',
    exactPc: false,
  };
  if (note) frame.note = note;
  return frame;
}

/**
 * The stack effect of the Thumb instructions from `start` up to `pc` (at most 64 bytes): PUSH
 * (T1, and PUSH.W/STMDB SP! T2), STR.W Rt, [SP, #-4]! and SUB SP, SP, #imm (T1), as the ARMv7-M
 * ARM encodes them (A7.7.99 PUSH, A7.7.161 STR, A7.7.176 SUB SP). Returns the bytes pushed and
 * where each saved register sits relative to the CFA; undefined when the code cannot be read.
 */
export async function scanPrologue(
  mem: ReadMemory,
  start: number,
  pc: number,
): Promise<{ size: number; saved: Map<number, number> } | undefined> {
  const length = Math.min(Math.max(pc - start, 0), 64);
  if (length === 0) return { size: 0, saved: new Map() };
  const code = await mem(start >>> 0, length + 2);
  if (!code.ok) return undefined;
  const b = code.value;
  const half = (i: number): number => b[i]! | (b[i + 1]! << 8);
  let size = 0;
  /** Saved registers as offsets from the SP after all pushes so far (made CFA-relative at the end). */
  const pushes: { reg: number; at: number }[] = [];
  const push = (regs: number[]): void => {
    size += 4 * regs.length;
    regs.forEach((reg, k) => pushes.push({ reg, at: -size + 4 * k }));
  };
  const list = (mask: number): number[] => [...Array(16).keys()].filter((r) => (mask >> r) & 1);
  for (let i = 0; i + 1 < length;) {
    const hw = half(i);
    const wide = hw >>> 11 >= 0x1d;
    if (!wide) {
      if ((hw & 0xfe00) === 0xb400) push(list((hw & 0xff) | (hw & 0x100 ? 1 << LR : 0)));
      else if ((hw & 0xff80) === 0xb080) size += (hw & 0x7f) * 4;
      i += 2;
      continue;
    }
    if (i + 3 >= b.length) break;
    const hw2 = half(i + 2);
    if (hw === 0xe92d) push(list(hw2 & 0x5fff));
    else if (hw === 0xf84d && (hw2 & 0x0fff) === 0x0d04) push([hw2 >>> 12]);
    i += 4;
  }
  // Offsets were recorded from the SP after each push; the CFA is SP + size at the end.
  const saved = new Map<number, number>();
  for (const p of pushes) saved.set(p.reg, p.at);
  return { size, saved };
}

/** Cross an exception return: read the stacked frame and continue in the interrupted code. */
async function unwindException(
  cur: PhysicalFrame,
  mem: ReadMemory,
): Promise<PhysicalFrame | string> {
  const excReturn = cur.pc >>> 0;
  const usePsp = (excReturn & 0x4) !== 0;
  const extended = (excReturn & 0x10) === 0;
  const toThread = (excReturn & 0x8) !== 0;
  const sp = usePsp ? cur.psp : cur.regs.get(SP);
  if (sp === undefined)
    return `EXC_RETURN ${hex(excReturn)} names ${usePsp ? 'PSP' : 'MSP'}, whose value is not known`;
  const words = extended ? 26 : 8;
  const m = await mem(sp >>> 0, words * 4);
  if (!m.ok) return `cannot read the exception frame at ${hex(sp)}: ${m.error}`;
  const b = m.value;
  const word = (i: number): number =>
    (b[i * 4]! | (b[i * 4 + 1]! << 8) | (b[i * 4 + 2]! << 16) | (b[i * 4 + 3]! << 24)) >>> 0;
  const regs = new Map<number, number>();
  // r4-r11 are not stacked: the handler preserved them (its own CFI restored them).
  for (let r = 4; r <= 11; r++) {
    const v = cur.regs.get(r);
    if (v !== undefined) regs.set(r, v);
  }
  regs.set(0, word(0));
  regs.set(1, word(1));
  regs.set(2, word(2));
  regs.set(3, word(3));
  regs.set(12, word(4));
  regs.set(LR, word(5));
  const pc = word(6) & ~1;
  regs.set(PC, pc);
  const xpsr = word(7);
  if (extended) {
    for (let i = 0; i < 16; i++) regs.set(64 + i, word(8 + i));
    for (let i = 16; i < 32; i++) {
      const v = cur.regs.get(64 + i);
      if (v !== undefined) regs.set(64 + i, v);
    }
  }
  const size = words * 4 + ((xpsr & (1 << 9)) !== 0 ? 4 : 0);
  const newSp = (sp + size) >>> 0;
  regs.set(SP, newSp);
  return {
    pc,
    cfa: undefined,
    regs,
    msp: usePsp ? cur.regs.get(SP) : newSp,
    psp: usePsp ? newSp : cur.psp,
    kind: 'normal',
    exactPc: true,
    exception: {
      excReturn,
      stack: usePsp ? 'psp' : 'msp',
      frameAddress: sp >>> 0,
      extended,
      toThread,
      interruptedException: xpsr & 0x1ff,
    },
  };
}

/** StopRegisters from a DebugTarget's register record (emulator/debug/target.ts names). */
export function stopRegistersFrom(r: Record<string, number>): StopRegisters {
  const core: number[] = [];
  for (let i = 0; i <= 12; i++) core.push(r[`r${i}`] ?? 0);
  core.push(r.sp ?? 0, r.lr ?? 0, r.pc ?? 0);
  const out: StopRegisters = { core };
  if (r.xpsr !== undefined) out.xpsr = r.xpsr;
  if (r.msp !== undefined) out.msp = r.msp;
  if (r.psp !== undefined) out.psp = r.psp;
  if (r.control !== undefined) out.control = r.control;
  if (r.s0 !== undefined) out.s = Array.from({ length: 32 }, (_, i) => r[`s${i}`] ?? 0);
  if (r.fpscr !== undefined) out.fpscr = r.fpscr;
  return out;
}
