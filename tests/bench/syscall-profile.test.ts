/**
 * Unit test of the trap profiler behind `npm run bench:syscall -- --profile`: a scripted core
 * (pc, cycles and registers step by step) stands in for the emulator, so each rule is checked
 * on a trace whose answer is known: the `svc` that took a trap names it (its kind carried to
 * the step that takes the exception), the first step's cycles are the trap entry, every
 * later step is charged to the symbol holding its pc, a trap that comes back in the other app
 * is a switch, and where it was served (handlers only, the kernel thread, the kernel slept)
 * follows from the functions it ran.
 *
 * @example
 *   npx vitest run tests/bench/syscall-profile.test.ts
 */
import { describe, expect, it } from 'vitest';
import type { ElfFile, ElfSymbol } from '../../emulator/formats/elf';
import {
  formatProfile,
  profileTraps,
  type Classify,
  type SteppableSession,
} from './syscall-profile';

/** One instruction of the script: where it starts, what it costs, where the core is after. */
interface Step {
  pc: number;
  cycles: number;
  next: number;
  r0?: number;
  r1?: number;
}

function scripted(
  steps: Step[],
  halfwords: Map<number, number>,
): SteppableSession & { stepsRun: () => number } {
  let i = 0;
  let cycles = 0;
  return {
    stepsRun: () => i,
    get cycles() {
      return cycles;
    },
    readRegister: (n: number) => {
      const s = steps[Math.min(i, steps.length - 1)]!;
      if (n === 15) return i < steps.length ? s.pc : s.next;
      if (n === 0) return s.r0 ?? 0;
      if (n === 1) return s.r1 ?? 0;
      return 0;
    },
    readWord: (address: number) => ({ ok: true, value: halfwords.get(address) ?? 0x4600 }) as never,
    step: () => {
      const s = steps[i];
      if (!s) return { kind: 'halted' } as never;
      cycles += s.cycles;
      i++;
      return { kind: 'limit' } as never;
    },
  };
}

const sym = (name: string, value: number, size: number): ElfSymbol => ({
  name,
  value,
  size,
  type: 'func',
  bind: 'global',
  section: 1,
});

const elf: ElfFile = {
  entry: 0,
  machine: 40,
  type: 2,
  segments: [],
  sections: [],
  symbols: [
    sym('cm_svc_handler', 0x100, 0x20),
    sym('cm_systick_handler', 0x200, 0x20),
    sym('cm_fast_switch', 0x300, 0x100),
    sym('_ZN6kernel9scheduler3run17h0123456789abcdefE', 0x400, 0x40),
    sym('_ZN6kernel9scheduler11run_process17h0123456789abcdefE', 0x500, 0x40),
  ],
};

/** App A's flash 0x40000-0x40fff, app B's 0x41000-0x41fff. */
const appOf = (pc: number): string | undefined =>
  pc >= 0x40000 && pc < 0x41000 ? 'A' : pc >= 0x41000 && pc < 0x42000 ? 'B' : undefined;
const classify: Classify = (svc, r0) =>
  svc === undefined ? 'interrupt' : svc === 0 ? `yield ${r0}` : `svc ${svc}`;

describe('syscall profiler (tests/bench/syscall-profile.ts)', () => {
  // A at 0x40010: `svc 0` (yield-no-wait, r0 = 1) answered in the handler; then a SysTick at
  // 0x40020 switching to B in the handler; then B's `svc 2` at 0x41000 served by the kernel
  // thread and back in B.
  const halfwords = new Map([
    [0x40010, 0xdf00],
    [0x41000, 0xdf02],
  ]);
  const steps: Step[] = [
    { pc: 0x40010, cycles: 1, next: 0x40012, r0: 1 },
    { pc: 0x40012, cycles: 12, next: 0x100 },
    { pc: 0x100, cycles: 5, next: 0x104 },
    { pc: 0x104, cycles: 13, next: 0x40014 },
    { pc: 0x40014, cycles: 1, next: 0x40020 },
    { pc: 0x40020, cycles: 12, next: 0x200 },
    { pc: 0x200, cycles: 20, next: 0x300 },
    { pc: 0x300, cycles: 150, next: 0x310 },
    { pc: 0x310, cycles: 13, next: 0x41000 },
    { pc: 0x41000, cycles: 1, next: 0x41002 },
    { pc: 0x41002, cycles: 12, next: 0x100 },
    { pc: 0x100, cycles: 30, next: 0x500 },
    { pc: 0x500, cycles: 100, next: 0x400 },
    { pc: 0x400, cycles: 40, next: 0x41004 },
  ];

  it('names each trap by what took it and charges every step to its function', () => {
    const session = scripted(steps, halfwords);
    const prof = profileTraps(session, elf, appOf, classify, { traps: 3 });
    expect([...prof.keys()].sort()).toEqual([
      'svc 2, kernel thread',
      'switch after interrupt, handler only',
      'yield 1, handler only',
    ]);
    const yieldTrap = prof.get('yield 1, handler only')!;
    expect(yieldTrap.count).toBe(1);
    expect(yieldTrap.cycles).toBe(12 + 5 + 13);
    expect(Object.fromEntries(yieldTrap.bySymbol)).toEqual({
      '(app: trap entry)': 12,
      cm_svc_handler: 18,
    });
    const sw = prof.get('switch after interrupt, handler only')!;
    expect(sw.cycles).toBe(12 + 20 + 163);
    expect(sw.bySymbol.get('cm_fast_switch')).toBe(163);
    const thread = prof.get('svc 2, kernel thread')!;
    expect(thread.cycles).toBe(12 + 30 + 100 + 40);
    expect(thread.bySymbol.get('kernel::scheduler::run_process')).toBe(100);
    expect(thread.bySymbol.get('kernel::scheduler::run')).toBe(40);
    // Three traps asked for: it stopped right after the third came back.
    expect(session.stepsRun()).toBe(steps.length);
  });

  it('prints the mean cycles per trap and per function, kinds by count', () => {
    const prof = profileTraps(scripted(steps, halfwords), elf, appOf, classify, { traps: 3 });
    const text = formatProfile(prof);
    expect(text).toContain('switch after interrupt, handler only: 1 traps, mean 195.0 cycles');
    expect(text).toMatch(/\n {5}163\.0 {2}cm_fast_switch\n/);
    expect(text).toContain('yield 1, handler only: 1 traps, mean 30.0 cycles');
  });

  it('stops at the step limit when no trap comes back', () => {
    const session = scripted(steps.slice(0, 3), halfwords);
    const prof = profileTraps(session, elf, appOf, classify, { traps: 1, maxSteps: 2 });
    expect(prof.size).toBe(0);
    expect(session.stepsRun()).toBe(2);
  });
});
