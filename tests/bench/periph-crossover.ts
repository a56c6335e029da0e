/**
 * bench:periph's part 1: what a peripheral view costs the emulator worker, as a crossover of
 * two sessions in one process.
 *
 * Two emulator workers (as the IDE runs the emulator: its own thread, the host's
 * PeripheralService on this one) run the same firmware. They take turns, one window of wall
 * time each while the other is halted: in each window one of them plays the configuration
 * measured (the access log on, the live panel refreshing, ...) and the other the baseline
 * (nothing watching). Which one plays the configuration swaps every two windows (0 1 1 0 0 1 1
 * 0 ...) and which runs first swaps every window, so each worker is half the time in each arm
 * and neither arm always follows the other.
 *
 * Why this design (the figures it replaced swung by 10 points between runs):
 * - Separate sessions measured one after another on a machine shared with others: a burst of
 *   load lands on one configuration. Here the two arms alternate every few hundred ms.
 * - Two sessions booted alike run the same code apart by several % on their own (each worker's
 *   V8 compiles its translated regions apart). Swapping the roles cancels that.
 * - CPU time, not wall time, summed over all windows of an arm, divided by the instructions
 *   they ran: the worker's thread (/proc/self/task/<tid>/schedstat of the threads the worker
 *   started; the kernel moves it at its scheduler tick, so one window's figure is biased but a
 *   sum over many is not) and the whole process (getrusage: the worker, this thread serving the
 *   panels, V8's helpers).
 *
 * The windows are of wall time (the emulator target runs until told to halt); the flood runs the
 * same loop throughout, so CPU time per instruction compares them.
 *
 * The panels' work is what the IDE does: the live panel refreshes UARTE0's registers, the board
 * and the interrupt table every 100 ms (PeripheralService.watch/refresh, one message a pass);
 * the Access Log panel's own model (renderer/src/models/peripherals.ts) polls every 250 ms
 * through the service (compact pages named and decoded by it). The process's figure includes
 * that model keeping the entries (in the IDE the renderer's process does), the worker's not.
 *
 * @example
 *   const r = await crossover('log on', { firmware, windows: 8, windowMs: 300 });
 *   // r.emulator.cost: extra CPU of the worker per instruction, as a fraction of the baseline's
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DebugTarget } from '../../emulator/debug/target';
import { readPolicy } from '../../emulator/debug/peripherals/register-view';
import { parseSvd } from '../../emulator/peripherals/nrf/svd';
import { startEmulatorWorker } from '../../main/host/emulator-worker-target';
import { PeripheralService } from '../../main/host/peripheral-service';
import { hostConnection, type Transport } from '../../renderer/src/client';
import type { KeyValueStore } from '../../renderer/src/models/layout';
import { PeripheralsModel } from '../../renderer/src/models/peripherals';
import { median, processCpuMs } from './cpu-time';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * 'log on': recording, and the Access Log panel polling; 'log on, unread': recording with no
 * panel open (the emulator's own share).
 */
export type Config = 'log off' | 'log on, unread' | 'log on' | 'live panel' | 'live panel + log';

/** The registers of UARTE0 the Peripherals panel reads live (its read policy). */
function watchedRegisters(): number[] {
  const svd = parseSvd(readFileSync(path.join(ROOT, 'resources/svd/nrf52840.svd'), 'utf8'));
  const uarte0 = svd.peripherals.find((p) => p.name === 'UARTE0')!;
  return uarte0.registers
    .filter((r) => readPolicy(r).kind === 'live')
    .map((r) => (uarte0.baseAddress + r.addressOffset) >>> 0);
}

/** This process's thread ids. */
function threads(): Set<string> {
  return new Set(readdirSync('/proc/self/task'));
}

/** CPU ms of threads `tids` (those still alive), or NaN where /proc cannot be read. */
function threadsCpuMs(tids: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of tids) {
    try {
      out.set(
        t,
        Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1e6,
      );
    } catch {
      // The thread ended: it counts in neither end of the window.
    }
  }
  return out;
}

