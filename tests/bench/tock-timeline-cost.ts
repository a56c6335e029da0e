/**
 * What the timeline recording costs, A/B in one thread: two sessions of the nRF52840-DK kernel
 * with the build's apps, booted alike, run slice by slice in ABBA order (a loaded machine slows
 * both alike), one plain, one recording as the IDE records: the kernel's trace port on, the
 * recorder's timeline with the system calls' stacks and EasyDMA, and after each slice the new
 * records fetched and decoded by the timeline model (the Timeline panel's reads, without the
 * thread hop). Prints instructions per CPU second of this thread for each (median), the
 * recording's cost, and the decoding's share of the recorded slices.
 *
 * Why in one thread: the worker runs of bench:tock charge V8's compiler threads to the process
 * and swing several times over at load; here both sessions share the compiled code and only
 * this thread's CPU is counted.
 *
 * @example
 *   npx tsx tests/bench/tock-timeline-cost.ts --slices 20 --instructions 2000000
 */
import { dmaPeripheralsOf, TockRecorder } from '../../emulator/debug/tock/recorder';
import { enableKernelTrace, Timeline } from '../../emulator/debug/tock/timeline';
import { median, threadCpuMs } from './cpu-time';
import { positiveArg } from './args';
import { bootTockSession, builtTockImage } from './tock-image';

const SLICES = positiveArg('--slices', 20);
/**
 * `--part trace`: only the kernel's trace port on (what the kernel's own trace writes cost);
 * `--part recorder`: only the recorder (its hooks, stacks and decoding); default both, as Record.
 */
const PART = process.argv.includes('--part')
  ? process.argv[process.argv.indexOf('--part') + 1]
  : 'both';
if (PART !== 'both' && PART !== 'trace' && PART !== 'recorder') {
  console.error('--part is trace, recorder or both');
  process.exit(2);
}
const INSTRUCTIONS = positiveArg('--instructions', 2_000_000);
const image = builtTockImage();
const plain = bootTockSession(image, INSTRUCTIONS);
const recorded = bootTockSession(image, INSTRUCTIONS);

const le32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(0, true);
const trace =
  PART === 'recorder'
    ? null
    : await enableKernelTrace(
        async (a) => {
          const r = recorded.readMemory(a, 4);
          return r.ok ? { ok: true, value: le32(r.value) } : { ok: false };
        },
        async (a, v) => {
          const b = new Uint8Array(4);
          new DataView(b.buffer).setUint32(0, v >>> 0, true);
          const w = recorded.writeMemory(a, b);
          return w.ok ? { ok: true } : { ok: false, error: w.error };
        },
      );
if (trace) throw new Error(trace);
const recorder = new TockRecorder({
  core: recorded.core,
  dma: dmaPeripheralsOf(recorded.machine.devices.map((d) => d.dev)),
});
if (PART !== 'trace') recorder.start({ timeline: true, dma: true });
const timeline = new Timeline();
timeline.add(recorder.fetch(0));

const perCpu = { plain: [] as number[], recorded: [] as number[] };
let decodeMs = 0;
let recordedMs = 0;
for (let i = 0; i < SLICES * 2; i++) {
  const which = (i + (i >> 1)) % 2 === 0 ? 'plain' : 'recorded'; // ABBA
  const s = which === 'plain' ? plain : recorded;
  const c0 = threadCpuMs();
  const r = s.runSlice({ instructions: INSTRUCTIONS });
  let ms = threadCpuMs() - c0;
  if (r.kind !== 'limit') throw new Error(`emulator stopped: ${JSON.stringify(r)}`);
  if (which === 'recorded') {
    const d0 = threadCpuMs();
    timeline.add(recorder.fetch(timeline.next));
    const d = threadCpuMs() - d0;
    decodeMs += d;
    ms += d;
    recordedMs += ms;
  }
  perCpu[which].push(INSTRUCTIONS / ms / 1000);
}
const p = median(perCpu.plain);
const q = median(perCpu.recorded);
console.log(
  `Timeline recording A/B in one thread (${PART === 'both' ? 'trace port and recorder' : `${PART} only`}), ${SLICES} slices each of ${INSTRUCTIONS} instructions, median M instr per CPU s:`,
);
console.log(`  plain     ${p.toFixed(2)}`);
console.log(
  `  recorded  ${q.toFixed(2)}  cost ${(((p - q) / p) * 100).toFixed(1)}% (target < 10%); ` +
    `decoding ${((decodeMs / recordedMs) * 100).toFixed(1)}% of the recorded slices' CPU, ` +
    `${timeline.length.toLocaleString()} events (${timeline.lost} records lost)`,
);
