/**
 * `npm run bench:gdb`: what debugging through the GDB server costs, in figures.
 *
 * The CPU benchmark (tests/bench/bench.c) runs on the emulated nRF52840 (its stack moved into
 * the chip's 256 KiB of RAM) to its semihosting exit, in phases:
 * - free: the emulator session's own loop (as the CLI runs it), no target, no server, no client;
 * - gdb: the emulator target served on a loopback port, run by a GDB client's `vCont;c` (our
 *   client, negotiating as gdb-multiarch does), timed from the packet to the exit stop reply;
 * - gdb+bp: the same with 4 breakpoints (Z0) and 2 write watchpoints (Z2) set where the
 *   program never goes; then 4 breakpoints alone and 2 watchpoints alone.
 * All phases run in this process, after one warm-up round of every kind (not counted: V8
 * compiles the emulator, the server and the client), interleaved, their order rotated run by
 * run, a full garbage collection before each. Each phase is timed by wall clock and by this
 * thread's CPU time (Linux schedstat: the emulator, the server and the client all run on it;
 * what other processes take of the machine does not count), so the ratios mean something on a
 * loaded machine. Ratios are medians of per-run ratios against that run's free phase (targets:
 * >= 90% with no breakpoints, >= 80% with 4 + 2); beside them the ratios of each kind's best
 * run (load only slows a phase down, so the fastest run of each is the steadiest figure).
 * The A/B for what one phase leaves to the next in V8: `--fixed-order` keeps the order free,
 * gdb, gdb+bp, 4 bp, 2 wp in every run; `--isolate` runs each phase in a child process of its
 * own (a fresh V8) after `--warm-ups N` (default 1) untimed runs of it there. Isolated phases
 * run slower than in-process ones (each child compiles its hot code afresh, and on a loaded
 * machine V8's background compiler lags), so their ratios spread more: the default is the
 * in-process one.
 * Then reverse execution: the run is halted at 10^8 instructions and `bs` (reverse-stepi) is
 * timed over the socket (target < 200 ms), then five more reverse steps, one `bc` back to a
 * breakpoint hit, the checkpoint spacing and the memory the checkpoints take. The load average
 * is printed for each run.
 *
 * Options: --runs N (default 5), --rounds N (benchmark rounds per phase, default 300),
 * --fixed-order, --isolate, --warm-ups N, --no-reverse (phases only); --phase KIND (internal:
 * one isolated phase, its figures as JSON).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EmulatorTarget } from '../../emulator/debug/emulator-target';
import { parseElf } from '../../emulator/formats/elf';
import type { GdbRemoteClient } from '../../emulator/gdb/client';
import { GDB_SLICE_MS, startGdbServer } from '../../emulator/node/gdb-server';
import { connectGdb } from '../../emulator/node/gdb-socket';
import { nodeScheduler } from '../../emulator/node/scheduler';
import { createSession } from '../../emulator/session/session';
import { buildBench } from './build';
import { cpuClock, type CpuClock } from './cpu-time';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const RUNS = arg('--runs', 5);
const ROUNDS = arg('--rounds', 300);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fail = (why: string): never => {
  process.stderr.write(`bench:gdb: ${why}\n`);
  process.exit(1);
};

const built = buildBench();
const elf = new Uint8Array(readFileSync(built.ok ? built.value : fail(built.error)));
const symbols = parseElf(elf).symbols;
const addressOf = (name: string): number => {
  const s = symbols.find((x) => x.name === name);
  return s ? s.value & ~1 : fail(`bench.elf has no symbol ${name}`);
};

/** A fresh nRF52840-DK target with the benchmark loaded (stack at the top of its RAM). */
function target(rounds: number): EmulatorTarget {
  const s = createSession({ machine: 'nrf52840dk', semihosting: true, cmdline: `bench ${rounds}` });
  if (!s.ok) return fail(s.error);
  const loaded = s.value.loadFiles([
    { name: 'bench.elf', bytes: elf },
    { name: 'initial-sp', bytes: Uint8Array.of(0x00, 0x00, 0x04, 0x20), address: 0 },
  ]);
  if (!loaded.ok) fail(loaded.error);
  return new EmulatorTarget({
    session: s.value,
    scheduler: nodeScheduler,
    pace: 'fast',
    sliceMs: GDB_SLICE_MS,
  });
}

/** One phase's figures: instructions over wall and over this thread's CPU time. */
interface Phase {
  instructions: number;
  wallMs: number;
  cpuMs: number;
}
const mipsOf = (p: Phase, by: 'wall' | 'cpu'): number =>
  p.instructions / (by === 'wall' ? p.wallMs : p.cpuMs) / 1000;

/** Free-running: the session's own loop (as the CLI runs it), no target, no server. */
async function freeRun(rounds: number): Promise<Phase> {
  const t = target(rounds);
  const session = t.session;
  await t.close();
  const clock = cpuClock();
  for (;;) {
    const r = session.runSlice({ instructions: 2_000_000 });
    if (r.kind !== 'limit') break;
  }
  return { instructions: session.instructions, ...clock.elapsed() };
}

