/**
 * The recorder's stack high-water marks over a scripted core: only exceptions entered from
 * Thread mode on the process stack count (EXC_RETURN bit 2; ARMv7-M ARM B1.5.8), each frame
 * lands in the range that holds it, the lowest stays, new ranges start over, and the timeline's
 * start/stop leaves the marks' hook in place.
 */
import { describe, expect, it } from 'vitest';
import type { CortexM } from '../../core/cortex-m';
import { TockRecorder } from './recorder';

function scriptedCore() {
  const core = {
    r: new Array<number>(16).fill(0),
    otherSp: 0,
    pc: 0,
    clock: { now: 0, frequencyHz: 64_000_000 },
    onExceptionEntry: null as ((e: number) => void) | null,
    onExceptionReturn: null as unknown,
    onItmWrite: null as unknown,
    readMemory: () => 0,
  };
  const enter = (exception: number, excReturn: number, psp: number): void => {
    core.r[14] = excReturn;
    core.otherSp = psp;
    core.onExceptionEntry?.(exception);
  };
  return { core, enter };
}

describe('TockRecorder stack marks', () => {
  const A = { start: 0x20008000, end: 0x2000a000 };
  const B = { start: 0x2000a000, end: 0x2000c000 };

  it('keeps the lowest frame per process stack, from process-stack entries only', () => {
    const { core, enter } = scriptedCore();
    const rec = new TockRecorder({ core: core as unknown as CortexM, dma: [] });
    expect(rec.handle({ op: 'stacks', ranges: [A, B] })).toEqual({
      op: 'stacks',
      lowest: [null, null],
    });
    enter(11, 0xfffffffd, 0x20008f00); // SVC from A
    enter(11, 0xfffffffd, 0x20008e80); // deeper
    enter(15, 0xfffffffd, 0x20008fc0); // shallower: kept lower
    enter(15, 0xfffffff9, 0x20008100); // from the kernel (MSP): not a process's stack
    enter(18, 0xfffffffd, 0x2000b800); // IRQ taken from B
    enter(18, 0xfffffffd, 0x30000000); // outside every range
    enter(11, 0xfffffffd, A.start); // the kernel's entry frame of a starting process
    expect(rec.stacks()).toEqual([0x20008e80, 0x2000b800]);
    // Same ranges: kept (in any order); another block or a restart (new id): over again.
    expect(rec.stacks([B, A])).toEqual([0x2000b800, 0x20008e80]);
    expect(rec.stacks([{ ...B, id: 7 }, A])).toEqual([null, 0x20008e80]);
  });

  it("survives the timeline's start and stop", () => {
    const { core, enter } = scriptedCore();
    const rec = new TockRecorder({ core: core as unknown as CortexM, dma: [] });
    rec.start({ timeline: true });
    rec.stacks([A]);
    rec.stop();
    enter(11, 0xfffffffd, 0x20008800);
    expect(rec.stacks()).toEqual([0x20008800]);
  });
});
