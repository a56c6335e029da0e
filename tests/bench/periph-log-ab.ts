/**
 * `npm run bench:periph-log-ab -- [--ref REV]...`: the access log's recording cost per access,
 * this tree's `AccessLog` against the `AccessLog` of git revisions, on the same emulator.
 *
 * Why: the per-peripheral retention once doubled the recording cost on a UART flood, and two
 * runs of bench:periph minutes apart on the shared machine differ by more than a few ns per
 * access. Here an emulator session (this tree's) runs bench:periph's UART flood (2 MMIO
 * accesses every 25 instructions) in windows of 4x10^6 instructions (each wraps the
 * 131,072-entry ring), alternately with the log off and on, recording through a bus listener
 * of the session's own shape (`setAccessLog`, no call chains): the cost per access is the
 * difference of the two windows' CPU time of the process (getrusage: this machine's
 * /proc/thread-self/schedstat advances only at scheduler ticks, 4 ms, too coarse for a
 * window). Only the access-log module differs between the sides.
 *
 * Each side runs in a process of its own, the sides' processes taking turns round by round:
 * several log classes in one process share the emulator's call sites to the bus listener, and
 * V8 then serves them unequally (the same class measured 17 to 34 ns per access depending on
 * which listener it was), so one process per side, many rounds, medians.
 *
 * The revisions' `emulator/` is extracted with `git archive` into a temporary directory beside
 * this tree's node_modules. Default revisions: `main`.
 *
 *   npx tsx tests/bench/periph-log-ab.ts [--ref main] [--ref 42935ec^] [--rounds 8] [--window 4]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createSession } from '../../emulator/session/session';
import { nrfProgram } from '../../emulator/node/test-programs';
import { positiveArg } from './args';
import { median, processCpuMs } from './cpu-time';

const root = resolve(import.meta.dirname, '..', '..');
const refs = process.argv.flatMap((a, k) => (a === '--ref' ? [process.argv[k + 1]!] : []));
if (refs.length === 0) refs.push('main');
const ROUNDS = positiveArg('--rounds', 8);
const GAP = 10;
const WINDOW = positiveArg('--window', 4) * 1e6;
const ACCESSES = WINDOW * (2 / (GAP * 2 + 5));

// bench:periph's flood: a TXD write and an EVENTS_TXDRDY read every GAP loop iterations.
const FIRMWARE = nrfProgram(`uart-flood-${GAP}`, [
  'ldr r0, =0x40002000',
  'movs r1, #6',
  'str r1, [r0, #0x50c]',
  'movs r1, #4',
  'str r1, [r0, #0x500]',
  'movs r1, #1',
  'str r1, [r0, #8]',
  'loop:',
  'movs r1, #0x41',
  'str r1, [r0, #0x51c]',
  'ldr r2, [r0, #0x11c]',
  `movs r3, #${GAP}`,
  '1: subs r3, #1',
  'bne 1b',
  'b loop',
]);

const childAt = process.argv.indexOf('--child');

if (childAt >= 0) {
  // One side: the log module at the path given, windows off and on in turn.
  const { AccessLog } = (await import(
    pathToFileURL(process.argv[childAt + 1]!).href
  )) as typeof import('../../emulator/debug/peripherals/access-log');
  const made = createSession({ machine: 'nrf52840dk' });
  if (!made.ok) throw new Error(made.error);
  const s = made.value;
  const loaded = s.load(FIRMWARE);
  if (!loaded.ok) throw new Error(loaded.error);
  const core = s.core;
  const log = new AccessLog();
  const depth = 0;
  // The session's listener without a walker (the debugger never reads here).
  const listener = (write: boolean, address: number, size: 1 | 2 | 4, value: number) =>
    log.record(core.clock.now, write, size, address, value, core.pc >>> 0, depth !== 0);
  const window = (on: boolean): number => {
    core.bus.onDeviceAccess = on ? listener : null;
    const before = log.recorded;
    const t0 = processCpuMs();
    s.runSlice({ instructions: WINDOW });
    const ms = processCpuMs() - t0;
    if (on && log.recorded - before < ACCESSES / 2)
      throw new Error(`recorded ${log.recorded - before} accesses in a window`);
    return ms;
  };
  // Warm up: the translator compiles the loop, the ring fills (wraps).
  for (let k = 0; k < 4; k++) window(k % 2 === 1);
  const costs: number[] = [];
  const offs: number[] = [];
  for (let k = 0; k < 6; k++) {
    const off = window(k % 2 === 0 ? false : true);
    const on = window(k % 2 === 0 ? true : false);
    // Alternate which goes first.
    const [o, n] = k % 2 === 0 ? [off, on] : [on, off];
    offs.push(o);
    costs.push(n - o);
  }
  console.log(JSON.stringify({ offMs: median(offs), costMs: median(costs) }));
} else {
  const dirs: string[] = [];
  const sides: { name: string; module: string; off: number[]; cost: number[] }[] = [];
  try {
    for (const ref of refs) {
      const dir = mkdtempSync(join(tmpdir(), 'periph-log-ab-'));
      dirs.push(dir);
      const tar = spawnSync('sh', ['-c', `git archive '${ref}' emulator | tar -x -C ${dir}`], {
        cwd: root,
        encoding: 'utf8',
      });
      if (tar.status !== 0) throw new Error(`git archive ${ref} failed:\n${tar.stderr}`);
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
      const module = join(dir, 'emulator/debug/peripherals/access-log.ts');
      sides.push({ name: ref, module, off: [], cost: [] });
    }
    const module = join(root, 'emulator/debug/peripherals/access-log.ts');
    sides.push({ name: 'this tree', module, off: [], cost: [] });
    const me = resolve(import.meta.filename);
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order, so no side always runs right after another.
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(k + round) % sides.length]!;
        const run = spawnSync(
          process.execPath,
          [...process.execArgv, me, '--child', side.module, '--window', String(WINDOW / 1e6)],
          { cwd: root, encoding: 'utf8' },
        );
        if (run.status !== 0) throw new Error(`${side.name}: ${run.stderr}`);
        const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
          offMs: number;
          costMs: number;
        };
        side.off.push(r.offMs);
        side.cost.push(r.costMs);
      }
    }
    console.log(
      `Access log A/B: UART flood, ${ROUNDS} rounds of one process per side (6 log-off/log-on window pairs of ${WINDOW / 1e6}x10^6 instructions, ${Math.round(ACCESSES).toLocaleString()} accesses per window, the ring full), process CPU time, medians`,
    );
    for (const side of sides) {
      const off = median(side.off);
      const cost = median(side.cost);
      console.log(
        `  ${side.name.padEnd(12)} log off ${off.toFixed(2).padStart(7)} CPU ms  log on +${((cost / off) * 100).toFixed(1).padStart(5)}%  ${((cost * 1e6) / ACCESSES).toFixed(1).padStart(5)} ns per access  (per round: ${side.cost.map((c) => ((c * 1e6) / ACCESSES).toFixed(1)).join(' ')})`,
      );
    }
    console.log(
      "CPU time of each side's process; a loaded machine still adds noise: re-run quiet.",
    );
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}
