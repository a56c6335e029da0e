/**
 * `npm run bench:periph-log-ab -- [--ref REV]... [--kernel]`: the access log's recording cost,
 * this tree against git revisions, on the same machine in the same run.
 *
 * Why: the per-peripheral retention once doubled the recording cost on a UART flood, and two
 * runs of bench:periph minutes apart on the shared machine differ by more than a few ns per
 * access; the call chains' cost (issue 18: log + chains under 20 %) moves by a few points
 * between runs. Here the sides take turns round by round, each round one fresh process per side
 * (`periph-log-child.ts`: V8 compiles the bus's listener call site once per process, and in one
 * process several logs measured 17 to 34 ns per access depending on which ran first), window
 * pairs in alternating order, process CPU time, medians.
 *
 * Modes:
 *   - default: bench:periph's UART flood (2 MMIO accesses every 25 instructions), this tree's
 *     emulator with each side's `AccessLog` (only the log module differs): ns per access and
 *     the "log on" percentage over the log-off window; with `--tree`, each side's whole
 *     `emulator/` through its session (the core's access paths differ too: the log-off windows
 *     then compare as well);
 *   - `--poll`: firmware waiting for a timer event in a device poll (`POLL_SOURCE`) on each
 *     side's whole `emulator/` (the spin-loop fast-forward with the log on): CPU ms of a log-on
 *     window and per entry recorded (every side records the same entries), beside log off;
 *   - `--kernel`: the nRF52840-DK kernel (`npm run kernel:build -- --board nrf52840dk`) on each side's whole `emulator/`
 *     (log, walker, session, translator: the revision as it was), log on and log on + call
 *     chains against log off, in rounds of the three (order rotated).
 * Revisions are extracted with `git archive` into temporary directories beside this tree's
 * node_modules. Default revision: `main`.
 *
 *   npm run bench:periph-log-ab -- [--ref main] [--ref 42935ec^] [--rounds 8] [--window 4] [--tree]
 *   npm run bench:periph-log-ab -- --kernel [--ref main] [--rounds 6] [--windows 8]
 *   npm run bench:periph-log-ab -- --poll [--ref main] [--rounds 6]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { positiveArg } from './args';
import { median } from './cpu-time';
import { type FloodResult, type KernelResult, type PollResult, runChild } from './periph-log-child';

const root = resolve(import.meta.dirname, '..', '..');
const refs = process.argv.flatMap((a, k) => (a === '--ref' ? [process.argv[k + 1]!] : []));
if (refs.length === 0) refs.push('main');
const KERNEL = process.argv.includes('--kernel');
const POLL = process.argv.includes('--poll');
/** Sides are whole trees (kernel, poll, flood --tree) rather than the log module alone (flood). */
const TREES = KERNEL || POLL || process.argv.includes('--tree');
const ROUNDS = positiveArg('--rounds', KERNEL ? 6 : 8);
const WINDOW = positiveArg('--window', 4);
/** Kernel mode: rounds of the three windows per process. */
const WINDOWS = positiveArg('--windows', 8);

const dirs: string[] = [];
/** A side: its name and the tree (kernel mode) or log module (flood mode) it measures. */
const sides: { name: string; at: string; results: (FloodResult | KernelResult | PollResult)[] }[] =
  [];
try {
  for (const ref of refs) {
    const dir = mkdtempSync(join(tmpdir(), 'periph-log-ab-'));
    dirs.push(dir);
    const tar = spawnSync(
      'sh',
      ['-c', `git archive '${ref}' emulator kernel/boards main/common | tar -x -C ${dir}`],
      { cwd: root, encoding: 'utf8' },
    );
    if (tar.status !== 0) throw new Error(`git archive ${ref} failed:\n${tar.stderr}`);
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    const at = TREES ? dir : join(dir, 'emulator/debug/peripherals/access-log.ts');
    sides.push({ name: ref, at, results: [] });
  }
  const at = TREES ? root : join(root, 'emulator/debug/peripherals/access-log.ts');
  sides.push({ name: 'this tree', at, results: [] });
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order, so no side always runs right after another.
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(k + round) % sides.length]!;
      side.results.push(
        KERNEL
          ? runChild<KernelResult>(['kernel', side.at, '--rounds', String(WINDOWS)])
          : POLL
            ? runChild<PollResult>(['poll', side.at, '--window', String(WINDOW)])
            : runChild<FloodResult>(['flood', side.at, '--window', String(WINDOW)]),
      );
    }
  }
  if (KERNEL) {
    console.log(
      `Access log A/B, call chains: the nRF52840-DK kernel, ${ROUNDS} rounds of one process per side (${WINDOWS} rounds of log off / on / on + chains 10^6-instruction windows each), process CPU time, medians`,
    );
    for (const side of sides) {
      const rs = side.results as KernelResult[];
      const off = median(rs.map((r) => r.offMs));
      const on = median(rs.map((r) => r.onCostMs));
      const chains = median(rs.map((r) => r.chainsCostMs));
      const pct = (x: number) => `${((x / off) * 100).toFixed(1).padStart(5)}%`;
      console.log(
        `  ${side.name.padEnd(12)} log off ${off.toFixed(2).padStart(6)} CPU ms  log on +${pct(on)}  log on + chains +${pct(chains)}  (chains per process: ${rs.map((r) => ((r.chainsCostMs / r.offMs) * 100).toFixed(1)).join(' ')}; ${Math.round(median(rs.map((r) => r.accesses))).toLocaleString()} accesses per window)`,
      );
    }
  } else if (POLL) {
    console.log(
      `Access log A/B, a device poll (TIMER0 event every 1 ms): ${ROUNDS} rounds of one process per side (6 log-off/log-on window pairs of ${WINDOW}x10^6 instructions, alternating order), process CPU time, medians`,
    );
    for (const side of sides) {
      const rs = side.results as PollResult[];
      const ns = rs.map((r) => (r.onMs * 1e6) / r.entries);
      console.log(
        `  ${side.name.padEnd(12)} log off ${median(rs.map((r) => r.offMs))
          .toFixed(2)
          .padStart(7)} CPU ms  log on ${median(rs.map((r) => r.onMs))
          .toFixed(2)
          .padStart(
            7,
          )} CPU ms  ${median(ns).toFixed(1).padStart(5)} ns per entry, ${Math.round(median(rs.map((r) => r.entries))).toLocaleString()} entries a window  (per process: ${ns.map((x) => x.toFixed(1)).join(' ')})`,
      );
    }
  } else {
    console.log(
      `Access log A/B: UART flood${TREES ? ' (whole trees)' : ''}, ${ROUNDS} rounds of one process per side (6 log-off/log-on window pairs of ${WINDOW}x10^6 instructions in alternating order, the ring full), process CPU time, medians`,
    );
    for (const side of sides) {
      const rs = side.results as FloodResult[];
      const off = median(rs.map((r) => r.offMs));
      const ns = rs.map((r) => (r.costMs * 1e6) / r.accesses);
      console.log(
        `  ${side.name.padEnd(12)} log off ${off.toFixed(2).padStart(7)} CPU ms  log on +${((median(rs.map((r) => r.costMs)) / off) * 100).toFixed(1).padStart(5)}%  ${median(ns).toFixed(1).padStart(5)} ns per access  (per process: ${ns.map((x) => x.toFixed(1)).join(' ')})`,
      );
    }
  }
  console.log("CPU time of each side's process; a loaded machine still adds noise: re-run quiet.");
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
