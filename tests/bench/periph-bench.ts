/**
 * `npm run bench:periph`: what the peripheral views cost the emulator, measured in one run.
 *
 * The nRF52840-DK runs firmware that drives the legacy UART flat out (a TXD write and an
 * EVENTS_TXDRDY read every `--gap` loop iterations: the denser, the more the access log has to
 * record) in five configurations, interleaved round by round so a noisy machine hurts them
 * alike:
 *   - baseline: the access log never turned on;
 *   - log off: turned on and off again (the issue's "none while off");
 *   - log on: every MMIO access recorded;
 *   - live panel: the PeripheralService refreshing UARTE0's registers, the board and the
 *     interrupt table every 100 ms of wall time (10 Hz), as the IDE does while the board runs;
 *   - live panel + log: both.
 * Each prints the CPU time the whole process (the emulator worker, and this thread serving the
 * panels) spends per million emulated instructions, and its cost against the baseline: CPU time,
 * not wall time, so a machine loaded by others slows every configuration alike (wall-clock MIPS
 * are printed too, for a quiet machine). Targets (issue 18): live panel under 5%, log on under
 * 20%, log off none.
 *
 * The machine runs in the emulator worker, as in the IDE: the panel's reads cross to it and are
 * answered between slices. With the log on, the Access Log panel's polling (10,000 entries
 * every 250 ms, named and decoded by the service) runs too. The firmware is built with GNU as.
 *
 * Part 1b, the recording alone: the flood through the session's own listener, no worker and no
 * panel, window pairs with the log off and on; ns per recorded access and the cost over the
 * log-off window. Part 2, the call chains (the capsule caller of each access): the real
 * nRF52840-DK kernel (kernel/target/images/nrf52840dk, built by `npm run kernel`; skipped with a
 * note when absent), log off / log on / log on with call chains walked through its .debug_frame,
 * rotating 1,000,000-instruction windows. Both run in fresh processes, several (see
 * periph-log-child.ts: one process measuring in turn let what ran first shape what followed),
 * timed with the process's CPU time, medians.
 *
 *   npm run bench:periph -- [--seconds 1.5] [--rounds 3] [--gap 10] [--kernel-rounds 5]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readPolicy } from '../../emulator/debug/peripherals/register-view';
import { nrfProgram } from '../../emulator/node/test-programs';
import { parseSvd } from '../../emulator/peripherals/nrf/svd';
import { startEmulatorWorker } from '../../main/host/emulator-worker-target';
import { PeripheralService } from '../../main/host/peripheral-service';
import { readFileSync } from 'node:fs';
import { median } from './cpu-time';
import { positiveArg } from './args';
import {
  type FloodResult,
  floodSource,
  type KernelResult,
  KERNEL_ELF,
  runChild,
} from './periph-log-child';

const SECONDS = positiveArg('--seconds', 1.5);
const ROUNDS = positiveArg('--rounds', 3);
const GAP = positiveArg('--gap', 10);
const KERNEL_ROUNDS = positiveArg('--kernel-rounds', 5);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const FIRMWARE = nrfProgram(`uart-flood-${GAP}`, floodSource(GAP));

type Config = 'baseline' | 'log off' | 'log on' | 'live panel' | 'live panel + log';
const CONFIGS: Config[] = ['baseline', 'log off', 'log on', 'live panel', 'live panel + log'];

const svd = parseSvd(readFileSync(path.join(ROOT, 'resources/svd/nrf52840.svd'), 'utf8'));
const uarte0 = svd.peripherals.find((p) => p.name === 'UARTE0')!;
const WATCHED = uarte0.registers
  .filter((r) => readPolicy(r).kind === 'live')
  .map((r) => (uarte0.baseAddress + r.addressOffset) >>> 0);

async function measure(
  config: Config,
): Promise<{ mips: number; cpuUsPerM: number; refreshes: number; logged: number }> {
  const started = await startEmulatorWorker({
    machine: 'nrf52840dk',
    board: 'nrf52840dk',
    files: [{ name: 'flood.elf', bytes: FIRMWARE, format: 'elf' }],
    target: { pace: 'fast' },
  });
  if (!started.ok) throw new Error(started.error);
  const target = started.value;
  const accessLog = target.accessLog!;
  if (config === 'log off') {
    await accessLog({ enable: true });
    await accessLog({ enable: false });
  }
  const logging = config === 'log on' || config === 'live panel + log';
  if (logging) await accessLog({ enable: true });
  const live = config.startsWith('live panel');
  const service = new PeripheralService({
    projectRoot: ROOT,
    appRoot: ROOT,
    debug: {
      target,
      program: null,
      session: { board: 'nrf52840dk', phase: 'running' },
      onStop: () => () => undefined,
      onSession: () => () => undefined,
      addLiveRead: () => () => undefined,
    },
    emit: () => undefined,
  });
  await service.describe();
  await service.watch({ addresses: WATCHED });
  await target.resume();
  // Warm up (the translator compiles the loop).
  await sleep(300);
  const h0 = await target.halt();
  if (!h0.ok) throw new Error(h0.error);
  await target.resume();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let refreshes = 0;
  let logged = 0;
  let since = 0;
  let nextRefresh = start + 100;
  let nextPoll = start + 250;
  while (performance.now() - start < SECONDS * 1000) {
    const now = performance.now();
    if (live && now >= nextRefresh) {
      await service.refresh(target);
      refreshes++;
      nextRefresh += 100;
    }
    // The Access Log panel's polling: up to 10,000 entries every 250 ms.
    if (logging && now >= nextPoll) {
      const page = await service.log({ since, max: 10_000 });
      if (page.ok) {
        since = page.value.next;
        logged += page.value.entries.length;
      }
      nextPoll += 250;
    }
    const wake = Math.min(
      live ? nextRefresh : Infinity,
      logging ? nextPoll : Infinity,
      start + SECONDS * 1000,
    );
    await sleep(Math.max(0, wake - performance.now()));
  }
  const h1 = await target.halt();
  if (!h1.ok) throw new Error(h1.error);
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - start) / 1000;
  const instructions = (h1.value.instructions ?? 0) - (h0.value.instructions ?? 0);
  const mips = instructions / elapsed / 1e6;
  const cpuUsPerM = (cpu.user + cpu.system) / (instructions / 1e6);
  service.dispose();
  await target.close();
  return { mips, cpuUsPerM, refreshes, logged };
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

const results = new Map<Config, { mips: number[]; cpu: number[] }>(
  CONFIGS.map((c) => [c, { mips: [], cpu: [] }]),
);
const extra = new Map<Config, { refreshes: number; logged: number }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const c of CONFIGS) {
    const r = await measure(c);
    if (c === 'log on' || c === 'live panel + log')
      mustHaveRecorded(`Part 1, '${c}' (round ${round + 1})`, r.logged);
    results.get(c)!.mips.push(r.mips);
    results.get(c)!.cpu.push(r.cpuUsPerM);
    extra.set(c, { refreshes: r.refreshes, logged: r.logged });
  }
}
const base = median(results.get('baseline')!.cpu);
console.log(
  `Part 1, peripheral views on the emulator worker: nRF52840-DK, UART flood (2 MMIO accesses per ${GAP * 2 + 5} instructions), ${ROUNDS} rounds of ${SECONDS} s, medians`,
);
console.log('  configuration      CPU ms per 10^6 instr.  CPU cost   wall MIPS');
for (const c of CONFIGS) {
  const r = results.get(c)!;
  const cpu = median(r.cpu);
  const e = extra.get(c)!;
  const cost = c === 'baseline' ? '' : `${(((cpu - base) / base) * 100).toFixed(1)}%`;
  const notes = [
    e.refreshes ? `${(e.refreshes / SECONDS).toFixed(1)} refreshes/s` : '',
    e.logged ? `${e.logged.toLocaleString()} entries fetched by the panel` : '',
  ]
    .filter(Boolean)
    .join(', ');
  console.log(
    `  ${c.padEnd(18)} ${(cpu / 1000).toFixed(2).padStart(12)}            ${cost.padStart(7)}   ${median(r.mips).toFixed(1).padStart(7)}${notes ? `  (${notes})` : ''}`,
  );
}
console.log('  Targets: live panel < 5%, log on < 20%, log off 0% (CPU time per instruction).');

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
  console.log(`Part 2 skipped: ${KERNEL_ELF} is not built (npm run kernel).`);
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
