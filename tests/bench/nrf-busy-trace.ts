/**
 * Profiling aid for bench:nrf's busy run (the fuzzer app on the nrf52840dk kernel, MPU on),
 * run the way bench:nrf runs it (boot included, 1 M-instruction slices), printing per stretch
 * of slices: wall, thread CPU and process CPU time, the figure (awake virtual s per second),
 * and the translator's regions compiled so far. For finding where the wall time goes (run it
 * under `node --cpu-prof`, `--trace-gc`, `--trace-deopt`); the project's figure stays
 * `npm run bench:nrf`.
 *
 * Usage: npx tsx tests/bench/nrf-busy-trace.ts [--every 10] (slices per printed line) [--sessions 1]
 *   (--sessions N: the run N times in fresh sessions of this process; the 2nd is the steady
 *   state, as bench:nrf's "busy again") [--interp]
 *   (--interp: the translator off, every instruction interpreted) [--no-trace-layout] (the
 *   translator's trace layout off)
 *   [--first-source N] (ordinary regions' source bound in characters, `setFirstSource`)
 *   [--heat-period N] (cycles after which the core's pass counts are halved before a compile,
 *   cortex-m.ts HEAT_PERIOD; Infinity: counted since boot). The switches are for separate-process A/Bs of the first run, which in-process A/Bs cannot see
 *   (two sides in one process share V8's compiler threads).
 */
import { performance } from 'node:perf_hooks';
import { setHeatPeriod } from '../../emulator/core/cortex-m';
import { createSession } from '../../emulator/session/session';
import { setFirstSource, setTraceLayout } from '../../emulator/core/cpu/translate';
import { positiveArg } from './args';
import { processCpuMs, threadCpuMs } from './cpu-time';
import { kernelSession, nrfFuzzImage } from './nrf-fuzz-image';

const EVERY = positiveArg('--every', 10);
const SESSIONS = positiveArg('--sessions', 1);
if (process.argv.includes('--no-trace-layout')) setTraceLayout(false);
const firstAt = process.argv.indexOf('--first-source');
if (firstAt >= 0) setFirstSource(Number(process.argv[firstAt + 1]));
const periodAt = process.argv.indexOf('--heat-period');
if (periodAt >= 0) setHeatPeriod(Number(process.argv[periodAt + 1]));
const image = await nrfFuzzImage();
async function session(index: number): Promise<void> {
  const { session: s, text } = kernelSession(image, createSession, {
    translate: !process.argv.includes('--interp'),
  });
  const st = s.core.translatorStats;
  const awake = (): number => (s.cycles - s.core.sleptCycles) / 64e6;
  /** Wall, thread and process CPU seconds, awake virtual seconds, instructions, translator counts. */
  interface Mark {
    w: number;
    t: number;
    p: number;
    a: number;
    i: number;
    reg: number;
    ch: number;
    ri: number;
    en: number;
  }
  const now = (): Mark => ({
    w: performance.now() / 1000,
    t: threadCpuMs() / 1000,
    p: processCpuMs() / 1000,
    a: awake(),
    i: s.instructions,
    reg: st.regions,
    ri: st.regionInstructions,
    en: st.entries,
    ch: st.chained,
  });
  const start = now();
  let mark = start;
  let k = 0;
  const line = (a: Mark, b: Mark, label: string): void =>
    console.log(
      `${label} ${((b.i - start.i) / 1e6).toFixed(0).padStart(4)} M: wall ${(b.w - a.w).toFixed(2)} s thread ${(b.t - a.t).toFixed(2)} process ${(b.p - a.p).toFixed(2)};` +
        ` x chip per wall ${((b.a - a.a) / (b.w - a.w)).toFixed(3)} per thread ${((b.a - a.a) / (b.t - a.t)).toFixed(3)} per process ${((b.a - a.a) / (b.p - a.p)).toFixed(3)};` +
        ` regions +${b.reg - a.reg} (chained +${b.ch - a.ch}) total ${b.reg};` +
        ` interpreted ${((b.i - a.i - (b.ri - a.ri)) / 1e6).toFixed(2)} M, region entries ${((b.en - a.en) / 1e3).toFixed(0)} k`,
    );
  while (!/fuzz: done/.test(text())) {
    const r = s.runSlice({ instructions: 1_000_000 });
    if (r.kind !== 'limit') throw new Error(`emulator stopped: ${JSON.stringify(r)}\n${text()}`);
    if (++k % EVERY === 0) {
      const n = now();
      line(mark, n, 'slice');
      mark = n;
    }
  }
  line(start, now(), 'all  ');
  console.log(
    `session ${index} code cache: ${st.regions} regions, ${(st.sourceBytes / 1024).toFixed(0)} KiB source`,
  );
}
for (let n = 1; n <= SESSIONS; n++) await session(n);
