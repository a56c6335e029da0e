/**
 * What the timeline's system-call stacks cost the core, A/B in one process: the nRF52840-DK
 * kernel with the build's apps runs in this thread (no worker, no host reads), in slices of
 * `--instructions` with the timeline recording, alternating (ABBA) without and with the
 * system-call stacks (a copy of the process stack at every SVC, recorder.ts), so a loaded
 * machine slows both alike. Prints instructions per CPU second of each (median) and the
 * stacks' share.
 *
 * @example
 *   npx tsx tests/bench/tock-timeline-ab.ts --slices 30 --instructions 2000000
 */
import { RECORD_WORDS, RecordKind, TockRecorder } from '../../emulator/debug/tock/recorder';
import { median } from './cpu-time';
import { bootTockSession, NRF_DIR, tockImage } from './tock-image';
import { positiveArg } from './args';

const SLICES = positiveArg('--slices', 30);
const INSTRUCTIONS = positiveArg('--instructions', 2_000_000);
const dir = NRF_DIR;
const session = bootTockSession(tockImage(dir), INSTRUCTIONS); // booted, warmed up
const recorder = new TockRecorder({ core: session.core, dma: [] });
// The timeline records throughout (starting and stopping it between slices changes the core's
// hooks, which cost the slice after more than the recording itself); only the stacks toggle.
const modes = ['timeline', 'timeline + stacks'] as const;
const perCpu = new Map<string, number[]>(modes.map((m) => [m, []]));
recorder.start({ timeline: true, capacity: 1 << 19 });
const before = recorder.fetch(0);
const next = before.first + before.cycles.length;
for (let i = 0; i < SLICES * modes.length; i++) {
  const mode = modes[(i + (i >> 1)) % modes.length]!; // ABBA order: no mode always goes first
  recorder.keepStacks = mode === 'timeline + stacks';
  const u0 = process.cpuUsage();
  const r = session.runSlice({ instructions: INSTRUCTIONS });
  const u = process.cpuUsage(u0);
  if (r.kind !== 'limit') throw new Error(`emulator stopped: ${JSON.stringify(r)}`);
  perCpu.get(mode)!.push(INSTRUCTIONS / ((u.user + u.system) / 1e6) / 1e6);
}
// The system calls the timed slices made (each kept a stack in half of them).
const ring = recorder.fetch(next);
let syscalls = 0;
for (let k = 0; k < ring.cycles.length; k++) {
  const w = ring.words.subarray(k * RECORD_WORDS, (k + 1) * RECORD_WORDS);
  // An SVC from a process (ExceptionEntry, EXC_RETURN bit 2, an immediate): its stack is kept.
  if (w[0] === RecordKind.ExceptionEntry && (w[2]! & 4) !== 0 && w[9]! >= 0) syscalls++;
}
if (ring.lost > 0) console.log(`  (${ring.lost} records lost: the system calls are undercounted)`);
syscalls = Math.round(syscalls / (SLICES * modes.length));
recorder.stop();
const m = Object.fromEntries(modes.map((k) => [k, median(perCpu.get(k)!)])) as Record<
  (typeof modes)[number],
  number
>;
const share = ((m.timeline - m['timeline + stacks']) / m.timeline) * 100;
console.log(
  `Timeline A/B in-process, ${SLICES} slices each of ${INSTRUCTIONS} instructions (${syscalls} system calls per slice), median M instr per CPU s:`,
);
console.log(`  timeline without the stacks ${m.timeline.toFixed(2)}`);
console.log(
  `  timeline with the stacks ${m['timeline + stacks'].toFixed(2)} (the stacks cost ${share.toFixed(1)}% of the recording run)`,
);
// The copy itself, timed directly (the slices' figures above swing with the translator's and
// the collector's work at load): one system call's keep, at the stack of the last call seen.
{
  const keep = (recorder as unknown as { keepStack(seq: number, frame: number): void }).keepStack;
  const frame = session.core.otherSp >>> 0;
  const N = 200_000;
  const u0 = process.cpuUsage();
  for (let i = 0; i < N; i++) keep.call(recorder, i, frame);
  const u = process.cpuUsage(u0);
  const us = ((u.user + u.system) / N).toFixed(2);
  const per = (INSTRUCTIONS / Math.max(1, syscalls)).toFixed(0);
  console.log(
    `  one stack kept: ${us} us of CPU; one system call per ${per} instructions: at the median rate without the stacks, ` +
      `${(((((u.user + u.system) / N) * syscalls) / ((INSTRUCTIONS / m.timeline / 1e6) * 1e6)) * 100).toFixed(2)}% of the run`,
  );
}
