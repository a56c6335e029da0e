/**
 * What the timeline recording costs, A/B in one thread: two sessions of the nRF52840-DK kernel
 * with the build's apps, booted alike, run the same slices side by side, one recording as the
 * IDE records (the kernel's trace port on, the recorder's timeline with the system calls'
 * stacks and EasyDMA, and after each slice the new records fetched and decoded by the timeline
 * model: the Timeline panel's reads without the thread hop), the other not. Which session
 * records swaps every two slices (crossover), and which runs first swaps every slice.
 *
 * Why this design (measured while making it, tests/bench notes in h-tock6's landing 2):
 * - The kernel's work per slice swings 50x (busy system calls against sleeping in WFI), so
 *   both arms must run the same slices: two sessions in lockstep, not one switched on and off.
 * - Two sessions booted alike run the same instructions 10-30 % apart with nothing recorded
 *   (each session's translated regions are its own functions, which V8 optimises apart). The
 *   first version of this bench let one session always record, and charged that to recording.
 *   Swapping the recording session cancels the sessions' own difference: the cost is from the
 *   CPU of all recorded slices against all plain ones, each session half in each arm.
 * - One thread: the worker runs of bench:tock charge V8's compiler threads to the process and
 *   swing several times over at load; here only this thread's CPU is counted.
 *
 * Prints instructions per CPU second of each arm (total instructions over total CPU), the
 * cost from the median of the slice pairs' CPU ratios beside it, the recording's cost, and the decoding's share.
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
const traced = PART !== 'recorder';
/** ITM_TCR (ARMv7-M ARM C1.7.6): ITMENA switches every stimulus port, so the kernel's trace. */
const ITM_TCR = 0xe0000e80;

const le32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(0, true);

/** One session, with its recorder and timeline, and recording switched as Record and Stop do. */
async function side(image: ReturnType<typeof builtTockImage>) {
  const session = bootTockSession(image, INSTRUCTIONS);
  const write32 = (a: number, v: number): { ok: true } | { ok: false; error: string } => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    const w = session.writeMemory(a, b);
    return w.ok ? { ok: true } : { ok: false, error: w.error };
  };
  let tcr = 0;
  if (traced) {
    const failed = await enableKernelTrace(
      async (a) => {
        const r = session.readMemory(a, 4);
        return r.ok ? { ok: true, value: le32(r.value) } : { ok: false };
      },
      async (a, v) => write32(a, v),
    );
    if (failed) throw new Error(failed);
    const r = session.readMemory(ITM_TCR, 4);
    if (!r.ok) throw new Error(r.error);
    tcr = le32(r.value);
  }
  const recorder = new TockRecorder({
    core: session.core,
    dma: dmaPeripheralsOf(session.machine.devices.map((d) => d.dev)),
  });
  const timeline = new Timeline();
  let on = true;
  return {
    session,
    recorder,
    timeline,
    record(want: boolean): void {
      if (want === on) return;
      on = want;
      if (traced) {
        const w = write32(ITM_TCR, on ? tcr | 1 : tcr & ~1);
        if (!w.ok) throw new Error(w.error);
      }
      if (PART === 'trace') return;
      if (on) recorder.start({ timeline: true, dma: true });
      else recorder.stop();
    },
  };
}

const image = builtTockImage();
const sides = [await side(image), await side(image)];
sides.forEach((s) => s.record(false));

const cpu = { plain: 0, recorded: 0 };
const ratios: number[] = [];
let decodeMs = 0;
for (let i = 0; i < SLICES * 2; i++) {
  const rec = (i + (i >> 1)) % 2; // which side records: 0 1 1 0 0 1 1 0 ...
  sides[rec]!.record(true);
  sides[1 - rec]!.record(false);
  const ms = [0, 0];
  for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
    const s = sides[k]!;
    const c0 = threadCpuMs();
    const r = s.session.runSlice({ instructions: INSTRUCTIONS });
    if (r.kind !== 'limit') throw new Error(`emulator stopped: ${JSON.stringify(r)}`);
    if (k === rec) {
      const d0 = threadCpuMs();
      s.timeline.add(s.recorder.fetch(s.timeline.next));
      decodeMs += threadCpuMs() - d0;
    }
    ms[k] = threadCpuMs() - c0;
  }
  cpu.recorded += ms[rec]!;
  cpu.plain += ms[1 - rec]!;
  ratios.push(ms[rec]! / ms[1 - rec]!);
  if (process.env.SLICE_LOG)
    console.log(`slice ${i}: side ${rec} records, ms ${ms[0]!.toFixed(1)} ${ms[1]!.toFixed(1)}`);
}
const rate = (ms: number): number => (SLICES * 2 * INSTRUCTIONS) / ms / 1000;
const p = rate(cpu.plain);
const q = rate(cpu.recorded);
const mid = median(ratios);
const events = sides.reduce((n, s) => n + s.timeline.length, 0);
const lost = sides.reduce((n, s) => n + s.timeline.lost, 0);
console.log(
  `Timeline recording A/B in one thread (${PART === 'both' ? 'trace port and recorder' : `${PART} only`}), ` +
    `${SLICES * 2} slice pairs of ${INSTRUCTIONS} instructions, recording side swapped every two:`,
);
console.log(`  plain     ${p.toFixed(2)} M instr per CPU s`);
console.log(
  `  recorded  ${q.toFixed(2)} M instr per CPU s  cost ${(((p - q) / p) * 100).toFixed(1)}% ` +
    `(target < 10%); median of the slices' ${((1 - 1 / mid) * 100).toFixed(1)}%; ` +
    `decoding ${((decodeMs / cpu.recorded) * 100).toFixed(1)}% of the recorded slices' CPU, ` +
    `${events.toLocaleString()} events (${lost} records lost)`,
);
