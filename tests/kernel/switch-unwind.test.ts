/**
 * The call stack from inside the kernel's handler-mode context switch, as the debugger shows it.
 *
 * Why: the SysTick handler's switch runs in code the unwinder sees nowhere else: an assembly
 * stub (`cm_systick_handler`) that jumps, not calls, into a never-returning Rust function
 * (`cm_fast_switch`, `-> !`, so no saved registers and no return address of its own), and a
 * refusal label (`cm_systick_declined`) reached by a jump from that function. A breakpoint
 * there must still show the exception boundary (the SysTick entry, taken from a process on
 * the process stack) and the interrupted process's own frames below it, as the Call Stack
 * panel and GDB show any other handler's. The nrf52840dk kernel boots in the emulator (which
 * has MSP and PSP, unlike QEMU's gdbstub); the DWARF reader unwinds with the kernel's and the
 * app's debug information, as the debug service does.
 * - `cm_fast_switch`: the sysbench pair (two processes that spin: every timeslice ends in a
 *   switch);
 * - `cm_systick_declined`: `sysbench_spin` alone (the handler finds no other ready process
 *   and goes back to the kernel thread).
 *
 * @example
 *   npm run test:kernel -- switch-unwind
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ok } from '../../emulator/core/result';
import { unwrap } from '../../emulator/debug/testing/target-helpers';
import {
  DebugInfo,
  ProgramSet,
  stopRegistersFrom,
  type AppManifestEntry,
  type Frame,
} from '../../emulator/formats/dwarf/index';
import { createSession } from '../../emulator/session/session';
import { composeBuiltApps } from '../bench/syscall-bench';
import { kernelImage } from './qemu';

/** Boots `apps` on the nrf52840dk kernel, stops at `symbol` and unwinds from there. */
async function stackAt(apps: string[], symbol: string): Promise<Frame[]> {
  const image = kernelImage('nrf52840dk');
  const { appsStart, apps: entries, bin } = await composeBuiltApps(image, apps);
  const elf = new Uint8Array(readFileSync(image.kernelElf));
  const kernel = unwrap(DebugInfo.load(elf, { name: 'kernel' }));
  const set = new ProgramSet([kernel]);
  // apps.json's entries carry every field the reader asks for (scripts/apps.mjs writes them).
  for (const a of entries)
    unwrap(set.addApp(new Uint8Array(readFileSync(a.elf)), a as unknown as AppManifestEntry));
  const sym = kernel.elf.symbols.find((s) => s.name === symbol);
  expect(sym, `symbol ${symbol} in the kernel`).toBeDefined();
  const address = kernel.toRuntime(sym!.value & ~1);

  const session = unwrap(createSession({ machine: 'nrf52840dk' }));
  unwrap(
    session.loadFiles([
      { name: 'kernel.elf', bytes: elf },
      { name: 'apps.bin', bytes: bin, address: appsStart },
    ]),
  );
  session.core.hostBreakpoints.add(address);
  // A timeslice is 10 ms (640,000 cycles); the first switch or refusal comes within a few.
  let hit = false;
  for (let i = 0; i < 200 && !hit; i++) {
    const r = session.runSlice({ instructions: 500_000 });
    hit = r.kind === 'breakpoint' && r.address === address;
  }
  expect(hit, `the kernel reached ${symbol}`).toBe(true);
  const regs: Record<string, number> = {};
  for (let n = 0; n <= 12; n++) regs[`r${n}`] = session.readRegister(n);
  regs.sp = session.readRegister(13);
  regs.lr = session.readRegister(14);
  regs.pc = session.readRegister(15);
  for (const s of ['xpsr', 'msp', 'psp', 'control'] as const) regs[s] = session.readSpecial(s);
  const mem = async (a: number, n: number) => {
    const r = session.readMemory(a >>> 0, n);
    return r.ok ? ok(r.value) : r;
  };
  const bt = await set.backtrace(stopRegistersFrom(regs), mem);
  expect(bt.frames[0]?.pc, 'frame 0 is where the breakpoint stopped').toBe(address);
  return bt.frames;
}

/** Frame 0 is `name`; then the SysTick entry from the process stack; then the app's code. */
function expectBoundaryFrom(frames: Frame[], name: string, appNames: string[]): void {
  const shown = frames.map((f) => `${f.kind} ${f.program ?? '?'} ${f.function ?? '?'}`);
  expect(frames[0]?.function, shown.join('\n')).toBe(name);
  const exc = frames.findIndex((f) => f.kind === 'exception');
  expect(exc, `an exception boundary in:\n${shown.join('\n')}`).toBeGreaterThan(0);
  // Only the kernel's handler code above the boundary.
  for (const f of frames.slice(0, exc)) expect(f.program, shown.join('\n')).toBe('kernel');
  // Below it, the interrupted process's own code (stacked on the process stack), named from
  // its debug information.
  const below = frames[exc + 1];
  expect(below?.exception?.stack, shown.join('\n')).toBe('psp');
  expect(appNames, shown.join('\n')).toContain(below?.program);
  expect(below?.function, shown.join('\n')).toBeTruthy();
}

describe('call stack inside the handler-mode context switch (nRF52840-DK kernel)', () => {
  it(
    'from cm_fast_switch: the SysTick boundary, then the process it interrupted',
    {
      timeout: 180_000,
    },
    async () => {
      const apps = ['sysbench_calls', 'sysbench_spin'];
      // Named from its DWARF subprogram (Rust), with its crate's path.
      expectBoundaryFrom(await stackAt(apps, 'cm_fast_switch'), 'cortexm::cm_fast_switch', apps);
    },
  );

  it(
    'from cm_systick_declined: the SysTick boundary, then the lone process',
    {
      timeout: 180_000,
    },
    async () => {
      const apps = ['sysbench_spin'];
      // The label lies inside the assembly stub's code (a jump target, not a function of its
      // own): the frame is the stub's, as the symbol table's function covering it names it.
      expectBoundaryFrom(await stackAt(apps, 'cm_systick_declined'), 'cm_systick_handler', apps);
    },
  );
});
