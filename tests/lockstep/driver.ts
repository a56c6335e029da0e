/**
 * Lockstep driver: steps two DebugTargets (the subject, our emulator; the oracle, QEMU's
 * gdbstub) through one program and compares them after every instruction.
 *
 * `lockstep(subject, oracle, opts)` knows the targets only through the DebugTarget interface;
 * `runLockstep(elf, opts)` builds the usual pair for an mps2-an386 ELF (targets.ts) and runs it.
 * Another oracle (QEMU's per-instruction trace, a board) fits beside this one as another
 * DebugTarget or as another comparator over the same subject.
 *
 * Compared each step: r0-r15 and xPSR (QEMU 7.2's gdbstub exposes no MSP/PSP/CONTROL for
 * M-profile, so those are checked indirectly: SP is the active stack pointer, and the system
 * programs store MRS results to memory), and every byte the subject wrote during the step (the
 * `writes` probe lists them; both copies are read through `readMemory`). The first divergence is
 * reported with the differing registers and bytes and objdump's disassembly of the last
 * instructions executed.
 *
 * YIELD and WFE are not single-stepped in QEMU (its step runs past the next instruction after
 * them); the oracle continues to a breakpoint on the following instruction instead, which
 * compares the same state.
 */
import { disassembleWord } from '../../emulator/core';
import {
  CORE_REGISTER_NAMES,
  type CoreRegisters,
  type DebugTarget,
  type StopInfo,
} from '../../emulator/debug/target';
import type { EmulatorSession } from '../../emulator/session/session';
import { disassembly } from './assemble';
import { startPair } from './targets';

export interface LockstepOptions {
  /** Stop after this many compared instructions. */
  maxSteps: number;
  /** Stop when the PC reaches this address (the program's end marker). */
  stopAt?: number;
  /** How many instructions of history a divergence report shows. */
  history?: number;
  collectCoverage?: boolean;
}

export interface LockstepRun {
  steps: number;
  divergence: string | null;
  seconds: number;
  /** PCs of the last instructions, oldest first. */
  history: number[];
}

export interface LockstepResult extends LockstepRun {
  /** The subject's session (coverage counts, final state). */
  session: EmulatorSession;
}

/** Hints QEMU runs as a yield (WFE too: it never sleeps on it), stepped by breakpoint. */
const YIELDING_HINTS = new Set(['YIELD_T1', 'YIELD_T2', 'WFE_T1', 'WFE_T2']);
/** How long the oracle may take to reach the instruction after such a hint before it is stopped. */
const HINT_TIMEOUT_MS = 5000;
/** r0-r15 and xPSR: QEMU 7.2's gdbstub has no M-profile system registers to compare. */
const COMPARED = CORE_REGISTER_NAMES.slice(0, CORE_REGISTER_NAMES.indexOf('xpsr') + 1);
const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

function must<T>(r: { ok: true; value: T } | { ok: false; error: string }, what: string): T {
  if (!r.ok) throw new Error(`${what}: ${r.error}`);
  return r.value;
}

/** Resumes `t` and waits for its next stop, halting it after `timeoutMs`. */
async function runUntilStop(
  t: DebugTarget,
  timeoutMs: number,
): Promise<{ stop: StopInfo; late: boolean }> {
  let late = false;
  const stopped = new Promise<StopInfo>((resolve) => {
    const off = t.onEvent((e) => {
      if (e.kind === 'stopped') {
        off();
        resolve(e.stop);
      } else if (e.kind === 'closed') {
        off();
        resolve({ cause: { kind: 'halted' }, pc: 0, instructions: null, cycles: null });
      }
    });
  });
  must(await t.resume(), 'resume');
  const timer = setTimeout(() => {
    late = true;
    void t.halt();
  }, timeoutMs);
  const stop = await stopped;
  clearTimeout(timer);
  return { stop, late };
}

/**
 * Steps `subject` and `oracle` in lockstep until `maxSteps`, `stopAt` or the first divergence.
 * `writes` lists (address, size) of every store the subject made since the last call.
 */
