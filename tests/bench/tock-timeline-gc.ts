/**
 * `npx tsx tests/bench/tock-timeline-gc.ts`: the host thread's garbage collection while the
 * Timeline panel reads a recording, and what allocates.
 *
 * Why: bench tock-timeline-split measured the host's GC at ~81 ms/s in its "recorded + read"
 * case. This runs that case alone (the nRF52840-DK kernel flat out in the emulator worker, the
 * recorder on, `TockService.timeline()` every 500 ms as the panel polls) and prints the GC time
 * per second by kind (minor = scavenge, major, incremental marking; durations are wall time, so
 * a thread starved by a loaded machine shows each pause several times longer than its CPU) and
 * V8's sampling heap profile over the run, objects collected since included: the functions that
 * allocated most, in MB. Needs the image (`node scripts/kernel.mjs build --board nrf52840dk`).
 *
 * @example
 *   npx tsx tests/bench/tock-timeline-gc.ts --seconds 10
 */
import { Session } from 'node:inspector/promises';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { positiveArg } from './args';
import { builtTockImage, startTockWorker, warmUp } from './tock-image';

const SECONDS = positiveArg('--seconds', 10);
const KINDS: Record<number, string> = {
  1: 'minor',
  2: 'major',
  4: 'incremental',
  8: 'weak callbacks',
};
const gc = new Map<string, { n: number; ms: number }>();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = KINDS[(e as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
    const k = gc.get(kind) ?? { n: 0, ms: 0 };
    k.n++;
    k.ms += e.duration;
    gc.set(kind, k);
  }
}).observe({ entryTypes: ['gc'] });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const { target, tock } = await startTockWorker(builtTockImage());
const started = await tock.record(true);
if (!started.ok) throw new Error(started.error);
await warmUp(target, 20e6);
await target.resume();
const inspector = new Session();
inspector.connect();
await inspector.post('HeapProfiler.startSampling', {
  samplingInterval: 4096,
  includeObjectsCollectedByMinorGC: true,
  includeObjectsCollectedByMajorGC: true,
});
gc.clear();
const t0 = performance.now();
let polls = 0;
while (performance.now() - t0 < SECONDS * 1000) {
  const r = await tock.timeline();
  if (!r.ok) throw new Error(r.error);
  polls++;
  await sleep(500);
}
const wall = (performance.now() - t0) / 1000;
interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}
const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as {
  profile: { head: ProfileNode };
};
const by = new Map<string, number>();
const walk = (n: ProfileNode): void => {
  const where = n.callFrame.url.split('/').slice(-2).join('/');
  const k = `${n.callFrame.functionName || '(anonymous)'} ${where}`;
  by.set(k, (by.get(k) ?? 0) + n.selfSize);
  n.children.forEach(walk);
};
walk(profile.head);
const total = [...by.values()].reduce((a, b) => a + b, 0);
console.log(
  `Timeline read every 500 ms for ${wall.toFixed(1)} s (${polls} polls): host GC ${(
    [...gc.values()].reduce((a, k) => a + k.ms, 0) / wall
  ).toFixed(1)} ms/s wall, allocated ${(total / 1e6 / wall).toFixed(2)} MB/s`,
);
for (const [kind, k] of gc) console.log(`  ${kind}: ${k.n} collections, ${k.ms.toFixed(0)} ms`);
console.log('  allocated most (MB over the run):');
for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 12))
  console.log(`  ${(v / 1e6).toFixed(2).padStart(8)}  ${k}`);
await target.close();
