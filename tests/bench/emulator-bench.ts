/**
 * `npm run bench:emulator`: the CPU benchmarks in our emulator and in QEMU, in the same run.
 *
 * Builds tests/bench/bench.c and bench2.c for mps2-an386 and runs each (a) in our emulator in
 * this Node process, counting instructions exactly, and (b) in qemu-system-arm with default TCG
 * and with `-icount shift=0`, timing whole processes and subtracting the median of a zero-round
 * run (QEMU start-up and ELF load). The runs are interleaved (QEMU TCG, QEMU icount, emulator,
 * again and again), so a busy machine slows both sides alike; the ratios are medians of the
 * per-round ratios. All runs of a program must print the same checksum. The rows are later
 * sessions of this process, which reuse the code generated for the same image; each QEMU run
 * translates from scratch, so the first (cold) session's ratios are printed beside them.
 *
 * Also printed: warm-up (MIPS over the first 10^6 and 10^7 instructions of a session, the very
 * first emulator run of the process for bench: nothing compiled yet), the code cache (regions,
 * blocks, instructions, generated source) and the cost of debugging: the same program with 10
 * breakpoints and 2 DWT watchpoints set where the program never stops, against no breakpoints,
 * interleaved; the first session with them, where V8 re-optimises the compiled code for its
 * slow memory paths, is printed on its own, as the cold first session is for the runs without.
 * The machine's load average is printed at the start and the end, and the emulator's MIPS by
 * the main thread's CPU time beside the wall clock. Exit status 1 if
 * a checksum differs or a run fails.
 *
 * Options: --rounds N (bench; bench2 runs N/4), --runs N (default 5), --only bench|bench2.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { StopReason } from '../../emulator/core/interfaces';
import type { EmulatorSession } from '../../emulator/session/session';
import { type BenchmarkName, buildBench } from './build';
import { threadCpuMs } from './cpu-time';
import { armDebug, benchSession, debugPoints } from './debug-points';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const ROUNDS = arg('--rounds', 1000);
const RUNS = arg('--runs', 5);
const ONLY = process.argv.includes('--only')
  ? process.argv[process.argv.indexOf('--only') + 1]
  : '';
/** bench2's rounds are 4x longer than bench's. */
const roundsOf = (name: BenchmarkName): number =>
  name === 'bench' ? ROUNDS : Math.max(1, ROUNDS >> 2);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function qemuRun(elf: string, rounds: number, icount: boolean): { seconds: number; out: string } {
  const args = [
    '-M',
    'mps2-an386',
    '-nographic',
    '-monitor',
    'none',
    '-serial',
    'none',
    '-semihosting-config',
    `enable=on,target=native,arg=bench,arg=${rounds}`,
    '-kernel',
    elf,
  ];
  if (icount) args.push('-icount', 'shift=0');
  const t0 = performance.now();
  const r = spawnSync('qemu-system-arm', args, { encoding: 'utf8', timeout: 300_000 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.error) throw new Error(`qemu-system-arm not runnable: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`qemu-system-arm exited ${r.status}: ${r.stderr}`);
  // QEMU 7.2 sends the semihosting console to stderr when no chardev is given.
  const out =
    /checksum [0-9a-f]+ rounds [0-9a-f]+/.exec(r.stdout + r.stderr)?.[0] ??
    `(no checksum in QEMU output: ${r.stderr.trim()})`;
  return { seconds, out };
}

interface EmuResult {
  seconds: number;
  /** CPU seconds of this thread over the run (what the emulation costs, whatever the load). */
  cpu: number;
  instructions: number;
  out: string;
  /** Seconds to reach 10^6 and 10^7 instructions (NaN when the run is shorter). */
  warm: [number, number];
  session: EmulatorSession;
}

/** CPU seconds of the calling thread (the process's where the thread's cannot be read). */
const threadCpu = (): number => threadCpuMs() / 1000;

function emulatorRun(
  bytes: Uint8Array,
  rounds: number,
  setup: (s: EmulatorSession) => void = () => undefined,
): EmuResult {
  const s = benchSession(rounds);
  let out = '';
  s.on((e) => {
    if (e.kind === 'console') out += new TextDecoder().decode(e.bytes);
  });
  const loaded = s.load(bytes);
  if (!loaded.ok) throw new Error(loaded.error);
  setup(s);
  const warm: [number, number] = [NaN, NaN];
  const c0 = threadCpu();
  const t0 = performance.now();
  let reason: StopReason = { kind: 'limit' };
  // Small first slices, so the warm-up points are timed where they fall.
  for (const until of [1e6, 1e7]) {
    do reason = s.runSlice({ instructions: until - s.instructions });
    while (reason.kind === 'limit' && s.instructions < until);
    if (reason.kind !== 'limit') break;
    warm[until === 1e6 ? 0 : 1] = (performance.now() - t0) / 1000;
  }
  while (reason.kind === 'limit') reason = s.runSlice({ instructions: 50_000_000 });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = threadCpu() - c0;
  if (reason.kind !== 'exit' || reason.code !== 0)
    throw new Error(`emulator stopped: ${JSON.stringify(reason)}`);
  return { seconds, cpu, instructions: s.instructions, out: out.trim(), warm, session: s };
}

const fmt = (x: number, d = 3): string => x.toFixed(d);

function benchProgram(name: BenchmarkName): boolean {
  const built = buildBench(undefined, name);
  if (!built.ok) {
    console.error(built.error);
    return false;
  }
  const bytes = new Uint8Array(readFileSync(built.value));
  const rounds = roundsOf(name);
  console.log(`\n== ${name} (${built.value}), ${rounds} rounds, ${RUNS} interleaved runs ==`);
  const base = {
    tcg: median(Array.from({ length: 3 }, () => qemuRun(built.value, 0, false).seconds)),
    icount: median(Array.from({ length: 3 }, () => qemuRun(built.value, 0, true).seconds)),
  };
  // The first session of the process (for bench): nothing compiled, the JIT cold.
  const cold = emulatorRun(bytes, rounds);
  const { bps, wps } = debugPoints(bytes, rounds);
  // The first session with the debug points, kept out of the rows as the cold run above is for
  // the runs without: with watchpoints armed the compiled regions take their slow memory paths
  // for the first time, and V8 throws away and re-optimises their code (seen with
  // --trace-deopt: "insufficient type feedback" in each region). Printed on its own.
  const coldDebug = emulatorRun(bytes, rounds, (s) => armDebug(s, bps, wps));
  const rows: { tcg: number; icount: number; emu: EmuResult; debug: EmuResult }[] = [];
  const outputs = new Set<string>();
  for (let i = 0; i < RUNS; i++) {
    const tcg = qemuRun(built.value, rounds, false);
    const icount = qemuRun(built.value, rounds, true);
    const emu = emulatorRun(bytes, rounds);
    const debug = emulatorRun(bytes, rounds, (s) => armDebug(s, bps, wps));
    outputs.add(tcg.out).add(icount.out).add(emu.out).add(debug.out);
    rows.push({
      tcg: Math.max(1e-6, tcg.seconds - base.tcg),
      icount: Math.max(1e-6, icount.seconds - base.icount),
      emu,
      debug,
    });
  }
  const insns = rows[0]!.emu.instructions;
  const mips = (s: number): number => insns / s / 1e6;
  const first = rows[0]!.emu;
  const stats = first.session.core.translatorStats;
  console.log(
    `instructions: ${insns} (exact, from the emulator; same image and arguments in QEMU)`,
  );
  const line = (label: string, secs: number[]): void =>
    console.log(
      `${label.padEnd(40)} ${fmt(median(secs)).padStart(8)} s ${fmt(mips(median(secs)), 1).padStart(9)} MIPS`,
    );
  line(
    `our emulator (Node ${process.versions.node})`,
    rows.map((r) => r.emu.seconds),
  );
  line(
    'QEMU 7.2 default TCG',
    rows.map((r) => r.tcg),
  );
  line(
    'QEMU 7.2 -icount shift=0',
    rows.map((r) => r.icount),
  );
  line(
    'our emulator, 10 breakpoints + 2 watchpoints',
    rows.map((r) => r.debug.seconds),
  );
  const ratio = (f: (r: (typeof rows)[number]) => number): string => fmt(median(rows.map(f)));
  console.log(
    `our emulator by main-thread CPU time: ${fmt(mips(median(rows.map((r) => r.emu.cpu))), 1)} MIPS (median; V8's compiler threads not counted; less sensitive to machine load than the wall clock)`,
  );
  console.log(
    `ratio emulator/QEMU TCG: ${ratio((r) => r.tcg / r.emu.seconds)}, emulator/QEMU icount: ${ratio((r) => r.icount / r.emu.seconds)} (later sessions, generated code reused; medians of per-round ratios)`,
  );
  // The rows are later sessions of this process: they reuse the code generated for the same image
  // (the translator's memo) and V8's optimised code. Each QEMU run is a fresh process that
  // translates from scratch, so the first session's ratio is printed beside them, labelled.
  const tcgMedian = median(rows.map((r) => r.tcg));
  const icountMedian = median(rows.map((r) => r.icount));
  console.log(
    `  first (cold) session of ${name} in this process, code generated and compiled from scratch as each QEMU process translates afresh` +
      `${name === 'bench2' && !ONLY ? ' (V8 already warmed by bench)' : ''}: ${fmt(cold.seconds)} s, ${fmt(cold.instructions / cold.seconds / 1e6, 1)} MIPS;` +
      ` ratio emulator/QEMU TCG: ${fmt(tcgMedian / cold.seconds)}, emulator/QEMU icount: ${fmt(icountMedian / cold.seconds)} (against QEMU's medians)`,
  );
  console.log(
    `with 10 breakpoints and 2 watchpoints: ${ratio((r) => r.emu.seconds / r.debug.seconds)} of the speed without (breakpoints at ${bps.map((a) => `0x${a.toString(16)}`).join(' ')}; watchpoints at ${wps.map((a) => `0x${a.toString(16)}`).join(' ')})`,
  );
  console.log(
    `  first session with them (one-time V8 re-optimisation, not in the ratio above): ${fmt(coldDebug.instructions / coldDebug.seconds / 1e6, 1)} MIPS, ${fmt(median(rows.map((r) => r.emu.seconds)) / coldDebug.seconds)} of the speed without`,
  );
  const w1 = rows.map((r) => 1 / r.emu.warm[0]);
  const w2 = rows.map((r) => 10 / r.emu.warm[1]);
  console.log(
    `warm-up: first 10^6 instructions ${fmt(1 / cold.warm[0], 1)} MIPS, first 10^7 ${fmt(10 / cold.warm[1], 1)} MIPS in the first session of ${name}` +
      ` (later sessions, generated code reused: ${fmt(median(w1), 1)} / ${fmt(median(w2), 1)} MIPS); steady ${fmt(mips(median(rows.map((r) => r.emu.seconds))), 1)} MIPS`,
  );
  console.log(
    `code cache of one session: ${stats.regions} regions, ${stats.blocks} blocks, ${stats.instructions} instructions, ${fmt(stats.sourceBytes / 1024, 0)} KiB of generated source`,
  );
  console.log(`emulator runs (s): ${rows.map((r) => fmt(r.emu.seconds)).join(' ')}`);
  if (outputs.size !== 1) {
    console.error(`checksum mismatch: ${[...outputs].join(' | ')}`);
    return false;
  }
  console.log(`output identical in every run: ${first.out}`);
  return true;
}

function main(): number {
  const load0 = loadavg();
  console.log(
    `load average at start: ${load0.map((x) => x.toFixed(2)).join(' ')} (${process.env.npm_lifecycle_event ?? 'bench'}; 2 cores)`,
  );
  let ok = true;
  for (const name of ['bench', 'bench2'] as const) {
    if (ONLY && ONLY !== name) continue;
    try {
      ok = benchProgram(name) && ok;
    } catch (e) {
      console.error(`${name}: ${(e as Error).message}`);
      ok = false;
    }
  }
  console.log(
    `load average at end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  return ok ? 0 : 1;
}

process.exitCode = main();
