import { describe, expect, it } from 'vitest';
import type { RegisterRule, UnwindRow } from '../../formats/dwarf/cfi';
import { CALLER_DEPTH, CallChainWalker, callerTable } from './call-chain';

/** Rows as a compiler writes them for `push {r7, lr}` at `start` (CFA = sp + 8 after it). */
function pushR7Lr(start: number, end: number) {
  return { start, end, prologueEnd: start + 2 };
}
type Fn = ReturnType<typeof pushR7Lr>;
const rowAt = (fn: Fn, a: number): UnwindRow => {
  if (a < fn.prologueEnd)
    return {
      address: fn.start,
      cfa: { kind: 'reg', reg: 13, offset: 0 },
      rules: new Map(),
      returnAddressRegister: 14,
    };
  const rules = new Map<number, RegisterRule>([
    [14, { kind: 'offset', offset: -4 }],
    [7, { kind: 'offset', offset: -8 }],
  ]);
  return {
    address: fn.prologueEnd,
    cfa: { kind: 'reg', reg: 13, offset: 8 },
    rules,
    returnAddressRegister: 14,
  };
};

function memory(words: Record<number, number>) {
  return (a: number) => (a >= 0x2000_0000 && a < 0x2004_0000 ? (words[a] ?? 0) : undefined);
}

describe('call chains of logged accesses', () => {
  const table = callerTable([pushR7Lr(0x2000, 0x2010), pushR7Lr(0x1000, 0x1020)], rowAt);

  it('flattens CFI into sorted rows with gaps between functions', () => {
    expect([...table.starts]).toEqual([0x1000, 0x1002, 0x1020, 0x2000, 0x2002, 0x2010]);
    expect(table.cfaReg[2]).toBe(255);
    expect(table.cfaOffset[1]).toBe(8);
    expect(table.raAt[1]).toBe(-4);
    expect(table.r7At[1]).toBe(-8);
  });

  it('finds every row change of a long function without asking at each halfword', () => {
    // Rows start at 0x4000 (CFA sp+0), 0x4002 (sp+8), 0x4ff0 (sp+16), then from 0x5000 the
    // CFI program fails (no row); the function ends at an odd 0x5fff.
    const changes = [0x4000, 0x4002, 0x4ff0];
    let asked = 0;
    const at = (_fn: { start: number; end: number }, a: number): UnwindRow => {
      asked++;
      if (a >= 0x5000) throw new Error('bad CFI');
      const k = changes.filter((c) => c <= a).length - 1;
      return {
        address: changes[k]!,
        cfa: { kind: 'reg', reg: 13, offset: 8 * k },
        rules: new Map(),
        returnAddressRegister: 14,
      };
    };
    const t = callerTable([{ start: 0x4000, end: 0x5fff }], at);
    expect([...t.starts]).toEqual([0x4000, 0x4002, 0x4ff0, 0x5000]);
    expect([...t.cfaOffset.slice(0, 3)]).toEqual([0, 8, 16]);
    expect(t.cfaReg[3]).toBe(255);
    // Bisection: a few dozen questions, not one per halfword (0x1000 of them).
    expect(asked).toBeLessThan(100);
  });

  it('walks saved return addresses up the stack until code without CFI', () => {
    // B (0x2000) after its push, called from A at 0x1010; A called from 0x3000 (no CFI there).
    const sp = 0x2000_1000 - 16;
    const mem = memory({ [sp + 4]: 0x1015, [sp + 8 + 4]: 0x3001, [sp + 8 + 8 + 4]: 0x4001 });
    const out = new Uint32Array(CALLER_DEPTH);
    new CallChainWalker(table, mem).walk(0x2008, sp, 0xdead, 0, 0, out, 0);
    expect([...out.slice(0, 3)]).toEqual([0x1014, 0x3000, 0]);
  });

  it('takes the return address from LR before the prologue, and stops at EXC_RETURN or outside RAM', () => {
    const out = new Uint32Array(CALLER_DEPTH).fill(7);
    const sp = 0x2000_0100;
    new CallChainWalker(table, memory({ [sp + 4]: 0xffff_fff9 })).walk(
      0x2000,
      sp,
      0x1011,
      0,
      0,
      out,
      0,
    );
    // 0x1010 is in A's prologue-done row: A's return address is the EXC_RETURN: the chain ends.
    expect([...out.slice(0, 2)]).toEqual([0x1010, 0]);
    new CallChainWalker(table, memory({})).walk(0x2008, 0x1000, 0, 0, 0, out, 0);
    expect(out[0]).toBe(0);
  });

  it('walks each access afresh: the same pc, sp and registers with another caller get its chain', () => {
    // B (0x2000) after its push, at the same pc and sp each time, called first from A (0x1010,
    // A called from 0x3000), then from 0x3008 directly (a memo keyed by pc and sp alone, or one
    // not checking the stack words it read, would repeat the first chain).
    const sp = 0x2000_1000 - 16;
    const words: Record<number, number> = { [sp + 4]: 0x1015, [sp + 12]: 0x3001 };
    const walker = new CallChainWalker(table, memory(words));
    const out = new Uint32Array(CALLER_DEPTH * 3);
    walker.walk(0x2008, sp, 0xdead, 0x2000_0f00, 0, out, 0);
    expect([...out.slice(0, 3)]).toEqual([0x1014, 0x3000, 0]);
    walker.walk(0x2008, sp, 0xdead, 0x2000_0f00, 0, out, CALLER_DEPTH);
    expect([...out.slice(CALLER_DEPTH, CALLER_DEPTH + 3)]).toEqual([0x1014, 0x3000, 0]);
    // Another caller: B's saved return address now points at 0x3009 (no CFI there).
    words[sp + 4] = 0x3009;
    walker.walk(0x2008, sp, 0xdead, 0x2000_0f00, 0, out, 2 * CALLER_DEPTH);
    expect([...out.slice(2 * CALLER_DEPTH, 2 * CALLER_DEPTH + 2)]).toEqual([0x3008, 0]);
    // A word further up changed (A's caller): found too.
    words[sp + 4] = 0x1015;
    walker.walk(0x2008, sp, 0xdead, 0x2000_0f00, 0, out, 0);
    expect([...out.slice(0, 3)]).toEqual([0x1014, 0x3000, 0]);
    words[sp + 12] = 0x1005; // A called from A's own prologue row (CFA sp + 0: LR unknown)
    walker.walk(0x2008, sp, 0xdead, 0x2000_0f00, 0, out, 0);
    expect([...out.slice(0, 3)]).toEqual([0x1014, 0x1004, 0]);
    // Another LR or frame pointer is another walk (a leaf's caller is in LR).
    walker.walk(0x2000, sp, 0x1011, 0, 0, out, 0);
    expect([...out.slice(0, 2)]).toEqual([0x1010, 0x1014]);
    walker.walk(0x2000, sp, 0x3001, 0, 0, out, 0);
    expect([...out.slice(0, 2)]).toEqual([0x3000, 0]);
  });
});
