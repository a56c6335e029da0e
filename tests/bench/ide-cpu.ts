/**
 * CPU time per instruction of the IDE's emulator target against the command line's run loop,
 * as a crossover in one thread: the figure that says whether the IDE session's loop costs more
 * than the CLI's, independent of wall-clock noise on a loaded machine.
 *
 * Two sessions of tests/bench/bench.c on mps2-an386 (a round count it never reaches) run the
 * same windows of `instructions` in lockstep. In each window one session runs as (a) the CLI's
 * loop (a `Runner`, 2,000,000-instruction slices, as emulator/node/cli.ts runs it) and the other
 * as (b) an `EmulatorTarget` (what the IDE's worker serves: stats, console flushing, its own
 * slice sizing and yields, the Runner under it), resumed and stopped at the window's end. Which
 * session is the target swaps every two windows, and which runs first swaps every window.
 *
 * Why this design:
 * - Two sessions booted alike run the same instructions 10-30 % apart on their own (each
 *   session's translated regions are its own functions, which V8 optimises apart; measured by
 *   tests/bench/tock-timeline-cost.ts). A bench that always ran the target on one session (or
 *   fresh sessions, each compiling its own code: the first version of this file) charged that
 *   to the target. Swapping the roles cancels it: each session is half the time in each arm.
 * - Both arms run the same instructions (lockstep windows), so the program's phases (bench.c's
 *   five kernels differ several times in speed) fall alike on both.
 * - Only this thread's CPU is counted (V8's compiler and GC threads run at random moments).
 *
 * The window's end: the target's session runs its slices clamped to the window, and the slice
 * that reaches it ends with a halt (as the IDE's Pause), so the target stops there.
 * - Run (`historyFrom: 'first-stop'`): a fresh target over the session for every window, so
 *   every window is a free run without history, as the IDE's Run to exit (a stop would start
 *   the history on the next resume).
 * - Debug (`historyFrom: 'start'`): one target over each session for the whole bench, so its
 *   history (checkpoints every ~50 ms of running) goes on across windows as in one long run.
 *
 * Used by `npm run bench:ide` (part 1b); alone:
 *
 * @example
 *   npx tsx tests/bench/ide-cpu.ts --windows 12 --instructions 50000000
 *   const r = await cpuAB(elfPath, 16); // { cliUs: [...], targetUs: [...], instructions }
 */
import { readFileSync } from 'node:fs';
import type { StopReason } from '../../emulator/core/interfaces';
import { EmulatorTarget, type EmulatorTargetOptions } from '../../emulator/debug/emulator-target';
import { nodeScheduler as sliceScheduler } from '../../emulator/node/scheduler';
import { nodeScheduler } from '../../emulator/node/node-scheduler';
import { Runner } from '../../emulator/session/runner';
import { createSession, type EmulatorSession } from '../../emulator/session/session';
import { positiveArg } from './args';
import { buildBench } from './build';
import { median, threadCpuMs } from './cpu-time';

export interface CpuAB {
  /** CPU microseconds of this thread per window, the CLI's loop (all windows, in order). */
  cliUs: number[];
  /** The same, the emulator target, for the same windows. */
  targetUs: number[];
  /** Instructions per window. */
  instructions: number;
}

/** The target's options that differ between the IDE's Run and Debug sessions. */
export type SessionKind = Pick<EmulatorTargetOptions, 'historyFrom'>;
/** As main/host/debug-service.ts starts a Run session. */
export const RUN: SessionKind = { historyFrom: 'first-stop' };

/** Debug Halting Control and Status (ARMv7-M ARM C1.6.2): DBGKEY and C_DEBUGEN. */
const DHCSR = 0xe000edf0;

/** One session, and the window its target may run to (Infinity: not clamped). */
interface Side {
  session: EmulatorSession;
  end: number;
  target: EmulatorTarget | null;
}

function side(elf: string): Side {
  const s = createSession({ machine: 'mps2-an386', semihosting: true, cmdline: 'bench 1000000' });
  if (!s.ok) throw new Error(s.error);
  const loaded = s.value.load(new Uint8Array(readFileSync(elf)));
  if (!loaded.ok) throw new Error(loaded.error);
  const session = s.value;
  // Halting debug on from the start in both (the target turns it on, as a probe attached):
  // turning it on drops the core's compiled code (the FPB's comparators act only with it,
  // emulator/core/system/fpb.ts), a recompile of ~300 ms of CPU for this program. A target made
  // over a session that ran without it paid that in its first window, and the CLI's windows
  // after it ran the same code: with it on from the start both arms run alike, as the IDE's
  // sessions (the target is made before the first instruction). So the CLI arm here differs from
  // the real CLI (emulator/node/cli.ts, halting debug off) by that bit; part 1 compares the two.
  session.core.writeMemory(DHCSR, 4, 0xa05f0001);
  const me: Side = { session, end: Infinity, target: null };
  // The target's slices end at the window's end, and the slice that reaches it halts the core
  // there (a 'halted' stop, as a Pause): the target stops exactly at the window's end.
  const runSlice = session.runSlice.bind(session);
  const runPaced = session.runPaced.bind(session);
  const clamp = (budget: number): number => Math.min(budget, me.end - session.instructions);
  const ended = (r: StopReason): StopReason =>
    r.kind === 'limit' && session.instructions >= me.end ? { kind: 'halted' } : r;
  session.runSlice = (o = {}) =>
    ended(runSlice({ ...o, instructions: clamp(o.instructions ?? 1_000_000) }));
  session.runPaced = (until, most) => ended(runPaced(until, clamp(most)));
  return me;
}

