/**
 * Debugging a board through OpenOCD with the same DebugTarget calls as the emulator: real
 * OpenOCD 0.12 on the emulated nRF52840-DK over remote_bitbang, the GDB remote target on
 * OpenOCD's GDB port. Halts the running firmware, reads registers and memory (the firmware's
 * `counter`, its code compared with the ELF), stops at a breakpoint in flash (an FPB
 * comparator OpenOCD programs through the MEM-AP), steps, sees the counter move by exactly one
 * call between two stops, resets halted at the reset handler, and closes (OpenOCD exits, the
 * board runs on). A board that cannot be reached gives the flasher's error for it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextEvent, runToStop, unwrap } from '../../emulator/debug/testing/target-helpers';
import { parseElf, type ElfFile } from '../../emulator/formats/elf';
import { findTool } from '../../emulator/node/tools';
import { openocdForEmulator } from '../../main/host/openocd';
import { startOpenocdTarget, type OpenocdTarget } from '../../main/host/openocd-target';
import { compilerAvailable } from '../programs/nrf52-baremetal/build';
import { skipWithoutTool } from '../tools';
import {
  buildFlashedImages,
  RESOURCES,
  startEmulatedBoard,
  type EmulatedBoard,
} from './emulated-board';

const noOpenocd = skipWithoutTool(findTool('openocd').ok, 'openocd', 'apt-get install openocd');
const noCompiler = skipWithoutTool(
  compilerAvailable(),
  'arm-none-eabi-gcc',
  'apt-get install gcc-arm-none-eabi',
);

const word = (b: Uint8Array): number =>
  (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;

describe.skipIf(noOpenocd || noCompiler)(
  'DebugTarget over OpenOCD on the emulated nRF52840-DK',
  () => {
    let board: EmulatedBoard;
    let target: OpenocdTarget;
    let elf: ElfFile;
    let elfBytes: Uint8Array;
    const symbol = (name: string): number => {
      const s = elf.symbols.find((x) => x.name === name);
      if (!s) throw new Error(`no symbol ${name}`);
      return s.value & ~1;
    };

    beforeAll(async () => {
      const images = buildFlashedImages();
      if (!images.ok) throw new Error(images.error);
      elfBytes = new Uint8Array(readFileSync(images.value.a));
      elf = parseElf(elfBytes);
      board = await startEmulatedBoard(images.value.a);
      await board.waitForOutput('flashed image A');
      const t = await startOpenocdTarget({
        board: 'nrf52840dk',
        setup: openocdForEmulator(board.port, RESOURCES),
      });
      if (!t.ok) throw new Error(`${t.error.message}\n${t.error.log?.join('\n')}`);
      target = t.value;
    }, 90_000);

    afterAll(async () => {
      await target?.close();
      await board?.stop();
    });

    it('halts the running firmware and reads its registers and memory', async () => {
      const stop = unwrap(await target.halt());
      expect(stop.cause.kind).toBe('halted');
      const regs = unwrap(await target.readRegisters());
      expect(regs.pc).toBe(stop.pc);
      expect(regs.pc).toBeLessThan(0x100000); // in flash
      expect(regs.sp >>> 0).toBeGreaterThanOrEqual(0x20000000);
      expect(regs.sp >>> 0).toBeLessThanOrEqual(0x20040000);
      // count_once's code, read back through the AHB-AP, is the ELF's.
      const at = symbol('count_once');
      const code = unwrap(await target.readMemory(at, 8));
      const text = elf.sections.find((s) => s.name === '.text')!;
      const off = text.offset + (at - text.addr);
      expect([...code]).toEqual([...elfBytes.subarray(off, off + 8)]);
      // The counter has been counting.
      const counter = word(unwrap(await target.readMemory(symbol('counter'), 4)));
      expect(counter).toBeGreaterThan(0);
    }, 60_000);

    it('stops at a breakpoint in flash, steps, and the counter moves by one call between stops', async () => {
      const at = symbol('count_once');
      unwrap(await target.setBreakpoint(at));
      const first = await runToStop(target);
      expect(first.cause).toEqual({ kind: 'breakpoint', address: at });
      expect(first.pc).toBe(at);
      const before = word(unwrap(await target.readMemory(symbol('counter'), 4)));
      const stepped = unwrap(await target.step());
      expect(stepped.cause.kind).toBe('step');
      expect(stepped.pc).not.toBe(at);
      const second = await runToStop(target);
      expect(second.cause).toEqual({ kind: 'breakpoint', address: at });
      const after = word(unwrap(await target.readMemory(symbol('counter'), 4)));
      expect(after).toBe(before + 1);
      unwrap(await target.clearBreakpoint(at));
      // Without the breakpoint it runs on until halted.
      const running = nextEvent(target, 'running');
      unwrap(await target.resume());
      await running;
      // Longer than OpenOCD waits before its keep-alive (an empty 'O' packet), which the client
      // once took for the stop reply: the halt then never came back.
      await new Promise((r) => setTimeout(r, 2000));
      expect(unwrap(await target.halt()).cause.kind).toBe('halted');
      expect(word(unwrap(await target.readMemory(symbol('counter'), 4)))).toBeGreaterThan(after);
    }, 60_000);

    it('resets halted at the reset handler, and writes memory', async () => {
      unwrap(await target.reset({ halt: true }));
      expect(unwrap(await target.readRegister('pc'))).toBe(elf.entry & ~1);
      unwrap(await target.writeMemory(symbol('counter'), Uint8Array.of(0x78, 0x56, 0x34, 0x12)));
      expect(word(unwrap(await target.readMemory(symbol('counter'), 4)))).toBe(0x12345678);
      expect(target.openocdLog().join('\n')).toMatch(/Listening on port \d+ for gdb connections/);
    }, 60_000);

    it("a board that cannot be reached gives the flasher's error for it", async () => {
      const r = await startOpenocdTarget({
        board: 'nrf52840dk',
        setup: openocdForEmulator(1, RESOURCES),
      });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe('no-probe');
    }, 60_000);
  },
);
