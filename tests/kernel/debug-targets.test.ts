/**
 * Both DebugTargets on the real mps2-an386 kernel, through one scenario: QEMU 7.2's gdbstub
 * (the GDB remote target) and our emulator in its worker thread (the emulator target).
 *
 * The scenario stops at a capsule function found by its address in the kernel ELF's symbol table
 * (the console capsule's `command`, which the hello app calls), reads registers and compares
 * memory with the ELF, watches a kernel static for writes, steps, resets into halt at the reset
 * vector, runs and halts. The same assertions hold on both: the seam is proven by the two
 * implementations agreeing on the real kernel. The emulator also stops on a process fault with
 * the fault registers (QEMU's gdbstub has no vector catch).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugTarget } from '../../emulator/debug/target';
import { nextEvent, runToStop, unwrap } from '../../emulator/debug/testing/target-helpers';
import { parseElf, type ElfFile } from '../../emulator/formats/elf';
import { launchQemuGdb, type QemuGdbSession } from '../../emulator/node/qemu-gdb';
import { startEmulatorWorker } from '../../main/host/emulator-worker-target';
import { builtTbf, composeImage, kernelImage } from './qemu';

/** A function or object by a pattern over its (mangled) symbol name. */
function symbolAddress(elf: ElfFile, pattern: RegExp): number {
  const s = elf.symbols.find((x) => pattern.test(x.name) && x.value !== 0);
  if (!s) throw new Error(`no symbol matching ${pattern} in the kernel ELF`);
  return s.value & ~1;
}

/** Bytes of the ELF's loaded image at an address. */
function elfBytes(elf: ElfFile, address: number, length: number): Uint8Array {
  const seg = elf.segments.find(
    (s) => address >= s.paddr && address + length <= s.paddr + s.filesz,
  );
  if (!seg) throw new Error(`0x${address.toString(16)} is not in a loaded segment`);
  return seg.data.slice(address - seg.paddr, address - seg.paddr + length);
}

interface Board {
  name: string;
  start(): Promise<{ target: DebugTarget; stop(): Promise<void> }>;
}

const img = (): ReturnType<typeof kernelImage> => kernelImage('mps2-an386');

const BOARDS: Board[] = [
  {
    name: 'QEMU gdbstub (GDB remote target)',
    async start() {
      const i = img();
      const q: QemuGdbSession = unwrap(
        await launchQemuGdb({
          kernel: i.kernelElf,
          loaders: [{ file: i.appsBin, address: i.manifest.appsStart }],
          board: 'mps2-an386',
        }),
      );
      return { target: q.target, stop: () => q.stop() };
    },
  },
  {
    name: 'emulator worker (emulator target)',
    async start() {
      const i = img();
      const target = unwrap(
        await startEmulatorWorker({
          machine: 'mps2-an386',
          board: 'mps2-an386',
          files: [
            { name: i.kernelElf, bytes: new Uint8Array(readFileSync(i.kernelElf)) },
            {
              name: i.appsBin,
              bytes: new Uint8Array(readFileSync(i.appsBin)),
              address: i.manifest.appsStart,
            },
          ],
        }),
      );
      return { target, stop: () => target.close() };
    },
  },
];

