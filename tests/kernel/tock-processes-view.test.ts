/**
 * The Processes view's model (emulator/debug/tock/processes-view.ts) and the fault explainer
 * (fault.ts) on the booted nRF52840-DK kernel, checked against what the kernel itself says: its
 * process console's `list` (quanta, system calls, restarts, grants, state per process), its fault
 * reports, and the apps' own behaviour (fault_kernel writes 0x20000000, fault_stack recurses
 * below its RAM; both restart up to 3 times and then stay Faulted).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorTarget } from '../../emulator/debug/emulator-target';
import { runToStop, unwrap } from '../../emulator/debug/testing/target-helpers';
import { explainProcessFault, mpuVerdict } from '../../emulator/debug/tock/fault';
import { grantOwners } from '../../emulator/debug/tock/grants';
import { ProcessTable } from '../../emulator/debug/tock/processes';
import { threadSourceOf } from '../../emulator/debug/tock/threads';
import { ANCHOR_SYMBOL } from '../../emulator/debug/tock/cells';
import {
  anchorNote,
  mpuRanges,
  processesView,
  type ProcessView,
} from '../../emulator/debug/tock/processes-view';
import { cachedMemory, DebugInfo } from '../../emulator/formats/dwarf/index';
import { TockService } from '../../main/host/tock-service';
import { emulatedBoard, type EmulatedBoard } from './emulated-board';
import { kernelImage } from './qemu';

describe('Processes view model (emulated nRF52840-DK)', () => {
  const i = kernelImage('nrf52840dk');
  const kernel = new Uint8Array(readFileSync(i.kernelElf));
  let target: EmulatorTarget;
  let board: EmulatedBoard;
  const out = (): string => board.output();
  let views: ProcessView[] = [];
  /** The process console's `list` rows: name -> columns. */
  const listed = new Map<
    string,
    { quanta: number; syscalls: number; restarts: number; grants: number; state: string }
  >();

  const view = (name: string): ProcessView => {
    const v = views.find((p) => p.name === name);
    if (!v) throw new Error(`no process ${name} in ${views.map((p) => p.name).join(', ')}`);
    return v;
  };

  beforeAll(async () => {
    board = emulatedBoard(i, kernel, 60_000);
    target = board.target;
    const waitFor = board.waitFor;
    unwrap(await target.resume());
    // Both fault apps faulted (and restarted) at least once; hello ended.
    await waitFor(/process fault: 'fault_kernel'/, 0, 150_000);
    await waitFor(/process fault: 'fault_stack'/, 0, 150_000);
    await waitFor(/process 'hello' exited/);
    const from = out().length;
    unwrap(await target.writeConsole(0, new TextEncoder().encode('list\r')));
    await waitFor(/ PID +ShortID[^\n]*\n(?:[^\n]*\n)*?tock\$ /, from, 150_000);
    for (const m of out()
      .slice(from)
      .matchAll(/^ (\d+) +(\S+) +(\S+) +(\d+) +(\d+) +(\d+) +(\d+)\/ ?\d+ +(\S+)/gm))
      listed.set(m[3]!, {
        quanta: Number(m[4]),
        syscalls: Number(m[5]),
        restarts: Number(m[6]),
        grants: Number(m[7]),
        state: m[8]!,
      });
    unwrap(await target.halt());
    const info = unwrap(DebugInfo.load(kernel, { name: 'kernel.elf' }));
    const table = unwrap(ProcessTable.fromDebugInfo(info));
    views = unwrap(
      await processesView(
        info,
        table,
        cachedMemory((a, n) => target.readMemory(a, n)),
      ),
    );
  }, 400_000);

  afterAll(async () => {
    await target?.close();
  });

  it("reads the counters the kernel's process console lists", () => {
    expect(listed.size, `list rows: ${JSON.stringify([...listed])}`).toBeGreaterThanOrEqual(5);
    expect(views.map((v) => v.name).sort()).toEqual([...listed.keys()].sort());
    /** What a failure says: the process, the counter, the view's reading and the `list` row. */
    const about = (name: string, counter: string): string => {
      const v = view(name);
      return `${name} ${counter}: view ${v.state} ${JSON.stringify(v.counters)}, list row ${JSON.stringify(listed.get(name))}`;
    };
    for (const v of views) {
      const l = listed.get(v.name)!;
      expect(v.missing, about(v.name, 'missing fields')).toEqual([]);
      // Processes that ended do not move: exact. Live ones may have run between `list` and the
      // halt (a restart, a grant, more calls, or its end: rng exits by itself): never fewer.
      if (/Faulted|Terminated/.test(v.state) && v.state === l.state) {
        expect(v.counters.restarts, about(v.name, 'restarts')).toBe(l.restarts);
        expect(v.counters.grantsAllocated, about(v.name, 'grants')).toBe(l.grants);
        expect(v.counters.syscalls, about(v.name, 'syscalls')).toBe(l.syscalls);
        expect(v.counters.timeslices, about(v.name, 'timeslices')).toBe(l.quanta);
      } else {
        expect(v.state, about(v.name, 'state')).toMatch(
          /^(Running|Yielded|YieldedFor|Faulted|Terminated)$/,
        );
        expect(v.counters.restarts!, about(v.name, 'restarts')).toBeGreaterThanOrEqual(l.restarts);
        expect(v.counters.syscalls!, about(v.name, 'syscalls')).toBeGreaterThanOrEqual(l.syscalls);
        expect(v.counters.timeslices!, about(v.name, 'timeslices')).toBeGreaterThanOrEqual(
          l.quanta,
        );
        // Grants are dropped when a process ends or restarts (the kernel's terminate resets
        // them): monotonic only while it stays the same incarnation in the same state.
        if (v.counters.restarts === l.restarts && v.state === l.state)
          expect(v.counters.grantsAllocated!, about(v.name, 'grants')).toBeGreaterThanOrEqual(
            l.grants,
          );
      }
    }
    expect(view('hello').state, about('hello', 'state')).toBe('Terminated');
    expect(listed.get('hello')!.state, about('hello', 'state')).toBe('Terminated');
    expect(
      view('fault_kernel').counters.restarts,
      about('fault_kernel', 'restarts'),
    ).toBeGreaterThanOrEqual(1);
    expect(view('fault_kernel').policy, about('fault_kernel', 'policy')).toBe('RestartUpTo(3)');
    expect(view('hello').counters.syscalls, about('hello', 'syscalls')).toBeGreaterThan(3);
  });

  it('the host service gives the same processes, with the fault apps explained', async () => {
    const service = new TockService(() => ({
      target,
      kernel: { name: 'kernel.elf', bytes: kernel },
    }));
    const started = Date.now();
    const r = unwrap(await service.processes());
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.notes).toEqual([]);
    expect(r.processes.map((p) => p.name)).toEqual(views.map((v) => v.name));
    expect(r.processes.find((p) => p.name === 'fault_kernel')!.fault?.where).toMatch(
      /kernel's RAM/,
    );
    expect(r.processes.find((p) => p.name === 'hello')!.fault).toBeNull();
  });

  it('names the capsule holding each grant, its type and size, and reads its fields', async () => {
    const info = unwrap(DebugInfo.load(kernel, { name: 'kernel.elf' }));
    const mem = cachedMemory((a, n) => target.readMemory(a, n));
    const { owners, notes } = unwrap(await grantOwners(info, mem));
    expect(notes).toEqual([]);
    const by = new Map(owners.map((o) => [o.capsule, o]));
    // Each capsule of the board that keeps per-process state, with its own driver number.
    expect(by.get('capsules::console::Console')?.driver).toBe(1);
    expect(by.get('capsules::alarm::AlarmDriver')?.driver).toBe(0);
    expect(by.get('capsules::rng::SimpleRng')?.driver).toBe(0x40001);
    expect(new Set(owners.map((o) => o.number)).size).toBe(owners.length);
    for (const o of owners) {
      expect(o.path, o.capsule).toMatch(/^platform\./);
      expect(o.size, o.typeName).toBe(info.findType(o.typeName)!.size);
    }
    expect(by.get('capsules::console::Console')!.typeName).toBe('capsules::console::App');
    // Every grant a process allocated has its owner; a console grant reads as console's App.
    const service = new TockService(() => ({
      target,
      kernel: { name: 'kernel.elf', bytes: kernel },
    }));
    const r = unwrap(await service.processes());
    let consoleGrants = 0;
    for (const p of r.processes) {
      expect(
        p.grants.map((g) => g.number),
        p.name,
      ).toEqual(p.memory.grants.map((g) => g.number));
      for (const g of p.grants) {
        expect(g.problem, `${p.name} #${g.number}`).toBeNull();
        expect(g.capsule, `${p.name} #${g.number}`).not.toBeNull();
        if (g.capsule !== 'capsules::console::Console') continue;
        consoleGrants++;
        expect(g.driver).toBe('console');
        expect(g.fields.map((f) => f.name)).toEqual(['pending', 'len', 'written']);
        expect(g.fields[0]!.text).toMatch(/^(true|false)$/);
      }
    }
    expect(consoleGrants).toBeGreaterThan(0);
    // The last system call is worded from the ABI table, never half-read.
    // (A restart clears the last call but not the count: null then.)
    for (const p of r.processes.filter((x) => x.lastSyscall !== null))
      expect(p.lastSyscall, p.name).toMatch(/^(yield|subscribe|command|allow|memop|exit)/);
    expect(r.liveMpu ?? null).toBeNull();
    expect(r.liveMpuProblem).toMatch(/read at a halt/);
    for (const p of r.processes) expect(p.lastSyscall ?? '', p.name).not.toMatch(/undefined/);
  });

  it('lays out each memory map inside its blocks, MPU regions over the process memory', () => {
    for (const v of views) {
      const { flash, ram } = v.memory;
      expect(flash.header, v.name).toBeGreaterThan(0);
      expect(flash.start + flash.header! + (flash.protected ?? 0)).toBeLessThan(flash.end);
      expect(ram.appBreak!).toBeGreaterThan(ram.start);
      expect(ram.appBreak!).toBeLessThanOrEqual(ram.kernelBreak!);
      expect(ram.kernelBreak!).toBeLessThanOrEqual(ram.end);
      for (const g of v.memory.grants) {
        expect(g.address).toBeGreaterThanOrEqual(ram.kernelBreak!);
        expect(g.address).toBeLessThan(ram.end);
      }
      if (v.state === 'Terminated' || v.state === 'Faulted') continue;
      // The regions let the process reach all of [ram start, app break) and its flash, and
      // nothing of its grant region.
      const open = v.mpu.flatMap(mpuRanges);
      const covered = (a: number): boolean => open.some((r) => a >= r.start && a < r.end);
      expect(covered(ram.start), v.name).toBe(true);
      expect(covered(ram.appBreak! - 4), v.name).toBe(true);
      expect(covered(flash.start + flash.header!), v.name).toBe(true);
      if (ram.kernelBreak! < ram.end) expect(covered(ram.end - 4), v.name).toBe(false);
    }
  });

  it('explains fault_kernel and fault_stack as the kernel reported them', () => {
    const map = target.description.memoryMap;
    const fk = view('fault_kernel');
    const e = explainProcessFault(fk, views, map)!;
    expect(e.address).toBe(0x20000000);
    expect(e.where).toMatch(/^the kernel's RAM/);
    expect(e.mpu).toBe('no MPU region covers it, so an unprivileged access is refused');
    expect(e.stackOverflow).toBe(false);
    expect(e.pc).toBeGreaterThanOrEqual(fk.flash.start);
    expect(e.pc).toBeLessThan(fk.flash.end);
    // The kernel printed the same address for it.
    expect(out()).toMatch(/fault_kernel[\s\S]*0x20000000/);

    const fs = view('fault_stack');
    const s = explainProcessFault(fs, views, map)!;
    expect(s.stackOverflow).toBe(true);
    expect(s.summary).toMatch(/^fault_stack overflowed its stack/);
    if (s.address !== null) expect(mpuVerdict(s.address, fs.mpu, true)).toMatch(/no MPU region/);
    expect(explainProcessFault(view('hello'), views, map)).toBeNull();
  });

  it('reads the table once per stop for every view, and the on-CPU process from the live core', async () => {
    // Halt where a process is executing (Thread mode on PSP): a breakpoint where each waiting
    // process resumes (its saved pc); the first one the kernel switches to stops there. Not the
    // apps made to fault (fault_kernel, fault_stack, upcall_fault, usage_fault, and peek, which
    // faults on another process's RAM after a sleep): one halted there may fault before its next
    // system call and be restarted, a new incarnation whose stack mark starts afresh, so the mark
    // check below would not hold.
    const info = unwrap(DebugInfo.load(kernel, { name: 'kernel.elf' }));
    const table = unwrap(ProcessTable.fromDebugInfo(info));
    const waiting = unwrap(await table.read(cachedMemory((a, n) => target.readMemory(a, n))))
      .filter((p) => /^Yielded/.test(p.state) && !/fault|^peek$/.test(p.name))
      .map((p) => p.stored.pc & ~1);
    expect(waiting.length).toBeGreaterThan(0);
    for (const pc of waiting) unwrap(await target.setBreakpoint(pc));
    await runToStop(target, 200_000);
    for (const pc of waiting) unwrap(await target.clearBreakpoint(pc));
    const core = unwrap(await target.readRegisters());
    expect((core.xpsr & 0x1ff) === 0 && (core.control & 2) !== 0, 'halted in a process').toBe(true);
    let registerReads = 0;
    const counting = Object.create(target, {
      readRegisters: {
        value: () => {
          registerReads++;
          return target.readRegisters();
        },
      },
    }) as EmulatorTarget;
    let stop = {};
    const service = new TockService(() => ({
      target: counting,
      kernel: { name: 'kernel.elf', bytes: kernel },
      stop,
    }));
    const r = unwrap(await service.processes());
    const onCpu = r.processes.filter((p) => p.onCpu);
    expect(onCpu.map((p) => p.name)).toHaveLength(1);
    const ram = onCpu[0]!.memory.ram;
    expect(core.psp).toBeGreaterThanOrEqual(ram.start);
    expect(core.psp).toBeLessThan(ram.end);
    // The Processes view again and the timeline's lanes at the same stop: no second read.
    unwrap(await service.processes());
    unwrap(await service.timeline());
    expect(registerReads).toBe(1);
    stop = {};
    unwrap(await service.processes());
    expect(registerReads).toBe(2);
    // A write from the Memory or Registers panel at this stop: the next view reads afresh.
    service.targetWritten();
    unwrap(await service.processes());
    expect(registerReads).toBe(3);
    // GDB's threads: the same process is the current thread, running on the core.
    const threads = unwrap(
      await threadSourceOf(
        unwrap(ProcessTable.fromDebugInfo(unwrap(DebugInfo.load(kernel)))),
      ).threads(target),
    );
    expect(threads.filter((t) => t.current).map((t) => t.name)).toEqual([onCpu[0]!.name]);

    // Stack high-water marks: watched from the first read. Before the next switch into a
    // waiting process, the one that ran took an exception from its own stack (its yield or the
    // end of its timeslice): it has a mark inside its process memory, below where it ran.
    const ranAt = unwrap(await target.readRegisters()).psp;
    for (const pc of waiting) unwrap(await target.setBreakpoint(pc));
    await runToStop(target, 200_000);
    for (const pc of waiting) unwrap(await target.clearBreakpoint(pc));
    stop = {};
    const later = unwrap(await service.processes()).processes.find(
      (p) => p.name === onCpu[0]!.name,
    )!;
    // The same incarnation: a restart (see the choice of breakpoints above) starts the mark over.
    expect(later.id, `${later.name} restarted`).toBe(onCpu[0]!.id);
    const mark = later.stackMark;
    expect(mark.source).toMatch(/exception entry \(emulator\)/);
    expect(mark.lowest).not.toBeNull();
    expect(mark.lowest!).toBeGreaterThanOrEqual(later.memory.ram.start);
    expect(mark.lowest!).toBeLessThan(ranAt);
  });

  // Bad input: each says which problem, none throws. These run last: the last one corrupts the
  // live process table.
  it('a kernel without debug information, or not our kernel, gets a sentence', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tock-bad-'));
    try {
      const stripped = path.join(dir, 'kernel-stripped.elf');
      execFileSync('arm-none-eabi-objcopy', ['--strip-debug', i.kernelElf, stripped]);
      const noDebug = new TockService(() => ({
        target,
        kernel: { name: 'kernel-stripped.elf', bytes: new Uint8Array(readFileSync(stripped)) },
      }));
      const r = await noDebug.processes();
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/debug information/);
      const hello = (i.manifest.apps as { name: string; elf?: string }[]).find(
        (a) => a.name === 'hello',
      )!;
      const notKernel = new TockService(() => ({
        target,
        kernel: { name: 'hello', bytes: new Uint8Array(readFileSync(hello.elf!)) },
      }));
      const n = await notKernel.processes();
      expect(n.ok).toBe(false);
      if (!n.ok) expect(n.error).toMatch(/no kernel::kernel::Kernel static .* is it our kernel/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a kernel without the anchor, or with another version, still lists its processes', async () => {
    // The anchor's name changed in every table of the ELF (same length): a kernel before it.
    const bytes = new Uint8Array(kernel);
    const from = new TextEncoder().encode(ANCHOR_SYMBOL);
    let renamed = 0;
    for (let at = 0; at + from.length <= bytes.length; at++) {
      let same = true;
      for (let j = 0; j < from.length && same; j++) same = bytes[at + j] === from[j];
      if (same) {
        bytes[at + from.length - 1] = 0x58; // ...ANCHOX
        renamed++;
      }
    }
    expect(renamed).toBeGreaterThan(0);
    const old = new TockService(() => ({ target, kernel: { name: 'old.elf', bytes } }));
    const r = await old.processes();
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.processes.map((p) => p.name)).toEqual(views.map((v) => v.name));
      expect(r.value.notes.join('\n')).toMatch(
        /no CAPSULE_DEBUG_ANCHOR \(built before the debug anchor\)/,
      );
    }
    // Another version: the version word read as 0.
    const info = unwrap(DebugInfo.load(kernel, { name: 'kernel.elf' }));
    const anchor = info.findStatic(ANCHOR_SYMBOL)[0]!;
    const zeroVersion = async (a: number, n: number) =>
      a >= anchor.address && a < anchor.address + 64
        ? { ok: true as const, value: new Uint8Array(n) }
        : target.readMemory(a, n);
    expect(await anchorNote(info, (a, n) => target.readMemory(a, n))).toBeNull();
    expect(await anchorNote(info, zeroVersion)).toMatch(/anchor is version 0; this reader knows 1/);
  });

  it('a corrupted process table is shown as such, never a crash', async () => {
    const info = unwrap(DebugInfo.load(kernel, { name: 'kernel.elf' }));
    const table = unwrap(ProcessTable.fromDebugInfo(info));
    const at = (path: string): number =>
      unwrap(info.fieldOffset('kernel::process::Process', path)).offset;
    const victim = views.find((v) => v.name === 'rng')!;
    const word = (n: number) =>
      Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
    const state = unwrap(info.fieldOffset('kernel::process::Process', 'state.value.value'));
    // An impossible state, a name pointer to nowhere, a stack pointer outside its RAM.
    unwrap(
      await target.writeMemory(
        victim.address + state.offset,
        new Uint8Array(state.type.size).fill(0xee),
      ),
    );
    unwrap(await target.writeMemory(victim.address + at('name.value.value'), word(0xfffffff0)));
    unwrap(await target.writeMemory(victim.address + at('stored.value.value.sp'), word(0x1)));
    const mem = () => cachedMemory((a, n) => target.readMemory(a, n));
    const read = unwrap(await processesView(info, table, mem()));
    const bad = read.find((v) => v.slot === victim.slot)!;
    expect(bad.state).toBe('Unknown');
    expect(bad.name).toBe(`process ${victim.slot}`);
    const records = unwrap(await table.read(mem()));
    expect(records.find((r) => r.slot === victim.slot)!.registers).toBeNull();
    // The table's length itself corrupted: refused in words.
    unwrap(await target.writeMemory(table.lengthAddress, word(100_000)));
    const r = await processesView(info, table, mem());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/process table says it has 100000 slots: not believable/);
  });
});
