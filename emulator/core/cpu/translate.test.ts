/**
 * Region compilation, what gets compiled where: code the core reaches in the middle of a
 * compiled block (it steps a region it may not enter near a clock event or at the end of its
 * budget; an interrupt returns there) is not compiled again, and the instruction after an SVC or
 * a call is a block of the caller's region. Both keep a busy kernel from compiling regions all
 * through a run; results stay the interpreter's.
 *
 * Example: `npx vitest run emulator/core/cpu/translate.test.ts`
 */
import { describe, expect, it } from 'vitest';
import { Program } from '../assembler';
import { bareCore } from '../testing/bare-core';

const RAM = 0x20000000;

/** A loop of 8 adds, an SVC (handler: `bx lr`), 2 more adds, 3000 times; exits with r0. */
function run(translate: boolean, slice: number): { r0: number; count: number; regions: number } {
  const { core, flash } = bareCore({ frequencyHz: 64_000_000, translate });
  const p = new Program(0);
  p.word(RAM + 0x8000).addr('reset', 1);
  for (let v = 2; v < 11; v++) p.word(0);
  p.addr('svc', 1); // vector 11: SVCall
  p.label('reset').mov32(0, 0).mov32(7, 3000);
  p.label('loop');
  for (let i = 1; i <= 8; i++) p.i('ADD_imm_T2', { d: 0, i });
  p.i('SVC_T1', { i: 0 });
  p.i('ADD_imm_T2', { d: 0, i: 3 }).i('ADD_imm_T2', { d: 0, i: 5 });
  p.i('SUB_imm_T2', { d: 7, i: 1 }).branch('B_T1', 'loop', { c: 1 });
  p.i('MOV_reg_T1', { D: 0, d: 1, m: 0 }).i('BKPT_T1', { i: 0xab });
  p.label('svc').i('BX_T1', { m: 14 });
  flash.set(p.bytes());
  core.reset();
  for (let i = 0; i < 1_000_000; i++) {
    const stop = core.run(slice);
    if (stop.kind === 'exit') {
      return {
        r0: stop.code,
        count: core.instructionCount,
        regions: core.translatorStats.regions,
      };
    }
    expect(stop.kind).toBe('limit');
  }
  throw new Error('the program did not exit');
}

describe('region compilation', () => {
  it('compiles no region inside a compiled block the core stepped into', () => {
    const interpreted = run(false, 7);
    expect(interpreted.r0).toBe((3000 * (36 + 8)) | 0);
    // Slices shorter than the loop's blocks: the core steps every instruction, each gets hot.
    const compiled = run(true, 7);
    expect(compiled.r0).toBe(interpreted.r0);
    expect(compiled.count).toBe(interpreted.count);
    expect(compiled.regions).toBeLessThanOrEqual(3);
  });

  it('makes the instruction after an SVC a block of the region that holds the SVC', () => {
    const interpreted = run(false, 100_000);
    const compiled = run(true, 100_000);
    expect(compiled.r0).toBe(interpreted.r0);
    expect(compiled.count).toBe(interpreted.count);
    // The loop and the handler; the return point is not a region of its own.
    expect(compiled.regions).toBe(2);
  });
});