/** This thread's CPU microseconds for `run`. */
async function cpuOf(run: () => Promise<void>): Promise<number> {
  const t0 = threadCpuMs();
  await run();
  return (threadCpuMs() - t0) * 1000;
}

async function cliWindow(s: Side, end: number): Promise<void> {
  s.end = Infinity;
  const out = await new Runner(s.session, {
    scheduler: nodeScheduler,
    pace: 'fast',
    inputs: { consoles: [0], buttons: false, debugger: false },
    sliceInstructions: 2_000_000,
    maxInstructions: end,
  }).run();
  if (out.kind !== 'limit') throw new Error(`the CLI loop ended ${JSON.stringify(out)}`);
}

async function targetWindow(s: Side, end: number, kind: SessionKind): Promise<void> {
  s.end = end;
  // Run: a fresh target each window (no history); Debug: one for the whole bench.
  if (s.target === null || kind.historyFrom === 'first-stop') {
    await s.target?.close();
    s.target = new EmulatorTarget({
      session: s.session,
      scheduler: sliceScheduler,
      pace: 'fast',
      ...kind,
    });
  }
  const t = s.target;
  const stopped = new Promise<string>((resolve) => {
    const off = t.onEvent((e) => {
      if (e.kind !== 'stopped') return;
      off();
      resolve(e.stop.cause.kind);
    });
  });
  const resumed = await t.resume();
  if (!resumed.ok) throw new Error(resumed.error);
  const cause = await stopped;
  if (cause !== 'halted' || s.session.instructions !== end)
    throw new Error(`the target stopped: ${cause} at ${s.session.instructions}, not ${end}`);
}

/**
 * `windows` pairs of windows of `instructions`, crossover (see the header). The first pair of
 * each kind warms both sessions (translation, V8's first optimisation) and is not counted.
 */
export async function cpuAB(
  elf: string,
  windows: number,
  kind: SessionKind = RUN,
  instructions = 50_000_000,
): Promise<CpuAB> {
  const sides = [side(elf), side(elf)];
  const r: CpuAB = { cliUs: [], targetUs: [], instructions };
  for (let i = 0; i <= windows; i++) {
    const end = (i + 1) * instructions;
    const tgt = (i + (i >> 1)) % 2; // which side is the target: 0 1 1 0 0 1 1 0 ...
    const us = [0, 0];
    for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const s = sides[k]!;
      us[k] = await cpuOf(() => (k === tgt ? targetWindow(s, end, kind) : cliWindow(s, end)));
    }
    if (i === 0) continue;
    r.targetUs.push(us[tgt]!);
    r.cliUs.push(us[1 - tgt]!);
  }
  for (const s of sides) await s.target?.close();
  return r;
}

/**
 * One line: each arm's instructions per CPU second (all windows), their ratio, and the median
 * of the window pairs' ratios beside it.
 */
export function describeAB(r: CpuAB): string {
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const mips = (us: number[]): number => (r.instructions * us.length) / sum(us);
  const cli = mips(r.cliUs);
  const target = mips(r.targetUs);
  const pairs = median(r.cliUs.map((c, i) => c / r.targetUs[i]!));
  return `CLI loop ${cli.toFixed(1)} MIPS of this thread's CPU time, emulator target ${target.toFixed(1)} (${r.cliUs.length} window pairs of ${r.instructions} instructions, crossover): target at ${((target / cli) * 100).toFixed(0)} % of the CLI (median of the pairs ${(pairs * 100).toFixed(0)} %)`;
}

if (process.argv[1]?.endsWith('ide-cpu.ts')) {
  const windows = positiveArg('--windows', 12);
  const instructions = positiveArg('--instructions', 50_000_000);
  const built = buildBench();
  if (!built.ok) throw new Error(built.error);
  console.log(`Run: ${describeAB(await cpuAB(built.value, windows, RUN, instructions))}`);
  console.log(
    `Debug: ${describeAB(await cpuAB(built.value, windows, { historyFrom: 'start' }, instructions))}`,
  );
}
