/**
 * The process-table reader without a kernel: what it says about an ELF that is not our kernel,
 * and how a suspended context is rebuilt from r4-r11 and the exception frame (ARMv7-M ARM
 * B1.5.6). The table itself is read from the booted kernel in tests/kernel/tock-processes.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { err, ok, type Result } from '../../core/result';
import { DebugInfo } from '../../formats/dwarf/index';
import { mixedElf } from '../../formats/dwarf/fixtures/mixed';
import { ProcessTable, suspendedRegisters } from './processes';
import { tockThreadSource } from './threads';

/** Memory holding `bytes` at `base`; anything else is unreadable. */
function memory(base: number, bytes: Uint8Array) {
  return async (address: number, length: number): Promise<Result<Uint8Array>> =>
    address >= base && address + length <= base + bytes.length
      ? ok(bytes.slice(address - base, address - base + length))
      : err(`unmapped ${address.toString(16)}`);
}

function frame(words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w >>> 0, true));
  return b;
}

const RAM = { start: 0x20008000, end: 0x20010000 };
const HIGH = [4, 5, 6, 7, 8, 9, 10, 11].map((n) => 0x100 + n);

describe('ProcessTable', () => {
  it('says plainly that an ELF without the kernel static is not our kernel', () => {
    const info = DebugInfo.load(mixedElf(), { name: 'mixed.elf' });
    expect(info.ok).toBe(true);
    if (!info.ok) return;
    const t = ProcessTable.fromDebugInfo(info.value);
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.error).toMatch(/no kernel::kernel::Kernel static \(KERNEL\) in mixed\.elf/);
  });

  it('gives the thread source the same error', async () => {
    const t = await tockThreadSource(mixedElf());
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.error).toMatch(/KERNEL/);
  });

  it('refuses bytes that are not an ELF, naming the kernel ELF', async () => {
    const t = await tockThreadSource(new Uint8Array([1, 2, 3, 4]));
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.error).toMatch(/^the kernel ELF: /);
  });
});

describe('suspendedRegisters', () => {
  const sp = 0x2000ff00;
  const words = [0xa0, 0xa1, 0xa2, 0xa3, 0xc12, 0x41235, 0x40702, 0x01000000];

  it('takes r0-r3, r12, lr, pc and xPSR from the frame and r4-r11 as saved', async () => {
    const r = await suspendedRegisters(memory(sp, frame(words)), HIGH, sp, RAM);
    expect(r).toMatchObject({
      r0: 0xa0,
      r1: 0xa1,
      r2: 0xa2,
      r3: 0xa3,
      r12: 0xc12,
      lr: 0x41235,
      pc: 0x40702,
      xpsr: 0x01000000,
      r4: 0x104,
      r11: 0x10b,
      // The stack as it was before the exception: just above the 8-word frame.
      sp: sp + 32,
      psp: sp + 32,
    });
  });

  it('adds the alignment word when xPSR bit 9 says the frame was realigned', async () => {
    const realigned = [...words.slice(0, 7), 0x01000200];
    const r = await suspendedRegisters(memory(sp, frame(realigned)), HIGH, sp, RAM);
    expect(r?.sp).toBe(sp + 36);
  });

  it('is null for a stack pointer outside the process RAM or a frame crossing its end', async () => {
    const mem = memory(0x20000000, new Uint8Array(0x10000));
    expect(await suspendedRegisters(mem, HIGH, 0x20004000, RAM)).toBeNull();
    expect(await suspendedRegisters(mem, HIGH, RAM.end - 16, RAM)).toBeNull();
  });

  it('is null when the frame cannot be read', async () => {
    const mem = memory(0x30000000, new Uint8Array(64));
    expect(await suspendedRegisters(mem, HIGH, sp, RAM)).toBeNull();
  });
});
