/**
 * Bit-pattern encodings: parse ARM-ARM style patterns and expand them once into lookup tables.
 *
 * An encoding is written as in the ARMv7-M Architecture Reference Manual: '0'/'1' are fixed
 * bits, '(0)'/'(1)' are should-be bits (ignored by the decoder, as QEMU 7.2 ignores them, and
 * emitted by the assembler), and letters are fields; bits with the same letter concatenate
 * most-significant first (so `11110i0...0iii....iiiiiiii` yields the 12-bit `i` of
 * ThumbExpandImm). 32-bit encodings are two halfwords, first halfword in the high 16 bits.
 * The same parsed pattern decodes (field extraction), assembles (field insertion) and feeds the
 * overlap test, so executor, disassembler and assembler can never disagree about the layout.
 */

/** Raw field values by letter, as they appear in the encoding. */
export type Fields = Record<string, number>;

export interface ParsedPattern {
  readonly width: 16 | 32;
  /** Fixed-bit mask and value. */
  readonly mask: number;
  readonly value: number;
  /** Should-be-one bits (for the assembler). */
  readonly sbo: number;
  /** Field letter -> bit positions, most significant first. */
  readonly fields: ReadonlyArray<readonly [string, readonly number[]]>;
}

/** Parses `"010000oooommmddd"` or `"11110i0oooo Snnnn 0iiiddddiiiiiiii"` (spaces ignored). */
export function parsePattern(pattern: string): ParsedPattern {
  const bits: string[] = [];
  const src = pattern.replace(/\s+/g, '');
  for (let i = 0; i < src.length; i++) {
    if (src[i] === '(') {
      bits.push(src[i + 1] === '1' ? 'S' + '1' : 'S' + '0');
      i += 2;
    } else bits.push(src[i]!);
  }
  if (bits.length !== 16 && bits.length !== 32) {
    throw new Error(`pattern ${pattern} has ${bits.length} bits, expected 16 or 32`);
  }
  const width = bits.length as 16 | 32;
  let mask = 0;
  let value = 0;
  let sbo = 0;
  const map = new Map<string, number[]>();
  bits.forEach((b, idx) => {
    const pos = width - 1 - idx;
    if (b === '0' || b === '1') {
      mask |= 1 << pos;
      if (b === '1') value |= 1 << pos;
    } else if (b === 'S1') {
      sbo |= 1 << pos;
    } else if (b === 'S0') {
      // should-be-zero: nothing to emit
    } else if (/^[a-zA-Z]$/.test(b)) {
      let list = map.get(b);
      if (!list) map.set(b, (list = []));
      list.push(pos);
    } else {
      throw new Error(`pattern ${pattern}: bad character ${b}`);
    }
  });
  return { width, mask: mask >>> 0, value: value >>> 0, sbo: sbo >>> 0, fields: [...map] };
}

/** Extracts raw fields from an instruction word (32-bit: hw1 << 16 | hw2). */
export function extractFields(p: ParsedPattern, word: number): Fields {
  const out: Fields = {};
  for (const [name, positions] of p.fields) {
    let v = 0;
    for (const pos of positions) v = (v << 1) | ((word >>> pos) & 1);
    out[name] = v >>> 0;
  }
  return out;
}

/** Inserts field values into the fixed bits; throws when a value does not fit its field. */
export function insertFields(p: ParsedPattern, fields: Fields, what: string): number {
  let word = p.value | p.sbo;
  for (const [name, positions] of p.fields) {
    const v = fields[name];
    if (v === undefined) throw new Error(`${what}: field ${name} missing`);
    if (v < 0 || v >= 2 ** positions.length) {
      throw new Error(`${what}: field ${name}=${v} does not fit in ${positions.length} bits`);
    }
    for (let k = 0; k < positions.length; k++) {
      const bit = (v >>> (positions.length - 1 - k)) & 1;
      if (bit) word |= 1 << positions[k]!;
    }
  }
  return word >>> 0;
}

/** True when some word matches both patterns (fixed bits agree wherever both fix them). */
export function patternsOverlap(a: ParsedPattern, b: ParsedPattern): boolean {
  if (a.width !== b.width) return false;
  const common = a.mask & b.mask;
  return ((a.value ^ b.value) & common) === 0;
}

/** True when every word matching `specific` also matches `general`. */
export function patternContains(general: ParsedPattern, specific: ParsedPattern): boolean {
  return (
    general.width === specific.width &&
    (general.mask & specific.mask) >>> 0 === general.mask >>> 0 &&
    ((general.value ^ specific.value) & general.mask) === 0
  );
}
