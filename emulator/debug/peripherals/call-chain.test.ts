import { describe, expect, it } from 'vitest';
import type { RegisterRule, UnwindRow } from '../../formats/dwarf/cfi';
import { CALLER_DEPTH, CallChainWalker, callerTable, ChainTable } from './call-chain';

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

const RAM = 0x2000_0000;

/** A RAM of 256 KiB at 0x20000000 holding `words`, as the walker reads it. */
function memory(words: Record<number, number>) {
  const ram = new Int32Array(0x1_0000);
  const set = (a: number, v: number) => (ram[(a - RAM) >>> 2] = v);
  for (const [a, v] of Object.entries(words)) set(Number(a), v);
  const word = (a: number) =>
    a >= RAM && a < RAM + 0x4_0000 ? ram[(a - RAM) >>> 2]! >>> 0 : undefined;
  return { word, stack: { base: RAM, words: ram }, set };
}
const walker = (t: typeof table0, m: ReturnType<typeof memory>) =>
  new CallChainWalker(t, m.word, m.stack);
const table0 = callerTable([pushR7Lr(0x2000, 0x2010), pushR7Lr(0x1000, 0x1020)], rowAt);

describe('call chains of logged accesses', () => {
  const table = table0;

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
    walker(table, mem).walk(0x2008, sp, 0xdead, 0, 0, out, 0);
    expect([...out.slice(0, 3)]).toEqual([0x1014, 0x3000, 0]);
    // The same through the word reader alone (a stack outside the RAM given).
    out.fill(7);
    new CallChainWalker(table, mem.word).walk(0x2008, sp, 0xdead, 0, 0, out, 0);
    expect([...out.slice(0, 3)]).toEqual([0x1014, 0x3000, 0]);
  });

  it('takes the return address from LR before the prologue, and stops at EXC_RETURN or outside RAM', () => {
    const out = new Uint32Array(CALLER_DEPTH).fill(7);
    const sp = 0x2000_0100;
    walker(table, memory({ [sp + 4]: 0xffff_fff9 })).walk(0x2000, sp, 0x1011, 0, 0, out, 0);
    // 0x1010 is in A's prologue-done row: A's return address is the EXC_RETURN: the chain ends.
    expect([...out.slice(0, 2)]).toEqual([0x1010, 0]);
    walker(table, memory({})).walk(0x2008, 0x1000, 0, 0, 0, out, 0);
    expect(out[0]).toBe(0);
  });

  it('walks each access afresh: the same pc, sp and registers with another caller get its chain', () => {
    // B (0x2000) after its push, at the same pc and sp each time, called first from A (0x1010,
    // A called from 0x3000), then from 0x3008 directly (a memo keyed by pc and sp alone, or one
    // not checking the stack words it read, would repeat the first chain).
    const sp = 0x2000_1000 - 16;
    const m = memory({ [sp + 4]: 0x1015, [sp + 12]: 0x3001 });
    const w = walker(table, m);
    const out = new Uint32Array(CALLER_DEPTH * 3);
    w.walk(0x2008, sp, 0xdead, 0x2000_0f00, 0, out, 0);
    expect([...out.slice(0, 3)]).toEqual([0x1014, 0x3000, 0]);
    w.walk(0x2008, sp, 0xdead, 0x2000_0f00, 0, out, CALLER_DEPTH);
    expect([...out.slice(CALLER_DEPTH, CALLER_DEPTH + 3)]).toEqual([0x1014, 0x3000, 0]);
    // The second walk was the first's, checked (its stack words unchanged).
    expect([w.walks, w.hits]).toEqual([1, 1]);
    // Another caller: B's saved return address now points at 0x3009 (no CFI there).
    m.set(sp + 4, 0x3009);
    w.walk(0x2008, sp, 0xdead, 0x2000_0f00, 0, out, 2 * CALLER_DEPTH);
    expect([...out.slice(2 * CALLER_DEPTH, 2 * CALLER_DEPTH + 2)]).toEqual([0x3008, 0]);
    // A word further up changed (A's caller): found too.
    m.set(sp + 4, 0x1015);
    w.walk(0x2008, sp, 0xdead, 0x2000_0f00, 0, out, 0);
    expect([...out.slice(0, 3)]).toEqual([0x1014, 0x3000, 0]);
    m.set(sp + 12, 0x1005); // A called from A's own prologue row (CFA sp + 0: LR unknown)
    w.walk(0x2008, sp, 0xdead, 0x2000_0f00, 0, out, 0);
    expect([...out.slice(0, 3)]).toEqual([0x1014, 0x1004, 0]);
    // A saved frame pointer changed (nothing else): walked again.
    const walked = w.walks;
    m.set(sp, 0x2000_0e00);
    w.walk(0x2008, sp, 0xdead, 0x2000_0f00, 0, out, 0);
    expect(w.walks).toBe(walked + 1);
    // Another LR or frame pointer is another walk (a leaf's caller is in LR).
    w.walk(0x2000, sp, 0x1011, 0, 0, out, 0);
    expect([...out.slice(0, 2)]).toEqual([0x1010, 0x1014]);
    w.walk(0x2000, sp, 0x3001, 0, 0, out, 0);
    expect([...out.slice(0, 2)]).toEqual([0x3000, 0]);
  });

  it('walks again each time a walk read a word outside the stack RAM it was given', () => {
    const sp = 0x2000_1000 - 16;
    const m = memory({ [sp + 4]: 0x1015, [sp + 12]: 0x3001 });
    // The RAM given to the walker is another one: every word comes through `word`.
    const w = new CallChainWalker(table, m.word, { base: 0x1000_0000, words: new Int32Array(16) });
    const out = new Uint32Array(CALLER_DEPTH);
    for (let k = 0; k < 3; k++) {
      w.walk(0x2008, sp, 0xdead, 0, 0, out, 0);
      expect([...out.slice(0, 3)]).toEqual([0x1014, 0x3000, 0]);
    }
    expect([w.walks, w.hits]).toEqual([3, 0]);
  });

  it('numbers each chain once in the table it is given, a memo hit answering the same number', () => {
    const sp = 0x2000_1000 - 16;
    const m = memory({ [sp + 4]: 0x1015, [sp + 12]: 0x3001 });
    const w = walker(table, m);
    const chains = new ChainTable();
    const out = new Uint32Array(CALLER_DEPTH * 2);
    const first = w.chainOf(0x2008, sp, 0xdead, 0x2000_0f00, 0, chains);
    expect(w.chainOf(0x2008, sp, 0xdead, 0x2000_0f00, 0, chains)).toBe(first);
    expect([w.walks, w.hits]).toEqual([1, 1]);
    expect(chains.length(first)).toBe(2);
    expect(chains.copy(first, out, 1)).toBe(3);
    expect([...out.slice(1, 3)]).toEqual([0x1014, 0x3000]);
    // Another chain (from a leaf: LR), then the first again from another pc: the same number.
    const leaf = w.chainOf(0x2000, sp, 0x3001, 0, 0, chains);
    expect(leaf).not.toBe(first);
    expect(chains.length(leaf)).toBe(1);
    expect(w.chainOf(0x200a, sp, 0xdead, 0x2000_0f00, 0, chains)).toBe(first);
    // A changed stack word is still seen (the memo is checked, not trusted).
    m.set(sp + 4, 0x3009);
    const other = w.chainOf(0x2008, sp, 0xdead, 0x2000_0f00, 0, chains);
    expect(chains.copy(other, out, 0)).toBe(1);
    expect(out[0]).toBe(0x3008);
    // Another table: the memo's numbers are not taken for its own.
    const fresh = new ChainTable();
    fresh.intern([0x7770, 0x7772], 0, 2);
    const there = w.chainOf(0x2008, sp, 0xdead, 0x2000_0f00, 0, fresh);
    expect(there).toBe(1);
    expect(fresh.copy(there, out, 0)).toBe(1);
    expect(out[0]).toBe(0x3008);
  });

  it('checks every access of a run from one context, not only the first: a caller changed between two is seen', () => {
    // A polling loop: the same pc, sp and registers access after access (the walker answers
    // these without hashing, from the previous access's memo slot, after checking its words).
    const sp = 0x2000_1000 - 16;
    const m = memory({ [sp + 4]: 0x1015, [sp + 12]: 0x3001 });
    const w = walker(table, m);
    const chains = new ChainTable();
    const out = new Uint32Array(CALLER_DEPTH);
    const at = () => w.chainOf(0x2008, sp, 0xdead, 0x2000_0f00, 0, chains);
    const first = at();
    for (let k = 0; k < 3; k++) expect(at()).toBe(first);
    expect([w.walks, w.hits]).toEqual([1, 3]);
    // B's caller changes between two accesses of the run (B now called from 0x3008).
    m.set(sp + 4, 0x3009);
    const other = at();
    expect(chains.copy(other, out, 0)).toBe(1);
    expect(out[0]).toBe(0x3008);
    expect(at()).toBe(other);
    // A's caller (a word further up, read only through A's frame) changes back and forth.
    m.set(sp + 4, 0x1015);
    expect(at()).toBe(first);
    m.set(sp + 12, 0x1005);
    const third = at();
    expect(chains.copy(third, out, 0)).toBe(2);
    expect([...out.slice(0, 2)]).toEqual([0x1014, 0x1004]);
    expect(w.walks).toBe(4);
  });

  it('grows its table past its first room, every chain kept', () => {
    const chains = new ChainTable();
    const ids: number[] = [];
    for (let k = 0; k < 300; k++) ids.push(chains.intern([k * 4, k * 4 + 2, 8], 0, 1 + (k % 3)));
    for (let k = 0; k < 300; k++) {
      expect(chains.intern([k * 4, k * 4 + 2, 8], 0, 1 + (k % 3))).toBe(ids[k]);
      const out = new Uint32Array(CALLER_DEPTH);
      expect(chains.copy(ids[k]!, out, 0)).toBe(1 + (k % 3));
      expect([...out.slice(0, 1 + (k % 3))]).toEqual([k * 4, k * 4 + 2, 8].slice(0, 1 + (k % 3)));
    }
  });
});
