/**
 * Tests for source-level stepping across the worker's message port: a Step over a line with a
 * call runs to the return address with a temporary breakpoint, and on a target that starts
 * calls in order (a TargetProxy) the breakpoint leaves with the resume and its removal with the
 * step's next call: fewer trips to the worker, the same stop, and no breakpoint left behind.
 */
import { describe, expect, it } from 'vitest';
import { ok, type Result } from '../../emulator/core/result';
import { connectTarget, serveTarget, type TargetProxy } from '../../emulator/debug/target-rpc';
import { portPair } from '../../emulator/debug/testing/port-pair';
import {
  CORE_REGISTER_NAMES,
  type CoreRegisters,
  type DebugTarget,
  type StopCause,
  type StopInfo,
  type TargetEvent,
} from '../../emulator/debug/target';
import type { FunctionAt, LineAt, ProgramView } from './debug-program';
import { stepSource } from './debug-stepping';
import { stepRowsOf } from './debug-program';

/**
 * A core running `main` at 0x100: line 10 is [0x100, 0x106) and calls `callee` (0x200) from
 * 0x102, returning to 0x104, mid-line; line 11 begins at 0x106. A resume runs the callee to its
 * return: it stops at 0x104 when a breakpoint is there, else runs off to 0x300 and halts.
 */
function scriptedTarget(): DebugTarget & { breakpoints: Set<number> } {
  const regs = Object.fromEntries(CORE_REGISTER_NAMES.map((n) => [n, 0])) as CoreRegisters;
  regs.pc = 0x100;
  regs.sp = 0x2000_0800;
  let state: 'halted' | 'running' = 'halted';
  const listeners = new Set<(e: TargetEvent) => void>();
  const emit = (e: TargetEvent): void => listeners.forEach((l) => l(e));
  const breakpoints = new Set<number>();
  const stopAt = (pc: number, cause: StopCause): StopInfo => {
    regs.pc = pc;
    state = 'halted';
    const info = { cause, pc, instructions: 0, cycles: 0 };
    emit({ kind: 'stopped', stop: info });
    return info;
  };
  const none = async (): Promise<Result<void>> => ok(undefined);
  return {
    breakpoints,
    description: {
      kind: 'emulator',
      board: 'test',
      label: 'scripted core',
      memoryMap: [],
      capabilities: {
        sideEffectFreeReads: true,
        readWhileRunning: true,
        snapshots: false,
        breakpoints: Infinity,
        watchpoints: 0,
        rangeStep: true,
        fpu: false,
        programming: false,
        consoles: [],
      },
    },
    state: () => state,
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    readRegisters: async () => ok({ ...regs }),
    readRegister: async (n) => ok(regs[n as keyof CoreRegisters]),
    writeRegister: none,
    readMemory: async (_a, n) => ok(new Uint8Array(n)),
    writeMemory: none,
    setBreakpoint: async (a) => (breakpoints.add(a), ok(undefined)),
    clearBreakpoint: async (a) => (breakpoints.delete(a), ok(undefined)),
    setWatchpoint: none,
    clearWatchpoint: none,
    resume: async () => {
      state = 'running';
      emit({ kind: 'running' });
      setTimeout(() => {
        regs.sp = 0x2000_0800;
        if (breakpoints.has(0x104)) stopAt(0x104, { kind: 'breakpoint', address: 0x104 });
        else stopAt(0x300, { kind: 'halted' });
      }, 5);
      return ok(undefined);
    },
    halt: async () => ok(stopAt(regs.pc, { kind: 'halted' })),
    step: async () => ok(stopAt(regs.pc + 2, { kind: 'step' })),
    // From the line's start: into the call (the callee's entry, its frame pushed); from the
    // return address: to line 11.
    stepRange: async () => {
      if (regs.pc === 0x104) return ok(stopAt(0x106, { kind: 'step' }));
      regs.lr = 0x105;
      regs.sp = 0x2000_07f8;
      return ok(stopAt(0x200, { kind: 'step' }));
    },
    reset: none,
    writeConsole: none,
    close: async () => undefined,
  };
}

const row = (line: number, start: number, end: number): LineAt => ({
  file: '/p/src/main.rs',
  line,
  column: 1,
  start,
  end,
  isStmt: true,
});

const fn = (name: string, low: number, high: number): FunctionAt => ({
  name,
  low,
  ranges: [[low, high]],
  program: 'kernel',
});

/** The two functions' lines, as stepping asks for them. */
const program = {
  sourceLevel: true,
  lineAt: (a: number) =>
    a >= 0x100 && a < 0x106
      ? row(10, 0x100, 0x106)
      : a >= 0x106 && a < 0x10a
        ? row(11, 0x106, 0x10a)
        : a >= 0x200 && a < 0x210
          ? row(20, 0x200, 0x210)
          : null,
  functionAt: (a: number) =>
    a >= 0x100 && a < 0x10a
      ? fn('main', 0x100, 0x10a)
      : a >= 0x200 && a < 0x210
        ? fn('callee', 0x200, 0x210)
        : null,
  inlineChain: (a: number) => (a >= 0x100 && a < 0x210 ? ['f'] : []),
  shownLine: () => null,
} as unknown as ProgramView;

