/**
 * The process table read through DWARF (emulator/debug/tock/processes.ts) on the booted
 * nRF52840-DK kernel, checked against what the kernel itself says: its boot log (each process
 * loaded, in slot order, with its flash and RAM), its exit message, and the apps manifest the
 * build wrote.
 * A suspended process's registers must be its own: pc inside its flash, sp inside its RAM.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorTarget } from '../../emulator/debug/emulator-target';
import { unwrap } from '../../emulator/debug/testing/target-helpers';
import { ProcessTable, type ProcessRecord } from '../../emulator/debug/tock/processes';
import { threadIdOfSlot, tockThreadSource } from '../../emulator/debug/tock/threads';
import { cachedMemory, DebugInfo } from '../../emulator/formats/dwarf/index';
import { emulatedBoard, type EmulatedBoard } from './emulated-board';
import { kernelImage } from './qemu';

describe('Tock process table through DWARF (emulated nRF52840-DK)', () => {
  const i = kernelImage('nrf52840dk');
  const kernel = new Uint8Array(readFileSync(i.kernelElf));
  let target: EmulatorTarget;
  let board: EmulatedBoard;
  const out = (): string => board.output();
  /** The kernel's boot log: each process it loaded, where. */
  let loaded: {
    name: string;
    pid: number;
    flash: { start: number; end: number };
    ram: { start: number; end: number };
  }[] = [];
  let processes: ProcessRecord[] = [];
  /** The live process stack pointer at the halt. */
  let psp = 0;

  beforeAll(async () => {
    board = emulatedBoard(i, kernel);
    target = board.target;
    const waitFor = board.waitFor;
    unwrap(await target.resume());
    // The kernel prints the exit line before it marks the process Terminated; any complete line
    // after it was printed once that was done (the kernel does one thing at a time).
    await waitFor(/\[kernel\] process 'hello' exited with code \d+\r?\n[^\n]*\n/);
    loaded = [
      ...out().matchAll(
        /loaded process '([^']+)' \(pid (\d+)\): flash (0x[0-9a-f]+)-(0x[0-9a-f]+), RAM (0x[0-9a-f]+)-(0x[0-9a-f]+)/g,
      ),
    ].map((m) => ({
      name: m[1]!,
      pid: Number(m[2]),
      flash: { start: Number(m[3]), end: Number(m[4]) },
      ram: { start: Number(m[5]), end: Number(m[6]) },
    }));
    unwrap(await target.halt());
    psp = unwrap(await target.readRegisters()).psp >>> 0;
    const info = unwrap(DebugInfo.load(kernel, { name: 'kernel.elf' }));
    const table = unwrap(ProcessTable.fromDebugInfo(info));
    processes = unwrap(await table.read(cachedMemory((a, n) => target.readMemory(a, n))));
  }, 120_000);

  afterAll(async () => {
    await target?.close();
  });

  const inImage = (): string[] =>
    i.manifest.apps.filter((a) => a.inImage !== false).map((a) => a.name);

  it('lists the processes the kernel loaded, in slot order, where it loaded them', () => {
    expect(loaded.map((p) => p.name)).toEqual(inImage());
    expect(processes.map((p) => p.name)).toEqual(loaded.map((p) => p.name));
    expect(processes.map((p) => p.slot)).toEqual(loaded.map((p) => p.pid));
    processes.forEach((p, k) => {
      expect(p.flash).toEqual(loaded[k]!.flash);
      expect(p.ram).toEqual(loaded[k]!.ram);
      const app = i.manifest.apps.find((a) => a.name === p.name)!;
      expect(p.flash.start).toBe(app.flash);
      if (app.ram !== null) expect(p.ram.start).toBe(app.ram);
    });
  });

  it("names the Timeline's lanes in two reads of the target (slots), as the full read does", async () => {
    const info = unwrap(DebugInfo.load(kernel, { name: 'kernel.elf' }));
    const table = unwrap(ProcessTable.fromDebugInfo(info));
    const reads: number[] = [];
    const mem = (a: number, n: number) => {
      reads.push(n);
      return target.readMemory(a, n);
    };
    const names = new Map<string, string>();
    const first = unwrap(await table.slots(mem, names));
    const lanes = (l: { slot: number; name: string; ram: object; id: number }[]) =>
      l.map((p) => ({ slot: p.slot, name: p.name, ram: p.ram, id: p.id }));
    expect(lanes(first)).toEqual(lanes(processes));
    // The table's head, all slots at once, then each name once.
    expect(reads.length).toBe(2 + processes.length);
    reads.length = 0;
    expect(lanes(unwrap(await table.slots(mem, names)))).toEqual(lanes(processes));
    expect(reads.length).toBe(2);
  });

  it('reads Tock state names; hello is Terminated after its exit', () => {
    expect(processes[0]!.name).toBe('hello');
    expect(processes[0]!.state).toBe('Terminated');
    for (const p of processes)
      expect(p.state).toMatch(/^(Running|Yielded|YieldedFor|Faulted|Terminated|Stopped)$/);
    expect(new Set(processes.map((p) => p.id)).size).toBe(processes.length);
  });

  it("rebuilds a live process's registers from its saved context", () => {
    const live = processes.filter((x) => /^(Running|Yielded|YieldedFor)$/.test(x.state));
    expect(live.length).toBeGreaterThan(0);
    // The kernel saves a context at a switch; the process on the CPU since (the halt's PSP is in
    // its RAM and has moved: fast system calls return to it without a switch) has overwritten
    // the stack below it, so only the processes off the CPU have a saved frame to rebuild.
    const onCpu = (p: ProcessRecord): boolean =>
      psp >= p.ram.start && psp <= p.ram.end && psp !== p.stored.sp;
    const saved = live.filter((p) => !onCpu(p));
    expect(saved.length).toBeGreaterThan(0);
    for (const p of saved) {
      const r = p.registers;
      expect(r, `${p.name} has registers`).not.toBeNull();
      expect(r!.pc! & ~1).toBeGreaterThanOrEqual(p.flash.start);
      expect(r!.pc!).toBeLessThan(p.flash.end);
      expect(r!.sp!).toBeGreaterThan(p.ram.start);
      expect(r!.sp!).toBeLessThanOrEqual(p.ram.end);
      // The frame's pc is the pc the kernel saved at the switch.
      expect(r!.pc).toBe(p.stored.pc);
    }
  });

  it('offers them as GDB threads from 2 on, with their names and states', async () => {
    const source = unwrap(await tockThreadSource(kernel));
    const threads = unwrap(await source.threads(target));
    expect(threads.map((t) => t.id)).toEqual(processes.map((p) => threadIdOfSlot(p.slot)));
    expect(threads.map((t) => t.name)).toEqual(inImage());
    expect(threads[0]!.extra).toBe('Terminated');
    const text = unwrap(await source.describe!(target));
    expect(text).toMatch(/Thread +Slot +Name +State/);
    for (const name of inImage()) expect(text).toContain(name);
  });
});