for (const board of BOARDS) {
  describe(`DebugTarget on the mps2-an386 kernel: ${board.name}`, () => {
    let t: DebugTarget;
    let stop: () => Promise<void>;
    let elf: ElfFile;

    beforeAll(async () => {
      elf = parseElf(new Uint8Array(readFileSync(img().kernelElf)));
      ({ target: t, stop } = await board.start());
    });
    afterAll(async () => {
      await stop?.();
    });

    it('starts halted at the reset vector', async () => {
      expect(t.state()).toBe('halted');
      const regs = unwrap(await t.readRegisters());
      expect(regs.pc).toBe(elf.entry & ~1);
    });

    it('stops at a capsule function by its symbol address and reads registers and memory', async () => {
      const command = symbolAddress(
        elf,
        /capsules\.\.console\.\.Console\$u20\$as\$u20\$kernel\.\.platform\.\.SyscallDriver\$GT\$7command17h/,
      );
      unwrap(await t.setBreakpoint(command));
      const s = await runToStop(t);
      expect(s.cause).toEqual({ kind: 'breakpoint', address: command });
      expect(s.pc).toBe(command);
      const regs = unwrap(await t.readRegisters());
      expect(regs.pc).toBe(command);
      expect(regs.lr & 1).toBe(1); // a Thumb return address
      expect(regs.sp).toBeGreaterThanOrEqual(0x20000000);
      expect(unwrap(await t.readMemory(command, 16))).toEqual(elfBytes(elf, command, 16));
      unwrap(await t.clearBreakpoint(command));
    });

    it('watches a kernel static for writes', async () => {
      const reason = symbolAddress(elf, /^CM_SWITCH_REASON$/);
      const w = { address: reason, length: 4, access: 'write' as const };
      unwrap(await t.setWatchpoint(w));
      const s = await runToStop(t);
      expect(s.cause).toMatchObject({
        kind: 'watchpoint',
        watch: w,
        dataAddress: reason,
        access: 'write',
      });
      unwrap(await t.clearWatchpoint(w));
    });

    it('steps one instruction and through a range', async () => {
      const before = unwrap(await t.readRegisters()).pc;
      const s = unwrap(await t.step());
      expect(s.cause).toEqual({ kind: 'step' });
      expect(s.pc).not.toBe(before);
      const r = unwrap(await t.stepRange(s.pc, s.pc + 2));
      expect(r.cause.kind).toBe('step');
    });

    it('resets into halt at the reset vector, runs and halts on request', async () => {
      const stopped = nextEvent(t, 'stopped');
      unwrap(await t.reset({ halt: true }));
      expect((await stopped).stop.pc).toBe(elf.entry & ~1);
      unwrap(await t.resume());
      expect(t.state()).toBe('running');
      await new Promise((r) => setTimeout(r, 300));
      const h = unwrap(await t.halt());
      expect(h.cause).toEqual({ kind: 'halted' });
      expect(t.state()).toBe('halted');
    });
  });
}

describe('emulator target: a process fault stops with the fault registers', () => {
  let t: DebugTarget | undefined;
  afterAll(async () => {
    await t?.close();
  });

  it('catches the MemManage fault of an app writing kernel RAM', async () => {
    const i = img();
    const apps = await composeImage(
      i.manifest,
      [builtTbf(i.manifest, 'fault_kernel')],
      'target-fault',
    );
    t = unwrap(
      await startEmulatorWorker({
        machine: 'mps2-an386',
        files: [
          { name: i.kernelElf, bytes: new Uint8Array(readFileSync(i.kernelElf)) },
          { name: apps, bytes: new Uint8Array(readFileSync(apps)), address: i.manifest.appsStart },
        ],
      }),
    );
    unwrap(await t.catchFaults!(true));
    const s = await runToStop(t);
    expect(s.cause.kind).toBe('fault');
    if (s.cause.kind !== 'fault') return;
    expect(s.cause.name).toBe('MemManage');
    // DACCVIOL with a valid MMFAR at the kernel RAM address the app wrote (ARMv7-M B3.2.15).
    expect(s.cause.registers.cfsr & 0x82).toBe(0x82);
    expect(s.cause.registers.mmfar).toBe(0x20000000);
    expect(s.cause.registers.shcsr & 1).toBe(1); // MEMFAULTACT: the handler is now active
  });
});

describe('emulator target: the nRF52840-DK kernel paced to the wall clock', () => {
  let t: DebugTarget | undefined;
  afterAll(async () => {
    await t?.close();
  });

  it('carries the console out of the worker and never runs ahead of the wall clock', async () => {
    const i = kernelImage('nrf52840dk');
    const apps = await composeImage(i.manifest, [builtTbf(i.manifest, 'hello')], 'target-nrf');
    t = unwrap(
      await startEmulatorWorker({
        machine: 'nrf52840dk',
        files: [
          { name: i.kernelElf, bytes: new Uint8Array(readFileSync(i.kernelElf)) },
          { name: apps, bytes: new Uint8Array(readFileSync(apps)), address: i.manifest.appsStart },
        ],
        target: { statsIntervalMs: 100 },
      }),
    );
    expect(t.description.capabilities.programming).toBe(true);
    let text = '';
    let virtual = 0;
    const heard = new Promise<void>((resolve) =>
      t!.onEvent((e) => {
        if (e.kind === 'console' && e.port === 0) {
          text += new TextDecoder().decode(e.bytes);
          if (/hello: Hello, World!/.test(text)) resolve();
        } else if (e.kind === 'stats') virtual = e.stats.virtualSeconds;
      }),
    );
    const started = performance.now();
    unwrap(await t.resume());
    await heard;
    await new Promise((r) => setTimeout(r, 300));
    const wall = (performance.now() - started) / 1000;
    expect(virtual).toBeGreaterThan(0);
    // Paced: virtual time follows the host clock and never gets ahead of it.
    expect(virtual).toBeLessThanOrEqual(wall + 0.05);
  });
});