async function overTheCall(
  inOrder: boolean,
): Promise<{ stop: StopInfo; trips: number; left: Set<number> }> {
  const target = scriptedTarget();
  const [a, b, end] = portPair();
  serveTarget(target, a);
  const p = await connectTarget(b);
  if (!p.ok) throw new Error(p.error);
  const proxy: TargetProxy = p.value;
  try {
    const posted = proxy.posted;
    const r = await stepSource('over', {
      target: proxy,
      program,
      registers: null,
      frames: null,
      inOrder,
      waitForStop: () =>
        new Promise((resolve) => {
          const off = proxy.onEvent((e) => {
            if (e.kind !== 'stopped') return;
            off();
            resolve(e.stop);
          });
        }),
    });
    if (!r.ok) throw new Error(r.error);
    const trips = proxy.posted - posted;
    // The removal is sent, not waited for: the next call (any) goes after it.
    await proxy.readRegister('r0');
    return { stop: r.value, trips, left: new Set(target.breakpoints) };
  } finally {
    end();
  }
}

describe('Step over a call across the worker port', () => {
  it('sends the temporary breakpoint with the resume and its removal with the next call', async () => {
    const one = await overTheCall(false);
    const batched = await overTheCall(true);
    // Both stop at line 11 after the call, with the temporary breakpoint gone.
    for (const r of [one, batched]) {
      expect(r.stop.pc).toBe(0x106);
      expect(r.left.size).toBe(0);
    }
    // One at a time: the registers (none given), the range step, set, resume, clear, the rest
    // of the line's range. In order: set with the resume, the removal with the rest of the line.
    expect([one.trips, batched.trips]).toEqual([6, 4]);
  });
});

/**
 * `main` (0xf0-0x110): line 9's entry row, then line 10 as three rows with code inlined into
 * it between ([0x104, 0x108) at depth 2, line 50 of another file), then line 11 at 0x10c (one
 * halfword: only its start tells the step to stop there) and line 12.
 */
const inlinedProgram = {
  sourceLevel: true,
  lineAt: (a: number): LineAt | null => {
    if (a >= 0xf0 && a < 0x100) return row(9, 0xf0, 0x100);
    if (a >= 0x100 && a < 0x104) return row(10, 0x100, 0x104);
    if (a >= 0x104 && a < 0x108) return { ...row(50, 0x104, 0x108), file: '/p/src/cell.rs' };
    if (a >= 0x108 && a < 0x10c) return row(10, 0x108, 0x10c);
    if (a >= 0x10c && a < 0x10e) return row(11, 0x10c, 0x10e);
    if (a >= 0x10e && a < 0x110) return row(12, 0x10e, 0x110);
    return null;
  },
  functionAt: (a: number) => (a >= 0xf0 && a < 0x110 ? fn('main', 0xf0, 0x110) : null),
  // The inlined call's first instruction counts as its caller's (as DwarfProgramView).
  inlineChain: (a: number) => (a > 0x104 && a < 0x108 ? ['get', 'main'] : ['main']),
  shownLine: (a: number) => (a === 0x104 ? { file: '/p/src/main.rs', line: 10 } : null),
  stepRows: (f: FunctionAt) => stepRowsOf(inlinedProgram, f),
} as unknown as ProgramView;

/** A core at 0x100 whose range steps walk halfwords; `ranges` says if it honours `also`. */
function walkingCore(ranges: boolean): { target: DebugTarget; steps: number } {
  const base = scriptedTarget();
  const out = { target: base as DebugTarget, steps: 0 };
  let pc = 0x100;
  out.target = {
    ...base,
    readRegisters: async () => {
      const r = await base.readRegisters();
      return r.ok ? ok({ ...r.value, pc }) : r;
    },
    stepRange: async (start, end, also = []) => {
      out.steps++;
      const inside = (x: number): boolean =>
        (x >= start && x < end) || (ranges && also.some(([a, b]) => x >= a && x < b));
      while (inside(pc)) pc += 2;
      return ok({ cause: { kind: 'step' }, pc, instructions: 0, cycles: 0 });
    },
  };
  return out;
}

describe('Step over a line with code inlined into it', () => {
  it("asks the target to step the line's rows and the inlined code in one range step", async () => {
    for (const ranges of [true, false]) {
      const core = walkingCore(ranges);
      const r = await stepSource('over', {
        target: core.target,
        program: inlinedProgram,
        registers: null,
        frames: null,
        waitForStop: () => new Promise(() => undefined),
      });
      if (!r.ok) throw new Error(r.error);
      // The same stop either way: line 11's start.
      expect(r.value.pc).toBe(0x10c);
      // One request with the rows; a target that ignores them is stepped row by row.
      expect(core.steps).toBe(ranges ? 1 : 3);
    }
  });
});