async function served(
  rounds: number,
): Promise<{ t: EmulatorTarget; client: GdbRemoteClient; close(): Promise<void> }> {
  const t = target(rounds);
  const server = await startGdbServer(t, { port: 0 });
  if (!server.ok) return fail(server.error);
  const client = await connectGdb('127.0.0.1', server.value.port, { requestTimeoutMs: 600_000 });
  if (!client.ok) return fail(client.error);
  return {
    t,
    client: client.value,
    async close() {
      client.value.close();
      await server.value.close();
      await t.close();
    },
  };
}

async function gdbRun(
  rounds: number,
  points: { breakpoints: boolean; watchpoints: boolean },
): Promise<Phase> {
  const s = await served(rounds);
  if (points.breakpoints) {
    // Code the benchmark never runs (the fault handler's four halfwords) and RAM it never touches.
    const handler = addressOf('fault_handler');
    for (const a of [handler, handler + 2, handler + 4, handler + 6]) {
      const r = await s.client.request(`Z0,${a.toString(16)},2`);
      if (!r.ok || r.value.reply !== 'OK') fail(`Z0 ${a.toString(16)}: ${JSON.stringify(r)}`);
    }
  }
  if (points.watchpoints) {
    for (const a of [0x20030000, 0x20030100]) {
      const r = await s.client.request(`Z2,${a.toString(16)},4`);
      if (!r.ok || r.value.reply !== 'OK') fail(`Z2: ${JSON.stringify(r)}`);
    }
  }
  const before = s.t.session.instructions;
  const clock: CpuClock = cpuClock();
  const stop = await s.client.request('vCont;c', true);
  const elapsed = clock.elapsed();
  if (!stop.ok || !stop.value.reply.startsWith('W')) fail(`run ended with ${JSON.stringify(stop)}`);
  const phase = { instructions: s.t.session.instructions - before, ...elapsed };
  await s.close();
  return phase;
}

const loadText = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
type Kind = 'free' | 'gdb' | 'gdbBp' | 'gdbB' | 'gdbW';
const KINDS: Kind[] = ['free', 'gdb', 'gdbBp', 'gdbB', 'gdbW'];
// A full garbage collection before each phase: the sessions of earlier phases (their decoded
// and compiled code) are collected then, not during the next phase's timing.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const phase = (kind: Kind, rounds: number): Promise<Phase> => {
  gc();
  return phaseOf(kind, rounds);
};
const phaseOf = (kind: Kind, rounds: number): Promise<Phase> =>
  kind === 'free'
    ? freeRun(rounds)
    : gdbRun(rounds, {
        breakpoints: kind === 'gdbBp' || kind === 'gdbB',
        watchpoints: kind === 'gdbBp' || kind === 'gdbW',
      });
const warmUpRounds = Math.max(10, ROUNDS >> 3);
const WARM_UPS = arg('--warm-ups', 1);

const only = process.argv.indexOf('--phase');
if (only >= 0) {
  // A child: one warm-up run of the phase, then the timed one, as JSON on stdout.
  const kind = process.argv[only + 1] as Kind;
  if (!KINDS.includes(kind)) fail(`unknown phase ${kind} (known: ${KINDS.join(', ')})`);
  for (let i = 0; i < WARM_UPS; i++) await phase(kind, ROUNDS);
  process.stdout.write(`${JSON.stringify(await phase(kind, ROUNDS))}\n`);
  process.exit(0);
}

