import { describe, expect, it } from 'vitest';
import { err, ok } from '../../core/result';
import { CallFrameInfo } from './cfi';
import type { ReadMemory } from './memory';
import { scanPrologue, unwindStack, type StopRegisters } from './unwind';

/** A .debug_frame with one CIE (code align 2, data align -4, RA in lr, CFA = sp) and FDEs. */
function debugFrame(fdes: { start: number; size: number; insns: number[] }[]): Uint8Array {
  const out: number[] = [];
  const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  // CIE: length, id 0xffffffff, version 1, "" , code 2, data -4 (0x7c), ra 14, def_cfa r13+0.
  const cie = [...u32(0xffffffff), 1, 0, 2, 0x7c, 14, 0x0c, 13, 0];
  while ((cie.length + 4) % 4) cie.push(0);
  out.push(...u32(cie.length), ...cie);
  for (const f of fdes) {
    const body = [...u32(0), ...u32(f.start), ...u32(f.size), ...f.insns];
    while ((body.length + 4) % 4) body.push(0);
    out.push(...u32(body.length), ...body);
  }
  return new Uint8Array(out);
}

// leaf at 0x1000 (no pushes); caller at 0x2000: push {r7, lr} at 0x2000, then def_cfa_offset 8.
const CFI = CallFrameInfo.parse(
  debugFrame([
    {
      start: 0x2000,
      size: 0x40,
      insns: [0x41 /* advance 2 */, 0x0e, 8, 0x8e, 1 /* lr at cfa-4 */, 0x87, 2 /* r7 at cfa-8 */],
    },
    { start: 0x3000, size: 0x40, insns: [0x41, 0x0e, 8, 0x8e, 1, 0x87, 2] },
  ]),
  [],
);

function memoryOf(words: Record<number, number>): ReadMemory {
  return async (address, length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const w = words[address + i];
      if (w === undefined) return err(`unmapped 0x${(address + i).toString(16)}`);
      out[i] = w & 0xff;
      out[i + 1] = (w >>> 8) & 0xff;
      out[i + 2] = (w >>> 16) & 0xff;
      out[i + 3] = w >>> 24;
    }
    return ok(out);
  };
}

const regs = (
  core: Partial<Record<number, number>>,
  extra: Partial<StopRegisters> = {},
): StopRegisters => ({
  core: Array.from({ length: 16 }, (_, i) => core[i] ?? 0),
  ...extra,
});

describe('call frame information', () => {
  it('executes the CIE and FDE up to the address', () => {
    expect(CFI.rowAt(0x2000)).toMatchObject({ cfa: { kind: 'reg', reg: 13, offset: 0 } });
    const row = CFI.rowAt(0x2010)!;
    expect(row.cfa).toEqual({ kind: 'reg', reg: 13, offset: 8 });
    expect(row.rules.get(14)).toEqual({ kind: 'offset', offset: -4 });
    expect(row.rules.get(7)).toEqual({ kind: 'offset', offset: -8 });
    expect(CFI.rowAt(0x1000)).toBeUndefined();
  });

  it('reports a truncated section as a warning naming it, not an exception', () => {
    const warnings: string[] = [];
    const bytes = debugFrame([{ start: 0x2000, size: 0x40, insns: [] }]);
    CallFrameInfo.parse(bytes.subarray(0, bytes.length - 6), warnings);
    expect(warnings[0]).toMatch(/\.debug_frame/);
  });
});

