/**
 * In-process A/B of two emulator trees on bench:emulator's programs (bench, bench2), in plain
 * sessions and in debug sessions (10 breakpoints and 2 watchpoints, debug-points.ts): this tree
 * against the emulator of a git revision (default `main`), both in one process, whole sessions
 * alternating between the two sides.
 *
 * Why: on the shared 2-core machine two runs of bench:emulator minutes apart differ by ±10 % or
 * more even in CPU time, more than most translator changes gain. Sessions alternating in one
 * process share the load, so the ratio of the two sides holds where separate runs do not. Each
 * side keeps its own translator caches and V8 feedback (separate modules), as two processes
 * would. The figure is main-thread CPU MIPS (instructions per CPU second of this thread: the
 * emulator's own work; V8 compiles on other threads). Per side it prints:
 *   - plain: median of the plain sessions after the warm-up ones (--warm, not counted);
 *   - first debug: the first session with the debug points (V8 meets their code paths there:
 *     deoptimisations and recompiles show up here, bench:emulator prints it beside its ratio);
 *   - debug: median of the later debug sessions, and debug / plain (issue 20: >= 0.9).
 * Both sides must run every session to the same instruction count and registers (the programs
 * are deterministic): a difference is printed as an error and fails the run.
 *
 * The revision's `emulator/`, `kernel/boards/` and `main/common/` are extracted with `git archive` into a
 * temporary directory beside this tree's node_modules; the programs are built by this tree.
 *
 * Usage: npx tsx tests/bench/emulator-ab.ts [--ref main] [--only bench|bench2] [--pairs 4]
 *          [--warm 2] [--rounds N] [--plain]   (npm run bench:emulator-ab -- ...)
 * `--plain`: plain sessions only (a debug session changes the feedback V8 compiles the plain
 * ones with afterwards, most on the side that deoptimizes there).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { positiveArg } from './args';
import { buildBench, type BenchmarkName } from './build';
import { threadCpuMs } from './cpu-time';
import { armDebug, debugPoints } from './debug-points';
import * as here from '../../emulator/session/session';

const root = resolve(import.meta.dirname, '..', '..');
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const REF = arg('--ref', 'main');
const ONLY = arg('--only', '');
if (ONLY !== '' && ONLY !== 'bench' && ONLY !== 'bench2') {
  console.error('--only takes bench or bench2');
  process.exit(2);
}
const NAMES: BenchmarkName[] = ONLY === '' ? ['bench', 'bench2'] : [ONLY];
const PAIRS = positiveArg('--pairs', 4);
const WARM = positiveArg('--warm', 2);
/** Plain sessions only: what a change costs where no debugger is attached, undisturbed. */
const PLAIN_ONLY = process.argv.includes('--plain');
/** Rounds per session: ~0.15 s of CPU a session at 600 MIPS. */
const ROUNDS: Record<BenchmarkName, number> = { bench: 400, bench2: 250 };

type Create = typeof here.createSession;

interface Side {
  name: string;
  create: Create;
  plain: number[];
  debug: number[];
  firstDebug: number;
}

