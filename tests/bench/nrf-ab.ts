/**
 * In-process A/B of two emulator trees on bench:nrf's busy workload: the nrf52840dk kernel
 * running the fuzzer app (MPU on), this tree against the emulator of a git revision
 * (default `main`), both in one process, run in interleaved 1 M-instruction slices.
 *
 * Why: on the shared 2-core machine two runs of the same bench minutes apart differ by ±10 %
 * even in CPU time, more than most single changes gain. Alternating the two sides slice by
 * slice in one process gives both the same load, so their ratio holds where separate runs do
 * not. The figure is bench:nrf's: awake virtual time of the 64 MHz chip per CPU second of the
 * emulating thread. Both sides must run the same instructions in the same cycles (the busy
 * workload is deterministic): a difference is printed as an error and fails the run.
 *
 * The revision's `emulator/`, `kernel/boards/` and `main/common/` are extracted with
 * `git archive` into a temporary directory beside this tree's node_modules; the kernel image
 * is this tree's (built first, as bench:nrf does).
 *
 * Usage: npx tsx tests/bench/nrf-ab.ts [--ref main] [--slices 40] [--observe K]
 *   (--observe K: a host write observer moved K times per slice, as the Tock views' watches do)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { positiveArg } from './args';
import { threadCpuMs } from './cpu-time';
import { kernelSession, nrfFuzzImage } from './nrf-fuzz-image';
import * as here from '../../emulator/session/session';

const root = resolve(import.meta.dirname, '..', '..');
const refAt = process.argv.indexOf('--ref');
const REF = refAt >= 0 ? process.argv[refAt + 1]! : 'main';
const SLICES = positiveArg('--slices', 40);
// --observe K: each slice runs as K parts, and before each part a host write observer moves to
// the next of 8 RAM words (removed, then added there), as the Tock views' DMA watches and cell
// history do while the kernel runs. The words lie in the kernel's first 512 bytes of .data (its
// process table, written on system calls). Both sides must see the same stores.
const OBSERVE = process.argv.includes('--observe') ? positiveArg('--observe', 1) : 0;
const OBSERVED = (j: number): number => 0x2000_0008 + 0x40 * (j % 8);

const image = await nrfFuzzImage();

// The other side: the revision's emulator, beside this tree's packages.
const other = mkdtempSync(join(tmpdir(), 'nrf-ab-'));
const tar = spawnSync(
  'sh',
  ['-c', `git archive ${REF} emulator kernel/boards main/common | tar -x -C ${other}`],
  { cwd: root, encoding: 'utf8' },
);
if (tar.status !== 0) throw new Error(`git archive ${REF} failed:\n${tar.stderr}`);
symlinkSync(join(root, 'node_modules'), join(other, 'node_modules'));
const there = (await import(
  pathToFileURL(join(other, 'emulator/session/session.ts')).href
)) as typeof here;

type Session = here.EmulatorSession;

interface Side {
  name: string;
  s: Session;
  cpuMs: number;
  awake0: number;
  instr0: number;
  /** With --observe: stores the observer saw, observer moves, and the current one's removal. */
  seen: number;
  moves: number;
  unobserve: (() => void) | null;
  /** Per quarter of the slices: thread CPU ms and awake cycles. */
  quarterMs: number[];
  quarterAwake: number[];
}

function boot(name: string, create: typeof here.createSession): Side {
  const s: Session = kernelSession(image, create).session;
  // Boot (the LFXO wait), then 3 M instructions of warm-up for the translator.
  while (s.cycles < 0.3 * 64e6) s.runSlice({ instructions: 1_000_000 });
  for (let i = 0; i < 3; i++) s.runSlice({ instructions: 1_000_000 });
  return {
    name,
    s,
    cpuMs: 0,
    awake0: s.cycles - s.core.sleptCycles,
    instr0: s.instructions,
    seen: 0,
    moves: 0,
    unobserve: null,
    quarterMs: [0, 0, 0, 0],
    quarterAwake: [0, 0, 0, 0],
  };
}

/** Runs one 1 M-instruction slice of `side`, in OBSERVE parts with the observer moved before each. */
function slice(side: Side): ReturnType<Session['runSlice']> {
  if (OBSERVE === 0) return side.s.runSlice({ instructions: 1_000_000 });
  let r: ReturnType<Session['runSlice']> = { kind: 'limit' };
  const part = Math.floor(1_000_000 / OBSERVE);
  for (let k = 0; k < OBSERVE && r.kind === 'limit'; k++) {
    side.unobserve?.();
    side.unobserve = side.s.core.observeWrites(OBSERVED(side.moves++), 4, () => side.seen++);
    r = side.s.runSlice({ instructions: part });
  }
  return r;
}

try {
  const sides = [boot(REF, there.createSession), boot('this tree', here.createSession)];
  for (let k = 0; k < SLICES; k++) {
    // Alternate which side goes first, so neither always runs right after the other.
    for (const side of k % 2 === 0 ? sides : [...sides].reverse()) {
      const t = threadCpuMs();
      const awake = side.s.cycles - side.s.core.sleptCycles;
      const r = slice(side);
      const ms = threadCpuMs() - t;
      side.cpuMs += ms;
      const q = Math.floor((4 * k) / SLICES);
      side.quarterMs[q]! += ms;
      side.quarterAwake[q]! += side.s.cycles - side.s.core.sleptCycles - awake;
      if (r.kind !== 'limit') throw new Error(`${side.name}: stopped ${JSON.stringify(r)}`);
    }
  }
  const figures = sides.map((side) => {
    const awake = (side.s.cycles - side.s.core.sleptCycles - side.awake0) / 64e6;
    const instr = side.s.instructions - side.instr0;
    const perCpu = awake / (side.cpuMs / 1000);
    console.log(
      `${side.name.padEnd(10)} ${(instr / 1e6).toFixed(1)} M instructions, ${awake.toFixed(3)} s awake, ${(side.cpuMs / 1000).toFixed(2)} CPU s: ${perCpu.toFixed(3)} x the 64 MHz chip per CPU s`,
    );
    return { instr, cycles: side.s.cycles, perCpu, seen: side.seen };
  });
  const [a, b] = figures as [(typeof figures)[0], (typeof figures)[0]];
  console.log(`this tree / ${REF}: ${(b.perCpu / a.perCpu).toFixed(3)}`);
  // The same ratio per quarter of the slices: the first ones hold most of the fuzzer's
  // warm-up (its code compiling), the last ones come nearest the steady state.
  const perQuarter = (side: Side, q: number): number =>
    side.quarterAwake[q]! / 64e6 / (side.quarterMs[q]! / 1000);
  console.log(
    `per quarter: ${[0, 1, 2, 3]
      .map(
        (q) =>
          `${perQuarter(sides[0]!, q).toFixed(2)} / ${perQuarter(sides[1]!, q).toFixed(2)} = ${(perQuarter(sides[1]!, q) / perQuarter(sides[0]!, q)).toFixed(3)}`,
      )
      .join(', ')} (${REF} / this tree = ratio)`,
  );
  if (OBSERVE > 0)
    console.log(`observer moved ${OBSERVE} times per slice; stores seen: ${a.seen} / ${b.seen}`);
  if (a.instr !== b.instr || a.cycles !== b.cycles || a.seen !== b.seen) {
    console.error(
      `the two sides differ: ${a.instr} vs ${b.instr} instructions, ${a.cycles} vs ${b.cycles} cycles, ${a.seen} vs ${b.seen} observed stores`,
    );
    process.exitCode = 1;
  }
} finally {
  rmSync(other, { recursive: true, force: true });
}
