/**
 * `npm run bench:periph`: what the peripheral views cost the emulator, measured in one run.
 *
 * The nRF52840-DK runs firmware that drives the legacy UART flat out (a TXD write and an
 * EVENTS_TXDRDY read every `--gap` loop iterations: the denser, the more the access log has to
 * record). Part 1 measures each configuration against a baseline (nothing watching) as a
 * crossover of two emulator workers in this process, taking turns window by window and
 * swapping roles (periph-crossover.ts says why and how):
 *   - log off: turned on and off again before the window (the issue's "none while off");
 *   - log on, unread: every MMIO access recorded, no Access Log panel open;
 *   - log on: recording, and the Access Log panel's model polling every 250 ms;
 *   - live panel: the PeripheralService refreshing UARTE0's registers, the board and the
 *     interrupt table every 100 ms (10 Hz), as the IDE does while the board runs;
 *   - live panel + log: both.
 * Printed: the emulator worker's CPU time per million emulated instructions in each arm and the
 * configuration's cost (the median over window pairs; the ratio of the sums beside it), and the
 * whole process's cost (the host's service and the panel's model too). Targets (issue 18, the
 * emulator's MIPS: the worker's figure): live panel under 5%, log on under 20%, log off none.
 * CPU time, not wall time, so a machine loaded by others slows both arms alike (wall-clock MIPS
 * are printed too, for a quiet machine). The firmware is built with GNU as.
 *
 * Part 1c: one live refresh's CPU time in the worker and the process, on a halted board (at
 * 10 Hz, below what the crossover can tell from a loaded machine's noise). Part 1d: likewise one
 * Access Log poll during the flood, the panel following the newest entries or scrolled up.
 *
 * Part 1b, the recording alone: the flood through the session's own listener, no worker and no
 * panel, window pairs with the log off and on; ns per recorded access and the cost over the
 * log-off window. Part 2, the call chains (the capsule caller of each access): the real
 * nRF52840-DK kernel (kernel/target/images/nrf52840dk, built by `npm run kernel:build -- --board nrf52840dk`; skipped with a
 * note when absent), log off / log on / log on with call chains walked through its .debug_frame,
 * rotating 1,000,000-instruction windows. Both run in fresh processes, several (see
 * periph-log-child.ts: one process measuring in turn let what ran first shape what followed),
 * timed with the process's CPU time, medians.
 *
 * Part 1 runs each configuration `--repeats` times (fresh workers each run, the configurations
 * taking turns run by run) and prints the window pairs' costs pooled over the runs: the median,
 * its quartiles, and each run's own median, so a figure that swings between runs shows as such.
 *
 *   npm run bench:periph -- [--windows 12] [--window-ms 500] [--repeats 3] [--rounds 3] [--gap 10]
 *     [--kernel-rounds 5] [--only 'log on' [--only ...]]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { nrfProgram } from '../../emulator/node/test-programs';
import { median, percentile } from './cpu-time';
import { positiveArg } from './args';
import {
  type Arm,
  type Config,
  type Crossover,
  crossover,
  pairCost,
  pairRatios,
  perMillion,
  pollCost,
  refreshCost,
} from './periph-crossover';

/** The runs' arms summed (their windows one after another). */
function pool(rs: readonly Crossover[]): { baseline: Arm; measured: Arm } {
  const sum = (arms: Arm[]): Arm =>
    arms.reduce((a, x) => ({
      workerMs: a.workerMs + x.workerMs,
      processMs: a.processMs + x.processMs,
      instructions: a.instructions + x.instructions,
      perWindow: [...a.perWindow, ...x.perWindow],
      processPerWindow: [...a.processPerWindow, ...x.processPerWindow],
      refreshes: a.refreshes + x.refreshes,
      fetched: a.fetched + x.fetched,
      seconds: a.seconds + x.seconds,
    }));
  return { baseline: sum(rs.map((r) => r.baseline)), measured: sum(rs.map((r) => r.measured)) };
}
import {
  type FloodResult,
  floodSource,
  type KernelResult,
  KERNEL_ELF,
  runChild,
} from './periph-log-child';

const WINDOWS = positiveArg('--windows', 12);
const REPEATS = positiveArg('--repeats', 3);
const WINDOW_MS = positiveArg('--window-ms', 500);
const ROUNDS = positiveArg('--rounds', 3);
const GAP = positiveArg('--gap', 10);
const KERNEL_ROUNDS = positiveArg('--kernel-rounds', 5);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** `--only C` (repeatable): only these configurations of part 1, then parts 1c and 1d. */
const onlyArgs = process.argv.flatMap((a, k) =>
  a === '--only' ? [process.argv[k + 1] ?? ''] : [],
);
const only = onlyArgs.length > 0 ? onlyArgs : null;

