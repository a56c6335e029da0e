/**
 * A region function that V8 has optimised stays optimised when one of its conditional
 * branches goes the other way for the first time: the arms of a branch at a block's end only
 * assign constants (emulator/core/cpu/translate.ts), so an arm that never ran has no operation
 * TurboFan compiled as a deoptimization for want of type feedback. A deoptimization sends the
 * whole region back to V8's interpreter until it is compiled again.
 *
 * V8's `%OptimizeFunctionOnNextCall` and `%GetOptimizationStatus` (natives syntax, switched on
 * for this file: the emulator's folders may not import node:v8) make and read the state.
 *
 * Example: `npx vitest run tests/unit/region-deopt.test.ts`
 */
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Program } from '../../emulator/core/assembler';
import { CompiledRegion } from '../../emulator/core/cpu/translate';
import { BARE_RAM, bareCore } from '../../emulator/core/testing/bare-core';

setFlagsFromString('--allow-natives-syntax');
const natives = (body: string) => new Function('f', body) as (f: unknown) => number;
const prepare = natives('%PrepareFunctionForOptimization(f); return 0;');
const optimizeNext = natives('%OptimizeFunctionOnNextCall(f); return 0;');
/** V8's optimization status bits: 16 = optimised code (TurboFan or Maglev). */
const status = natives('return %GetOptimizationStatus(f);');
const OPTIMIZED = 16;

describe('an optimised region function', () => {
  it('stays optimised when a conditional branch is first taken', () => {
    const { core, flash } = bareCore({ frequencyHz: 64_000_000, translate: true });
    const p = new Program(0);
    p.word(BARE_RAM + 0x8000).addr('reset', 1);
    // r7 counts down from 100,000; at r7 == 5 the BEQ is taken once, to an add and back.
    p.label('reset').mov32(0, 0).mov32(7, 100_000);
    p.label('loop').i('ADD_imm_T2', { d: 0, i: 3 }).i('CMP_imm_T1', { n: 7, i: 5 });
    p.branch('B_T1', 'rare', { c: 0 }); // BEQ
    p.label('back').i('SUB_imm_T2', { d: 7, i: 1 }).branch('B_T1', 'loop', { c: 1 }); // BNE
    p.i('MOV_reg_T1', { D: 0, d: 1, m: 0 }).i('BKPT_T1', { i: 0xab });
    p.label('rare').i('ADD_imm_T2', { d: 0, i: 100 }).branch('B_T2', 'back');
    flash.set(p.bytes());
    core.reset();
    core.run(2_000); // the loop's region is made
    const loop = p.addressOf('loop');
    const code = core.bus.regions.find((r) => r.base === 0 && r.chunks !== null)!;
    const cr = code.chunks![loop >>> 8]!.fns[(loop >>> 1) & 127];
    expect(cr).toBeInstanceOf(CompiledRegion);
    const fn = (cr as CompiledRegion).fn;
    prepare(fn);
    core.run(2_000);
    optimizeNext(fn);
    core.run(2_000);
    expect(status(fn) & OPTIMIZED).toBe(OPTIMIZED);
    // To the end: the branch is taken once (5 passes before the end), the rest as before.
    const stop = core.run(1_000_000);
    expect(stop).toEqual({ kind: 'exit', code: 100_000 * 3 + 100 });
    expect(status(fn) & OPTIMIZED).toBe(OPTIMIZED);
  });
});
