/**
 * CPU time per instruction of the IDE's emulator target against the command line's run loop,
 * measured in one process, alternating, so a loaded machine slows both alike: the figure that
 * says whether the IDE session's loop costs more than the CLI's, independent of wall-clock noise.
 *
 * Both run tests/bench/bench.c on mps2-an386 flat out to its semihosting exit: (a) the CLI's
 * loop (a session under the shared `Runner`, 2,000,000-instruction slices, as emulator/node/cli.ts
 * runs it), (b) an `EmulatorTarget` (what the IDE's worker serves: stats, console flushing, the
 * Runner under it) built as the IDE's Run builds it (reverse-execution history from the first
 * stop: none in a run to exit), or with `{ historyFrom: 'start' }` as Debug builds it (history
 * checkpoints from the first instruction), resumed and awaited to its exit stop. Used by
 * `npm run bench:ide` (part 1b); run alone with `npx tsx tests/bench/ide-cpu.ts [ROUNDS]`.
 *
 * @example
 *   const r = await cpuAB(elfPath, 3); // { cliUs: [...], targetUs: [...], instructions }
 */
import { readFileSync } from 'node:fs';
import { EmulatorTarget, type EmulatorTargetOptions } from '../../emulator/debug/emulator-target';
import { nodeScheduler as sliceScheduler } from '../../emulator/node/scheduler';
import { nodeScheduler } from '../../emulator/node/node-scheduler';
import { Runner } from '../../emulator/session/runner';
import { createSession, type EmulatorSession } from '../../emulator/session/session';
import { buildBench } from './build';
import { median, processCpuMs, threadCpuMs } from './cpu-time';

export interface CpuAB {
  /** CPU microseconds per run of the main thread (which runs the loop), the CLI's loop. */
  cliUs: number[];
  /** CPU microseconds per run of the main thread, the emulator target. */
  targetUs: number[];
  /** The same of the whole process (V8's compiler and GC threads, any other thread too). */
  cliProcessUs: number[];
  targetProcessUs: number[];
  instructions: number;
}

/** bench.c's rounds (the last number of its command line): ~234,000 instructions each. */
const BENCH_ROUNDS = 128;

function session(elf: string): EmulatorSession {
  const s = createSession({
    machine: 'mps2-an386',
    semihosting: true,
    cmdline: `bench ${BENCH_ROUNDS}`,
  });
  if (!s.ok) throw new Error(s.error);
  const loaded = s.value.load(new Uint8Array(readFileSync(elf)));
  if (!loaded.ok) throw new Error(loaded.error);
  return s.value;
}

/**
 * CPU microseconds of the main thread, which runs both loops, and of the whole process. The
 * thread's figure is the one to read: the process's also counts V8's background compiler and GC
 * threads (the translator's fresh code of each run lands there at random moments) and whatever
 * other thread the process still has (bench:ide's ended session), which made the process figure
 * swing from 30 % to 170 % between runs.
 */
const cpuNow = (): { thread: number; process: number } => ({
  thread: threadCpuMs() * 1000,
  process: processCpuMs() * 1000,
});
type Cost = { us: number; processUs: number; instructions: number };
const since = (t0: { thread: number; process: number }): { us: number; processUs: number } => {
  const t1 = cpuNow();
  return { us: t1.thread - t0.thread, processUs: t1.process - t0.process };
};

async function runCli(elf: string): Promise<Cost> {
  const s = session(elf);
  const t0 = cpuNow();
  const out = await new Runner(s, {
    scheduler: nodeScheduler,
    pace: 'fast',
    inputs: { consoles: [0], buttons: false, debugger: false },
    sliceInstructions: 2_000_000,
  }).run();
  const cost = since(t0);
  if (out.kind !== 'stopped' || out.reason.kind !== 'exit')
    throw new Error(`the CLI loop ended ${JSON.stringify(out)}`);
  return { ...cost, instructions: s.instructions };
}

/** The target's options that differ between the IDE's Run and Debug sessions. */
export type SessionKind = Pick<EmulatorTargetOptions, 'historyFrom'>;
/** As main/host/debug-service.ts starts a Run session. */
export const RUN: SessionKind = { historyFrom: 'first-stop' };

async function runTarget(elf: string, kind: SessionKind): Promise<Cost> {
  const s = session(elf);
  const t = new EmulatorTarget({ session: s, scheduler: sliceScheduler, pace: 'fast', ...kind });
  const stopped = new Promise<string>((resolve) =>
    t.onEvent((e) => e.kind === 'stopped' && resolve(e.stop.cause.kind)),
  );
  const t0 = cpuNow();
  await t.resume();
  const cause = await stopped;
  const cost = since(t0);
  await t.close();
  if (cause !== 'exit') throw new Error(`the target stopped: ${cause}`);
  return { ...cost, instructions: s.instructions };
}

/** Alternates the two `rounds` times on the same image. */
export async function cpuAB(elf: string, rounds: number, kind: SessionKind = RUN): Promise<CpuAB> {
  const r: CpuAB = {
    cliUs: [],
    targetUs: [],
    cliProcessUs: [],
    targetProcessUs: [],
    instructions: 0,
  };
  for (let i = 0; i < rounds; i++) {
    // Alternating which goes first: neither gets the warmer start every round.
    const [a, b] =
      i % 2 === 0
        ? [await runCli(elf), await runTarget(elf, kind)]
        : await runTarget(elf, kind).then(async (t) => [await runCli(elf), t] as const);
    if (a.instructions !== b.instructions)
      throw new Error(`instruction counts differ: ${a.instructions} vs ${b.instructions}`);
    r.instructions = a.instructions;
    r.cliUs.push(a.us);
    r.targetUs.push(b.us);
    r.cliProcessUs.push(a.processUs);
    r.targetProcessUs.push(b.processUs);
  }
  return r;
}

/** One line: the medians and their ratio (CLI CPU time over target CPU time = relative speed). */
export function describeAB(r: CpuAB): string {
  const cli = median(r.cliUs);
  const target = median(r.targetUs);
  const mips = (us: number): string => (r.instructions / us).toFixed(1);
  const whole = (median(r.cliProcessUs) / median(r.targetProcessUs)) * 100;
  return `CLI loop ${mips(cli)} MIPS of the main thread's CPU time, emulator target ${mips(target)} (medians of ${r.cliUs.length}, ${r.instructions} instructions each): target at ${((cli / target) * 100).toFixed(0)} % of the CLI (whole process's CPU time: ${whole.toFixed(0)} %)`;
}

if (process.argv[1]?.endsWith('ide-cpu.ts')) {
  const rounds = Number(process.argv[2] ?? 3);
  const built = buildBench();
  if (!built.ok) throw new Error(built.error);
  console.log(`Run: ${describeAB(await cpuAB(built.value, rounds))}`);
  console.log(`Debug: ${describeAB(await cpuAB(built.value, rounds, { historyFrom: 'start' }))}`);
}
