/**
 * Emulator-only CPU-time gauge for the translator: runs bench.elf or bench2.elf in sessions one
 * after another and prints, per session, MIPS by wall clock, by the main thread's CPU time
 * (/proc/thread-self/schedstat: what the emulation itself costs, whatever the load) and by the
 * whole process's CPU time (main thread + V8's compiler and GC threads).
 *
 * Why: on a shared machine the wall clock swings 3-4x between runs; CPU time does not. The
 * project's speed claim stays `npm run bench:emulator` (QEMU in the same run).
 *
 * Usage: npx tsx tests/bench/cpu-harness.ts [--only bench|bench2] [--rounds N] [--sessions N]
 *        [--interp] [--debug] [--cold-ab]
 *
 * --debug: every other session (the odd ones) runs with 10 breakpoints and 2 DWT watchpoints
 * set where the program never stops (debug-points.ts, as bench:emulator), so the cost of
 * debugging is read in one run, A/B, under the same load.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type BenchmarkName, buildBench } from './build';
import { armDebug, benchSession, debugPoints } from './debug-points';
import { setColdExits } from '../../emulator/core/cpu/translate';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : def;
}
const NAME = arg('--only', 'bench') as BenchmarkName;
const ROUNDS = Number(arg('--rounds', NAME === 'bench' ? '200' : '50'));
const SESSIONS = Number(arg('--sessions', '3'));
const TRANSLATE = !process.argv.includes('--interp');
const DEBUG = process.argv.includes('--debug');
// --cold-ab: odd sessions compile with the translator's cold exits off (in-process A/B).
const COLD_AB = process.argv.includes('--cold-ab');

/** CPU seconds of the calling thread. */
const threadCpu = (): number =>
  Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
const processCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const built = buildBench(undefined, NAME);
if (!built.ok) throw new Error(built.error);
const bytes = new Uint8Array(readFileSync(built.value));
const points = DEBUG ? debugPoints(bytes, 3) : null;
for (let i = 0; i < SESSIONS; i++) {
  if (COLD_AB) setColdExits(i % 2 === 0);
  const s = benchSession(ROUNDS, TRANSLATE);
  let out = '';
  s.on((e) => {
    if (e.kind === 'console') out += new TextDecoder().decode(e.bytes);
  });
  const w0 = performance.now();
  const t0 = threadCpu();
  const p0 = processCpu();
  const loaded = s.load(bytes);
  if (!loaded.ok) throw new Error(loaded.error);
  const debug = points !== null && i % 2 === 1;
  if (debug) armDebug(s, points.bps, points.wps);
  let warm = NaN;
  let warm7 = NaN;
  let r = s.runSlice({ instructions: 1e6 });
  if (r.kind === 'limit') warm = threadCpu() - t0;
  if (r.kind === 'limit') r = s.runSlice({ instructions: 9e6 });
  if (r.kind === 'limit') warm7 = threadCpu() - t0;
  while (r.kind === 'limit') r = s.runSlice({ instructions: 50_000_000 });
  const wall = (performance.now() - w0) / 1000;
  const thread = threadCpu() - t0;
  const proc = processCpu() - p0;
  const n = s.instructions / 1e6;
  const st = s.core.translatorStats;
  console.log(
    `${NAME} session ${i}${debug ? ' (10 bp + 2 wp)' : ''}${COLD_AB ? (i % 2 === 0 ? ' (cold exits)' : ' (no cold exits)') : ''}: ${n.toFixed(1)} M instr, ${r.kind}; MIPS wall ${(n / wall).toFixed(1)}, main-thread CPU ${(n / thread).toFixed(1)}, process CPU ${(n / proc).toFixed(1)}; first 10^6 / 10^7 ${(1 / warm).toFixed(1)} / ${(10 / warm7).toFixed(1)} MIPS (main-thread CPU); ${st.regions} regions ${st.blocks} blocks ${st.instructions} instr ${(st.sourceBytes / 1024).toFixed(0)} KiB, ${st.chained} chained, ${st.entries} entries; ${out.trim()}`,
  );
}