/** One phase in a fresh child process (this script again, with --phase). */
function isolated(kind: Kind): Phase {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, process.argv[1]!, '--phase', kind, '--rounds', String(ROUNDS)],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) fail(`phase ${kind} failed: ${child.stderr || child.error?.message}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Phase;
}

const IN_PROCESS = !process.argv.includes('--isolate');
const FIXED = process.argv.includes('--fixed-order');
console.log(
  `bench:gdb on the emulated nRF52840-DK, ${ROUNDS} benchmark rounds per phase, ${RUNS} runs, ${IN_PROCESS ? `all in this process${FIXED ? ', fixed order' : ''}, 1 warm-up round first` : 'each phase in its own process after ${WARM_UPS} untimed run(s) of it'}; load average ${loadText()}`,
);
if (IN_PROCESS) for (const kind of KINDS) await phase(kind, warmUpRounds);
const runs: Record<Kind, Phase>[] = [];
for (let r = 0; r < RUNS; r++) {
  const got: Partial<Record<Kind, Phase>> = {};
  for (let i = 0; i < KINDS.length; i++) {
    const kind = KINDS[FIXED ? i : (i + r) % KINDS.length]!;
    got[kind] = IN_PROCESS ? await phase(kind, ROUNDS) : isolated(kind);
  }
  const run = got as Record<Kind, Phase>;
  runs.push(run);
  const f = (k: Kind): string =>
    `${mipsOf(run[k], 'cpu').toFixed(1)} (wall ${mipsOf(run[k], 'wall').toFixed(1)})`;
  console.log(
    `  run ${r + 1} (load ${loadText()}), MIPS by CPU time (by wall): free ${f('free')}; under GDB ${f('gdb')}; 4 breakpoints + 2 watchpoints ${f('gdbBp')}; 4 breakpoints ${f('gdbB')}; 2 watchpoints ${f('gdbW')}`,
  );
}
const ratio = (k: Kind, by: 'wall' | 'cpu'): string =>
  `${(100 * median(runs.map((r) => mipsOf(r[k], by) / mipsOf(r.free, by)))).toFixed(1)}%`;
const medMips = (k: Kind): string => median(runs.map((r) => mipsOf(r[k], 'cpu'))).toFixed(1);
console.log(
  `median of ${RUNS} runs, by CPU time: free-running ${medMips('free')} MIPS (${runs[0]!.free.instructions.toLocaleString('en')} instructions a run); under GDB ${medMips('gdb')} MIPS = ${ratio('gdb', 'cpu')} (target >= 90%); with 4 breakpoints + 2 watchpoints ${medMips('gdbBp')} MIPS = ${ratio('gdbBp', 'cpu')} (target >= 80%); 4 breakpoints alone ${medMips('gdbB')} MIPS = ${ratio('gdbB', 'cpu')}, 2 watchpoints alone ${medMips('gdbW')} MIPS = ${ratio('gdbW', 'cpu')}`,
);
console.log(
  `  the same by wall clock: under GDB ${ratio('gdb', 'wall')}; 4 + 2 ${ratio('gdbBp', 'wall')}; 4 breakpoints ${ratio('gdbB', 'wall')}; 2 watchpoints ${ratio('gdbW', 'wall')}`,
);
// Load only ever slows a phase down (another process on the core's sibling thread, caches
// flushed): each kind's fastest run is the steadiest estimate of what it costs by itself.
const best = (k: Kind): number => Math.max(...runs.map((r) => mipsOf(r[k], 'cpu')));
const bestRatio = (k: Kind): string => `${((100 * best(k)) / best('free')).toFixed(1)}%`;
console.log(
  `best of ${RUNS} runs, by CPU time: free-running ${best('free').toFixed(1)} MIPS; under GDB ${best('gdb').toFixed(1)} MIPS = ${bestRatio('gdb')}; 4 breakpoints + 2 watchpoints ${best('gdbBp').toFixed(1)} MIPS = ${bestRatio('gdbBp')}; 4 breakpoints alone ${bestRatio('gdbB')}, 2 watchpoints alone ${bestRatio('gdbW')}`,
);
if (process.argv.includes('--no-reverse')) {
  console.log(`load average at the end ${loadText()}`);
  process.exit(0);
}

// Reverse execution 10^8 instructions into a run.
{
  const s = await served(100_000);
  const target = 100_000_000;
  const running = s.client.request('vCont;c', true);
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (s.t.session.instructions >= target) {
        clearInterval(poll);
        resolve();
      }
    }, 2);
  });
  s.client.interrupt();
  const stopped = await running;
  if (!stopped.ok) fail(stopped.error);
  const at = s.t.session.instructions;
  const pcHex = (await s.client.request('p0f')).ok;
  void pcHex;
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < 6; i++) {
    const clock = cpuClock();
    const r = await s.client.request('bs', true);
    const e = clock.elapsed();
    times.push(e.wallMs);
    cpuTimes.push(e.cpuMs);
    if (!r.ok || !r.value.reply.startsWith('T05')) fail(`bs: ${JSON.stringify(r)}`);
  }
  const back = s.t.session.instructions;
  if (back !== at - 6) fail(`six reverse steps went from ${at} to ${back}`);
  // reverse-continue to a breakpoint hit a few hundred thousand instructions back.
  const pc = s.t.session.readRegister(15);
  await s.client.request(`Z0,${pc.toString(16)},2`);
  const forward = await s.client.request('vCont;c', true); // the next hit of the same PC
  void forward;
  const bcClock = cpuClock();
  const bc = await s.client.request('bc', true);
  const bcMs = bcClock.elapsed().wallMs;
  if (!bc.ok || !bc.value.reply.startsWith('T05')) fail(`bc: ${JSON.stringify(bc)}`);
  const m = s.t.history.memory();
  console.log(
    `reverse-stepi at ${at.toLocaleString('en')} instructions (load ${loadText()}): first ${times[0]!.toFixed(1)} ms wall, ${cpuTimes[0]!.toFixed(1)} ms CPU (target < 200 ms), then ${times
      .slice(1)
      .map((x) => x.toFixed(1))
      .join(', ')} ms; reverse-continue to the previous breakpoint hit ${bcMs.toFixed(1)} ms`,
  );
  console.log(
    `checkpoints: ${m.checkpoints} kept, ${(m.bytes / 2 ** 20).toFixed(1)} MiB in all (4 KiB pages shared between checkpoints; the nRF52840's 1 MiB flash + 256 KiB RAM would be ${(((1024 + 256) * 1024 * m.checkpoints) / 2 ** 20).toFixed(0)} MiB as whole copies), one every ${m.gap.toLocaleString('en')} instructions at the end (a replay across it: ${m.replayMs.toFixed(0)} ms at the measured ${(s.t.history.runningSpeed / 1000).toFixed(1)} MIPS)`,
  );
  await s.close();
}
console.log(`load average at the end ${loadText()}`);