/** A worker running the firmware, its service, and what the Access Log panel fetched. */
interface Side {
  target: DebugTarget & Required<Pick<DebugTarget, 'accessLog'>>;
  service: PeripheralService;
  /** The threads the worker started (its own, and any helper it brought). */
  tids: string[];
  /** The Access Log panel's model, polling the service as the window does. */
  panel: PeripheralsModel;
  /** Entries the panel fetched so far. */
  fetched: number;
  logOn: boolean;
}

async function startSide(firmware: Uint8Array, watched: number[]): Promise<Side> {
  const before = threads();
  const started = await startEmulatorWorker({
    machine: 'nrf52840dk',
    board: 'nrf52840dk',
    files: [{ name: 'flood.elf', bytes: firmware, format: 'elf' }],
    target: { pace: 'fast' },
  });
  if (!started.ok) throw new Error(started.error);
  const tids = [...threads()].filter((t) => !before.has(t));
  const target = started.value;
  if (!target.accessLog) throw new Error('the emulator worker does not record MMIO accesses');
  const service = new PeripheralService({
    projectRoot: ROOT,
    appRoot: ROOT,
    debug: {
      target,
      program: null,
      session: { board: 'nrf52840dk', phase: 'running' },
      onStop: () => () => undefined,
      onSession: () => () => undefined,
      // The bench refreshes at 10 Hz itself, only in the windows of its configuration.
      addLiveRead: () => () => undefined,
    },
    emit: () => undefined,
  });
  await service.describe();
  await service.watch({ addresses: watched });
  const side: Side = {
    target: target as Side['target'],
    service,
    tids,
    panel: null as unknown as PeripheralsModel,
    fetched: 0,
    logOn: false,
  };
  // The window's model over the service (in the IDE the host's calls cross to the renderer).
  const transport: Transport = {
    call: async (method, args) => {
      if (method !== 'peripherals.log') throw new Error(`the bench's panel called ${method}`);
      const r = await service.log(args as Parameters<PeripheralService['log']>[0]);
      if (r.ok) side.fetched += r.value.rows?.count ?? r.value.entries.length;
      return r;
    },
    onEvents: () => () => undefined,
  };
  side.panel = new PeripheralsModel(hostConnection(transport), {
    get: () => null,
    set: () => undefined,
  } as unknown as KeyValueStore);
  return side;
}

/** One window's CPU time (ms) of the worker's threads and of the process, and instructions. */
interface Window {
  workerMs: number;
  processMs: number;
  instructions: number;
  refreshes: number;
  fetched: number;
}

async function window(s: Side, config: Config | 'baseline', ms: number): Promise<Window> {
  const log = config === 'log on' || config === 'live panel + log' || config === 'log on, unread';
  const read = log && config !== 'log on, unread';
  const live = config === 'live panel' || config === 'live panel + log';
  if (log !== s.logOn) {
    const r = await s.service.log({ enable: log, max: 0 });
    if (!r.ok) throw new Error(r.error.message);
    s.logOn = log;
  }
  if (config === 'log off') {
    // Turned on and off again right before the window: "none while off".
    await s.service.log({ enable: true, max: 0 });
    await s.service.log({ enable: false, max: 0 });
  }
  const h0 = await s.target.halt();
  if (!h0.ok) throw new Error(h0.error);
  const w0 = threadsCpuMs(s.tids);
  const p0 = processCpuMs();
  const resumed = await s.target.resume();
  if (!resumed.ok) throw new Error(resumed.error);
  const start = performance.now();
  let refreshes = 0;
  const fetched0 = s.fetched;
  // Half a period in: a window of a whole number of periods (500 ms: 5 refreshes, 2 polls) has
  // the IDE's rates.
  let nextRefresh = start + 50;
  let nextPoll = start + 125;
  for (;;) {
    const now = performance.now();
    if (now - start >= ms) break;
    if (live && now >= nextRefresh) {
      await s.service.refresh(s.target);
      refreshes++;
      nextRefresh += 100;
    }
    if (read && now >= nextPoll) {
      await s.panel.pollLog();
      nextPoll += 250;
    }
    const wake = Math.min(live ? nextRefresh : Infinity, read ? nextPoll : Infinity, start + ms);
    await sleep(Math.max(0, wake - performance.now()));
  }
  const h1 = await s.target.halt();
  if (!h1.ok) throw new Error(h1.error);
  const processMs = processCpuMs() - p0;
  const w1 = threadsCpuMs(s.tids);
  let workerMs = 0;
  for (const [t, v] of w1) if (w0.has(t)) workerMs += v - w0.get(t)!;
  const instructions = (h1.value.instructions ?? 0) - (h0.value.instructions ?? 0);
  if (!(instructions > 0)) throw new Error(`a ${config} window ran no instructions`);
  return { workerMs, processMs, instructions, refreshes, fetched: s.fetched - fetched0 };
}

