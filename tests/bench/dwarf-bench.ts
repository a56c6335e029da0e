/**
 * `npm run bench:dwarf`: how fast the DWARF reader indexes and answers, against llvm-dwarfdump.
 *
 * Builds the nRF52840-DK kernel (scripts/kernel.mjs, a no-op when it is current), then:
 * - index: `DebugInfo.load` plus `index()` (every unit's DIE tree, every line table, the
 *   function index, statics, vtables, named types and the CFI), median of --runs fresh loads;
 * - lookups: address -> line and file:line -> addresses over every line-table row of the
 *   image (addresses from the rows themselves, lines from every file that has code), with
 *   mean and worst time per lookup;
 * - the peer: `llvm-dwarfdump-14 --debug-info --debug-line --debug-frame` on the same file in
 *   the same run (it parses the same sections and prints them; output discarded), median of
 *   --runs, and `llvm-dwarfdump-14 --lookup=ADDR` for one address lookup (a process start plus
 *   an index of the file, which is what a tool pays per question).
 * Targets (issue 13): index under 1 s, each lookup under 1 ms. Figures depend on machine load:
 * run it on a quiet machine to compare. Options: --runs N (default 5), --elf PATH.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DebugInfo } from '../../emulator/formats/dwarf';
import { median } from './cpu-time';

const root = resolve(import.meta.dirname, '..', '..');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 5);

function kernelElf(): string {
  const given = arg('--elf');
  if (given) return given;
  const r = spawnSync(process.execPath, ['scripts/kernel.mjs', 'build', '--board', 'nrf52840dk'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.error(`kernel build failed:\n${r.stderr}`);
    process.exit(1);
  }
  return join(root, 'kernel', 'target', 'images', 'nrf52840dk', 'kernel.elf');
}

const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;
const ms = (x: number): string => `${x.toFixed(x < 1 ? 4 : 1)} ms`;

const path = kernelElf();
const bytes = new Uint8Array(readFileSync(path));
console.log(`image: ${path} (${(bytes.length / 1024).toFixed(0)} KiB)`);

const indexTimes: number[] = [];
let info: DebugInfo | undefined;
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  const r = DebugInfo.load(bytes, { name: 'kernel' });
  if (!r.ok) throw new Error(r.error);
  r.value.index();
  indexTimes.push(performance.now() - t);
  info = r.value;
}
const s = info!.stats();
console.log(
  `index (load + every DIE, line table, function, static, type, FDE): median ${ms(median(indexTimes))} of ${RUNS} ` +
    `(min ${ms(Math.min(...indexTimes))}); ${s.units} units (DWARF ${s.versions.join(', ')}), ${s.lineRows} line rows, ` +
    `${s.functions} functions, ${s.fdes} FDEs; target under 1000 ms`,
);

// address -> line, for every row's address.
const addresses: number[] = [];
const lines: [string, number][] = [];
for (const u of info!.units) {
  const t = info!.lineTable(u);
  if (!t) continue;
  for (const r of t.rows) {
    if (r.endSequence) continue;
    addresses.push(r.address);
    const f = t.files[r.file]?.path;
    if (f && r.line > 0) lines.push([f, r.line]);
  }
}
/** Times `f` on every item: mean, 99th percentile and worst (worst includes GC pauses). */
function timeEach<T>(label: string, items: T[], f: (x: T) => void, target = ''): void {
  const times: number[] = [];
  for (const x of items) {
    const t = performance.now();
    f(x);
    times.push(performance.now() - t);
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(
    `${label}: ${items.length} lookups, mean ${ms(mean)}, p99 ${ms(p99(times))}, worst ${ms(Math.max(...times))}${target}`,
  );
}
timeEach('address -> line', addresses, (a) => info!.lineFor(a), '; target under 1 ms');
timeEach(
  'file:line -> addresses',
  lines,
  ([f, l]) => info!.addressesFor(f, l),
  '; target under 1 ms',
);
timeEach(
  'address -> function and scopes',
  addresses.filter((_, i) => i % 7 === 0),
  (a) => {
    info!.functionAt(a);
    info!.scopesAt(a);
  },
);

const peer: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  const r = spawnSync(
    'llvm-dwarfdump-14',
    ['--debug-info', '--debug-line', '--debug-frame', path],
    { maxBuffer: 1 << 30 },
  );
  if (r.status !== 0) {
    console.log(
      `llvm-dwarfdump-14 unavailable (${r.error?.message ?? r.stderr}); install Debian's llvm-14 to compare`,
    );
    process.exit(0);
  }
  peer.push(performance.now() - t);
}
const lookupPeer: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  spawnSync('llvm-dwarfdump-14', [
    `--lookup=0x${(addresses[i * 97] ?? addresses[0]!).toString(16)}`,
    path,
  ]);
  lookupPeer.push(performance.now() - t);
}
console.log(
  `peer llvm-dwarfdump-14 --debug-info --debug-line --debug-frame: median ${ms(median(peer))}; ` +
    `--lookup of one address (process start included): median ${ms(median(lookupPeer))}`,
);
console.log(
  `ratio: reader index / llvm-dwarfdump full dump = ${(median(indexTimes) / median(peer)).toFixed(2)}`,
);
