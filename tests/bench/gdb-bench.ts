/**
 * `npm run bench:gdb`: what debugging through the GDB server costs, in figures.
 *
 * The CPU benchmark (tests/bench/bench.c) runs on the emulated nRF52840 (its stack moved into
 * the chip's 256 KiB of RAM) to its semihosting exit, interleaved round by round:
 * - free: the emulator target running on its own (no server, no client);
 * - gdb: the same, served on a loopback port, run by a GDB client's `vCont;c` (our client,
 *   negotiating as gdb-multiarch does), timed from the packet to the exit stop reply;
 * - gdb+bp: the same with 4 breakpoints (Z0) and 2 write watchpoints (Z2) set where the
 *   program never goes.
 * Ratios are medians of per-round ratios against the free run (targets: >= 90% with no
 * breakpoints, >= 80% with 4 + 2). Then reverse execution: the run is halted at 10^8
 * instructions and `bs` (reverse-stepi) is timed over the socket (target < 200 ms), then five
 * more reverse steps, one `bc` back to a breakpoint hit, and the memory the checkpoints take.
 * The load average is printed: on a busy machine the figures are noisy.
 *
 * Options: --runs N (default 3), --rounds N (benchmark rounds, default 150).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { EmulatorTarget } from '../../emulator/debug/emulator-target';
import { parseElf } from '../../emulator/formats/elf';
import type { GdbRemoteClient } from '../../emulator/gdb/client';
import { GDB_SLICE_MS, startGdbServer } from '../../emulator/node/gdb-server';
import { connectGdb } from '../../emulator/node/gdb-socket';
import { nodeScheduler } from '../../emulator/node/scheduler';
import { createSession } from '../../emulator/session/session';
import { buildBench } from './build';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const RUNS = arg('--runs', 3);
const ROUNDS = arg('--rounds', 150);
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

/** Free-running: the session's own loop (as the CLI runs it), no target, no server. */
async function freeRun(): Promise<number> {
  const t = target(ROUNDS);
  const session = t.session;
  await t.close();
  const t0 = performance.now();
  for (;;) {
    const r = session.runSlice({ instructions: 2_000_000 });
    if (r.kind !== 'limit') break;
  }
  return session.instructions / (performance.now() - t0) / 1000;
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

async function gdbRun(points: { breakpoints: boolean; watchpoints: boolean }): Promise<number> {
  const s = await served(ROUNDS);
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
  const t0 = performance.now();
  const stop = await s.client.request('vCont;c', true);
  const ms = performance.now() - t0;
  if (!stop.ok || !stop.value.reply.startsWith('W')) fail(`run ended with ${JSON.stringify(stop)}`);
  const mips = (s.t.session.instructions - before) / ms / 1000;
  await s.close();
  return mips;
}

const load0 = loadavg();
console.log(
  `bench:gdb on the emulated nRF52840-DK, ${ROUNDS} benchmark rounds, ${RUNS} runs; load average ${load0.map((x) => x.toFixed(2)).join(' ')}`,
);
const free: number[] = [];
const gdb: number[] = [];
const gdbBp: number[] = [];
const gdbB: number[] = [];
const gdbW: number[] = [];
for (let r = 0; r < RUNS; r++) {
  free.push(await freeRun());
  gdb.push(await gdbRun({ breakpoints: false, watchpoints: false }));
  gdbBp.push(await gdbRun({ breakpoints: true, watchpoints: true }));
  gdbB.push(await gdbRun({ breakpoints: true, watchpoints: false }));
  gdbW.push(await gdbRun({ breakpoints: false, watchpoints: true }));
  console.log(
    `  run ${r + 1}: free ${free[r]!.toFixed(1)} MIPS; under GDB ${gdb[r]!.toFixed(1)}; 4 breakpoints + 2 watchpoints ${gdbBp[r]!.toFixed(1)} (4 breakpoints alone ${gdbB[r]!.toFixed(1)}, 2 watchpoints alone ${gdbW[r]!.toFixed(1)})`,
  );
}
const ratio = (xs: number[]): string =>
  `${(100 * median(xs.map((x, i) => x / free[i]!))).toFixed(1)}%`;
console.log(
  `free-running ${median(free).toFixed(1)} MIPS; under GDB ${median(gdb).toFixed(1)} MIPS = ${ratio(gdb)} (target >= 90%); with 4 breakpoints + 2 watchpoints ${median(gdbBp).toFixed(1)} MIPS = ${ratio(gdbBp)} (target >= 80%); 4 breakpoints alone ${ratio(gdbB)}, 2 watchpoints alone ${ratio(gdbW)}`,
);

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
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const r = await s.client.request('bs', true);
    times.push(performance.now() - t0);
    if (!r.ok || !r.value.reply.startsWith('T05')) fail(`bs: ${JSON.stringify(r)}`);
  }
  const back = s.t.session.instructions;
  if (back !== at - 6) fail(`six reverse steps went from ${at} to ${back}`);
  // reverse-continue to a breakpoint hit a few hundred thousand instructions back.
  const pc = s.t.session.readRegister(15);
  await s.client.request(`Z0,${pc.toString(16)},2`);
  const forward = await s.client.request('vCont;c', true); // the next hit of the same PC
  void forward;
  const t1 = performance.now();
  const bc = await s.client.request('bc', true);
  const bcMs = performance.now() - t1;
  if (!bc.ok || !bc.value.reply.startsWith('T05')) fail(`bc: ${JSON.stringify(bc)}`);
  const m = s.t.history.memory();
  console.log(
    `reverse-stepi at ${at.toLocaleString('en')} instructions: first ${times[0]!.toFixed(1)} ms (target < 200 ms), then ${times
      .slice(1)
      .map((x) => x.toFixed(1))
      .join(', ')} ms; reverse-continue to the previous breakpoint hit ${bcMs.toFixed(1)} ms`,
  );
  console.log(
    `checkpoints: ${m.checkpoints} kept, ${(m.bytes / 2 ** 20).toFixed(1)} MiB in all (4 KiB pages shared between checkpoints; the nRF52840's 1 MiB flash + 256 KiB RAM would be ${(((1024 + 256) * 1024 * m.checkpoints) / 2 ** 20).toFixed(0)} MiB as whole copies), one every ${m.gap.toLocaleString('en')} instructions at the end`,
  );
  await s.close();
}
console.log(
  `load average at the end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