/** One arm's sums over its windows. */
export interface Arm {
  workerMs: number;
  processMs: number;
  instructions: number;
  /** Per window, in order: CPU ms per 10^6 instructions of the worker and of the process. */
  perWindow: number[];
  processPerWindow: number[];
  refreshes: number;
  fetched: number;
  seconds: number;
}

export interface Crossover {
  config: Config;
  baseline: Arm;
  measured: Arm;
}

const arm = (): Arm => ({
  workerMs: 0,
  processMs: 0,
  instructions: 0,
  perWindow: [],
  processPerWindow: [],
  refreshes: 0,
  fetched: 0,
  seconds: 0,
});

/**
 * `windows` windows per arm of `windowMs` each (a multiple of 4 balances the roles), after two
 * warm-up windows per arm not counted, the roles swapping as the header says.
 */
export async function crossover(
  config: Config,
  o: { firmware: Uint8Array; windows: number; windowMs: number },
): Promise<Crossover> {
  const watched = watchedRegisters();
  const sides = [await startSide(o.firmware, watched), await startSide(o.firmware, watched)];
  try {
    // Warm up: the translator compiles the loop in both.
    for (const s of sides) {
      await s.target.resume();
      await sleep(300);
      await s.target.halt();
    }
    const r: Crossover = { config, baseline: arm(), measured: arm() };
    for (let i = -2; i < o.windows; i++) {
      const k = i + 2;
      const role = (k + (k >> 1)) % 2; // the side playing `config`: 0 1 1 0 0 1 1 0 ...
      for (const who of k % 2 === 0 ? [0, 1] : [1, 0]) {
        const w = await window(sides[who]!, who === role ? config : 'baseline', o.windowMs);
        if (i < 0) continue; // the first pair of each role warms up
        const a = who === role ? r.measured : r.baseline;
        a.workerMs += w.workerMs;
        a.processMs += w.processMs;
        a.instructions += w.instructions;
        a.perWindow.push(w.workerMs / (w.instructions / 1e6));
        a.processPerWindow.push(w.processMs / (w.instructions / 1e6));
        a.refreshes += w.refreshes;
        a.fetched += w.fetched;
        a.seconds += o.windowMs / 1000;
      }
    }
    return r;
  } finally {
    for (const s of sides) {
      s.service.dispose();
      await s.target.close();
    }
  }
}

/** CPU ms per 10^6 instructions of an arm, all its windows: the worker's, the process's. */
export function perMillion(a: Arm): { worker: number; process: number } {
  return {
    worker: a.workerMs / (a.instructions / 1e6),
    process: a.processMs / (a.instructions / 1e6),
  };
}

/**
 * The configuration's cost over the baseline, a fraction: the median over the window pairs
 * (each measured window against the baseline window run next to it) of their CPU time per
 * instruction's ratio, less 1; the worker's and the process's. A burst of load from others
 * lands on a pair or two, which the median passes over (a ratio of sums takes it in).
 */
export function pairCost(r: Crossover): { worker: number; process: number } {
  return {
    worker: median(pairRatios(r, 'worker')),
    process: median(pairRatios(r, 'process')),
  };
}

