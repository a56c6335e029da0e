/**
 * The emulator's objects keep their hidden class (V8's map) through a long run: the fields that
 * hold cycle counts and unsigned addresses are doubles from the start (emulator/core/
 * double-field.ts), and the modified immediates of decoded instructions are int32. A core that
 * slept past 2^31 cycles and returned from exceptions (the PC held 0xFFFFFFFD), and the fields
 * of an instruction with a large immediate, have the map of fresh ones; without that, their
 * map changes and every function optimised for the old one deoptimizes.
 *
 * The maps are compared with V8's `%HaveSameMap` (natives syntax, switched on for this file:
 * the emulator's own folders may not import node:v8). An object whose map V8 has deprecated
 * keeps it until its next property access, so the fresh object, untouched since it was made,
 * still has the old map while the run one has the new.
 *
 * Example: `npx vitest run tests/unit/double-fields.test.ts`
 */
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Program } from '../../emulator/core/assembler';
import { assembleEncoding, decode } from '../../emulator/core/cpu/table';
import { BARE_RAM, bareCore } from '../../emulator/core/testing/bare-core';

setFlagsFromString('--allow-natives-syntax');
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b);') as (
  a: object,
  b: object,
) => boolean;

/** Sleeps in WFI until SysTick wakes it (every 2^24 cycles, the longest reload), forever. */
function sleeper(translate: boolean) {
  const p = new Program(0);
  p.word(BARE_RAM + 0x8000).addr('reset', 1);
  for (let v = 2; v < 15; v++) p.word(0);
  p.addr('tick', 1); // vector 15: SysTick
  // SysTick reload, then counter and interrupt on with the core clock (ARMv7-M ARM B3.3.3).
  p.label('reset').mov32(1, 0xe000e010).mov32(2, 0xffffff);
  p.i('STR_imm_T1', { t: 2, n: 1, i: 1 });
  p.i('MOV_imm_T1', { d: 2, i: 7 }).i('STR_imm_T1', { t: 2, n: 1, i: 0 });
  p.label('loop').i('WFI_T1').branch('B_T2', 'loop');
  p.label('tick').i('BX_T1', { m: 14 });
  const made = bareCore({ frequencyHz: 64_000_000, translate });
  made.flash.set(p.bytes());
  made.core.reset();
  return made.core;
}

describe('hidden classes through a long run', () => {
  for (const translate of [false, true]) {
    it(`the core and its clock keep theirs past 2^31 cycles and exception returns (translator ${translate ? 'on' : 'off'})`, () => {
      const fresh = sleeper(translate);
      const run = sleeper(translate);
      // 140 SysTick periods: past 2^31 cycles, nearly all of them slept.
      for (let i = 0; i < 1000 && run.clock.now < 140 * 2 ** 24; i++)
        expect(run.run(100_000).kind).toBe('limit');
      expect(run.clock.now).toBeGreaterThan(2 ** 31);
      expect(run.sleptCycles).toBeGreaterThan(2 ** 31);
      expect(run.instructionCount).toBeGreaterThan(140 * 2);
      expect(sameMap(fresh, run)).toBe(true);
      expect(sameMap(fresh.clock, run.clock)).toBe(true);
    });
  }

  it('the fields of decoded instructions keep theirs with a modified immediate from 0x80000000', () => {
    const fields = (imm12: number) => {
      const w = assembleEncoding('AND_imm_mod', { S: 0, n: 0, d: 1, i: imm12 });
      return decode(w[0]!, w[1]!).f;
    };
    const small = fields(0x0ff); // ThumbExpandImm: 0x000000ff
    const top = fields(0x47f); // 0xff000000 (0xff rotated right by 8, A5.3.2)
    expect(top.imm! >>> 0).toBe(0xff000000);
    expect(sameMap(small, top)).toBe(true);
  });
});