const FIRMWARE = nrfProgram(`uart-flood-${GAP}`, floodSource(GAP));

const CONFIGS: Config[] = ['log off', 'log on, unread', 'log on', 'live panel', 'live panel + log'];
if (only !== null && only.some((c) => !CONFIGS.includes(c as Config))) {
  console.error(`bench:periph: --only takes one of ${CONFIGS.join(', ')}`);
  process.exit(2);
}

/**
 * A figure for recording that recorded nothing measures nothing (a session halted, recording
 * never turned on, a race with a restart): stop loudly instead of printing it.
 */
function mustHaveRecorded(what: string, entries: number): void {
  if (entries > 0) return;
  console.error(`bench:periph: ${what} recorded no entries: its figure would measure nothing.`);
  process.exit(1);
}

console.log(
  `Part 1, peripheral views on the emulator worker: nRF52840-DK, UART flood (2 MMIO accesses per ${GAP * 2 + 5} instructions), crossover of two workers against the baseline, ${WINDOWS} windows of ${WINDOW_MS} ms per arm, ${REPEATS} runs per configuration (fresh workers each, the configurations taking turns run by run)`,
);
// Runs of one configuration are spread over the bench (configuration after configuration, then
// again), so a stretch of load from others lands on one run of several configurations, not on
// every run of one: the pooled figure and the spread between runs show what a single run hides
// (last stop, one configuration read 20 % in one run and 13 % in the next).
const part1 = new Map<Config, Crossover[]>();
for (let k = 0; k < REPEATS; k++)
  for (const c of CONFIGS) {
    if (only !== null && !only.includes(c)) continue;
    const r = await crossover(c, { firmware: FIRMWARE, windows: WINDOWS, windowMs: WINDOW_MS });
    if (c === 'log on') mustHaveRecorded(`Part 1, '${c}'`, r.measured.fetched);
    part1.set(c, [...(part1.get(c) ?? []), r]);
  }
console.log(
  '  configuration      worker CPU ms per 10^6 instr.   worker cost: pairs median [quartiles] (sums)   each run   process cost (sums)   wall MIPS',
);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
for (const [c, rs] of part1) {
  const pooled = pool(rs);
  const m = pooled.measured;
  const b = perMillion(pooled.baseline);
  const x = perMillion(m);
  const worker = rs.flatMap((r) => pairRatios(r, 'worker'));
  const processCost = median(rs.flatMap((r) => pairRatios(r, 'process')));
  const notes = [
    m.refreshes ? `${(m.refreshes / m.seconds).toFixed(1)} refreshes/s` : '',
    m.fetched
      ? `${Math.round(m.fetched / m.seconds).toLocaleString()} entries/s fetched by the panel`
      : '',
  ]
    .filter(Boolean)
    .join(', ');
  console.log(
    `  ${c.padEnd(18)} ${b.worker.toFixed(2).padStart(6)} baseline, ${x.worker.toFixed(2).padStart(6)}   ${pct(median(worker)).padStart(7)} [${pct(percentile(worker, 25))} to ${pct(percentile(worker, 75))}] (${pct(x.worker / b.worker - 1)})   ${rs.map((r) => pct(pairCost(r).worker)).join(' ')}   ${pct(processCost).padStart(7)} (${pct(x.process / b.process - 1).padStart(6)})   ${(m.instructions / m.seconds / 1e6).toFixed(1).padStart(6)}${notes ? `  (${notes})` : ''}`,
  );
}
console.log(
  "  Targets: live panel < 5%, log on < 20%, log off 0% (the worker: the emulator's CPU time per instruction). The quartiles are of the window pairs' costs pooled over the runs; 'each run' is each run's pairs median.",
);
{
  // Part 1c: the live panel's work per refresh, which at 10 Hz is below the crossover's noise
  // on a loaded machine.
  const r = await refreshCost(FIRMWARE, 300);
  console.log(
    `Part 1c, one live refresh (${r.reads} UARTE0 registers, the board, the interrupt table), 300 on a halted board: ${r.workerUs.toFixed(0)} µs of the worker's CPU (at 10 Hz ${(r.workerUs / 1000).toFixed(2)}% of its time), ${r.processUs.toFixed(0)} µs of the process's`,
  );
}
{
  // Part 1d: the Access Log panel's work per poll during a flood, following the newest entries
  // (as the panel opens) or scrolled up, which at 4 Hz is below the crossover's noise too.
  const polls = 40;
  const part = (r: { workerUs: number; processUs: number; entries: number }) =>
    `${Math.round(r.entries).toLocaleString()} entries: ${r.workerUs.toFixed(0)} µs of the worker's CPU (at 4 Hz ${((r.workerUs * 4) / 1e4).toFixed(2)}% of its time), ${r.processUs.toFixed(0)} µs of the process's`;
  const follow = await pollCost(FIRMWARE, polls, true);
  const up = await pollCost(FIRMWARE, polls, false);
  console.log(
    `Part 1d, one Access Log poll during the flood (the panel's model, ${polls} polls 60 ms of flood apart, each timed on the halted board):`,
  );
  console.log(`  following the newest entries: ${part(follow)}`);
  console.log(`  scrolled up:                  ${part(up)}`);
}
if (only !== null) process.exit(0);