/**
 * Each window pair's cost (measured over baseline CPU time per instruction, less 1), the
 * worker's or the process's: what `pairCost` takes the median of, and what a spread is read
 * from.
 */
export function pairRatios(r: Crossover, of: 'worker' | 'process'): number[] {
  const [m, b] =
    of === 'worker'
      ? [r.measured.perWindow, r.baseline.perWindow]
      : [r.measured.processPerWindow, r.baseline.processPerWindow];
  return m.map((x, k) => x / b[k]! - 1);
}

/**
 * What one live refresh (the Peripherals panel's 10 Hz pass: UARTE0's live registers, the board
 * and the interrupt table) costs the emulator worker and the process, in CPU µs, over `n`
 * refreshes of a halted board (after a warm-up run): the work per pass, which a crossover on a
 * loaded machine cannot tell apart from the noise at 10 Hz. Running, the worker answers at its
 * next slice boundary instead, with the same work.
 */
export async function refreshCost(
  firmware: Uint8Array,
  n: number,
): Promise<{ workerUs: number; processUs: number; reads: number }> {
  const s = await startSide(firmware, watchedRegisters());
  try {
    await s.target.resume();
    await sleep(300);
    const h = await s.target.halt();
    if (!h.ok) throw new Error(h.error);
    for (let i = 0; i < 20; i++) await s.service.refresh(s.target); // V8 compiles the pass
    const w0 = threadsCpuMs(s.tids);
    const p0 = processCpuMs();
    for (let i = 0; i < n; i++) await s.service.refresh(s.target);
    const processUs = ((processCpuMs() - p0) * 1000) / n;
    let workerMs = 0;
    for (const [t, v] of threadsCpuMs(s.tids)) if (w0.has(t)) workerMs += v - w0.get(t)!;
    return { workerUs: (workerMs * 1000) / n, processUs, reads: watchedRegisters().length };
  } finally {
    s.service.dispose();
    await s.target.close();
  }
}

/**
 * What one Access Log poll during a flood costs the emulator worker and the process, in CPU µs:
 * the panel's own model polls after every 60 ms of the flood (far more than CATCH_UP entries
 * recorded since its last poll), following the newest entries (TAIL_PAGE a poll) or scrolled up
 * (CATCH_UP a poll, what every poll fetched before the model knew the difference). CPU time is
 * read just before and after each poll, the board halted (the worker's counters current then),
 * so the poll's own work is measured, which the crossover cannot tell from a loaded machine's
 * noise at 4 Hz. Running, the worker answers at its next slice boundary instead, with the same
 * work.
 */
export async function pollCost(
  firmware: Uint8Array,
  n: number,
  following: boolean,
): Promise<{ workerUs: number; processUs: number; entries: number }> {
  const s = await startSide(firmware, watchedRegisters());
  try {
    const on = await s.service.log({ enable: true, max: 0 });
    if (!on.ok) throw new Error(on.error.message);
    s.panel.setLogFollowing(following);
    let workerMs = 0;
    let processMs = 0;
    let entries = 0;
    // The first polls warm up (V8 compiles the page's path).
    for (let i = -5; i < n; i++) {
      const resumed = await s.target.resume();
      if (!resumed.ok) throw new Error(resumed.error);
      await sleep(60);
      const h = await s.target.halt();
      if (!h.ok) throw new Error(h.error);
      const w0 = threadsCpuMs(s.tids);
      const p0 = processCpuMs();
      const f0 = s.fetched;
      await s.panel.pollLog();
      if (i < 0) continue;
      processMs += processCpuMs() - p0;
      for (const [t, v] of threadsCpuMs(s.tids)) if (w0.has(t)) workerMs += v - w0.get(t)!;
      entries += s.fetched - f0;
    }
    return {
      workerUs: (workerMs * 1000) / n,
      processUs: (processMs * 1000) / n,
      entries: entries / n,
    };
  } finally {
    s.service.dispose();
    await s.target.close();
  }
}