export async function lockstep(
  subject: DebugTarget,
  oracle: DebugTarget,
  opts: LockstepOptions & { writes: () => [number, number][] },
): Promise<LockstepRun> {
  const started = Date.now();
  const history: number[] = [];
  const historyLen = opts.history ?? 16;
  let steps = 0;

  const compare = async (s: CoreRegisters, q: CoreRegisters): Promise<string | null> => {
    const diffs: string[] = [];
    for (const name of COMPARED) {
      if (s[name] !== q[name]) diffs.push(`${name}: emulator ${hex(s[name])} qemu ${hex(q[name])}`);
    }
    // Memory the subject wrote this step must hold the same bytes in the oracle.
    for (const [address, size] of opts.writes()) {
      const theirs = must(await oracle.readMemory(address, size), `oracle memory ${hex(address)}`);
      const ours = await subject.readMemory(address, size);
      if (!ours.ok) {
        diffs.push(`memory ${hex(address)}: emulator cannot read back (${ours.error})`);
        continue;
      }
      for (let k = 0; k < size; k++) {
        if (ours.value[k] !== theirs[k])
          diffs.push(`memory ${hex(address + k)}: emulator ${ours.value[k]} qemu ${theirs[k]}`);
      }
    }
    return diffs.length ? diffs.join('\n') : null;
  };

  // APSR is UNKNOWN after reset (ARMv7-M ARM B1.5.5); QEMU leaves Z set. Start both from
  // QEMU's flags so the comparison only sees what the architecture defines.
  let q = must(await oracle.readRegisters(), 'oracle registers');
  let s = must(await subject.readRegisters(), 'subject registers');
  must(await subject.writeRegister('xpsr', (s.xpsr & 0x07ffffff) | (q.xpsr & 0xf8000000)), 'xpsr');
  s = must(await subject.readRegisters(), 'subject registers');
  // Instructions the subject has executed (a halted target reports its last stop).
  let count = must(await subject.halt(), 'subject halt').instructions;
  let divergence = await compare(s, q);
  while (divergence === null && steps < opts.maxSteps) {
    const pc = s.pc;
    if (opts.stopAt !== undefined && pc === opts.stopAt) break;
    history.push(pc);
    if (history.length > historyLen) history.shift();
    const code = must(await subject.readMemory(pc, 4), `code at ${hex(pc)}`);
    const hw1 = code[0]! | (code[1]! << 8);
    const hw2 = code[2]! | (code[3]! << 8);
    const { encoding, size } = disassembleWord(hw1, hw2, pc);
    let stop = must(await subject.step(), 'subject step');
    const executed = stop.instructions;
    if (YIELDING_HINTS.has(encoding)) {
      // QEMU executes YIELD and WFE as a yield to its main loop, and a gdbstub single-step
      // then runs on past the next instruction. Stop the oracle with a breakpoint on the next
      // instruction instead (it stops there before executing it).
      must(await oracle.setBreakpoint(pc + size), 'oracle breakpoint');
      const { late } = await runUntilStop(oracle, HINT_TIMEOUT_MS);
      must(await oracle.clearBreakpoint(pc + size), 'oracle breakpoint');
      if (late) {
        divergence = `QEMU did not reach ${hex(pc + size)} after ${encoding} at ${hex(pc)}`;
        break;
      }
    } else {
      must(await oracle.step(), 'oracle step');
    }
    steps++;
    q = must(await oracle.readRegisters(), 'oracle registers');
    s = must(await subject.readRegisters(), 'subject registers');
    // QEMU's gdbstub folds a synchronous exception's entry (SVC, faults) into the step of the
    // instruction that raised it; the emulator takes the entry as a step of its own. When the
    // PCs differ, let the subject take pending exception entries (steps that execute nothing).
    const oneInstruction = count !== null && executed === count + 1;
    for (let extra = 0; oneInstruction && extra < 2 && s.pc !== q.pc; extra++) {
      must(await subject.saveSnapshot!('lockstep-entry'), 'snapshot');
      const next = must(await subject.step(), 'subject step');
      if (next.instructions !== executed) {
        must(await subject.restoreSnapshot!('lockstep-entry'), 'restore');
        break;
      }
      stop = next;
      s = must(await subject.readRegisters(), 'subject registers');
    }
    count = stop.instructions;
    divergence = await compare(s, q);
    if (divergence === null && stop.cause.kind !== 'step' && stop.cause.kind !== 'halted') {
      divergence = `emulator stopped (${JSON.stringify(stop.cause)}) while QEMU continues`;
    }
  }
  return { steps, divergence, seconds: (Date.now() - started) / 1000, history };
}

/** Runs an mps2-an386 ELF in the emulator and in QEMU, in lockstep. */
export async function runLockstep(elf: string, opts: LockstepOptions): Promise<LockstepResult> {
  const pair = await startPair(elf, { collectCoverage: opts.collectCoverage ?? true });
  let run: LockstepRun;
  try {
    run = await lockstep(pair.subject, pair.oracle, { ...opts, writes: pair.writes });
  } finally {
    await pair.stop();
  }
  let divergence = run.divergence;
  if (divergence !== null) {
    const dis = disassembly(elf);
    const lines = run.history.map((pc) => `  ${hex(pc)}  ${dis.get(pc) ?? '(not in image)'}`);
    divergence = `first divergence after ${run.steps} instructions in ${elf}:\n${divergence}\nlast instructions:\n${lines.join('\n')}`;
  }
  return { ...run, divergence, session: pair.session };
}
