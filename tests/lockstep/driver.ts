/**
 * Lockstep driver: runs one image in QEMU (through its gdbstub) and in our emulator, single-
 * steps both, and compares after every instruction.
 *
 * Compared each step: r0-r15 and xPSR (QEMU 7.2's gdbstub exposes no MSP/PSP/CONTROL for
 * M-profile, so those are checked indirectly: SP is the active stack pointer, and the system
 * programs store MRS results to memory), and every byte our core wrote during the step (its
 * `onDataWrite` hook lists them; QEMU's copy is read with `m`). The first divergence is
 * reported with both register files, the differing bytes and objdump's disassembly of the last
 * instructions executed.
 *
 * YIELD and WFE are not single-stepped in QEMU (its step runs past the next instruction after
 * them); QEMU continues to a breakpoint on the following instruction instead, which compares
 * the same state.
 */
import { readFileSync } from 'node:fs';
import { REGISTER_NAMES } from '../../emulator/core';
import { createSession, type EmulatorSession } from '../../emulator/session/session';
import { disassembly } from './assemble';
import { startQemu } from './qemu';

export interface LockstepOptions {
  /** Stop after this many compared instructions. */
  maxSteps: number;
  /** Stop when the PC reaches this address (the program's end marker). */
  stopAt?: number;
  /** How many instructions of history a divergence report shows. */
  history?: number;
  collectCoverage?: boolean;
}

export interface LockstepResult {
  steps: number;
  divergence: string | null;
  seconds: number;
  session: EmulatorSession;
}

/** Hints QEMU runs as a yield (WFE too: it never sleeps on it), stepped by breakpoint. */
const YIELDING_HINTS = new Set(['YIELD_T1', 'YIELD_T2', 'WFE_T1', 'WFE_T2']);
/** How long QEMU may take to reach the instruction after such a hint before it is stopped. */
const HINT_TIMEOUT_MS = 5000;
const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

export async function runLockstep(elf: string, opts: LockstepOptions): Promise<LockstepResult> {
  const created = createSession({
    machine: 'mps2-an386',
    collectCoverage: opts.collectCoverage ?? true,
  });
  if (!created.ok) throw new Error(created.error);
  const session = created.value;
  const loaded = session.load(new Uint8Array(readFileSync(elf)));
  if (!loaded.ok) throw new Error(loaded.error);
  const writes: [number, number][] = [];
  session.core.onDataWrite = (address, size) => void writes.push([address >>> 0, size]);

  const qemu = await startQemu(elf);
  const started = Date.now();
  const history: number[] = [];
  const historyLen = opts.history ?? 16;
  let steps = 0;
  let divergence: string | null;
  try {
    const compare = async (q: Map<string, number>): Promise<string | null> => {
      const diffs: string[] = [];
      for (let i = 0; i < 16; i++) {
        const ours = session.readRegister(i);
        const theirs = q.get(REGISTER_NAMES[i]!)!;
        if (ours !== theirs)
          diffs.push(`${REGISTER_NAMES[i]}: emulator ${hex(ours)} qemu ${hex(theirs)}`);
      }
      const ox = session.readSpecial('xpsr');
      const qx = q.get('xpsr')!;
      if (ox !== qx) diffs.push(`xpsr: emulator ${hex(ox)} qemu ${hex(qx)}`);
      // Memory the emulator wrote this step must hold the same bytes in QEMU.
      for (const [address, size] of writes) {
        const theirs = await qemu.gdb.readMemory(address, size);
        const ours = session.readMemory(address, size);
        if (!ours.ok) {
          diffs.push(`memory ${hex(address)}: emulator cannot read back (${ours.error})`);
          continue;
        }
        for (let k = 0; k < size; k++) {
          if (ours.value[k] !== theirs[k])
            diffs.push(`memory ${hex(address + k)}: emulator ${ours.value[k]} qemu ${theirs[k]}`);
        }
      }
      writes.length = 0;
      return diffs.length ? diffs.join('\n') : null;
    };

    // APSR is UNKNOWN after reset (ARMv7-M ARM B1.5.5); QEMU leaves Z set. Start both from
    // QEMU's flags so the comparison only sees what the architecture defines.
    const q0 = (await qemu.gdb.readRegisters()).get('xpsr')!;
    session.writeSpecial('xpsr', (session.readSpecial('xpsr') & 0x07ffffff) | (q0 & 0xf8000000));
    divergence = await compare(await qemu.gdb.readRegisters());
    while (divergence === null && steps < opts.maxSteps) {
      const pc = session.readRegister(15);
      if (opts.stopAt !== undefined && pc === opts.stopAt) break;
      history.push(pc);
      if (history.length > historyLen) history.shift();
      const before = session.instructions;
      const { encoding, size } = session.core.disassemble(pc);
      let reason = session.step();
      if (YIELDING_HINTS.has(encoding)) {
        // QEMU executes YIELD and WFE as a yield to its main loop, and a gdbstub single-step
        // then runs on past the next instruction. Stop QEMU with a breakpoint on the next
        // instruction instead (it stops there before executing it).
        await qemu.gdb.insertBreakpoint(pc + size);
        // If QEMU never gets there (a fault into a handler's loop), stop it and report.
        let late = false;
        const timer = setTimeout(() => {
          late = true;
          qemu.gdb.interrupt();
        }, HINT_TIMEOUT_MS);
        await qemu.gdb.cont();
        clearTimeout(timer);
        await qemu.gdb.removeBreakpoint(pc + size);
        if (late) {
          divergence = `QEMU did not reach ${hex(pc + size)} after ${encoding} at ${hex(pc)}`;
          break;
        }
      } else {
        await qemu.gdb.step();
      }
      steps++;
      // QEMU's gdbstub folds a synchronous exception's entry (SVC, faults) into the step of the
      // instruction that raised it; our core takes the entry as a step of its own. When the PCs
      // differ, let the emulator take pending exception entries (steps that execute nothing).
      const qregs = await qemu.gdb.readRegisters();
      const qpc = qregs.get('pc')!;
      for (
        let extra = 0;
        extra < 2 && session.readRegister(15) !== qpc && session.instructions === before + 1;
        extra++
      ) {
        const snap = session.snapshot();
        const count = session.instructions;
        reason = session.step();
        if (session.instructions !== count) {
          session.restore(snap);
          break;
        }
      }
      divergence = await compare(qregs);
      if (divergence === null && reason.kind !== 'limit' && reason.kind !== 'halted') {
        divergence = `emulator stopped (${JSON.stringify(reason)}) while QEMU continues`;
      }
    }
  } finally {
    await qemu.stop();
  }
  if (divergence !== null) {
    const dis = disassembly(elf);
    const lines = history.map((pc) => `  ${hex(pc)}  ${dis.get(pc) ?? '(not in image)'}`);
    divergence = `first divergence after ${steps} instructions in ${elf}:\n${divergence}\nlast instructions:\n${lines.join('\n')}`;
  }
  return { steps, divergence, seconds: (Date.now() - started) / 1000, session };
}
