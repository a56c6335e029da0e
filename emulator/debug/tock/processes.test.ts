/**
 * The process-table reader without a kernel: what it says about an ELF that is not our kernel,
 * and how a suspended context is rebuilt from r4-r11 and the exception frame (ARMv7-M ARM
 * B1.5.6). The table itself is read from the booted kernel in tests/kernel/tock-processes.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { err, ok, type Result } from '../../core/result';
import { DebugInfo } from '../../formats/dwarf/index';
import { mixedElf } from '../../formats/dwarf/fixtures/mixed';
import type { CoreRegisters } from '../target';
import { ProcessTable, suspendedRegisters, withLiveCore, type ProcessRecord } from './processes';
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

describe('withLiveCore', () => {
  const sp = 0x2000ff00;
  const words = [0xa0, 0xa1, 0xa2, 0xa3, 0xc12, 0x41235, 0x40702, 0x01000000];
  const mem = memory(sp, frame(words));
  const record = (slot: number, ram: { start: number; end: number }, savedSp: number) =>
    ({
      slot,
      address: 0,
      name: `p${slot}`,
      state: 'Running',
      id: slot,
      flash: { start: 0, end: 0 },
      ram,
      stored: { regs: HIGH, sp: savedSp, pc: 0x40000 },
      registers: { pc: 0x40000, sp: savedSp },
    }) satisfies ProcessRecord as ProcessRecord;
  const core = (over: Partial<CoreRegisters>): CoreRegisters => {
    const c = Object.fromEntries(
      ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12'].map(
        (n, i) => [n, 0xc00 + i],
      ),
    );
    return {
      ...c,
      sp: 0x20001000,
      lr: 0,
      pc: 0x1000,
      xpsr: 0x01000000,
      msp: 0x20001000,
      psp: 0,
      primask: 0,
      basepri: 0,
      faultmask: 0,
      control: 0,
      ...over,
    } as CoreRegisters;
  };
  const other = { start: 0x20004000, end: 0x20008000 };

  it('gives the running process (Thread mode on PSP) the core registers', async () => {
    const procs = [record(0, other, 0x20007f00), record(1, RAM, 0x2000fe00)];
    const slot = await withLiveCore(procs, core({ control: 3, psp: 0x2000fe80, pc: 0x41000 }), mem);
    expect(slot).toBe(1);
    expect(procs[1]!.onCpu).toBe(true);
    expect(procs[1]!.registers).toMatchObject({ pc: 0x41000, sp: 0x2000fe80, r4: 0xc04 });
    expect(procs[0]!.onCpu).toBeUndefined();
    expect(procs[0]!.registers?.pc).toBe(0x40000);
  });

  it('at the SVC handler entry (fast path: saved context stale) takes the frame at PSP and r4-r11 from the core', async () => {
    const procs = [record(0, RAM, 0x2000fe00)];
    const c = core({ xpsr: 0x0100000b, lr: 0xfffffffd, psp: sp });
    expect(await withLiveCore(procs, c, mem)).toBe(0);
    expect(procs[0]!.registers).toMatchObject({ pc: 0x40702, r0: 0xa0, r4: 0xc04, sp: sp + 32 });
  });

  it('deeper in a handler entered from the process gives the frame and leaves r4-r11 out', async () => {
    const procs = [record(0, RAM, 0x2000fe00)];
    const c = core({ xpsr: 0x0100000b, lr: 0x1235, psp: sp });
    expect(await withLiveCore(procs, c, mem)).toBe(0);
    expect(procs[0]!.registers).toMatchObject({ pc: 0x40702, lr: 0x41235 });
    expect(procs[0]!.registers?.r4).toBeUndefined();
  });

  it('keeps the saved contexts when the kernel switched away (PSP is the saved stack pointer)', async () => {
    const procs = [record(0, RAM, sp)];
    expect(await withLiveCore(procs, core({ xpsr: 0x01000010, lr: 0x1235, psp: sp }), mem)).toBe(
      null,
    );
    expect(await withLiveCore(procs, core({ control: 0, psp: sp }), mem)).toBe(null);
    expect(procs[0]!.registers?.pc).toBe(0x40000);
    expect(procs[0]!.onCpu).toBeUndefined();
  });
});