describe('unwinding', () => {
  it('walks a leaf without CFI, then frames with CFI, to the end of the stack', async () => {
    // 0x1004 (leaf, lr = 0x2011) <- 0x2010 (frame at sp 0x8000: r7, lr = 0x3021) <- 0x3020 (lr 0xffffffff)
    const mem = memoryOf({ 0x8000: 0x11, 0x8004: 0x3021, 0x8008: 0x22, 0x800c: 0xffffffff });
    const r = await unwindStack(CFI, regs({ 13: 0x8000, 14: 0x2011, 15: 0x1004, 7: 0x77 }), mem);
    expect(r.frames.map((f) => f.pc)).toEqual([0x1004, 0x2010, 0x3020]);
    expect(r.frames[1]!.regs.get(7)).toBe(0x77);
    expect(r.frames[2]!.regs.get(7)).toBe(0x11);
    expect(r.frames[2]!.regs.get(13)).toBe(0x8008);
    expect(r.stopReason).toMatch(/0xffffffff ends the stack|0xfffffffe ends the stack/);
  });

  it('treats caller-saved registers as unknown in callers (AAPCS) unless asked to keep them', async () => {
    const mem = memoryOf({ 0x8000: 0x11, 0x8004: 0x3021, 0x8008: 0x22, 0x800c: 0xffffffff });
    const start = regs({ 0: 5, 13: 0x8000, 14: 0x2011, 15: 0x1004 });
    const aapcs = await unwindStack(CFI, start, mem);
    expect(aapcs.frames[1]!.regs.has(0)).toBe(false);
    const same = await unwindStack(CFI, start, mem, { policy: 'same' });
    expect(same.frames[1]!.regs.get(0)).toBe(5);
  });

  it('crosses an exception taken on MSP into the interrupted kernel code', async () => {
    // Handler at 0x1000 (no CFI), lr = EXC_RETURN 0xfffffff9; the hardware stacked
    // r0-r3, r12, lr, pc = 0x2012, xPSR (no alignment pad) at 0x8000.
    const frame = [1, 2, 3, 4, 12, 0x3021, 0x2012, 0x01000000];
    const words: Record<number, number> = {};
    frame.forEach((w, i) => (words[0x8000 + i * 4] = w));
    words[0x8020] = 0x99; // r7 saved by the interrupted function
    words[0x8024] = 0x3021;
    words[0x8028] = 0;
    words[0x802c] = 0xffffffff;
    const r = await unwindStack(
      CFI,
      regs({ 13: 0x8000, 14: 0xfffffff9, 15: 0x1000 }, { msp: 0x8000, psp: 0x9000 }),
      memoryOf(words),
    );
    expect(r.frames.map((f) => [f.kind, f.pc])).toEqual([
      ['normal', 0x1000],
      ['exception', 0xfffffff9],
      ['normal', 0x2012],
      ['normal', 0x3020],
    ]);
    const interrupted = r.frames[2]!;
    expect(interrupted.exactPc).toBe(true);
    expect(interrupted.exception).toMatchObject({
      stack: 'msp',
      frameAddress: 0x8000,
      extended: false,
      toThread: true,
    });
    expect(interrupted.regs.get(0)).toBe(1);
    expect(interrupted.regs.get(12)).toBe(12);
    expect(interrupted.regs.get(13)).toBe(0x8020);
  });

  it('crosses into a process on PSP with an extended (FP) frame and the alignment pad', async () => {
    // EXC_RETURN 0xffffffed: thread mode, PSP, extended frame (26 words); xPSR bit 9 set: the
    // hardware inserted a pad word, so the process's SP was frame + 0x68 + 4.
    const words: Record<number, number> = {};
    const base = 0x9000;
    const basic = [10, 11, 12, 13, 14, 0x1001, 0x1002, 0x01000200];
    basic.forEach((w, i) => (words[base + i * 4] = w));
    for (let i = 0; i < 18; i++) words[base + 0x20 + i * 4] = 0x100 + i;
    const r = await unwindStack(
      CFI,
      regs({ 13: 0x8000, 14: 0xffffffed, 15: 0x1000 }, { msp: 0x8000, psp: base }),
      memoryOf(words),
      { maxFrames: 3 },
    );
    const p = r.frames[2]!;
    expect(p.pc).toBe(0x1002);
    expect(p.exception).toMatchObject({ stack: 'psp', extended: true, frameAddress: base });
    expect(p.regs.get(13)).toBe(base + 0x68 + 4);
    expect(p.regs.get(64)).toBe(0x100); // s0
    expect(p.regs.get(64 + 15)).toBe(0x10f); // s15
    expect(p.psp).toBe(base + 0x6c);
    expect(p.msp).toBe(0x8000);
  });

  it('stops with a reason when PSP is not known or memory cannot be read', async () => {
    const noPsp = await unwindStack(
      CFI,
      regs({ 13: 0x8000, 14: 0xfffffffd, 15: 0x1000 }),
      memoryOf({}),
    );
    expect(noPsp.frames).toHaveLength(2);
    expect(noPsp.stopReason).toMatch(/PSP, whose value is not known/);
    const bad = await unwindStack(CFI, regs({ 13: 0x7000, 14: 0x2011, 15: 0x2010 }), memoryOf({}));
    expect(bad.stopReason).toMatch(/unmapped 0x7004|cannot recover/);
  });

  it('reads the prologue of hand-written code without CFI (a context switch mid-way)', async () => {
    // At 0x100: push.w {r1, r4-r11, lr}; msr psp, r0; ldmia.w r1, {r4-r11}; svc 0xff; (pc = 0x10e)
    const code = [
      0x2d, 0xe9, 0xf2, 0x4f, 0x80, 0xf3, 0x09, 0x88, 0x91, 0xe8, 0xf0, 0x0f, 0xff, 0xdf, 0, 0,
    ];
    const words: Record<number, number> = {};
    for (let i = 0; i < code.length; i += 4)
      words[0x100 + i] =
        code[i]! | (code[i + 1]! << 8) | (code[i + 2]! << 16) | (code[i + 3]! << 24);
    // The pushed block at sp 0x8000: r1, r4..r11, lr.
    const pushed = [0xaa, 4, 5, 6, 7, 8, 9, 10, 11, 0x2011];
    pushed.forEach((w, i) => (words[0x8000 + i * 4] = w));
    words[0x8028] = 0;
    words[0x802c] = 0xffffffff;
    const mem = memoryOf(words);
    const p = await scanPrologue(mem, 0x100, 0x10e);
    expect(p?.size).toBe(40);
    expect(p?.saved.get(14)).toBe(-4);
    expect(p?.saved.get(4)).toBe(-36);
    const table = {
      rowAt: (a: number) => CFI.rowAt(a),
      functionStart: (a: number) => (a >= 0x100 && a < 0x120 ? 0x100 : undefined),
    };
    // r4-r11 now hold the process's values; the saved ones come back from the stack.
    const r = await unwindStack(
      table,
      regs({ 4: 0xdead, 7: 0xbeef, 13: 0x8000, 14: 0x1234, 15: 0x10e }),
      mem,
    );
    expect(r.frames[1]).toMatchObject({ pc: 0x2010 });
    expect(r.frames[1]!.regs.get(7)).toBe(7);
    expect(r.frames[1]!.regs.get(13)).toBe(0x8028);
    expect(r.frames[1]!.note).toMatch(/prologue pushed 40 bytes/);
  });
});