/** One session of `name` on a side: main-thread CPU MIPS and what it ended with. */
function session(
  side: Side,
  bytes: Uint8Array,
  rounds: number,
  points: { bps: number[]; wps: number[] } | null,
): { mips: number; end: string } {
  const made = side.create({
    machine: 'mps2-an386',
    semihosting: true,
    cmdline: `bench ${rounds}`,
    translate: true,
  });
  if (!made.ok) throw new Error(made.error);
  const s = made.value;
  const loaded = s.load(bytes);
  if (!loaded.ok) throw new Error(loaded.error);
  if (points !== null) armDebug(s, points.bps, points.wps);
  const t = threadCpuMs();
  let r;
  do r = s.runSlice({ instructions: 50_000_000 });
  while (r.kind === 'limit');
  const ms = threadCpuMs() - t;
  if (r.kind === 'breakpoint' || r.kind === 'watchpoint')
    throw new Error(`${side.name}: a debug point was hit (${JSON.stringify(r)})`);
  return {
    mips: s.instructions / 1e3 / ms,
    end: `${s.instructions} instructions, r = ${s.core.r.join(',')}`,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// The other side: the revision's emulator, beside this tree's packages.
const other = mkdtempSync(join(tmpdir(), 'emulator-ab-'));
const tar = spawnSync(
  'sh',
  ['-c', `git archive ${REF} emulator kernel/boards main/common | tar -x -C ${other}`],
  {
    cwd: root,
    encoding: 'utf8',
  },
);
if (tar.status !== 0) throw new Error(`git archive ${REF} failed:\n${tar.stderr}`);
symlinkSync(join(root, 'node_modules'), join(other, 'node_modules'));

try {
  const there = (await import(
    pathToFileURL(join(other, 'emulator/session/session.ts')).href
  )) as typeof here;
  for (const name of NAMES) {
    const built = buildBench(undefined, name);
    if (!built.ok) throw new Error(built.error);
    const bytes = new Uint8Array(readFileSync(built.value));
    const points = debugPoints(bytes, 3);
    const rounds = positiveArg('--rounds', ROUNDS[name]);
    const sides: Side[] = [
      { name: REF, create: there.createSession, plain: [], debug: [], firstDebug: 0 },
      { name: 'this tree', create: here.createSession, plain: [], debug: [], firstDebug: 0 },
    ];
    let end = '';
    const run = (side: Side, debug: boolean): number => {
      const r = session(side, bytes, rounds, debug ? points : null);
      if (end === '') end = r.end;
      else if (r.end !== end) {
        console.error(`${name}: ${side.name} ended differently: ${r.end} against ${end}`);
        process.exitCode = 1;
      }
      return r.mips;
    };
    // Per side: warm-up plain sessions, the first debug session, then pairs of a plain and a
    // debug session; the sides take turns session by session, the first alternating.
    const plan: boolean[] = [];
    for (let i = 0; i < WARM; i++) plan.push(false);
    plan.push(!PLAIN_ONLY);
    for (let i = 0; i < PAIRS; i++) plan.push(false, !PLAIN_ONLY);
    plan.forEach((debug, k) => {
      for (const side of k % 2 === 0 ? sides : [...sides].reverse()) {
        const mips = run(side, debug);
        if (k < WARM) continue;
        if (k === WARM && debug) side.firstDebug = mips;
        else (debug ? side.debug : side.plain).push(mips);
      }
    });
    console.log(`${name} (${rounds} rounds a session; main-thread CPU MIPS):`);
    for (const side of sides) {
      const plain = median(side.plain);
      if (PLAIN_ONLY) {
        console.log(`  ${side.name.padEnd(10)} plain ${plain.toFixed(1)}`);
        continue;
      }
      const debug = median(side.debug);
      console.log(
        `  ${side.name.padEnd(10)} plain ${plain.toFixed(1)}, first debug ${side.firstDebug.toFixed(1)} (${(side.firstDebug / plain).toFixed(2)} of plain), debug ${debug.toFixed(1)} (${(debug / plain).toFixed(2)} of plain)`,
      );
    }
    const [a, b] = sides as [Side, Side];
    if (PLAIN_ONLY) {
      console.log(`  this tree / ${REF}: plain ${(median(b.plain) / median(a.plain)).toFixed(3)}`);
      continue;
    }
    console.log(
      `  this tree / ${REF}: plain ${(median(b.plain) / median(a.plain)).toFixed(3)}, debug ${(median(b.debug) / median(a.debug)).toFixed(3)}, first debug ${(b.firstDebug / a.firstDebug).toFixed(3)}`,
    );
  }
} finally {
  rmSync(other, { recursive: true, force: true });
}
