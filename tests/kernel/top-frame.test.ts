/**
 * A stop's line before its stack (main/host/debug-dwarf.ts `topFrame`): the debug service
 * publishes a stop with the function and location of its first frame taken from the PC alone,
 * and unwinds the stack after the window has the stop. What it shows must be what the
 * backtrace's first frame says, at every halfword of the functions the IDE bench steps through
 * on the built nRF52840-DK kernel (inlined calls, their first instructions, code of other files
 * inlined, and lines without a function around them), or the editor shows a line the Call Stack
 * contradicts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok } from '../../emulator/core/result';
import { CORE_REGISTER_NAMES, type CoreRegisters } from '../../emulator/debug/target';
import { unwrap } from '../../emulator/debug/testing/target-helpers';
import { DwarfProgramView } from '../../main/host/debug-dwarf';
import { findImages } from '../../main/host/debug-images';

const root = path.resolve(import.meta.dirname, '..', '..', 'kernel');

describe("A stop's first frame from its PC alone, on the nRF52840-DK kernel", () => {
  it(
    "is the backtrace's first frame at every halfword of the stepped functions",
    { timeout: 180_000 },
    async () => {
      const view = DwarfProgramView.load(
        unwrap(findImages(root, 'nrf52840dk')),
        root,
      ) as DwarfProgramView;
      // The functions of bench:ide's steps: the console capsule's command, the syscall
      // dispatch, the process's syscall return and the scheduler's loop.
      const lines: [string, number][] = [
        ['console.rs', 155],
        ['dispatch.rs', 206],
        ['process.rs', 31],
        ['scheduler.rs', 209],
      ];
      // A stack of zeros in RAM: the unwind stops after the first physical frame; the first
      // frame depends on the PC only.
      const zeros = (_a: number, n: number) => Promise.resolve(ok(new Uint8Array(n)));
      const regs = Object.fromEntries(CORE_REGISTER_NAMES.map((n) => [n, 0])) as CoreRegisters;
      let addresses = 0;
      let atInlineEntry = 0;
      for (const [file, line] of lines) {
        const at = view.addressesFor(file, line);
        expect(at, `${file}:${line} has code`).not.toBeNull();
        const fn = view.functionAt(at!.addresses[0]!)!;
        for (const [lo, hi] of fn.ranges)
          for (let a = lo; a < hi; a += 2) {
            view.newStop();
            const frames = await view.backtrace(
              { ...regs, pc: a, sp: 0x2000_8000, msp: 0x2000_8000, xpsr: 0x0100_0000 },
              zeros,
            );
            const top = view.topFrame(a);
            expect(top, `topFrame at 0x${a.toString(16)}`).toEqual({
              function: frames[0]!.function,
              location: frames[0]!.location,
            });
            addresses++;
            if (view.lineAt(a)?.line !== top.location?.line) atInlineEntry++;
          }
      }
      // The walk met enough code, including inlined calls' first instructions (shown at the
      // call site, not at the line-table row).
      expect(addresses).toBeGreaterThan(500);
      expect(atInlineEntry).toBeGreaterThan(0);
    },
  );
});
