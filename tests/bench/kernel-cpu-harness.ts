/**
 * Emulator-only CPU-time gauge of the busy nRF52840-DK kernel (fuzzer + timer apps, MPU on):
 * boots, then runs --instructions more and prints awake virtual time per main-thread CPU second
 * and per process CPU second against the 64 MHz chip (1.0 = the silicon's speed), and the
 * translator's code cache. The project's figure stays `npm run bench:nrf`.
 *
 * Usage: npx tsx tests/bench/kernel-cpu-harness.ts [--instructions N] [--interp] [--no-spin]
 *   [--no-cold-exits] (the translator's cold exits off, emulator/core/cpu/translate.ts)
 *   [--access-log] (the session's MMIO access log on, as the Peripherals panel turns it on)
 *   [--every M] (also the figure for each M instructions: how far the warm-up reaches)
 */
import { readFileSync } from 'node:fs';
import { setSpinLoops } from '../../emulator/core/spin-loop';
import { setColdExits } from '../../emulator/core/cpu/translate';
import { createSession } from '../../emulator/session/session';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const at = process.argv.indexOf('--instructions');
const N = at >= 0 ? Number(process.argv[at + 1]) : 20_000_000;
const translate = !process.argv.includes('--interp');
// --every M: also print the figure for each stretch of M instructions (the warm-up curve).
const everyAt = process.argv.indexOf('--every');
const EVERY = everyAt >= 0 ? Number(process.argv[everyAt + 1]) : 0;
// --no-spin: the spin-loop fast-forward off (emulator/core/spin-loop.ts), for an A/B.
if (process.argv.includes('--no-spin')) setSpinLoops(false);
// --no-cold-exits: every block the translator reaches is compiled, run or not, for an A/B.
if (process.argv.includes('--no-cold-exits')) setColdExits(false);
const board = 'nrf52840dk';
const root = resolve(import.meta.dirname, '..', '..');
const built = spawnSync(process.execPath, ['scripts/kernel.mjs', 'build', '--board', board], {
  cwd: root,
  encoding: 'utf8',
});
if (built.status !== 0) throw new Error(built.stderr);
const dir = join(root, 'kernel/target/images', board);
const manifest = JSON.parse(readFileSync(join(dir, 'apps.json'), 'utf8')) as {
  appsStart: number;
  apps: { name: string; tbf: string; flash: number }[];
};
// @ts-expect-error scripts/apps.mjs is plain JavaScript without type declarations.
const apps = (await import('../../scripts/apps.mjs')) as {
  composeApps(start: number, tbfs: unknown[]): Promise<Uint8Array>;
};
const tbf = (name: string): { address: number; bytes: Uint8Array } => {
  const a = manifest.apps.find((x) => x.name === name)!;
  return { address: a.flash, bytes: new Uint8Array(readFileSync(a.tbf)) };
};
const bin = await apps.composeApps(manifest.appsStart, [tbf('timer'), tbf('fuzzer')]);
const img = { kernelElf: join(dir, 'kernel.elf'), manifest };
const created = createSession({ machine: board, translate });
if (!created.ok) throw new Error(created.error);
const s = created.value;
const loaded = s.loadFiles([
  { name: img.kernelElf, bytes: new Uint8Array(readFileSync(img.kernelElf)) },
  { name: 'apps.bin', bytes: bin, address: img.manifest.appsStart },
]);
if (!loaded.ok) throw new Error(loaded.error);
const accessLog = process.argv.includes('--access-log');
if (accessLog) s.setAccessLog(true);
const threadCpu = (): number =>
  Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
const processCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
// Boot (the LFXO wait) first: 0.3 virtual s.
while (s.cycles < 0.3 * 64e6) s.runSlice({ instructions: 1_000_000 });
const c0 = s.cycles - s.core.sleptCycles;
const i0 = s.instructions;
const r0 = s.core.translatorStats.regionInstructions;
const t0 = threadCpu();
const p0 = processCpu();
let mark = { i: i0, c: c0, t: t0 };
while (s.instructions - i0 < N) {
  const r = s.runSlice({ instructions: 1_000_000 });
  if (r.kind !== 'limit' && r.kind !== 'idle') throw new Error(JSON.stringify(r));
  if (EVERY > 0 && s.instructions - mark.i >= EVERY) {
    const now = { i: s.instructions, c: s.cycles - s.core.sleptCycles, t: threadCpu() };
    const ratio = (now.c - mark.c) / 64e6 / (now.t - mark.t);
    const at = ((now.i - i0) / 1e6).toFixed(0).padStart(4);
    console.log(`  up to ${at} M: x64MHz per main-thread CPU s ${ratio.toFixed(3)}`);
    mark = now;
  }
}
const awake = (s.cycles - s.core.sleptCycles - c0) / 64e6;
const st = s.core.translatorStats;
console.log(
  `${board} busy, translate ${translate}${accessLog ? ', access log on' : ''}: ${((s.instructions - i0) / 1e6).toFixed(1)} M instr, awake ${awake.toFixed(3)} virtual s;` +
    ` x64MHz per main-thread CPU s ${(awake / (threadCpu() - t0)).toFixed(3)}, per process CPU s ${(awake / (processCpu() - p0)).toFixed(3)};` +
    ` ${st.regions} regions ${st.blocks} blocks ${st.instructions} instr ${(st.sourceBytes / 1024).toFixed(0)} KiB, ${st.chained} chained, ${st.entries} entries;` +
    ` ${s.instructions - i0 - (st.regionInstructions - r0)} instructions interpreted`,
);
