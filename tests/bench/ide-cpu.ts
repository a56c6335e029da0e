/**
 * CPU time per instruction of the IDE's emulator target against the command line's run loop,
 * measured in one process, alternating, so a loaded machine slows both alike: the figure that
 * says whether the IDE session's loop costs more than the CLI's, independent of wall-clock noise.
 *
 * Both run tests/bench/bench.c on mps2-an386 flat out to its semihosting exit: (a) the CLI's
 * loop (a session under the shared `Runner`, 2,000,000-instruction slices, as emulator/node/cli.ts
 * runs it), (b) an `EmulatorTarget` (what the IDE's worker serves: history checkpoints, stats,
 * console flushing, the Runner under it), resumed and awaited to its exit stop. Used by
 * `npm run bench:ide` (part 1b); run alone with `npx tsx tests/bench/ide-cpu.ts [ROUNDS]`.
 *
 * @example
 *   const r = await cpuAB(elfPath, 3); // { cliUs: [...], targetUs: [...], instructions }
 */
import { readFileSync } from 'node:fs';
import { EmulatorTarget } from '../../emulator/debug/emulator-target';
import { nodeScheduler as sliceScheduler } from '../../emulator/node/scheduler';
import { nodeScheduler } from '../../emulator/node/node-scheduler';
import { Runner } from '../../emulator/session/runner';
import { createSession, type EmulatorSession } from '../../emulator/session/session';
import { buildBench } from './build';
import { processCpuMs } from './cpu-time';

export interface CpuAB {
  /** CPU microseconds per run, the CLI's loop. */
  cliUs: number[];
  /** CPU microseconds per run, the emulator target. */
  targetUs: number[];
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

/** This process's CPU microseconds. */
const cpuNow = (): number => processCpuMs() * 1000;

async function runCli(elf: string): Promise<{ us: number; instructions: number }> {
  const s = session(elf);
  const t0 = cpuNow();
  const out = await new Runner(s, {
    scheduler: nodeScheduler,
    pace: 'fast',
    inputs: { consoles: [0], buttons: false, debugger: false },
    sliceInstructions: 2_000_000,
  }).run();
  const us = cpuNow() - t0;
  if (out.kind !== 'stopped' || out.reason.kind !== 'exit')
    throw new Error(`the CLI loop ended ${JSON.stringify(out)}`);
  return { us, instructions: s.instructions };
}

async function runTarget(elf: string): Promise<{ us: number; instructions: number }> {
  const s = session(elf);
  const t = new EmulatorTarget({ session: s, scheduler: sliceScheduler, pace: 'fast' });
  const stopped = new Promise<string>((resolve) =>
    t.onEvent((e) => e.kind === 'stopped' && resolve(e.stop.cause.kind)),
  );
  const t0 = cpuNow();
  await t.resume();
  const cause = await stopped;
  const us = cpuNow() - t0;
  await t.close();
  if (cause !== 'exit') throw new Error(`the target stopped: ${cause}`);
  return { us, instructions: s.instructions };
}

/** Alternates the two `rounds` times on the same image. */
export async function cpuAB(elf: string, rounds: number): Promise<CpuAB> {
  const r: CpuAB = { cliUs: [], targetUs: [], instructions: 0 };
  for (let i = 0; i < rounds; i++) {
    // Alternating which goes first: neither gets the warmer start every round.
    const [a, b] =
      i % 2 === 0
        ? [await runCli(elf), await runTarget(elf)]
        : await runTarget(elf).then(async (t) => [await runCli(elf), t] as const);
    if (a.instructions !== b.instructions)
      throw new Error(`instruction counts differ: ${a.instructions} vs ${b.instructions}`);
    r.instructions = a.instructions;
    r.cliUs.push(a.us);
    r.targetUs.push(b.us);
  }
  return r;
}

/** One line: the medians and their ratio (CLI CPU time over target CPU time = relative speed). */
export function describeAB(r: CpuAB): string {
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const cli = med(r.cliUs);
  const target = med(r.targetUs);
  const mips = (us: number): string => (r.instructions / us).toFixed(1);
  return `CLI loop ${mips(cli)} MIPS of CPU time, emulator target ${mips(target)} MIPS of CPU time (medians of ${r.cliUs.length}, ${r.instructions} instructions each): target at ${((cli / target) * 100).toFixed(0)} % of the CLI`;
}

if (process.argv[1]?.endsWith('ide-cpu.ts')) {
  const rounds = Number(process.argv[2] ?? 3);
  const built = buildBench();
  if (!built.ok) throw new Error(built.error);
  const r = await cpuAB(built.value, rounds);
  console.log(describeAB(r));
}
