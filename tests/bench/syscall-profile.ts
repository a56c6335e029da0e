/**
 * Per-function cycle profile of the kernel's traps, for `npm run bench:syscall -- --profile`.
 *
 * Why: the benchmark says how many cycles a null call or a context switch costs; this says
 * where they go (which kernel function, the exception entries and returns), so the next cut
 * is chosen from figures, not guesses (issue 17, "Speed").
 *
 * How: steps the emulated core one instruction at a time from wherever the session stands,
 * and for each trap out of a process (the step that leaves an app's flash, until the step
 * that lands in an app's flash again) charges each step's cycles to the ELF symbol holding the
 * pc the step started at (exception entry/return cycles fall to the instruction that took or
 * ended the exception: the `svc`, the interrupted app instruction, the handler's `bx lr`, so
 * they are listed apart as "(app: trap entry)" for the first step). A trap is classified by
 * what took it: the `svc` at the app's pc (its immediate and r0/r1, named by
 * `classify`) or "interrupt", and "switch" when it came back in another app. The result is the
 * mean cycles per trap and per symbol, for each kind.
 *
 * @example
 *   const prof = profileTraps(session, parseElf(bytes), appOf, { traps: 400 });
 *   printProfile(prof);
 */
import type { ElfFile, ElfSymbol } from '../../emulator/formats/elf';
import type { EmulatorSession } from '../../emulator/session/session';
import { symbolAt } from '../../emulator/formats/elf';
import { demangle } from '../../emulator/formats/dwarf/demangle';

/** The part of a session the profiler drives (emulator/session/session.ts `Session`). */
export type SteppableSession = Pick<
  EmulatorSession,
  'step' | 'readRegister' | 'readWord' | 'cycles'
>;

export interface TrapProfile {
  /** Traps of this kind profiled. */
  count: number;
  /** Total cycles of these traps. */
  cycles: number;
  /** Cycles by symbol (demangled), summed over the traps. */
  bySymbol: Map<string, number>;
}

/** Kind of a trap, from the `svc` immediate and r0/r1 (undefined: not an svc). */
export type Classify = (svc: number | undefined, r0: number, r1: number) => string;

const PC = 15;

function halfword(session: SteppableSession, address: number): number {
  const w = session.readWord(address, 2);
  return w.ok ? w.value : 0;
}

/**
 * Steps until `opts.traps` traps out of an app came back (or `opts.maxSteps`), profiling each.
 */
export function profileTraps(
  session: SteppableSession,
  elf: ElfFile,
  appOf: (pc: number) => string | undefined,
  classify: Classify,
  opts: { traps: number; maxSteps?: number },
): Map<string, TrapProfile> {
  const names = new Map<number, string>();
  const nameOf = (pc: number): string => {
    let n = names.get(pc);
    if (n === undefined) {
      const s: ElfSymbol | undefined = symbolAt(elf, pc);
      n = s ? demangle(s.name) : `0x${pc.toString(16)}`;
      names.set(pc, n);
    }
    return n;
  };
  const out = new Map<string, TrapProfile>();
  let trap: { kind: string; from: string; cycles: Map<string, number>; total: number } | null =
    null;
  let done = 0;
  let lastSvc: string | undefined;
  const maxSteps = opts.maxSteps ?? 50_000_000;
  for (let i = 0; i < maxSteps && done < opts.traps; i++) {
    const pc = session.readRegister(PC) >>> 0;
    const app = appOf(pc);
    // An svc's exception is taken on the step after the one that executed it: the kind of
    // the last app instruction carries over when it was an svc.
    let kind: string | undefined = lastSvc;
    lastSvc = undefined;
    if (app !== undefined && trap === null && kind === undefined) {
      // An svc's immediate is the low byte of its halfword (T1 encoding 0xdfXX).
      const hw = halfword(session, pc);
      const svc = (hw & 0xff00) === 0xdf00 ? hw & 0xff : undefined;
      kind = classify(svc, session.readRegister(0) >>> 0, session.readRegister(1) >>> 0);
      if (svc !== undefined) lastSvc = kind;
    }
    const before = session.cycles;
    const r = session.step();
    // Lock-up, halt or idle do not occur in the bench; stop rather than mis-charge.
    if (r.kind !== 'limit') break;
    const spent = session.cycles - before;
    const after = session.readRegister(PC) >>> 0;
    const afterApp = appOf(after);
    if (trap === null) {
      if (app !== undefined && afterApp === undefined && kind !== undefined) {
        trap = { kind, from: app, cycles: new Map([['(app: trap entry)', spent]]), total: spent };
      }
      continue;
    }
    const sym = nameOf(pc);
    trap.cycles.set(sym, (trap.cycles.get(sym) ?? 0) + spent);
    trap.total += spent;
    if (afterApp !== undefined) {
      // Where the trap was served: the kernel thread's loop (`Kernel::run`), or handlers only.
      const where = [...trap.cycles.keys()].some((s) => s.endsWith('::sleep'))
        ? 'kernel slept'
        : [...trap.cycles.keys()].some((s) => s.endsWith('::run_process'))
          ? 'kernel thread'
          : 'handler only';
      const k = `${afterApp === trap.from ? trap.kind : `switch after ${trap.kind}`}, ${where}`;
      let p = out.get(k);
      if (!p) {
        p = { count: 0, cycles: 0, bySymbol: new Map() };
        out.set(k, p);
      }
      p.count++;
      p.cycles += trap.total;
      for (const [s, c] of trap.cycles) p.bySymbol.set(s, (p.bySymbol.get(s) ?? 0) + c);
      trap = null;
      done++;
    }
  }
  return out;
}

/** The profile as text: per kind, mean cycles per trap and the symbols by mean cycles. */
export function formatProfile(prof: Map<string, TrapProfile>, top = 25): string {
  const lines: string[] = [];
  for (const [kind, p] of [...prof].sort((a, b) => b[1].count - a[1].count)) {
    const mean = (c: number): string => (c / p.count).toFixed(1).padStart(8);
    lines.push(`${kind}: ${p.count} traps, mean ${(p.cycles / p.count).toFixed(1)} cycles`);
    const rows = [...p.bySymbol].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [s, c] of rows) lines.push(`  ${mean(c)}  ${s}`);
  }
  return lines.join('\n');
}
