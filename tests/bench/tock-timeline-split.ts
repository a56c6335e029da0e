/**
 * `npx tsx tests/bench/tock-timeline-split.ts`: where the timeline recording's cost lies, in
 * one run of bench:tock's timeline case. The nRF52840-DK kernel runs flat out in the emulator
 * worker (the timed entry tock-timeline-worker.ts) in three configurations, round by round:
 *   - baseline: no recording;
 *   - recorded: the recorder on, nothing fetched (what recording costs the core);
 *   - recorded + read: the recorder on and the Timeline panel's read every 500 ms (the host's
 *     TockService fetching, decoding and building the view).
 * (and 'trace port only': the kernel's trace port on, nothing recording). Every configuration
 * is measured from the same instruction on (`--warm` M, past the boot). For each it splits the process's CPU time into the worker (emulation, the recorder's
 * requests, posting replies), the host thread (the TockService's reads, its GC) and the rest
 * (V8's background compiler and GC threads), and gives instructions per CPU second.
 *
 * @example
 *   npx tsx tests/bench/tock-timeline-split.ts --seconds 5 --rounds 3 --warm 40
 */
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { median } from './cpu-time';
import { processCpuMs, threadCpuMs } from './cpu-time';
import { positiveArg } from './args';
import { builtTockImage, startTockWorker, warmUp } from './tock-image';

const SECONDS = positiveArg('--seconds', 4);
const ROUNDS = positiveArg('--rounds', 2);
const WARM = positiveArg('--warm', 40);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const image = builtTockImage();
const workerScript = new URL('./tock-timeline-worker.ts', import.meta.url);

let hostGcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) hostGcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

type Config = 'baseline' | 'trace port only' | 'recorded' | 'recorded + read';
const CONFIGS: Config[] = ['baseline', 'trace port only', 'recorded', 'recorded + read'];
interface Split {
  mips: number;
  processMs: number;
  hostMs: number;
  readMs: number;
  gcMs: number;
  workerMs: number;
  recorderMs: number;
  postMs: number;
  records: number;
  events: number;
}

async function measure(config: Config): Promise<Split> {
  const { target, tock } = await startTockWorker(image, { workerScript });
  if (config !== 'baseline') {
    const r = await tock.record(true);
    if (!r.ok) throw new Error(r.error);
  }
  if (config === 'trace port only') {
    // The kernel emits its trace events (Record switched the port on), nothing records them.
    const r = await target.recorder!({ op: 'stop' });
    if (!r.ok) throw new Error(r.error);
  }
  const h0 = await warmUp(target, WARM * 1e6);
  await target.monitor!('bench-reset');
  await target.resume();
  const start = performance.now();
  const p0 = processCpuMs();
  const t0 = threadCpuMs();
  const g0 = hostGcMs;
  let readMs = 0;
  let events = 0;
  let next = start + 500;
  while (performance.now() - start < SECONDS * 1000) {
    if (config === 'recorded + read' && performance.now() >= next) {
      const c0 = threadCpuMs();
      const t = await tock.timeline();
      readMs += threadCpuMs() - c0;
      if (!t.ok) throw new Error(t.error);
      events = t.value.events.length + t.value.omitted;
      next += 500;
    }
    await sleep(Math.max(0, Math.min(next, start + SECONDS * 1000) - performance.now()));
  }
  const h1 = await target.halt();
  if (!h1.ok) throw new Error(h1.error);
  const processMs = processCpuMs() - p0;
  const hostMs = threadCpuMs() - t0;
  const gcMs = hostGcMs - g0;
  const w = await target.monitor!('bench-stats');
  if (!w.ok) throw new Error(w.error);
  const ws = JSON.parse(w.value) as {
    workerMs: number;
    recorderMs: number;
    postMs: number;
    records: number;
  };
  const n = (h1.value.instructions ?? 0) - (h0.instructions ?? 0);
  await target.close();
  return {
    mips: n / (processMs / 1000) / 1e6,
    processMs,
    hostMs,
    readMs,
    gcMs,
    workerMs: ws.workerMs,
    recorderMs: ws.recorderMs,
    postMs: ws.postMs,
    records: ws.records,
    events,
  };
}

const runs = new Map<Config, Split[]>(CONFIGS.map((c) => [c, []]));
for (let round = 0; round < ROUNDS; round++)
  for (const c of CONFIGS) runs.get(c)!.push(await measure(c));

const med = (c: Config, k: keyof Split): number => median(runs.get(c)!.map((s) => s[k]));
const base = med('baseline', 'mips');
console.log(
  `Timeline cost split: nRF52840-DK kernel flat out in the worker, ${ROUNDS} rounds of ${SECONDS} s from instruction ${WARM} M on, medians (CPU ms per s of run)`,
);
for (const c of CONFIGS) {
  const per = (k: keyof Split): string => (med(c, k) / SECONDS).toFixed(0).padStart(5);
  const other = median(runs.get(c)!.map((s) => s.processMs - s.hostMs - s.workerMs)) / SECONDS;
  const cost =
    c === 'baseline' ? '' : `  cost ${(((base - med(c, 'mips')) / base) * 100).toFixed(1)}%`;
  console.log(
    `  ${c.padEnd(16)} ${med(c, 'mips').toFixed(2).padStart(6)} M instr per CPU s${cost}\n` +
      `     process ${per('processMs')} = worker ${per('workerMs')} (recorder ${per('recorderMs')}, post ${per('postMs')})` +
      ` + host ${per('hostMs')} (timeline reads ${per('readMs')}, host GC ${per('gcMs')}) + other threads ${other.toFixed(0).padStart(5)}` +
      (c === 'recorded + read'
        ? `\n     ${Math.round(med(c, 'records') / SECONDS).toLocaleString()} records/s fetched, ${Math.round(med(c, 'events')).toLocaleString()} events at the end`
        : ''),
  );
}
