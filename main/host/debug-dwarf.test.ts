// Pure parts of the DWARF view: breakpoint conditions over path expressions (comparisons joined
// with && and ||, numbers, bools and pointers), names without hashes, exception names, a
// process's registers from its stacked exception frame.
import { describe, expect, it } from 'vitest';
import { ok, err, type Result } from '../../emulator/core/result';
import type { ValueNode } from '../../emulator/formats/dwarf';
import { CallFrameInfo } from '../../emulator/formats/dwarf/cfi';
import { unwindStack } from '../../emulator/formats/dwarf/unwind';
import { cleanName, evaluateCondition, exceptionName, stackedRegisters } from './debug-dwarf';

const values: Record<string, string> = {
  command: '1',
  arg1: '21',
  pending: 'false',
  self: '0x200025d0 <BUF>',
};
const evaluate = async (e: string): Promise<Result<ValueNode>> =>
  e in values ? ok({ text: values[e] } as ValueNode) : err(`no variable ${e}`);

describe('breakpoint conditions', () => {
  it('compares variables with literals and each other', async () => {
    expect(await evaluateCondition('command == 1', evaluate)).toEqual(ok(true));
    expect(await evaluateCondition('command == 2', evaluate)).toEqual(ok(false));
    expect(await evaluateCondition('arg1 > 20 && command != 0', evaluate)).toEqual(ok(true));
    expect(await evaluateCondition('arg1 < 4 || pending == false', evaluate)).toEqual(ok(true));
    expect(await evaluateCondition('arg1 >= 0x15', evaluate)).toEqual(ok(true));
    expect(await evaluateCondition('self == 0x200025d0', evaluate)).toEqual(ok(true));
    expect(await evaluateCondition('arg1 <= command', evaluate)).toEqual(ok(false));
  });

  it('leaves plain paths to the evaluator and names what it cannot evaluate', async () => {
    expect(await evaluateCondition('self.apps', evaluate)).toBeNull();
    expect(await evaluateCondition('nope == 1', evaluate)).toEqual(err('nope: no variable nope'));
    expect(await evaluateCondition('pending > 1', evaluate)).toEqual(
      err('> compares numbers only'),
    );
  });
});

describe('names', () => {
  it('drops the hash of a Rust symbol and names exceptions as the ARM ARM does', () => {
    expect(cleanName('capsules::console::Console::command::h0123456789abcdef')).toBe(
      'capsules::console::Console::command',
    );
    expect(exceptionName(11)).toBe('SVCall');
    expect(exceptionName(15)).toBe('SysTick');
    expect(exceptionName(16 + 2)).toBe('IRQ 2');
  });
});

describe("a process's stacked registers", () => {
  // One CIE (code align 2, data align -4, return address in lr, CFA = sp) and one FDE at
  // 0x40000: push {r7, lr}, then r7 is the frame pointer (CFA = r7 + 8), as the apps' code is.
  const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  const cie = [...u32(0xffffffff), 1, 0, 2, 0x7c, 14, 0x0c, 13, 0, 0, 0, 0];
  const fde = [
    ...u32(0),
    ...u32(0x40000),
    ...u32(0x40),
    0x41, // advance 2
    0x0e,
    8, // def_cfa_offset 8
    0x8e,
    1, // lr at cfa-4
    0x87,
    2, // r7 at cfa-8
    0x41, // advance 2
    0x0c,
    7,
    8, // def_cfa r7+8
    0,
    0,
    0,
  ];
  const cfi = CallFrameInfo.parse(
    new Uint8Array([...u32(cie.length), ...cie, ...u32(fde.length), ...fde]),
    [],
  );
  const words: Record<number, number> = {
    // The hardware's frame at PSP: r0-r3, r12, lr, return address (in the FDE, past its
    // prologue), xPSR.
    0x20001000: 0,
    0x20001004: 0,
    0x20001008: 0,
    0x2000100c: 0,
    0x20001010: 0,
    0x20001014: 0x40001,
    0x20001018: 0x40010,
    0x2000101c: 0x01000000,
    // The process's frame record: its caller's r7 and return address.
    0x20001100: 0x20001200,
    0x20001104: 0x40031,
    // The vector table: the initial SP and the reset handler (a code address).
    0x0: 0x20004000,
    0x4: 0x40021,
  };
  const mem = async (address: number, length: number): Promise<Result<Uint8Array>> => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const w = words[address + i];
      if (w === undefined) return err(`unmapped 0x${(address + i).toString(16)}`);
      out.set(u32(w), i);
    }
    return ok(out);
  };
  const frame = async (): Promise<Uint8Array> => {
    const r = await mem(0x20001000, 32);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };

  it('leaves r4-r11 unknown unless given: the frame-pointer row ends the walk instead of reading the vector table', async () => {
    const regs = stackedRegisters(0x20001000, await frame());
    expect(regs.core[7]).toBeUndefined();
    expect(regs.core[13]).toBe(0x20001020);
    expect(regs.core[15]).toBe(0x40010);
    const bt = await unwindStack(cfi, regs, mem);
    // Taken as 0, r7 put the frame's CFA at 8 and the return address was read from 4 (the
    // vector table); only the stack-pointer check kept the made-up caller out.
    expect(bt.frames.map((f) => f.pc)).toEqual([0x40010]);
    expect(bt.frames[0]!.cfa).toBeUndefined();
    expect(bt.stopReason).toContain('r7 is not known');
  });

  it('unwinds through the frame pointer when r4-r11 are given', async () => {
    const r4to11 = [4, 5, 6, 0x20001100, 8, 9, 10, 11];
    const bt = await unwindStack(cfi, stackedRegisters(0x20001000, await frame(), r4to11), mem);
    expect(bt.frames.map((f) => f.pc).slice(0, 2)).toEqual([0x40010, 0x40030]);
    expect(bt.frames[0]!.cfa).toBe(0x20001108);
  });
});