// Part 1b: the recording alone (no worker, no panel), so the emulator's own share of "log on"
// is told apart from the panel's polling (which Part 1 includes): the same firmware through the
// session's own listener, in fresh processes (periph-log-child.ts: in this process, after Part 1,
// V8's compiled call sites made the figure depend on what ran before), crossover window pairs,
// divided by the accesses each window recorded. bench:periph-log-ab compares revisions the same
// way.
{
  const runs: FloodResult[] = [];
  for (let k = 0; k < ROUNDS * 2; k++)
    runs.push(runChild<FloodResult>(['flood', 'session', '--gap', String(GAP)]));
  for (const [k, r] of runs.entries()) mustHaveRecorded(`Part 1b, process ${k + 1}`, r.accesses);
  const off = median(runs.map((r) => r.offMs));
  const cost = median(runs.map((r) => r.costMs));
  const ns = runs.map((r) => (r.costMs * 1e6) / r.accesses);
  console.log(
    `Part 1b, the recording alone: the same firmware through the session's listener, ${runs.length} fresh processes of 6 log-off/log-on pairs of 4x10^6-instruction windows (${runs[0]!.accesses.toLocaleString()} accesses each), medians`,
  );
  console.log(
    `  log off ${off.toFixed(2)} CPU ms, log on +${cost.toFixed(2)} CPU ms: cost ${((cost / off) * 100).toFixed(1)}%, ${median(ns).toFixed(1)} ns per access (per process: ${ns.map((x) => x.toFixed(1)).join(' ')})`,
  );
}

// Part 2: call chains on the real kernel, each round a fresh process (periph-log-child.ts).
if (!existsSync(KERNEL_ELF)) {
  console.log(
    `Part 2 skipped: ${KERNEL_ELF} is not built (npm run kernel:build -- --board nrf52840dk).`,
  );
} else {
  const runs: KernelResult[] = [];
  for (let k = 0; k < KERNEL_ROUNDS; k++)
    runs.push(runChild<KernelResult>(['kernel', ROOT, '--rounds', '8']));
  for (const [k, r] of runs.entries()) mustHaveRecorded(`Part 2, process ${k + 1}`, r.accesses);
  const off = median(runs.map((r) => r.offMs));
  const on = median(runs.map((r) => r.onCostMs));
  const chains = median(runs.map((r) => r.chainsCostMs));
  const pct = (x: number) => `${((x / off) * 100).toFixed(1)}%`;
  console.log(
    `Part 2, call chains: the nRF52840-DK kernel (${runs[0]!.rows} unwind rows), ${KERNEL_ROUNDS} fresh processes of 8 rounds of log off / on / on + chains 10^6-instruction windows (order rotated), medians`,
  );
  console.log(`  log off                ${off.toFixed(1).padStart(6)} CPU ms per 10^6 instr.`);
  console.log(
    `  log on                 +${on.toFixed(1).padStart(5)} CPU ms    cost vs off ${pct(on)}  (${Math.round(median(runs.map((r) => r.accesses))).toLocaleString()} accesses logged per window)`,
  );
  console.log(
    `  log on + call chains   +${chains.toFixed(1).padStart(5)} CPU ms    cost vs off ${pct(chains)}, chains vs log on ${(((chains - on) / (off + on)) * 100).toFixed(1)}%  (per process: ${runs.map((r) => ((r.chainsCostMs / r.offMs) * 100).toFixed(1)).join(' ')}; memo ${runs[0]!.hits.toLocaleString()} hits, ${runs[0]!.walks} walks)`,
  );
}
console.log(
  'CPU-time figures; a shared machine still adds noise (cache, frequency): re-run quiet.',
);
