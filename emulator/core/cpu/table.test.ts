/**
 * Decode-table proofs: no silent overlaps, and every encoding round-trips through
 * assembler -> decoder -> disassembler.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../assembler';
import { patternContains, patternsOverlap, extractFields, type ParsedPattern } from './encoding';
import { ALL_ENCODINGS, DECODE_ORDER, decode, findEncoding, mul64 } from './table';

/** A small deterministic PRNG (tests must not depend on Math.random). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

describe('encoding table', () => {
  it('has unique names and well-formed patterns', () => {
    const names = new Set(ALL_ENCODINGS.map((e) => e.name));
    expect(names.size).toBe(ALL_ENCODINGS.length);
    expect(ALL_ENCODINGS.length).toBeGreaterThan(250);
  });

  it('declares every overlap, with the overriding encoding tried first', () => {
    const problems: string[] = [];
    const byName = new Map(ALL_ENCODINGS.map((e) => [e.name, e]));
    const rank = new Map(DECODE_ORDER.map((e, i) => [e.name, i]));
    for (let i = 0; i < ALL_ENCODINGS.length; i++) {
      for (let j = i + 1; j < ALL_ENCODINGS.length; j++) {
        const a = ALL_ENCODINGS[i]!;
        const b = ALL_ENCODINGS[j]!;
        if (!patternsOverlap(a.pattern, b.pattern)) continue;
        const aOver = a.over.includes(b.name) && rank.get(a.name)! < rank.get(b.name)!;
        const bOver = b.over.includes(a.name) && rank.get(b.name)! < rank.get(a.name)!;
        if (aOver || bOver) continue;
        // Otherwise the intersection must be claimed entirely by a third encoding that overrides both.
        const inter: ParsedPattern = {
          ...a.pattern,
          mask: (a.pattern.mask | b.pattern.mask) >>> 0,
          value: (a.pattern.value | b.pattern.value) >>> 0,
        };
        const third = ALL_ENCODINGS.some(
          (c) =>
            c.over.includes(a.name) &&
            c.over.includes(b.name) &&
            rank.get(c.name)! < Math.min(rank.get(a.name)!, rank.get(b.name)!) &&
            patternContains(c.pattern, inter),
        );
        if (!third) problems.push(`${a.name} (${a.source}) overlaps ${b.name} (${b.source})`);
      }
    }
    for (const e of ALL_ENCODINGS) {
      for (const o of e.over) {
        if (!byName.has(o)) problems.push(`${e.name} overrides unknown ${o}`);
        if (!e.why) problems.push(`${e.name} overrides ${o} without a reason`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('round-trips every encoding through assembler, decoder and disassembler', () => {
    const next = rng(12345);
    const failures: string[] = [];
    for (const e of ALL_ENCODINGS) {
      let ok = false;
      for (let attempt = 0; attempt < 200 && !ok; attempt++) {
        const fields: Record<string, number> = {};
        for (const [name, pos] of e.pattern.fields) fields[name] = next() % 2 ** pos.length;
        const hw = assemble(e.name, fields);
        const insn = decode(hw[0]!, hw[1] ?? 0);
        if (insn.encoding.name !== e.name) {
          // A more specific encoding claimed these operands: it must declare that.
          const winner = insn.encoding;
          if (
            !winner.over.includes(e.name) &&
            !ALL_ENCODINGS.some((c) => c === winner && c.over.length)
          ) {
            failures.push(`${e.name} ${JSON.stringify(fields)} decoded as ${winner.name}`);
            break;
          }
          continue;
        }
        expect(insn.size).toBe(hw.length * 2);
        const word = hw.length === 2 ? ((hw[0]! << 16) | hw[1]!) >>> 0 : hw[0]!;
        expect(extractFields(e.pattern, word)).toEqual(fields);
        const text = e.dis(insn.f, 0x1000);
        expect(text.length).toBeGreaterThan(2);
        expect(findEncoding(hw[0]!, hw[1] ?? 0)).toBe(e);
        ok = true;
      }
      if (!ok && !failures.some((f) => f.startsWith(e.name)))
        failures.push(`${e.name}: never decoded as itself`);
    }
    expect(failures).toEqual([]);
  });

  it('leaves unallocated space UNDEFINED rather than guessing', () => {
    // 1011 0111 xxxx xxxx is unallocated in the 16-bit miscellaneous space (A5.2.5).
    expect(decode(0b1011011100000000, 0).encoding.name).toBe('UNDEFINED16');
    // Parallel add/sub with prefix 011 is unallocated (A5.3.13).
    expect(decode(0b1111101010010001, 0b1111000000110010).encoding.name).toBe('UNDEFINED32');
  });
});

describe('mul64', () => {
  it('gives the 64-bit product of BigInt arithmetic, signed and unsigned', () => {
    const next = rng(64);
    const edges = [0, 1, -1, 0x7fffffff, -0x80000000, 0xffff, 0x10000, -0x10000, 0x12345678];
    const values = [...edges, ...Array.from({ length: 100 }, () => next() | 0)];
    for (const a of values) {
      for (const b of values.slice(0, 24)) {
        for (const signed of [false, true]) {
          const big = signed ? BigInt(a) * BigInt(b) : BigInt(a >>> 0) * BigInt(b >>> 0);
          const u = BigInt.asUintN(64, big);
          const want = [Number(BigInt.asIntN(32, u >> 32n)), Number(BigInt.asIntN(32, u))];
          const got = mul64(a, b, signed);
          if (got[0] !== want[0] || got[1] !== want[1]) expect(got, `${a} * ${b}`).toEqual(want);
        }
      }
    }
  });
});

describe('decoded instructions shared by word', () => {
  it('gives one Insn per word, and a 32-bit word its own even where the first halfword matches', () => {
    // MOVW r0, #1 and MOVW r0, #2: the same first halfword (0xf240), second halfwords 0x0001, 0x0002.
    const a = decode(0xf240, 0x0001);
    const b = decode(0xf240, 0x0002);
    expect(a.encoding.name).toBe('MOVW_T3');
    expect(decode(0xf240, 0x0001)).toBe(a);
    expect(b).not.toBe(a);
    expect([a.f.imm, b.f.imm]).toEqual([1, 2]);
    // A 16-bit instruction ignores the halfword after it (ADDS r0, #1 = 0x3001).
    expect(decode(0x3001, 0x1234)).toBe(decode(0x3001, 0));
    expect(decode(0x3001, 0).size).toBe(2);
  });
});
