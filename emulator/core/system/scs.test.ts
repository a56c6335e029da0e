/**
 * Restoring a snapshot (the system blocks' `restore`, which reverse execution does at every
 * reverse step): compiled code and the data fast paths survive it when the FPB, DWT and MPU
 * state they were made under is unchanged, and go when the restored state needs them gone (an
 * FPB breakpoint or a DWT watchpoint that came back with the snapshot still stops the run).
 *
 * Why: dropping them on every restore made each reverse step re-translate its hot code and
 * send the first accesses down the slow path, which V8 had compiled the accessors without
 * (a first reverse-stepi 10^8 instructions into a run took ~5x the replay's time).
 *
 * Example: a loop loading from RAM runs compiled; a snapshot of it is restored; the loop still
 * runs compiled and reads RAM without one slow-path access.
 */
import { describe, expect, it, vi } from 'vitest';
import { Program } from '../assembler';
import { CortexM } from '../cortex-m';
import { bareCore } from '../testing/bare-core';

const RAM = 0x20000000;
const DATA = RAM + 0x100;
const DHCSR = 0xe000edf0;
const FP_CTRL = 0xe0002000;
const FP_COMP0 = 0xe0002008;
const DWT_COMP0 = 0xe0001020;
const DWT_FUNCTION0 = 0xe0001028;

/** A loop adding the word at DATA into r0 20,000 times, then a semihosting exit. */
function loopMachine(): { core: CortexM; add: number } {
  const { core, flash } = bareCore({}, { flash: 0x4000, ram: 0x4000, exitRegister: 0 });
  const p = new Program(0);
  p.word(RAM + 0x3000).addr('reset', 1);
  p.label('reset').mov32(3, DATA).i('MOV_imm_T1', { d: 0, i: 0 }).mov32(1, 20_000);
  p.label('loop')
    .i('LDR_imm_T1', { t: 2, n: 3, i: 0 })
    .label('add')
    .i('ADD_reg_T1', { d: 0, n: 0, m: 2 })
    .i('SUB_imm_T2', { d: 1, i: 1 })
    .branch('B_T1', 'loop', { c: 1 });
  p.i('BKPT_T1', { i: 0xab });
  flash.set(p.bytes());
  core.writeMemory(DATA, 4, 3);
  core.reset();
  return { core, add: p.addressOf('add') };
}

/** True while some compiled region of the flash exists. */
function compiled(core: CortexM): boolean {
  const chunks = core.bus.find(0)!.chunks ?? [];
  return chunks.some((c) => c !== undefined && c.fns.some((f) => f !== undefined));
}

describe('restoring a snapshot', () => {
  it('keeps compiled code and the fast data paths while nothing they depend on changed', () => {
    const { core } = loopMachine();
    core.run(2000);
    expect(compiled(core)).toBe(true);
    // Without memory, as reverse execution takes them (it restores memory page by page, and a
    // snapshot's memory, written back whole, drops the code cache).
    const snap = core.snapshot({ memory: false });
    core.run(2000);
    const slow = vi.spyOn(core as unknown as { readSlow: () => number }, 'readSlow');
    core.restore(snap);
    expect(compiled(core)).toBe(true);
    expect(core.run(1_000_000)).toEqual({ kind: 'exit', code: 60_000 });
    expect(slow).not.toHaveBeenCalled();
  });

  it('drops compiled code when the snapshot brings an FPB breakpoint back', () => {
    const { core, add } = loopMachine();
    core.writeMemory(DHCSR, 4, 0xa05f0001); // C_DEBUGEN
    core.writeMemory(FP_CTRL, 4, 3); // KEY | ENABLE
    core.writeMemory(FP_COMP0, 4, (add & ~3) | ((add & 2 ? 2 : 1) << 30) | 1);
    const snap = core.snapshot({ memory: false });
    core.writeMemory(FP_COMP0, 4, 0);
    core.run(2000); // the loop compiled over `add` now that no comparator matches it
    expect(compiled(core)).toBe(true);
    core.restore(snap);
    expect(core.run(1_000_000)).toEqual({ kind: 'breakpoint', address: add });
  });

  it('takes the slow path again when the snapshot brings a DWT watchpoint back', () => {
    const { core } = loopMachine();
    core.writeMemory(DHCSR, 4, 0xa05f0001);
    core.writeMemory(DWT_COMP0, 4, DATA);
    core.writeMemory(DWT_FUNCTION0, 4, 5); // read watchpoint
    const snap = core.snapshot({ memory: false });
    core.writeMemory(DWT_FUNCTION0, 4, 0);
    core.run(2000); // the fast paths hold the RAM now
    core.restore(snap);
    expect(core.run(1_000_000)).toEqual({
      kind: 'watchpoint',
      address: DATA,
      access: 'read',
      size: 4,
    });
  });
});
